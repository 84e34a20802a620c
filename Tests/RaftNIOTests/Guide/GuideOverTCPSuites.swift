import Testing

/// The guide's TCP suites run one at a time: each starts whole clusters with their servers,
/// and beside the rest of the test run (on two cores) several at once starve one another.
@Suite("Guide over TCP", .serialized)
struct GuideOverTCPSuites {}
