import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "raft") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString)"
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
