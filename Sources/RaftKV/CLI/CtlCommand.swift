import ArgumentParser
import Foundation
import NIOHTTP1
import NIOSSL

/// `raft-kv ctl`: talks to a cluster through any member, following the leader.
///
/// Writes follow redirects to the leader, answers that say a retry is safe are retried until
/// `--timeout-ms`, and every write carries a client and request id, so a retry never applies
/// twice. `--token` sends the admin token; `--tls-ca` trusts a CA for `https://` endpoints.
public struct CtlCommand: AsyncParsableCommand {
    /// The subcommand's name and help text and its own subcommands (`put`, `get`, `del`, `list`, `status`, `members`, `add-learner`, `promote`, `remove`, `transfer`, `snapshot`).
    public static let configuration = CommandConfiguration(
        commandName: "ctl", abstract: "Operate a raft-kv cluster through any of its members.",
        subcommands: [Put.self, Get.self, Delete.self, List.self, Status.self, Members.self, AddLearner.self, Promote.self,
                      Remove.self, Transfer.self, Snapshot.self])

    /// Accepted before the subcommand too (`ctl --endpoint URL status`).
    @OptionGroup var options: Options

    /// The command before its arguments are parsed (ArgumentParser's requirement).
    public init() {}

    struct Options: ParsableArguments {
        @Option(help: "Any member's HTTP endpoint.") var endpoint = "http://127.0.0.1:8001"
        @Option(help: "The admin token (for status and membership commands).") var token: String?
        @Option(name: .customLong("timeout-ms"), help: "Give up after this long.") var timeoutMilliseconds = 10_000
        @Option(name: .customLong("tls-ca"), help: "PEM CA certificates to trust (HTTPS endpoints).") var tlsCA: String?

        func client() throws -> CtlClient {
            var tls: NIOSSLContext?
            if endpoint.hasPrefix("https://") || tlsCA != nil {
                var configuration = TLSConfiguration.makeClientConfiguration()
                if let tlsCA { configuration.trustRoots = .file(tlsCA) }
                configuration.certificateVerification = .noHostnameVerification
                tls = try NIOSSLContext(configuration: configuration)
            }
            return CtlClient(pool: HTTPClientPool(tls: tls), endpoint: endpoint, token: token, timeout: .milliseconds(timeoutMilliseconds))
        }
    }

    /// Prints the answer's body; a non-2xx answer fails the command.
    static func finish(_ reply: HTTPReply) throws {
        let text = String(decoding: reply.body, as: UTF8.self)
        guard (200..<300).contains(reply.status) else {
            FileHandle.standardError.write(Data("error \(reply.status): \(text)\n".utf8))
            throw ExitCode(1)
        }
        print(text)
    }

    static func escape(_ key: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
    }

