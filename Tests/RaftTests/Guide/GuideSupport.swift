import Raft
import Testing

/// The guide's settings with timeouts generous enough for many clusters sharing two busy
/// cores in one test run (as `TestCluster.fastConfig` has): with the defaults' 150-300 ms
/// election timeout a starved leader steps down and a test's write answers an unknown outcome.
func withGenerousTimeouts(_ base: RaftConfig = RaftConfig()) -> RaftConfig {
    var config = base
    config.engine.electionTimeoutMin = .milliseconds(600)
    config.engine.electionTimeoutMax = .milliseconds(1200)
    config.engine.leaseDuration = .milliseconds(500)
    return config
}

/// Runs a whole example again (on a fresh cluster) when it failed only because leadership
/// moved under load: a retryable error, or an unknown outcome of an idempotent put.
func retryingLeadershipChanges<Value>(attempts: Int = 3, _ example: () async throws -> Value) async throws -> Value {
    for attempt in 1... {
        do {
            return try await example()
        } catch let error as RaftError<String> where (error.isRetryable || error.mayHaveBeenApplied) && attempt < attempts {
            continue
        }
    }
    fatalError("unreachable")
}

/// The guide's suites run one at a time: each starts whole clusters, and beside the rest of
/// the test run (on two cores) several at once starve one another into elections.
@Suite("Guide", .serialized)
struct GuideSuites {}
