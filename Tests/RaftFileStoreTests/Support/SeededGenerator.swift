import RaftCore

/// A seeded generator so failures replay: the engine's own SplitMix64.
typealias SeededGenerator = SplitMix64
