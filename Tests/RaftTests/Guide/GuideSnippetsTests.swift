import Foundation
import Testing

extension GuideSuites {
    /// Every ```swift block of every DocC article is code the test suite compiles and runs: it
    /// must appear verbatim in that article's test file, `Tests/<Target>/Guide/<Article>Tests.swift`
    /// (any test target), where a test runs it and checks its outcome. Only a block whose first
    /// line is `// Package.swift` (a manifest excerpt, which no test can compile) is exempt.
    ///
    /// Why not DocC's `@Snippet`: snippets are built as executables of their own, so they are
    /// compiled but never run or checked by a test; here each example runs inside a test that
    /// asserts what it did.
    @Suite("Documentation: guide examples")
    struct GuideSnippetsTests {
        static let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        /// Every article (a `.md` file of a catalog other than its landing page) with code.
        static func articles() -> [URL] {
            let sources = root.appendingPathComponent("Sources")
            guard let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
            return enumerator.compactMap { $0 as? URL }
                .filter { $0.pathExtension == "md" && $0.deletingLastPathComponent().pathExtension == "docc" }
                .sorted { $0.path < $1.path }
        }

        /// The fenced Swift blocks of a Markdown text, without their fences.
        static func swiftBlocks(in text: String) -> [String] {
            var blocks: [String] = []
            var current: [Substring]?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.drop { $0 == " " }
                if current == nil, trimmed == "```swift" {
                    current = []
                } else if current != nil, trimmed == "```" {
                    blocks.append(current!.joined(separator: "\n") + "\n")
                    current = nil
                } else if current != nil {
                    current!.append(line)
                }
            }
            return blocks
        }

        /// The test files that may hold an article's code.
        static func testFiles(for article: URL) -> [URL] {
            let name = article.deletingPathExtension().lastPathComponent + "Tests.swift"
            let tests = root.appendingPathComponent("Tests")
            let targets = (try? FileManager.default.contentsOfDirectory(atPath: tests.path)) ?? []
            return targets.map { tests.appendingPathComponent($0).appendingPathComponent("Guide").appendingPathComponent(name) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
        }

        /// Whether `block` appears in `source` as whole lines, at any indentation (an example may
        /// sit inside a test function).
        static func contains(_ source: String, _ block: String) -> Bool {
            for indent in stride(from: 0, through: 32, by: 4) {
                let prefix = String(repeating: " ", count: indent)
                let indented = block.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.isEmpty ? "" : prefix + $0 }
                    .joined(separator: "\n")
                if source.contains("\n" + indented) { return true }
            }
            return false
        }

        @Test func everyArticleExampleIsCompiledByItsTestFile() throws {
            let articles = Self.articles()
            #expect(articles.count >= 17, "found only \(articles.count) articles")
            var checked = 0
            for article in articles {
                let text = try String(contentsOf: article, encoding: .utf8)
                let blocks = Self.swiftBlocks(in: text).filter { !$0.hasPrefix("// Package.swift") }
                guard !blocks.isEmpty else { continue }
                let files = Self.testFiles(for: article)
                let name = article.lastPathComponent
                try #require(!files.isEmpty, "\(name) has Swift code but no Tests/*/Guide/\(article.deletingPathExtension().lastPathComponent)Tests.swift")
                let sources = try files.map { try String(contentsOf: $0, encoding: .utf8) }
                for block in blocks {
                    #expect(sources.contains { Self.contains($0, block) }, "\(name): this example is not in its test file verbatim:\n\(block)")
                    checked += 1
                }
            }
            #expect(checked > 0)
        }

        /// The check itself: it finds a block that is there and misses one that is not.
        @Test func theCheckFindsIndentedCodeAndMissesChangedCode() {
            let source = "struct S {\n    func f() {\n        let x = 1\n\n        print(x)\n    }\n}\n"
            #expect(Self.contains(source, "let x = 1\n\nprint(x)\n"))
            #expect(!Self.contains(source, "let x = 2\n\nprint(x)\n"))
            #expect(Self.swiftBlocks(in: "text\n```swift\nlet a = 1\n```\n```sh\nls\n```\n") == ["let a = 1\n"])
        }
    }
}
