// Measures FileLogStore with real fsyncs: append throughput at several batch and entry sizes,
// and recovery (open) time of a large log. Build with -c release; see BENCHMARKS-filestore.md.
//
// usage: raft-filestore-bench [--dir PATH] [--seconds S] [--runs N] [--recovery-entries N]
//                             [--skip-appends] [--skip-recovery] [--skip-memory]

#if canImport(Glibc)
import Glibc
#endif
import Raft
import RaftCore
import RaftFileStore
import Synchronization

enum BenchTypes: RaftTypeConfig {
    typealias Command = [UInt8]
    typealias Response = [UInt8]
    typealias NodeAddress = String
}

struct Settings {
    var directory = "/tmp/raft-filestore-bench"
    var seconds = 1.0
    var runs = 3
    var recoveryEntries = 1_000_000
    var appends = true
    var recovery = true
    var memory = true

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--dir": directory = iterator.next() ?? directory
            case "--seconds": seconds = Double(iterator.next() ?? "") ?? seconds
            case "--runs": runs = Int(iterator.next() ?? "") ?? runs
            case "--recovery-entries": recoveryEntries = Int(iterator.next() ?? "") ?? recoveryEntries
            case "--skip-appends": appends = false
            case "--skip-recovery": recovery = false
            case "--skip-memory": memory = false
            default:
                print("unknown argument \(argument)")
                exit(2)
            }
        }
    }
}

/// Counts flush callbacks and lets the benchmark wait for a count.
final class FlushCounter: Sendable {
    private struct State {
        var completed = 0
        var failed = false
        var waiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    private let state = Mutex(State())

    func callback() -> LogFlushCallback {
        { result in
            let resume = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.completed += 1
                if case .failure = result { state.failed = true }
                guard let waiter = state.waiter, state.completed >= waiter.target else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            resume?.resume()
        }
    }

    var failed: Bool { state.withLock { $0.failed } }

