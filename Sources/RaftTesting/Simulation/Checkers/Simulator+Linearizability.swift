/// The client history's check, run once at the end of a run.
extension Simulator {
    func checkLinearizability() {
        // Wired to the RaftTesting linearizability checker once it lands.
    }
}
