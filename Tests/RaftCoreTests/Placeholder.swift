import Testing
@testable import RaftCore
@Test func placeholder() { #expect(Vote.initial.term == 0) }
