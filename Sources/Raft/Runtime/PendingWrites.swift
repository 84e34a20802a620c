import CoreMetrics
import RaftCore
import Synchronization

/// Where the result of one proposed command goes.
@usableFromInline enum PendingWriteResponder<Types: RaftTypeConfig>: Sendable {
    @usableFromInline typealias WriteResult = Result<Types.Response, RaftError<Types.NodeAddress>>

    case single(UnsafeContinuation<WriteResult, Never>)
    case many(PendingWriteBatch<Types>, slot: Int)

    @inlinable func resolve(_ result: WriteResult) {
        switch self {
        case .single(let continuation): continuation.resume(returning: result)
        case let .many(batch, slot): batch.resolve(slot, result)
        }
    }
}

/// The results of one `writeMany`, resumed when the last command is resolved. Slots of one
/// batch may be resolved by the state-machine worker (applied) and by the node loop (failed,
/// or covered by a snapshot) at the same time, hence the lock.
@usableFromInline final class PendingWriteBatch<Types: RaftTypeConfig>: Sendable {
    @usableFromInline typealias WriteResult = PendingWriteResponder<Types>.WriteResult

    @usableFromInline struct State {
        @usableFromInline var results: [WriteResult?]
        @usableFromInline var remaining: Int

        @inlinable init(results: [WriteResult?], remaining: Int) {
            self.results = results
            self.remaining = remaining
        }
    }

    @usableFromInline let state: Mutex<State>
    @usableFromInline let continuation: UnsafeContinuation<[WriteResult], Never>

    @inlinable init(count: Int, continuation: UnsafeContinuation<[WriteResult], Never>) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
        self.continuation = continuation
    }

    @inlinable func resolve(_ slot: Int, _ result: WriteResult) {
        let complete: [WriteResult]? = state.withLock { state in
            precondition(state.results[slot] == nil, "a write is resolved once")
            state.results[slot] = result
            state.remaining -= 1
            return state.remaining == 0 ? state.results.map { $0! } : nil
        }
        if let complete { continuation.resume(returning: complete) }
    }
}

/// A proposed command waiting for the entry at its log id to be applied.
@usableFromInline struct PendingWrite<Types: RaftTypeConfig>: Sendable {
    @usableFromInline var logID: LogID
    @usableFromInline var responder: PendingWriteResponder<Types>
    /// The call that proposed it (a `writeMany` proposes several entries under one call).
    @usableFromInline var callID: UInt64
    /// When it is answered ``UnknownOutcome/deadlineExceeded`` (or, once ``orphaned``,
    /// ``UnknownOutcome/leadershipLost``) if its entry has not been applied by then.
    @usableFromInline var deadline: RaftInstant
    /// The node stopped leading after proposing it; `deadline` was cut to a grace period in
    /// which the next leader's first messages usually tell this node the entry's fate.
    @usableFromInline var orphaned = false
    /// When it was proposed, if commit latency is measured.
    @usableFromInline var proposedAt: ContinuousClock.Instant?

    @inlinable init(
        logID: LogID, responder: PendingWriteResponder<Types>, callID: UInt64 = 0, deadline: RaftInstant = .distantFuture,
        proposedAt: ContinuousClock.Instant? = nil
    ) {
        self.logID = logID
        self.responder = responder
        self.callID = callID
        self.deadline = deadline
        self.proposedAt = proposedAt
    }

    /// Why the write is answered when its deadline passes.
    @inlinable var expiryOutcome: UnknownOutcome { orphaned ? .leadershipLost : .deadlineExceeded }

    /// Resolves `writes` (ascending by index, none beyond the last entry) against `entries`
    /// just applied and the state machine's `responses` (one per command entry): a write
    /// succeeds when its own entry was applied, fails when another entry was applied at its
    /// index, and is unknown when its index was not among them, i.e. covered by a snapshot
    /// (field lesson 23).
    @inlinable static func resolve(
        _ writes: [PendingWrite], applied entries: [Entry<Types>], responses: [Types.Response], instruments: RaftInstruments?
    ) {
        var position = 0
        var responseIndex = 0
        for entry in entries {
            var response: Types.Response?
            if case .command = entry.payload {
                if responseIndex < responses.count { response = responses[responseIndex] }
                responseIndex += 1
            }
            while position < writes.count, writes[position].logID.index <= entry.index {
                let pending = writes[position]
                position += 1
                if pending.logID == entry.logID, let response {
                    if let instruments, let proposedAt = pending.proposedAt {
                        instruments.commitLatency.recordNanoseconds(Int64(clamping: proposedAt.duration(to: .now).nanosecondsClamped))
                    }
                    pending.responder.resolve(.success(response))
                } else if pending.logID.index == entry.index {
                    pending.responder.resolve(.failure(.writeFailed))
                } else {
                    pending.responder.resolve(.failure(.outcomeUnknown(.coveredBySnapshot)))
                }
            }
        }
        precondition(position == writes.count, "only writes up to the last applied entry are handed over")
    }
}
