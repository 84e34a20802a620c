import Foundation
import RaftTesting

/// One history to check, with the verdict it must get.
struct CorpusEntry {
    var name: String
    var operations: [StringKVOperation]
    /// Keys start out `""` in the key-value corpus (a get of a key nobody wrote returns
    /// `""`), absent in the register histories.
    var model: StringKV
    /// `nil` when the corpus does not say.
    var expectedLinearizable: Bool?

    var keyCount: Int {
        Set(operations.map(\.input.key)).count
    }
}

/// Loads porcupine's test data layout: `jepsen/etcd_NNN.log` (Jepsen etcd register
/// histories) and `kv/cNN-ok.txt` / `kv/cNN-bad.txt` (key-value histories of 1, 10 and 50
/// clients, named by their verdict).
enum Corpus {
    /// The etcd histories that are linearizable, by number, as porcupine's tests state
    /// them; every other number from 0 to 102 (95 is absent) is not.
    static let linearizableEtcd: Set<Int> = [
        2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67, 75, 76, 80, 87, 92, 98, 100, 101, 102,
    ]

    static func load(directory: String) throws -> [CorpusEntry] {
        var entries: [CorpusEntry] = []
        for (folder, parse) in [("jepsen", etcd(name:text:)), ("kv", kv(name:text:))] {
            let path = directory + "/" + folder
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            for name in names.sorted() where name.hasSuffix(".log") || name.hasSuffix(".txt") {
                let text = try String(contentsOfFile: path + "/" + name, encoding: .utf8)
                do {
                    entries.append(try parse(name, text))
                } catch {
                    throw CorpusError(file: path + "/" + name, error: error)
                }
            }
        }
        return entries
    }

    private static func etcd(name: String, text: String) throws -> CorpusEntry {
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        let number = stem.split(separator: "_").last.flatMap { Int($0) }
        let expected = number.map { (0...102).contains($0) ? linearizableEtcd.contains($0) : nil } ?? nil
        let operations = try StringKV.operations(fromJepsen: JepsenHistory(parsing: text))
        return CorpusEntry(name: stem, operations: operations, model: StringKV(), expectedLinearizable: expected)
    }

    private static func kv(name: String, text: String) throws -> CorpusEntry {
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        let expected: Bool? = stem.hasSuffix("-ok") ? true : stem.hasSuffix("-bad") ? false : nil
        let operations = try StringKV.operations(fromJepsen: JepsenHistory(parsing: text))
        let keys = Set(operations.map(\.input.key))
        let model = StringKV(initialValues: Dictionary(uniqueKeysWithValues: keys.map { ($0, "") }))
        return CorpusEntry(name: stem, operations: operations, model: model, expectedLinearizable: expected)
    }

    /// The generated histories, each linearizable one followed by its corrupted twin.
    static func generated() -> [CorpusEntry] {
        GeneratedShape.all.flatMap { shape -> [CorpusEntry] in
            let (ok, bad) = shape.generate()
            let keys = Set(ok.map(\.input.key))
            let model = StringKV(initialValues: Dictionary(uniqueKeysWithValues: keys.map { ($0, "") }))
            var entries = [CorpusEntry(name: shape.name + "-ok", operations: ok, model: model, expectedLinearizable: true)]
            if let bad {
                entries.append(CorpusEntry(name: shape.name + "-bad", operations: bad, model: model, expectedLinearizable: false))
            }
            return entries
        }
    }
}

struct CorpusError: Error, CustomStringConvertible {
    var file: String
    var error: any Error

    var description: String {
        "\(file): \(error)"
    }
}
