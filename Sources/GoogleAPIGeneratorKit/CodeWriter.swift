/// Accumulates Swift source with four-space indentation.
struct CodeWriter {
    private(set) var text = ""
    private var depth = 0

    /// The longest line before a declaration's parameters are put one per line.
    static let lineLimit = 120

    /// One line at the current indentation (an empty line has no trailing spaces).
    mutating func line(_ content: String = "") {
        text += content.isEmpty ? "\n" : String(repeating: "    ", count: depth) + content + "\n"
    }

    /// `header {`, the body one level deeper, `}`.
    mutating func block(_ header: String, _ body: (inout CodeWriter) -> Void) {
        enclosed(header + " {", body)
    }

    /// `opening` (which opens a brace itself, e.g. `Pages { token in`), the body one level deeper, `}`.
    mutating func enclosed(_ opening: String, _ body: (inout CodeWriter) -> Void) {
        line(opening)
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }

    /// `/// …` lines.
    mutating func doc(_ lines: [String]) {
        for content in lines { line(content.isEmpty ? "///" : "/// " + content) }
    }

    /// `head(parameters)tail {`, on one line when it fits, else one parameter per line.
    mutating func parameterBlock(_ head: String, _ parameters: [String], _ tail: String,
                                 _ body: (inout CodeWriter) -> Void) {
        let single = head + "(" + parameters.joined(separator: ", ") + ")" + tail
        if parameters.count < 2 || String(repeating: "    ", count: depth).count + single.count + 2 <= Self.lineLimit {
            block(single, body)
            return
        }
        line(head + "(")
        depth += 1
        for (offset, parameter) in parameters.enumerated() {
            line(parameter + (offset == parameters.count - 1 ? "" : ","))
        }
        depth -= 1
        block(")" + tail, body)
    }
}

extension CodeWriter {
    /// `head(arguments)`, on one line when it fits, else one argument per line.
    mutating func call(_ head: String, _ arguments: [String]) {
        let single = head + "(" + arguments.joined(separator: ", ") + ")"
        if arguments.count < 2 || String(repeating: "    ", count: depth).count + single.count <= Self.lineLimit {
            line(single)
            return
        }
        line(head + "(")
        depth += 1
        for (offset, argument) in arguments.enumerated() {
            line(argument + (offset == arguments.count - 1 ? "" : ","))
        }
        depth -= 1
        line(")")
    }
}
