import Testing
@testable import RaftTesting
