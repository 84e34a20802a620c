/// What opening a ``FileLogStore`` found and did.
public struct FileLogRecoveryReport: Sendable, CustomStringConvertible {
    /// Segment files read and verified.
    public var segmentsScanned = 0
    /// Bytes of segment files read.
    public var bytesScanned: Int64 = 0
    /// Entries in the recovered log (after the purge point).
    public var entriesRecovered = 0
    /// Bytes of an unacknowledged, torn last batch that were cut off.
    public var discardedTailBytes: Int64 = 0
    /// Leftover files removed: a temporary vote file, a segment whose creation was cut short,
    /// segments of an interrupted purge.
    public var removedFiles: [String] = []
    /// Wall time of the recovery.
    public var duration: Duration = .zero

    /// An empty report.
    @inlinable public init() {}

    @inlinable public var description: String {
        "recovered \(entriesRecovered) entries from \(segmentsScanned) segments (\(bytesScanned) bytes) in \(duration)"
            + (discardedTailBytes > 0 ? ", cut a torn tail of \(discardedTailBytes) bytes" : "")
            + (removedFiles.isEmpty ? "" : ", removed \(removedFiles.joined(separator: ", "))")
    }
}
