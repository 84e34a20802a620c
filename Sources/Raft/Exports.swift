@_exported import RaftCore
// What an application needs to configure the node's logging (a `Logger` with its level and
// metadata, `LoggingSystem.bootstrap` with `StreamLogHandler`), without depending on
// swift-log itself.
@_exported import struct Logging.Logger
@_exported import enum Logging.LoggingSystem
@_exported import struct Logging.StreamLogHandler
@_exported import protocol Logging.LogHandler
