/// Identifies one call of a client (write, writeMany, read, membership change, transfer) to
/// the node loop, so that the loop can answer it when the caller's task is cancelled or its
/// deadline passes.
@usableFromInline struct CallTag: Sendable {
    /// Unique per node; also the engine's request token for calls answered with a reply.
    @usableFromInline var id: UInt64
    /// The time the call allows; nil takes ``RaftConfig/requestTimeout``.
    @usableFromInline var timeout: Duration?

    @inlinable init(id: UInt64, timeout: Duration?) {
        self.id = id
        self.timeout = timeout
    }
}

/// A call waiting for the engine's reply, and when it is answered anyway.
@usableFromInline struct PendingCall<Value: Sendable>: Sendable {
    @usableFromInline var continuation: UnsafeContinuation<Value, Never>
    @usableFromInline var deadline: RaftInstant

    @inlinable init(continuation: UnsafeContinuation<Value, Never>, deadline: RaftInstant) {
        self.continuation = continuation
        self.deadline = deadline
    }
}

extension RaftInstant {
    /// Later than any deadline: a call with this deadline never expires.
    @inlinable static var distantFuture: RaftInstant { RaftInstant(nanoseconds: .max) }

    /// The instant `duration` after this one, saturating instead of wrapping around.
    @inlinable func adding(saturating duration: Duration) -> RaftInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(duration.nanosecondsClamped)
        return RaftInstant(nanoseconds: overflow ? .max : sum)
    }
}
