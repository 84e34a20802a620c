import Raft
import RaftCore

extension FileLogStore {
    /// Repairs a log directory that fails to open because acknowledged data is damaged, so the
    /// node can rejoin as a non-voter and be repaired from its peers (protocol-aware recovery).
    ///
    /// Run it offline, on a directory no store has open (it takes the directory's lock). It:
    /// - keeps the longest verified prefix of the log: records up to the first damaged record,
    ///   segment header or missing segment, replayed with their truncations and purges exactly
    ///   as opening replays them;
    /// - moves every file it gives up (segments after the cut, the original of a rewritten
    ///   segment, an unreadable or corrupt vote file) into a new `damaged-<UTC timestamp>/`
    ///   folder of `directory`; nothing is deleted;
    /// - rewrites the last kept segment, if the cut falls inside it, so that the store opens
    ///   cleanly;
    /// - reports what was kept and lost. A vote file that is unreadable, fails verification,
    ///   or is missing or older than a term in the log counts as a lost vote.
    ///
    /// It never silently drops acknowledged data: whenever an entry or the vote may be lost,
    /// ``FileLogRepairReport/requiresStorageLost`` is true and the node **must** be started with
    /// `RaftNode.start(..., storageLost: true)`, which keeps it from voting or campaigning
    /// until `resumeVoting()`. On an intact store the repair changes nothing.
    ///
    /// The repair first stores its plan in the directory; until it completes, opening the store
    /// fails, and running the repair again finishes the stored plan (and returns its report).
    ///
    /// A repair is an explicit operator action rather than an option of `init`, because it
    /// gives up acknowledged data and obliges the caller to start the node as a non-voter: a
    /// routine restart must never do that on its own.
    ///
    /// The generic parameter plays no part: the file format does not depend on it.
    @inlinable public static func repair(directory: String, options: FileLogRepairOptions = FileLogRepairOptions()) throws(StorageError) -> FileLogRepairReport {
        try repair(directory: directory, options: options, fileSystem: PosixFileSystem())
    }

    @inlinable static func repair(directory: String, options: FileLogRepairOptions, fileSystem: any FileSystem) throws(StorageError) -> FileLogRepairReport {
        try LogRepair(fileSystem: fileSystem, directory: directory, options: options).run()
    }
}
