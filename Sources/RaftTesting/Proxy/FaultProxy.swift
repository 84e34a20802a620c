import DequeModule
import Glibc
import RaftCore
import Synchronization

/// A TCP proxy that sits between clients and one server and injects network faults, set per
/// direction and changed at any time: forward, delay, discard, hold (blackhole), or close.
///
/// Point a node's peers at the proxy's port instead of the node's own and every byte between
/// them passes through it. Written on POSIX sockets and threads (no NIO), so that any test or
/// harness can use it, including one that runs nodes as separate processes.
///
/// ```swift
/// let proxy = try FaultProxy(forwardingTo: "127.0.0.1", port: serverPort)
/// // clients connect to proxy.port
/// proxy.set(.discard, for: .toServer)   // requests vanish, connections stay open
/// proxy.set(.delay(.milliseconds(50)))  // both directions
/// proxy.heal()                          // everything passes again
/// proxy.stop()
/// ```
///
/// One thread accepts; each connection gets a thread that polls both sockets (waking at
/// least every 10 ms to pick up fault changes), so a proxy costs a few threads, not a core.
/// The threads hold the proxy until ``stop()``: call it when done.
public final class FaultProxy: Sendable {
    /// The port clients connect to.
    public let port: Int
    /// Where connections are forwarded.
    public let targetHost: String
    /// The port the proxy forwards to.
    public let targetPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    struct State {
        var faults: [ProxyDirection: ProxyFault] = [.toServer: .pass, .toClient: .pass]
        var stopped = false
        /// Bumped by `dropConnections()`: connections of an older generation reset themselves.
        var generation = 0
        var statistics = FaultProxyStatistics()
    }

    /// A proxy that forwards every connection to `targetHost:targetPort`, listening on
    /// `host:listenPort` (0: an ephemeral port, see ``port``).
    public init(forwardingTo targetHost: String, port targetPort: Int, listeningOn host: String = "127.0.0.1", listenPort: Int = 0) throws {
        let (fd, bound) = try POSIXSocket.listen(host: host, port: listenPort)
        self.listener = fd
        self.port = bound
        self.targetHost = targetHost
        self.targetPort = targetPort
        startThread { [self] in acceptLoop() }
    }

    // MARK: Control

    /// Sets the fault of one direction.
    public func set(_ fault: ProxyFault, for direction: ProxyDirection) {
        state.withLock { $0.faults[direction] = fault }
    }

    /// Sets the same fault for both directions.
    public func set(_ fault: ProxyFault) {
        state.withLock { state in
            for direction in ProxyDirection.allCases { state.faults[direction] = fault }
        }
    }

    /// Lets everything pass again (bytes held or delayed flow on, in order).
    public func heal() { set(.pass) }

    /// The fault now set for `direction`.
    public func fault(for direction: ProxyDirection) -> ProxyFault {
        state.withLock { $0.faults[direction]! }
    }

    /// Resets every open connection (new ones are accepted as the faults say).
    public func dropConnections() {
        state.withLock { $0.generation += 1 }
    }

    /// Counters since the proxy started.
    public var statistics: FaultProxyStatistics { state.withLock { $0.statistics } }

