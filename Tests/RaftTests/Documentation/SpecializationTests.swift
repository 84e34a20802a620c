import Foundation
import Testing

/// ARCHITECTURE.md's "Specialization" rule: the library's generic code is `@inlinable`, so an
/// application's release build specializes it. The compiler enforces half of the rule (an
/// inlinable body cannot reach a declaration that is not `@usableFromInline`), but a function
/// left without `@inlinable` compiles fine and silently runs unspecialized; this test finds it.
@Suite("Specialization")
struct SpecializationTests {
    /// The folders whose code must be inlinable, and the files exempt from it (not generic).
    static let folders = ["Sources/RaftCore", "Sources/Raft", "Sources/RaftFileStore"]
    static let exempt = ["Sources/Raft/Codec/", "Sources/Raft/Memory/KV/", "Sources/RaftFileStore/Snapshot/FileBackedKVStateMachine.swift"]

    @Test func everyFunctionOfTheSpecializedModulesIsInlinable() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var missing: [String] = []
        var checked = 0
        for folder in Self.folders {
            let enumerator = try #require(FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path))
            for case let relative as String in enumerator where relative.hasSuffix(".swift") {
                let path = "\(folder)/\(relative)"
                if Self.exempt.contains(where: { path.hasPrefix($0) }) { continue }
                let source = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
                let found = NonInlinableScan(source: source)
                checked += found.declarations
                missing += found.missing.map { "\(path):\($0.line): \($0.text)" }
            }
        }
        #expect(checked > 500, "the scan found too few declarations (\(checked)) to be reading the sources")
        #expect(missing.isEmpty, "declarations without @inlinable (see ARCHITECTURE.md, Specialization):\n\(missing.joined(separator: "\n"))")
    }

    @Test func theScanFlagsAFunctionWithoutTheAttribute() {
        let source = """
            struct Box<T> {
                @usableFromInline var value: T
                @inlinable init(value: T) { self.value = value }
                @inlinable var first: T { value }
                func unspecialized() -> T {
                    func local() {}
                    return value
                }
                var observed: Int = 0 {
                    didSet {}
                }
                private var hidden: Int { 1 }
            }
            protocol Requirement { func required() }
            """
        let scan = NonInlinableScan(source: source)
        #expect(scan.missing.map(\.line) == [5, 12])
        #expect(scan.declarations == 4)
    }
}

/// Finds functions, initializers, subscripts and computed properties declared in a type or at
/// the top level (not inside function bodies or protocol declarations) that lack `@inlinable`.
struct NonInlinableScan {
    private(set) var declarations = 0
    private(set) var missing: [(line: Int, text: String)] = []

    private enum Block { case type, protocolBody, code }

    init(source: String) {
        let lines = source.components(separatedBy: "\n")
        var blocks: [Block] = []
        var pending: Block?
        let declaration = /^\s*((?:(?:@\w+(?:\([^)]*\))?|public|internal|private|fileprivate|package|open|static|final|mutating|nonmutating|override|convenience|required|lazy|nonisolated\(nonsending\)|nonisolated|indirect|private\(set\)|internal\(set\))\s+)*)(func|init|subscript|var|let|struct|enum|class|actor|extension|protocol|case|deinit|typealias)\b(.*)$/
        for (number, line) in lines.enumerated() {
            let context = blocks.last ?? .type
            if let match = line.wholeMatch(of: declaration) {
                let keyword = String(match.2)
                if context == .type, ["func", "init", "subscript", "var"].contains(keyword),
                   keyword != "var" || Self.isComputed(rest: String(match.3), following: lines.dropFirst(number + 1)) {
                    declarations += 1
                    var attributes = String(match.1)
                    var above = number - 1
                    while above >= 0, lines[above].wholeMatch(of: /\s*(@\w+(\([^)]*\))?\s*)+/) != nil {
                        attributes += " " + lines[above]
                        above -= 1
                    }
                    if !attributes.contains("@inlinable") {
                        missing.append((number + 1, line.trimmingCharacters(in: .whitespaces)))
                    }
                }
                switch keyword {
                case "struct", "enum", "class", "actor", "extension": pending = .type
                case "protocol": pending = .protocolBody
                default: pending = .code
                }
            }
            for character in Self.code(of: line) {
                if character == "{" {
                    blocks.append(context == .code || blocks.last == .code ? .code : (pending ?? .code))
                    pending = nil
                } else if character == "}" {
                    _ = blocks.popLast()
                }
            }
        }
    }

    /// The line without string literals and comments, whose braces are not code.
    private static func code(of line: String) -> String {
        let withoutStrings = line.replacing(/"(?:[^"\\]|\\.)*"/, with: "\"\"")
        guard let comment = withoutStrings.firstRange(of: "//") else { return withoutStrings }
        return String(withoutStrings[..<comment.lowerBound])
    }

    /// Whether a `var` declaration (its text after the keyword) has a getter rather than
    /// storage: a brace not preceded by `=`, that does not open observers.
    private static func isComputed(rest: String, following: ArraySlice<String>) -> Bool {
        let text = code(of: rest)
        guard let brace = text.firstIndex(of: "{"), !text[..<brace].contains("=") else { return false }
        var body = text[text.index(after: brace)...].trimmingCharacters(in: .whitespaces)
        if body.isEmpty { body = following.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces) ?? "" }
        return !(body.hasPrefix("didSet") || body.hasPrefix("willSet"))
    }
}
