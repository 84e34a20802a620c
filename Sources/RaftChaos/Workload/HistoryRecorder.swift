import Foundation
import RaftTesting
import Synchronization

/// The store the chaos clients talk to, as the linearizability checker models it.
public typealias ChaosModel = KVModel<String, String>

/// The clients' shared history: every request's invocation and outcome, in one order.
///
/// Times are a counter taken under the recorder's lock, so an invocation recorded after a
/// completion is ordered after it, as real time ordered them; the monotonic clock's reading
/// is kept beside each event for people.
final class HistoryRecorder: Sendable {
    private let state: Mutex<State>
    private let origin: ContinuousClock.Instant

    private struct State {
        var history = History<ChaosModel.Input, ChaosModel.Output>()
        var counter: UInt64 = 0
        var lines: [String] = []
        var nodes: [OperationID: Int] = [:]
        var completions: [OperationID: Duration] = [:]
    }

    /// A recorder whose wall times count from `origin`.
    init(origin: ContinuousClock.Instant) {
        state = Mutex(State())
        self.origin = origin
    }

    /// Records that `client` sent `input` to node `node`.
    func invoke(client: UInt64, input: ChaosModel.Input, node: Int) -> OperationID {
        let elapsed = ContinuousClock.now - origin
        return state.withLock { state in
            state.counter += 1
            let id = state.history.invoke(client: client, input: input, at: state.counter)
            state.nodes[id] = node
            state.lines.append(#"{"t":\#(elapsed.chaosMilliseconds),"op":\#(id.rawValue),"client":\#(client),"node":\#(node),"type":"invoke","input":"\#(Self.escape("\(input)"))"}"#)
            return id
        }
    }

    /// Records how the request ended, with the server's words where it gave any.
    func complete(_ id: OperationID, outcome: OperationOutcome<ChaosModel.Output>, note: String) {
        let elapsed = ContinuousClock.now - origin
        state.withLock { state in
            state.counter += 1
            state.history.complete(id, outcome: outcome, at: state.counter)
            state.completions[id] = elapsed
            let type: String
            switch outcome {
            case .ok(let output): type = "ok\",\"output\":\"\(Self.escape("\(output)"))"
            case .fail: type = "fail"
            case .unknown: type = "info"
            }
            state.lines.append(#"{"t":\#(elapsed.chaosMilliseconds),"op":\#(id.rawValue),"type":"\#(type)","note":"\#(Self.escape(note))"}"#)
        }
    }

    /// The history so far.
    var history: History<ChaosModel.Input, ChaosModel.Output> { state.withLock { $0.history } }

    /// When each completed operation completed, from the origin.
    var completionTimes: [OperationID: Duration] { state.withLock { $0.completions } }

    /// The node each operation went to.
    var nodes: [OperationID: Int] { state.withLock { $0.nodes } }

    /// One JSON object per event, in order.
    var jsonLines: String { state.withLock { $0.lines.joined(separator: "\n") + "\n" } }

    private static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where character.value < 0x20: escaped += "\\u" + String(format: "%04x", character.value)
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}

extension Duration {
    var chaosMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
