import Raft
import RaftTesting
import Testing

/// Errors read as sentences a person can act on, not as enum dumps.
@Suite("Errors: readable descriptions")
struct ErrorDescriptionTests {
    static let logID = LogID(leaderID: LeaderID(term: 3, nodeID: 2), index: 17)
    static let storage = StorageError(subject: .file(path: "/data/log/00000001.seg", offset: 4096), verb: .sync, reason: "EIO")

    static let errors: [RaftError<String>] = [
        .forwardToLeader(leaderID: 2, address: "10.0.0.2:7000"), .forwardToLeader(leaderID: nil, address: nil), .notAMember,
        .writeFailed, .outcomeUnknown(.leadershipLost), .outcomeUnknown(.entryTruncated), .outcomeUnknown(.coveredBySnapshot),
        .outcomeUnknown(.deadlineExceeded), .outcomeUnknown(.cancelled), .outcomeUnknown(.nodeStopped),
        .outcomeUnknown(.storageFailed(storage)), .transferringLeadership(to: 3),
        .membershipChange(.changeInProgress(pending: logID)), .membershipChange(.membershipChanged(expected: nil, actual: logID)),
        .leaderTransfer(.targetVotingSuspended(3)), .leaderTransfer(.timedOut), .leaderTransfer(.leadershipLost(ForwardToLeader(leaderID: 2))),
        .initialize(.alreadyInitialized(lastLogID: logID, vote: .initial)), .initialize(.notAVoter(4)),
        .timeout, .cancelled, .shuttingDown, .storage(storage), .config(RaftConfigError(field: "rpcTimeout", reason: "must be positive")),
        .leadershipLost(leaderID: 2, address: "10.0.0.2:7000"), .unsupported("follower reads"), .network(.unreachable("connection refused")),
    ]

    @Test(arguments: errors)
    func descriptionIsASentence(error: RaftError<String>) {
        let text = error.description
        #expect(text.count > 15, "\(text)")
        for dump in ["Optional(", "RaftCore.", "Raft.", "LeaderID(", "LogID(", "StorageError(", "leaderID:"] {
            #expect(!text.contains(dump), "looks like a dump: \(text)")
        }
    }

    @Test func storageErrorsNameTheFileAndOperation() {
        let text = RaftError<String>.storage(Self.storage).description
        #expect(text.contains("/data/log/00000001.seg") && text.contains("sync") && text.contains("EIO"), "\(text)")
    }

    @Test func retryAndUnknownAreSeparate() {
        for error in Self.errors {
            #expect(!(error.isRetryable && error.mayHaveBeenApplied), "\(error) cannot be both safe to retry and maybe applied")
            if case .outcomeUnknown = error { #expect(error.mayHaveBeenApplied) }
        }
        #expect(RaftError<String>.forwardToLeader(leaderID: nil, address: nil).isRetryable)
        #expect(!RaftError<String>.notAMember.isRetryable)
        // A replaced entry certainly did not apply, and the description promises a retry is safe.
        #expect(RaftError<String>.writeFailed.isRetryable && !RaftError<String>.writeFailed.mayHaveBeenApplied)
        for error in Self.errors where error.description.contains("safe to retry") {
            #expect(error.isRetryable, "\(error) says it is safe to retry")
        }
    }
}
