import Foundation
import Testing

@Suite("Documentation")
struct ReadmeExampleTests {
    @Test func readmeExampleRunsAndReturnsTheWrittenValue() async throws {
        #expect(try await runThreeNodeCluster() == "hello, raft")
    }

    /// The README shows exactly the code these tests compile and run.
    @Test(arguments: ["ReadmeExample.swift"])
    func readmeShowsTheCompiledExample(file: String) throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent(file), encoding: .utf8)
        let example = try #require(Self.between("// README-EXAMPLE-BEGIN\n", "// README-EXAMPLE-END", in: source))
        #expect(readme.contains(example), "README.md must contain the example of \(file) verbatim")
    }

    static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let lower = text.range(of: start), let upper = text.range(of: end, range: lower.upperBound..<text.endIndex) else { return nil }
        return String(text[lower.upperBound..<upper.lowerBound])
    }
}
