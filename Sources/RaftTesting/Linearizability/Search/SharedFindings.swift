import Dispatch
import Synchronization

/// The partitions of one concurrent check: which one a thread takes next, and what each
/// search found.
final class SharedFindings<Model: LinearizabilityModel>: Sendable {
    private let next = Atomic<Int>(0)
    private let count: Int
    private let found: Mutex<[PartitionFinding<Model>?]>
    /// Partitions searched and stored so far, and a signal for the thread waiting on them.
    private let stored = Atomic<Int>(0)
    private let allStored = DispatchSemaphore(value: 0)

    init(count: Int) {
        self.count = count
        found = Mutex([PartitionFinding<Model>?](repeating: nil, count: count))
    }

    /// Counts partitions a thread has searched; the one that completes the count wakes
    /// ``waitUntilAllStored()``.
    func finished(_ partitions: Int) {
        guard partitions > 0 else { return }
        if stored.add(partitions, ordering: .acquiringAndReleasing).newValue == count { allStored.signal() }
    }

    /// Returns once every partition's finding is stored.
    func waitUntilAllStored() {
        allStored.wait()
    }

    /// The next partition no thread has taken, if any is left.
    func take() -> Int? {
        let index = next.add(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }

    func store(_ finding: PartitionFinding<Model>, at index: Int) {
        found.withLock { $0[index] = finding }
    }

    var findings: [PartitionFinding<Model>?] {
        found.withLock { $0 }
    }
}
