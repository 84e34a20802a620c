import Foundation
import RaftTesting
import Testing

/// Small histories of porcupine's public corpus (Benchmarks/corpus/porcupine), with the
/// verdicts porcupine's tests give them. Correctness only: raft-lincheck-bench times them.
@Suite struct PublicCorpusTests {
    private static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/corpus/porcupine")

    private func operations(_ path: String) throws -> [KVOperation] {
        let text = try String(contentsOf: Self.corpus.appendingPathComponent(path), encoding: .utf8)
        return try KV.operations(fromJepsen: JepsenHistory(parsing: text))
    }

    @Test(arguments: [("jepsen/etcd_000.log", false), ("jepsen/etcd_002.log", true), ("jepsen/etcd_005.log", true)])
    func etcdRegisterHistoriesGetPorcupinesVerdicts(path: String, linearizable: Bool) throws {
        let history = try operations(path)
        for parallelism in [1, 2] {
            let result = LinearizabilityChecker(model: KV(), parallelism: parallelism).check(history)
            #expect(result.isLinearizable == linearizable, "\(path): \(result)")
            #expect((result.violation != nil) == !linearizable, "\(path): \(result)")
        }
    }

    @Test(arguments: [("kv/c01-ok.txt", true), ("kv/c01-bad.txt", false)])
    func keyValueHistoriesGetPorcupinesVerdicts(path: String, linearizable: Bool) throws {
        let history = try operations(path)
        // A get of a key nobody wrote returns "" in these histories.
        let model = KV(initialValues: Dictionary(uniqueKeysWithValues: Set(history.map(\.input.key)).map { ($0, "") }))
        let result = LinearizabilityChecker(model: model).check(history)
        #expect(result.isLinearizable == linearizable, "\(path): \(result)")
        if !linearizable {
            // The stale get: key 7 read without the append of "x 0 3 y" that completed before it.
            #expect(result.violation?.partition == "7")
        }
    }

    @Test func jepsenOutcomesMapOntoTheModel() throws {
        let text = """
            INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]
            INFO  jepsen.core - some other logger's line
            INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]
            INFO  jepsen.util - 1\t:invoke\t:write\t3
            INFO  jepsen.util - 1\t:info\t:write\t:timed-out
            INFO  jepsen.util - 2\t:invoke\t:read\tnil
            INFO  jepsen.util - 2\t:fail\t:read\t:timed-out
            INFO  jepsen.util - 3\t:invoke\t:write\t4

            """
        let history = try KV.operations(fromJepsen: JepsenHistory(parsing: text))
        #expect(history.map(\.input) == [.compareAndSet("", expected: "1", new: "2"), .write("", "3"), .read(""), .write("", "4")])
        // A failed cas completed, having observed another value; a failed read did not happen.
        #expect(history.map(\.outcome) == [.ok(.compareAndSet(succeeded: false)), .unknown, .fail, .unknown])
        #expect(history.map(\.invokedAt) == [1, 4, 6, 8])
        #expect(history.map(\.completedAt) == [3, 5, 7, nil])
        let dropped = try KV.operations(
            fromJepsen: JepsenHistory(parsing: text), compareAndSetFailureObservedAnotherValue: false)
        #expect(dropped[0].outcome == .fail)
    }

    @Test func ednMapsCarryKeysAndStrings() throws {
        let text = """
            {:process 3, :type :invoke, :f :append, :key "k", :value "x \\"3\\" y"}
            {:process 4, :type :invoke, :f :get, :key 7, :value nil}
            {:process 3, :type :ok, :f :append, :key "k", :value "x \\"3\\" y"}
            {:process 4, :type :ok, :f :get, :key 7, :value ""}
            """
        let history = try KV.operations(fromJepsen: JepsenHistory(parsing: text))
        #expect(history.map(\.input) == [.append("k", "x \"3\" y"), .read("7")])
        #expect(history.map(\.outcome) == [.ok(.appended), .ok(.read(""))])
    }

    @Test func malformedHistoriesAreRejectedWithTheirLine() {
        let cases: [(String, Int)] = [
            ("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil", 2),
            ("INFO  jepsen.util - 0\t:ok\t:read\t3", 1),
            ("{:process 1, :type :invoke, :f :get, :key \"a\", :value nil}\n{:process 1, :type :ok, :f :put, :key \"a\", :value \"v\"}", 2),
            ("{:process 1, :type :invoke, :f :get, :key \"a\", :value nil", 1),
            ("{:process 1, :type :begin, :f :get}", 1),
            ("INFO  jepsen.util - x\t:invoke\t:read\tnil", 1),
        ]
        for (text, line) in cases {
            #expect(throws: JepsenHistoryError.self, "\(text)") { try JepsenHistory(parsing: text) }
            do {
                _ = try JepsenHistory(parsing: text)
            } catch {
                #expect(error.line == line, "\(text): \(error)")
            }
        }
        let unknownFunction = "{:process 1, :type :invoke, :f :frobnicate, :value 1}"
        #expect(throws: JepsenHistoryError.self) { try KV.operations(fromJepsen: JepsenHistory(parsing: unknownFunction)) }
    }
}