    static func queryEscape(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a key (compare-and-set with --prev-value).")
        @OptionGroup var options: Options
        @Argument var key: String
        @Argument var value: String
        @Option(name: .customLong("prev-value"), help: "Write only if the key holds this value.") var previous: String?

        func run() async throws {
            let query = previous.map { "?prevValue=\(CtlCommand.queryEscape($0))" } ?? ""
            try CtlCommand.finish(try await options.client().send(.PUT, "/v1/kv/\(CtlCommand.escape(key))\(query)", body: Array(value.utf8), sequence: 1))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read a key.")
        @OptionGroup var options: Options
        @Argument var key: String
        @Option(help: "linearizable, lease or stale.") var consistency = "linearizable"

        func run() async throws {
            try CtlCommand.finish(try await options.client().send(.GET, "/v1/kv/\(CtlCommand.escape(key))?consistency=\(consistency)"))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove a key.")
        @OptionGroup var options: Options
        @Argument var key: String

        func run() async throws {
            try CtlCommand.finish(try await options.client().send(.DELETE, "/v1/kv/\(CtlCommand.escape(key))", sequence: 1))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys with a prefix.")
        @OptionGroup var options: Options
        @Argument var prefix = ""
        @Option var limit = 100

        func run() async throws {
            try CtlCommand.finish(try await options.client().send(.GET, "/v1/kv?prefix=\(CtlCommand.queryEscape(prefix))&limit=\(limit)"))
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The membership, as the asked member knows it.")
        @OptionGroup var options: Options

        func run() async throws {
            let reply = try await options.client().send(.GET, "/v1/cluster/status")
            guard reply.status == 200, let status = try? JSONDecoder().decode(StatusBody.self, from: Data(reply.body)) else {
                return try CtlCommand.finish(reply)
            }
            let rows = status.membership.members.map { member in
                [String(member.id), member.role, member.raft ?? "-", member.http ?? "-", member.id == status.leader?.id ? "yes" : ""]
            }
            print(Table(header: ["ID", "ROLE", "RAFT", "HTTP", "LEADER"], rows: rows).text)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every member's status, as a table (like etcdctl endpoint status).")
        @OptionGroup var options: Options

        func run() async throws {
            let client = try options.client()
            let first = try await client.send(.GET, "/v1/cluster/status")
            guard first.status == 200, let status = try? JSONDecoder().decode(StatusBody.self, from: Data(first.body)) else {
                return try CtlCommand.finish(first)
            }
            let scheme = options.endpoint.hasPrefix("https://") ? "https://" : "http://"
            var rows: [[String]] = []
            var lags: [UInt64: UInt64] = [:]
            var statuses: [UInt64: Result<StatusBody, any Error>] = [:]
            for member in status.membership.members {
                guard let http = member.http else { continue }
                do {
                    let reply = try await client.pool.send(
                        to: http, method: .GET, path: "/v1/cluster/status",
                        headers: options.token.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: .seconds(2))
                    let body = try JSONDecoder().decode(StatusBody.self, from: Data(reply.body))
                    statuses[member.id] = .success(body)
                    for follower in body.followers { lags[follower.id] = follower.lag }
                } catch {
                    statuses[member.id] = .failure(error)
                }
            }
            for member in status.membership.members {
                let endpoint = scheme + (member.http ?? "?")
                switch statuses[member.id] {
                case .success(let body)?:
                    rows.append([
                        endpoint, String(body.id), body.role, body.leader.map { String($0.id) } ?? "-", String(body.term),
                        String(body.lastLog?.index ?? 0), String(body.committed), String(body.applied), body.snapshot.map(String.init) ?? "-",
                        body.role == "leader" ? "0" : lags[body.id].map(String.init) ?? "-", body.running == "running" ? "" : body.running,
                    ])
                case .failure(let error)?:
                    rows.append([endpoint, String(member.id), "-", "-", "-", "-", "-", "-", "-", "-", "\(error)"])
                case nil:
                    rows.append([endpoint, String(member.id), "-", "-", "-", "-", "-", "-", "-", "-", "no HTTP address"])
                }
            }
            print(Table(header: ["ENDPOINT", "ID", "ROLE", "LEADER", "TERM", "RAFT INDEX", "COMMITTED", "APPLIED", "SNAPSHOT", "LAG", "ERRORS"], rows: rows).text)
        }
    }

    struct AddLearner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-learner", abstract: "Add a learner (answers once it caught up).")
        @OptionGroup var options: Options
        @Argument var id: UInt64
        @Argument(help: "Its Raft host:port.") var raft: String
        @Argument(help: "Its HTTP host:port.") var http: String

        func run() async throws {
            let body = #"{"id":\#(id),"raft":"\#(raft)","http":"\#(http)"}"#
            try CtlCommand.finish(try await options.client().send(.POST, "/v1/cluster/learners", body: Array(body.utf8)))
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make learners voters (one joint change).")
        @OptionGroup var options: Options
        @Argument var ids: [UInt64]

        func run() async throws {
            let body = #"{"promote":[\#(ids.map(String.init).joined(separator: ","))]}"#
            try CtlCommand.finish(try await options.client().send(.POST, "/v1/cluster/members", body: Array(body.utf8)))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove voters (one joint change).")
        @OptionGroup var options: Options
        @Argument var ids: [UInt64]

        func run() async throws {
            let body = #"{"remove":[\#(ids.map(String.init).joined(separator: ","))]}"#
            try CtlCommand.finish(try await options.client().send(.POST, "/v1/cluster/members", body: Array(body.utf8)))
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand leadership to a voter (default: the most caught-up one).")
        @OptionGroup var options: Options
        @Argument var id: UInt64?

        func run() async throws {
            let body = id.map { #"{"to":\#($0)}"# } ?? ""
            try CtlCommand.finish(try await options.client().send(.POST, "/v1/cluster/transfer-leader", body: Array(body.utf8)))
        }
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build a snapshot on the endpoint's member.")
        @OptionGroup var options: Options

        func run() async throws {
            let client = try options.client()
            let reply = try await client.pool.send(
                to: try CtlClient.authority(of: options.endpoint), method: .POST, path: "/v1/cluster/snapshot",
                headers: options.token.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: client.timeout)
            try CtlCommand.finish(reply)
        }
    }
}

/// A plain text table, columns padded to their widest cell.
struct Table {
    var header: [String]
    var rows: [[String]]

    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return all.map(line).joined(separator: "\n")
    }
}
