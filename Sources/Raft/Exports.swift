@_exported import RaftCore
// What an application needs to configure the node's logging (a `Logger` with its level and
// metadata, `LoggingSystem.bootstrap` with `StreamLogHandler`, a `LogHandler` of its own
// and the `LogEvent` it receives), without depending on swift-log itself.
@_exported import struct Logging.Logger
@_exported import enum Logging.LoggingSystem
@_exported import struct Logging.StreamLogHandler
@_exported import protocol Logging.LogHandler
@_exported import struct Logging.LogEvent
