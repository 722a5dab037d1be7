extension Array {
    /// The array, or nil when it is empty: Google's APIs leave empty lists out of their responses.
    var nonEmpty: [Element]? {
        isEmpty ? nil : self
    }
}
