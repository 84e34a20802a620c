import RaftCore

/// Everything that can happen in a simulation, scheduled on the event queue.
enum SimEvent {
    case deliver(Envelope)
    /// A message the network held back (the stale-messages fault), looked at again.
    case deliverStale(Envelope, attempt: Int)
    /// An RPC's deadline: if still unanswered, the sender learns the delivery failed.
    case rpcTimeout(node: NodeID, incarnation: UInt64, call: CallKey)
    case tick(node: NodeID, incarnation: UInt64, generation: UInt64)
    case diskSync(node: NodeID, incarnation: UInt64)
    case storageRead(node: NodeID, incarnation: UInt64, readID: ReadID, range: Range<LogIndex>)
    case stateMachineDone(node: NodeID, incarnation: UInt64)
    case restart(node: NodeID)
    case clientArrives(ClientRequest)
    case clientHears(ClientResponse)
    case clientWake(client: Int, generation: UInt64)
    case clientDeadline(client: Int, operation: Int)
    case nemesis
    case healPartition(generation: UInt64)
    /// A grey link turns into a one-way cut (the deposed-leader fault).
    case cutLinksFrom(node: NodeID, generation: UInt64)
    case operatorStep
    case endFaults
    case livenessDeadline
}
