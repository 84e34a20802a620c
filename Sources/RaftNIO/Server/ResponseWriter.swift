import NIOCore
import Synchronization

/// Answers of one server connection, queued from any thread (the nodes' loops answer
/// requests from their own threads) and written on the connection's event loop with one
/// flush per batch: the first answer of a batch schedules the write, later ones join it.
@usableFromInline final class ResponseWriter: Sendable {
    let channel: any Channel
    let instruments: TransportInstruments?
    private let state = Mutex(State())

    struct State {
        var frames: [ByteBuffer] = []
        var scheduled = false
        var closed = false
    }

    init(channel: any Channel, instruments: TransportInstruments?) {
        self.channel = channel
        self.instruments = instruments
    }

    @usableFromInline func send(_ frame: ByteBuffer) {
        let schedule = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.frames.append(frame)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        if schedule { channel.eventLoop.execute { self.flush() } }
    }

    /// Writes every queued answer and flushes; returns the bytes written.
    @discardableResult
    func flush() -> Int {
        let frames = state.withLock { state -> [ByteBuffer] in
            state.scheduled = false
            defer { state.frames.removeAll(keepingCapacity: true) }
            return state.frames
        }
        guard !frames.isEmpty else { return 0 }
        var bytes = 0
        for frame in frames {
            bytes += frame.readableBytes
            channel.write(frame, promise: nil)
        }
        channel.flush()
        if let instruments {
            instruments.framesOut.increment(by: frames.count)
            instruments.bytesOut.increment(by: bytes)
        }
        return bytes
    }

    /// Drops later answers: the connection is gone.
    func close() {
        state.withLock { state in
            state.closed = true
            state.frames.removeAll()
        }
    }
}
