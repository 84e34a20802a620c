import RaftCore
import RaftTesting
import Synchronization

/// Concurrent clients doing get, put and compare-and-set on a small key set with unique
/// values, each through a node picked at random per request, recording every request.
struct Workload: Sendable {
    var clients: Int
    var keys: [String]
    var nodeCount: Int
    var seed: UInt64
    /// Whether reads may use the leader's lease (off when clocks jump: a jumped clock voids
    /// the lease's assumption, as in the simulator).
    var leaseReads: Bool

    /// Runs until `stop` is set; returns how many requests each client sent.
    func run(store: some ChaosStoreClient, recorder: HistoryRecorder, stop: StopFlag) async {
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    await runClient(UInt64(client + 1), store: store, recorder: recorder, stop: stop)
                }
            }
        }
    }

    private func runClient(_ client: UInt64, store: some ChaosStoreClient, recorder: HistoryRecorder, stop: StopFlag) async {
        var random = SplitMix64(seed: seed &+ client &* 0x9E37_79B9)
        var counter = 0
        var lastSeen: [String: String?] = [:]
        while !stop.isSet {
            let node = 1 + Int(random.next() % UInt64(nodeCount))
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let roll = random.next() % 10
            var settled = true
            if roll < 5 {
                let consistency: ReadConsistency = leaseReads && random.next() % 3 == 0 ? .lease : .linearizable
                let id = recorder.invoke(client: client, input: .read(key), node: node)
                switch await store.get(key, from: node, consistency: consistency) {
                case .ok(let value):
                    recorder.complete(id, outcome: .ok(.read(value)), note: consistency.rawValue)
                    lastSeen[key] = .some(value)
                case .fail(let why):
                    recorder.complete(id, outcome: .fail, note: why); settled = false
                case .unknown(let why):
                    // A read changes nothing: an unanswered one is simply not observed.
                    recorder.complete(id, outcome: .unknown, note: why); settled = false
                }
            } else {
                counter += 1
                let value = "c\(client)-\(counter)"
                if roll < 8 {
                    let id = recorder.invoke(client: client, input: .write(key, value), node: node)
                    switch await store.put(key, value, on: node) {
                    case .ok: recorder.complete(id, outcome: .ok(.written), note: "")
                        lastSeen[key] = .some(value)
                    case .fail(let why): recorder.complete(id, outcome: .fail, note: why); settled = false
                    case .unknown(let why): recorder.complete(id, outcome: .unknown, note: why); settled = false
                    }
                } else {
                    let expected = lastSeen[key] ?? nil
                    let id = recorder.invoke(client: client, input: .compareAndSet(key, expected: expected, new: value), node: node)
                    switch await store.compareAndSet(key, expected: expected, new: value, on: node) {
                    case .ok(let swapped):
                        recorder.complete(id, outcome: .ok(.compareAndSet(succeeded: swapped)), note: "")
                        if swapped { lastSeen[key] = .some(value) } else { lastSeen[key] = nil }
                    case .fail(let why): recorder.complete(id, outcome: .fail, note: why); settled = false
                    case .unknown(let why): recorder.complete(id, outcome: .unknown, note: why); settled = false
                    }
                }
            }
            // A refused or unanswered request usually means that node is down or cut off:
            // back off a little instead of spinning on it.
            if !settled { try? await Task.sleep(for: .milliseconds(20 + Int(random.next() % 80))) }
        }
    }
}

/// Set once, read by many tasks: tells the clients to finish their current request and end.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
