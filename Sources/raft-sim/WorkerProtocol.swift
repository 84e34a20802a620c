import Foundation
import RaftTesting

/// The lines a worker process (`raft-sim --worker --seeds A..B`) prints on standard output,
/// one per event, for the parent that runs a batch in child processes.
///
/// `@@start <seed>` before a seed runs (so a trap is pinned on it) and `@@report <json>` after
/// it, the report encoded as JSON. Anything else on the line is not part of the protocol.
enum WorkerLine {
    case start(UInt64)
    case report(SimulationReport)

    static let startPrefix = "@@start "
    static let reportPrefix = "@@report "

    var text: String {
        switch self {
        case .start(let seed):
            return Self.startPrefix + String(seed)
        case .report(let report):
            let data = (try? JSONEncoder().encode(report)) ?? Data()
            return Self.reportPrefix + String(decoding: data, as: UTF8.self)
        }
    }

    init?(parsing line: Substring) {
        if line.hasPrefix(Self.startPrefix), let seed = UInt64(line.dropFirst(Self.startPrefix.count)) {
            self = .start(seed)
        } else if line.hasPrefix(Self.reportPrefix),
                  let report = try? JSONDecoder().decode(SimulationReport.self, from: Data(line.dropFirst(Self.reportPrefix.count).utf8)) {
            self = .report(report)
        } else {
            return nil
        }
    }
}

/// Prints a line and flushes it at once: if the next seed traps, everything before it has
/// reached the parent.
func emit(_ line: WorkerLine) {
    FileHandle.standardOutput.write(Data((line.text + "\n").utf8))
}
