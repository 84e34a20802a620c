/// Tuning of a ``FileLogStore``. The defaults suit a node with a few GB of memory.
public struct FileLogStoreOptions: Hashable, Sendable, Codable {
    /// A segment is closed and a new one started once it would grow past this size. Purging
    /// frees whole segments, so smaller segments free space sooner; larger ones mean fewer
    /// files and fewer segment-roll fsyncs. 512 bytes ... 1 GiB.
    public var segmentSizeBytes: Int = 64 << 20
    /// The most recent entries kept decoded in memory (replication and apply read the tail).
    /// Entries not yet written to disk are always kept, beyond this bound.
    public var cacheMaxEntries: Int = 65_536
    /// The same bound in bytes, by `Entry.byteCount`.
    public var cacheMaxBytes: Int = 64 << 20
    /// `append` waits once this many bytes are queued for the writer but not yet on disk, so a
    /// slow disk slows the producer instead of filling memory.
    public var maxPendingBytes: Int = 128 << 20

    /// The defaults.
    @inlinable public init() {}

    @inlinable var validated: FileLogStoreOptions {
        var options = self
        options.segmentSizeBytes = min(max(options.segmentSizeBytes, 512), 1 << 30)
        options.cacheMaxEntries = max(options.cacheMaxEntries, 0)
        options.cacheMaxBytes = max(options.cacheMaxBytes, 0)
        options.maxPendingBytes = max(options.maxPendingBytes, 1)
        return options
    }
}
