import DequeModule
import RaftCore

/// A client write proposed on a node, waiting for the entry at its index to be applied.
struct PendingWrite {
    var logID: LogID
    var client: Int
    var attempt: UInt64
}

/// One simulated server: the real engine plus simulated disk, state machine, clock and RPC
/// bookkeeping. Everything but the disk and the clock is lost when it crashes.
final class SimNode {
    let id: NodeID
    /// Nil while the process is down.
    var engine: SimEngine?
    /// Increases at every crash; events scheduled by an earlier life are ignored.
    var incarnation: UInt64 = 0
    var disk = SimDisk()
    var clock: SimClock
    var stateMachine: KVStateMachine
    var stateMachineQueue: Deque<CommandBatch<SimTypes>.StateMachineWork> = []
    var stateMachineBusy = false
    var syncScheduled = false
    var timerGeneration: UInt64 = 0
    /// The simulated instant of the armed tick, if any.
    var timerAt: UInt64?
    /// Client writes this life proposed, by log index.
    var pendingWrites: [LogIndex: PendingWrite] = [:]
    /// Snapshot data received ahead of install-snapshot requests, by snapshot id.
    var receivedSnapshots: [String: [Int?]] = [:]
    /// Requests this node sent and awaits an answer to (the client side of the RPC layer).
    var outstandingCalls: Set<CallKey> = []
    /// Requests this node received and has not answered, with the requester's incarnation.
    var servedRequests: [CallKey: UInt64] = [:]
    /// The newest incarnation seen from each peer; older requests come from a closed
    /// connection and are dropped.
    var peerIncarnations: [NodeID: UInt64] = [:]
    /// Requests that came with a vote lower than this node's: it must not answer them with
    /// success.
    var lowerVoteCalls: Set<CallKey> = []
    var snapshotsBuilt = 0
    /// A restart is already scheduled.
    var restartScheduled = false
    /// Progress of the operator's re-admission of this node after it lost its data.
    struct Readmission {
        var started = false
        /// It was a voter when re-admission began, so it is promoted back at the end.
        var asVoter = false
        /// The configuration without it as a voter has been seen in force.
        var removed = false
        /// Re-admitted as a learner; to be promoted back once its term allows.
        var promotionPending = false
    }

    var readmission = Readmission()
    /// Slow disk: sync and read latencies are multiplied while set (a latency fault).
    var slowDisk = false

    init(id: NodeID, keyCount: Int, clock: SimClock) {
        self.id = id
        self.clock = clock
        self.stateMachine = KVStateMachine(keyCount: keyCount)
    }

    var isUp: Bool { engine != nil }

    /// Forgets everything volatile (the process died).
    func resetVolatileState(keyCount: Int) {
        engine = nil
        incarnation += 1
        stateMachine = KVStateMachine(keyCount: keyCount)
        stateMachineQueue.removeAll()
        stateMachineBusy = false
        syncScheduled = false
        timerGeneration += 1
        timerAt = nil
        pendingWrites.removeAll()
        receivedSnapshots.removeAll()
        outstandingCalls.removeAll()
        servedRequests.removeAll()
        peerIncarnations.removeAll()
        lowerVoteCalls.removeAll()
    }

    /// A one-line summary for the trace.
    var summary: String {
        guard let engine else { return "n\(id)[down]" }
        let role: String
        switch engine.serverState {
        case .leader: role = "L"
        case .candidate: role = "C"
        case .follower: role = "F"
        case .learner: role = "l"
        }
        let suspended = engine.votingSuspended ? " S" : ""
        return "n\(id)[\(role) v\(engine.vote) last \(describe(engine.lastLogID)) c \(describe(engine.committed)) a \(describe(engine.applied))\(suspended)]"
    }
}
