import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOHTTP1
import Raft
import RaftCore

extension KVAPI {
    /// Nil when this node leads (the caller serves the request); otherwise the leader's
    /// answer to the forwarded request, or with `?redirect=true` a 307 to the leader.
    func forwardUnlessLeader(_ request: Request, _ target: ParsedTarget, body: [UInt8]?, isWrite: Bool) async throws -> Response? {
        let raft = node.metrics
        if raft.state == .leader { return nil }
        guard let leaderID = raft.currentLeader, leaderID != node.id else { throw APIError.noLeader() }
        guard let leader = hint(leaderID), let http = leader.http else {
            throw APIError.noLeader("the leader (node \(leaderID)) has no known HTTP address; retry shortly")
        }
        if request.headers[.raftForwardedBy] != nil {
            // The sender believed this node leads; sending it on could bounce between nodes
            // whose views of the leader differ.
            var error = APIError(.serviceUnavailable, "not_leader", "this node does not lead; node \(leaderID) does")
            error.leader = leader
            error.retryAfter = 1
            error.retryable = true
            throw error
        }
        if try target.flag("redirect") == true {
            var headers: HTTPFields = [:]
            headers[.location] = "\(scheme)://\(http)\(target.raw)"
            var error = APIError(.temporaryRedirect, "redirect", "node \(leaderID) leads; send the request to \(http)")
            error.leader = leader
            error.retryable = true
            return Self.json(.temporaryRedirect, error.body, headers: headers)
        }
        metrics.forwarded()
        return try await forward(request, target, body: body, to: http, leaderID: leaderID, isWrite: isWrite)
    }

    private func forward(_ request: Request, _ target: ParsedTarget, body: [UInt8]?, to http: String, leaderID: NodeID, isWrite: Bool) async throws -> Response {
        var headers: [(String, String)] = [("Raft-Forwarded-By", String(node.id))]
        for name in [HTTPField.Name.contentType, .authorization, .raftClientID, .raftRequestID] {
            if let value = request.headers[name] { headers.append((name.rawName, value)) }
        }
        let reply: HTTPReply
        do {
            reply = try await pool.send(
                to: http, method: HTTPMethod(rawValue: request.method.rawValue), path: target.raw, headers: headers, body: body,
                timeout: configuration.forwardTimeout,
                // A write without a request id must not reach the leader twice.
                resendIfStale: !isWrite || request.headers[.raftRequestID] != nil)
        } catch let error as HTTPClientError {
            var answer: APIError
            switch error {
            case .connect:
                // No copy of the request reached the leader (the pool reports a failed
                // resend after a stale connection as connectionClosed): not applied.
                answer = APIError(.serviceUnavailable, "leader_unreachable", "the leader (node \(leaderID) at \(http)) is unreachable: \(error)")
                answer.retryable = true
                answer.retryAfter = 1
            case .timeout:
                answer = APIError(.gatewayTimeout, "forward_timeout", "the leader (node \(leaderID) at \(http)) did not answer within \(configuration.forwardTimeout)")
                answer.mayHaveBeenApplied = isWrite
                answer.retryable = !isWrite
            case .connectionClosed:
                answer = APIError(.badGateway, "forward_failed", "the connection to the leader (node \(leaderID) at \(http)) closed before it answered")
                answer.mayHaveBeenApplied = isWrite
                answer.retryable = !isWrite
            }
            answer.leader = hint(leaderID)
            throw answer
        } catch {
            // Anything else (a write that failed on the channel, say) happened after the
            // request may have left: a write's outcome is unknown.
            var answer = APIError(.badGateway, "forward_failed", "forwarding to the leader (node \(leaderID) at \(http)) failed: \(error)")
            answer.mayHaveBeenApplied = isWrite
            answer.retryable = !isWrite
            answer.leader = hint(leaderID)
            throw answer
        }
        var fields: HTTPFields = [:]
        for (name, value) in reply.headers {
            guard let field = HTTPField.Name(name) else { continue }
            if [.contentType, .retryAfter, .location].contains(field) { fields[field] = value }
        }
        fields[HTTPField.Name("Raft-Served-By")!] = String(leaderID)
        let contentType = fields[.contentType] ?? "application/json"
        return Self.bytes(HTTPResponse.Status(code: reply.status), reply.body, headers: fields, contentType: contentType)
    }
}
