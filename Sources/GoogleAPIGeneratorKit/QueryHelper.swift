/// The `[QueryItem]` helpers generated methods use (file-private to each generated module).
enum QueryHelper {
    static func emit(into writer: inout CodeWriter) {
        writer.block("extension [QueryItem]") { writer in
            writer.doc(["Appends `name=value` when there is a value."])
            writer.block("fileprivate mutating func add(_ name: String, _ value: (some LosslessStringConvertible)?)") { writer in
                writer.line("if let value { append(QueryItem(name, String(value))) }")
            }
            writer.line()
            writer.doc(["Appends `name=value` once per value."])
            writer.block("fileprivate mutating func add(_ name: String, _ values: [some LosslessStringConvertible]?)") { writer in
                writer.line("for value in values ?? [] { append(QueryItem(name, String(value))) }")
            }
        }
    }
}
