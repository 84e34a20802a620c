// Appends to a FileLogStore until killed, printing "ack <index>" once an index is durable.
// Used by the RaftFileStore tests to SIGKILL a real process mid-append and check that every
// acknowledged index survives.
//
// usage: raft-filestore-crash-helper <directory> [maxBatch]

#if canImport(Glibc)
import Glibc
#endif
import Raft
import RaftCore
import RaftFileStore
import Synchronization

/// Writes one line straight to stdout: unbuffered, so nothing acknowledged is lost in a buffer
/// when the process is killed.
func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
}

/// The deterministic entry at `index`, so the test can check payloads after the crash.
func entry(_ index: LogIndex) -> Entry<KVTypes> {
    Entry(logID: LogID(term: 1, nodeID: 1, index: index),
          payload: .command(.put(key: "key-\(index)", value: String(repeating: "v", count: Int(index % 97)) + "\(index)")))
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    emit("usage: raft-filestore-crash-helper <directory> [maxBatch]")
    exit(2)
}
let maxBatch = arguments.count >= 3 ? max(1, Int(arguments[2]) ?? 32) : 32

let store: FileLogStore<KVTypes>
do {
    store = try FileLogStore<KVTypes>(directory: arguments[1])
} catch {
    emit("error \(error)")
    exit(1)
}
var next = (try await store.logState()).lastLogID.indexOrZero + 1
let acknowledged = Atomic<UInt64>(next - 1)
emit("start \(next)")

var random = SystemRandomNumberGenerator()
while true {
    // Keep a bounded window of unacknowledged entries, like a runtime with in-flight limits.
    while next - acknowledged.load(ordering: .acquiring) > 4_096 {
        try await Task.sleep(for: .microseconds(200))
    }
    let count = LogIndex(Int.random(in: 1...maxBatch, using: &random))
    let batch = (next..<(next + count)).map(entry)
    let last = next + count - 1
    try await store.append(batch) { result in
        // Callbacks run on the store's writer thread, one at a time and in order.
        guard case .success = result else {
            emit("failed \(last)")
            exit(1)
        }
        acknowledged.store(last, ordering: .releasing)
        emit("ack \(last)")
    }
    next += count
}
