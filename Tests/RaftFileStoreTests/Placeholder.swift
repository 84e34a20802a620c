import Testing
@Test func placeholderRaftFileStoreTests() {}