    func wait(until target: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.completed >= target { return true }
                state.waiter = (target, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

func removeDirectory(_ path: String) {
    guard let stream = opendir(path) else { return }
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { unlink(path + "/" + name) }
    }
    closedir(stream)
    rmdir(path)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Appends `batch`-entry calls of `entryBytes`-byte commands for about `duration` seconds with
/// up to `window` calls in flight; returns entries per second.
func appendRun(directory: String, batch: Int, entryBytes: Int, window: Int, duration: Double) async throws -> Double {
    removeDirectory(directory)
    let store = try FileLogStore<BenchTypes>(directory: directory)
    let counter = FlushCounter()
    let payload = [UInt8](repeating: 0xAB, count: entryBytes)
    var next: LogIndex = 1
    var issued = 0
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + .milliseconds(Int(duration * 1000))
    while clock.now < deadline {
        let entries = (0..<batch).map { offset in
            Entry<BenchTypes>(logID: LogID(term: 1, nodeID: 1, index: next + LogIndex(offset)), payload: .command(payload))
        }
        next += LogIndex(batch)
        try await store.append(entries, onDurable: counter.callback())
        issued += 1
        if issued >= window { await counter.wait(until: issued - window + 1) }
    }
    await counter.wait(until: issued)
    let elapsed = seconds(clock.now - start)
    precondition(!counter.failed, "an append failed")
    await store.close()
    removeDirectory(directory)
    return Double(issued * batch) / elapsed
}

func runAppends(_ settings: Settings) async throws {
    print("## Appends (fsync per group; median of \(settings.runs) runs of \(settings.seconds) s)\n")
    print("| entry bytes | batch (entries per append) | appends in flight | entries/s | payload MB/s |")
    print("|---:|---:|---:|---:|---:|")
    for entryBytes in [64, 1024] {
        for batch in [1, 16, 256] {
            for window in [1, 64] {
                var rates: [Double] = []
                for _ in 0..<settings.runs {
                    rates.append(try await appendRun(directory: settings.directory + "/appends", batch: batch,
                                                     entryBytes: entryBytes, window: window, duration: settings.seconds))
                }
                let rate = median(rates)
                let megabytes = rate * Double(entryBytes) / 1_000_000
                print("| \(entryBytes) | \(batch) | \(window) | \(Int(rate.rounded())) | \(format2(megabytes)) |")
            }
        }
    }
    print("")
}

func format2(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}

/// Drops the page cache of every file in `directory` (clean pages only), to time a cold open.
func evictPageCache(_ directory: String) {
    guard let stream = opendir(directory) else { return }
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let fd = open(directory + "/" + name, O_RDONLY)
        if fd >= 0 {
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
    }
    closedir(stream)
}

func runRecovery(_ settings: Settings) async throws {
    let directory = settings.directory + "/recovery"
    removeDirectory(directory)
    let total = settings.recoveryEntries
    let clock = ContinuousClock()
    let writeStart = clock.now
    let store = try FileLogStore<BenchTypes>(directory: directory)
    let counter = FlushCounter()
    let payload = [UInt8](repeating: 0xCD, count: 64)
    let batch = 1_024
    var issued = 0
    var next: LogIndex = 1
    while Int(next) <= total {
        let count = min(batch, total - Int(next) + 1)
        let entries = (0..<count).map { offset in
            Entry<BenchTypes>(logID: LogID(term: 1, nodeID: 1, index: next + LogIndex(offset)), payload: .command(payload))
        }
        next += LogIndex(count)
        try await store.append(entries, onDurable: counter.callback())
        issued += 1
        if issued >= 64 { await counter.wait(until: issued - 63) }
    }
    await counter.wait(until: issued)
    await store.close()
    let writeSeconds = seconds(clock.now - writeStart)

    var warm: [Double] = []
    var cold: [Double] = []
    var report = ""
    for run in 0..<(settings.runs * 2) {
        let isCold = run % 2 == 1
        if isCold { evictPageCache(directory) }
        let start = clock.now
        let reopened = try FileLogStore<BenchTypes>(directory: directory)
        let elapsed = seconds(clock.now - start)
        let state = try await reopened.logState()
        precondition(state.lastLogID?.index == LogIndex(total), "recovered \(String(describing: state.lastLogID))")
        report = reopened.recoveryReport.description
        await reopened.close()
        if isCold { cold.append(elapsed) } else { warm.append(elapsed) }
    }
    removeDirectory(directory)
    print("## Recovery of \(total) entries of 64 bytes\n")
    print("| | seconds (median of \(settings.runs)) |")
    print("|---|---:|")
    print("| writing them (batches of \(batch), 64 in flight) | \(format2(writeSeconds)) |")
    print("| open, page cache warm | \(format2(median(warm))) |")
    print("| open, page cache dropped (posix_fadvise DONTNEED) | \(format2(median(cold))) |")
    print("\nlast open: \(report)\n")
}

/// MemoryLogStore for comparison: the cost of the storage API itself, without I/O.
func runMemory(_ settings: Settings) async throws {
    print("## MemoryLogStore (no I/O; median of \(settings.runs) runs)\n")
    print("| batch | entries/s |")
    print("|---:|---:|")
    let payload = [UInt8](repeating: 0xEF, count: 64)
    for batch in [1, 256] {
        var rates: [Double] = []
        for _ in 0..<settings.runs {
            let store = MemoryLogStore<BenchTypes>()
            let total = batch == 1 ? 1_000_000 : 4_000_000
            let clock = ContinuousClock()
            let start = clock.now
            var next: LogIndex = 1
            while Int(next) <= total {
                let entries = (0..<batch).map { offset in
                    Entry<BenchTypes>(logID: LogID(term: 1, nodeID: 1, index: next + LogIndex(offset)), payload: .command(payload))
                }
                next += LogIndex(batch)
                try await store.append(entries, onDurable: { _ in })
            }
            rates.append(Double(next - 1) / seconds(clock.now - start))
        }
        print("| \(batch) | \(Int(median(rates).rounded())) |")
    }
    print("")
}

let settings = Settings(CommandLine.arguments)
if settings.memory { try await runMemory(settings) }
if settings.appends { try await runAppends(settings) }
if settings.recovery { try await runRecovery(settings) }
removeDirectory(settings.directory)
