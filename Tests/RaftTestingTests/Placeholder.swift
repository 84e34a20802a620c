import Testing
@Test func placeholderRaftTestingTests() {}
