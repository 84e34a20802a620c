/// Why a chaos run could not be carried out (as opposed to what it found, which is in its
/// ``ChaosReport``).
public enum ChaosError: Error, CustomStringConvertible {
    /// The harness could not set the cluster up: ports, directories, the server binary.
    case setup(String)
    /// The cluster never became usable before the run began.
    case clusterNotReady(String)

    public var description: String {
        switch self {
        case .setup(let reason): return "chaos setup failed: \(reason)"
        case .clusterNotReady(let reason): return "the cluster did not become ready: \(reason)"
        }
    }
}
