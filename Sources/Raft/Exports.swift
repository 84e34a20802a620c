@_exported import RaftCore