    /// Stops accepting and resets every connection. Idempotent.
    public func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    // MARK: Threads

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if state.withLock({ $0.stopped }) { return }
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            let (closing, generation) = state.withLock { state -> (Bool, Int) in
                state.statistics.accepted += 1
                return (state.faults.values.contains(.close), state.generation)
            }
            if closing {
                POSIXSocket.reset(client)
                state.withLock { $0.statistics.refused += 1 }
                continue
            }
            let server: Int32
            do {
                server = try POSIXSocket.connect(host: targetHost, port: targetPort)
            } catch {
                POSIXSocket.reset(client)
                state.withLock { $0.statistics.targetUnreachable += 1 }
                continue
            }
            state.withLock { $0.statistics.open += 1 }
            startThread { [self] in
                pump(client: client, server: server, generation: generation)
                state.withLock { $0.statistics.open -= 1 }
            }
        }
    }

    /// Bytes of one direction on their way: ready to write, or waiting out a delay.
    struct Lane {
        var ready: [UInt8] = []
        var delayed: Deque<(due: UInt64, bytes: [UInt8])> = []

        /// Keeps the stream's order: while older bytes wait out a delay, newer ones queue
        /// behind them even when no delay is set any more.
        mutating func add(_ bytes: [UInt8], delay: UInt64?, now: UInt64) {
            if let delay {
                delayed.append((max(now &+ delay, delayed.last?.due ?? 0), bytes))
            } else if let last = delayed.last {
                delayed.append((max(now, last.due), bytes))
            } else {
                ready.append(contentsOf: bytes)
            }
        }

        mutating func release(now: UInt64) {
            while let first = delayed.first, first.due <= now {
                ready.append(contentsOf: first.bytes)
                delayed.removeFirst()
            }
        }

        var nextDue: UInt64? { delayed.first?.due }
    }

    private func pump(client: Int32, server: Int32, generation: Int) {
        POSIXSocket.setNonBlocking(client)
        POSIXSocket.setNonBlocking(server)
        POSIXSocket.setNoDelay(client)
        POSIXSocket.setNoDelay(server)
        defer {
            POSIXSocket.reset(client)
            POSIXSocket.reset(server)
        }
        var toServer = Lane()
        var toClient = Lane()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let backlogLimit = 4 << 20
        while true {
            let (faults, stop) = state.withLock { state in
                (state.faults, state.stopped || state.generation != generation || state.faults.values.contains(.close))
            }
            if stop { return }
            let upstream = faults[.toServer]!
            let downstream = faults[.toClient]!
            let now = monotonicNanoseconds()
            toServer.release(now: now)
            toClient.release(now: now)
            // Read a direction unless it is held or its backlog is large (then the sender's
            // writes stall, as they would behind a slow link).
            let readClient = upstream != .hold && toServer.ready.count < backlogLimit
            let readServer = downstream != .hold && toClient.ready.count < backlogLimit
            var pollers = [
                pollfd(fd: client, events: Int16((readClient ? POLLIN : 0) | (toClient.ready.isEmpty ? 0 : POLLOUT)), revents: 0),
                pollfd(fd: server, events: Int16((readServer ? POLLIN : 0) | (toServer.ready.isEmpty ? 0 : POLLOUT)), revents: 0),
            ]
            var timeout: UInt64 = 10_000_000
            for due in [toServer.nextDue, toClient.nextDue].compactMap({ $0 }) { timeout = min(timeout, due > now ? due - now : 0) }
            _ = poll(&pollers, 2, Int32((timeout + 999_999) / 1_000_000))
            // Bytes that arrived are handled under the faults set now, not those before the poll.
            let current = state.withLock { $0.faults }
            let upstreamNow = current[.toServer]!
            let downstreamNow = current[.toClient]!
            for (index, poller) in pollers.enumerated() {
                let events = Int32(poller.revents)
                let fd = index == 0 ? client : server
                if events & Int32(POLLIN) != 0 || events & Int32(POLLHUP | POLLERR) != 0 {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count == 0 { return }
                    if count < 0 {
                        if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return }
                        continue
                    }
                    let bytes = Array(buffer[0..<count])
                    let direction: ProxyDirection = index == 0 ? .toServer : .toClient
                    let fault = index == 0 ? upstreamNow : downstreamNow
                    let arrived = monotonicNanoseconds()
                    switch fault {
                    case .discard:
                        state.withLock { $0.statistics.discarded[direction, default: 0] += count }
                    case .delay(let delay):
                        if index == 0 { toServer.add(bytes, delay: delay.nanosecondsClamped, now: arrived) } else { toClient.add(bytes, delay: delay.nanosecondsClamped, now: arrived) }
                    case .pass, .hold, .close:
                        if index == 0 { toServer.add(bytes, delay: nil, now: arrived) } else { toClient.add(bytes, delay: nil, now: arrived) }
                    }
                }
            }
            guard write(&toServer, to: server, direction: .toServer), write(&toClient, to: client, direction: .toClient) else { return }
        }
    }

    /// Writes what is ready without blocking; false when the socket failed.
    private func write(_ lane: inout Lane, to fd: Int32, direction: ProxyDirection) -> Bool {
        guard !lane.ready.isEmpty else { return true }
        let written = lane.ready.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
        lane.ready.removeFirst(written)
        state.withLock { $0.statistics.forwarded[direction, default: 0] += written }
        return true
    }
}

/// What a ``FaultProxy`` has done.
public struct FaultProxyStatistics: Hashable, Sendable {
    /// Connections accepted, including those closed at once by a `close` fault.
    public var accepted = 0
    /// Connections open now.
    public var open = 0
    /// Connections closed at accept because a direction was set to `close`.
    public var refused = 0
    /// Connections closed because the target could not be reached.
    public var targetUnreachable = 0
    /// Bytes forwarded, per direction.
    public var forwarded: [ProxyDirection: Int] = [:]
    /// Bytes thrown away by `discard`, per direction.
    public var discarded: [ProxyDirection: Int] = [:]
}
