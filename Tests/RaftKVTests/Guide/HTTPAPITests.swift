import Foundation
import Testing

extension RaftKVTests {
    /// The RaftKV catalog's HTTP API article (`Sources/RaftKV/RaftKV.docc/HTTPAPI.md`) repeats
    /// the API of `Sources/RaftKV/README.md`, which the server's tests follow: every table row
    /// and every JSON example of the article must be in the README as it is, and the article
    /// must have all of the README's route and error rows, so neither drifts from the other.
    @Suite("guide: the HTTP API article")
    struct HTTPAPIArticle {
        static let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        static func tableRows(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| ") }
        }

        @Test func theArticlesTablesAreTheReadmes() throws {
            let article = try String(contentsOf: Self.root.appendingPathComponent("Sources/RaftKV/RaftKV.docc/HTTPAPI.md"), encoding: .utf8)
            let readme = try String(contentsOf: Self.root.appendingPathComponent("Sources/RaftKV/README.md"), encoding: .utf8)
            guard let start = readme.range(of: "## HTTP API") else { throw TestFailure("the README has no HTTP API section") }
            let api = String(readme[start.lowerBound...])
            let articleRows = Self.tableRows(article)
            let readmeRows = Self.tableRows(api)
            #expect(articleRows.count >= 30, "\(articleRows.count) rows")
            #expect(Set(articleRows) == Set(readmeRows), "rows only in the article: \(Set(articleRows).subtracting(readmeRows)); only in the README: \(Set(readmeRows).subtracting(articleRows))")
            let examples = article.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
            #expect(!examples.isEmpty && examples.allSatisfy { readme.contains($0) }, "\(examples)")
            for route in ["`GET /ready`", "`POST /v1/cluster/snapshot`", "`POST /v1/cluster/resume-voting`", "`POST /v1/txn`"] {
                #expect(articleRows.contains { $0.hasPrefix("| " + route) }, "\(route)")
            }
        }
    }
}
