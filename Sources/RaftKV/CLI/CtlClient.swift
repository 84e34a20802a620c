import Foundation
import NIOHTTP1
import NIOSSL

/// What `ctl` needs of a cluster: requests that follow the leader and retry while none is
/// known, writes with a request id so a retry never applies twice.
struct CtlClient {
    let pool: HTTPClientPool
    var endpoint: String
    let token: String?
    let timeout: Duration
    let clientID = UInt64.random(in: 1...UInt64.max / 2)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `http://host:port` → `host:port`.
    static func authority(of url: String) throws -> String {
        var rest = Substring(url)
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard HTTPClientPool.split(String(rest)) != nil else { throw Failure(description: "an endpoint is http(s)://host:port, not \(url)") }
        return String(rest)
    }

    /// Sends a request, following redirects and `not_leader` hints to the leader and
    /// retrying answers that say a retry is safe, until `timeout`.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, sequence: UInt64? = nil) async throws -> HTTPReply {
        let deadline = ContinuousClock.now + timeout
        var target = try Self.authority(of: endpoint)
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let sequence { headers += [("Raft-Client-Id", String(clientID)), ("Raft-Request-Id", String(sequence))] }
        if body != nil { headers.append(("Content-Type", "application/octet-stream")) }
        let separator = path.contains("?") ? "&" : "?"
        var lastError = "no answer"
        while ContinuousClock.now < deadline {
            let remaining = deadline - ContinuousClock.now
            do {
                let reply = try await pool.send(to: target, method: method, path: path + separator + "redirect=true", headers: headers, body: body, timeout: remaining)
                let json = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
                let leader = (json?["leader"] as? [String: Any])?["http"] as? String
                if reply.status == 307, let leader {
                    target = leader
                    continue
                }
                if json?["retryable"] as? Bool == true || (sequence != nil && json?["mayHaveBeenApplied"] as? Bool == true) {
                    lastError = (json?["message"] as? String) ?? "status \(reply.status)"
                    if let leader, json?["code"] as? String == "not_leader" { target = leader }
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                return reply
            } catch let error as HTTPClientError {
                // A failed connect sent nothing. After a timeout or a closed connection only
                // reads, and writes with a request id, may be sent again.
                if case .connect = error {} else if sequence == nil && method != .GET { throw error }
                lastError = "\(error)"
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw Failure(description: "gave up after \(timeout): \(lastError)")
    }
}
