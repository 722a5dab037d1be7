/// A Swift type as generated code spells it.
indirect enum TypeExpression: Hashable, Sendable {
    /// A type from the standard library or GoogleAPICore, e.g. `String`, `GoogleInt64`.
    case builtin(String)
    /// A generated model declaration (index into `ModelPlan.declarations`).
    case declared(Int)
    /// `[Element]`.
    case array(TypeExpression)
    /// `[String: Value]`.
    case dictionary(TypeExpression)

    /// The declarations this type mentions, outermost first.
    var declarations: [Int] {
        switch self {
        case .builtin: []
        case .declared(let index): [index]
        case .array(let element), .dictionary(let element): element.declarations
        }
    }
}
