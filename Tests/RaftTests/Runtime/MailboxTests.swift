import DequeModule
import Testing

@testable import Raft

@Suite struct MailboxTests {
    @Test func recycledBatchQueuesTheNextElementsInOrder() async {
        let mailbox = Mailbox<Int>()
        for value in 1...100 { mailbox.push(value) }
        var batch = await mailbox.takeAll()
        #expect(Array(batch) == Array(1...100))
        while batch.popFirst() != nil {}
        mailbox.recycle(consume batch)
        for value in 101...300 { mailbox.push(value) }
        #expect(mailbox.takeNow().map(Array.init) == Array(101...300))
        // The storage given up by that take is empty again; pushes after it start afresh.
        mailbox.push(301)
        #expect(mailbox.takeNow().map(Array.init) == [301])
        #expect(mailbox.takeNow() == nil)
    }

    @Test func aBatchStillHoldingElementsIsNotRecycled() {
        let mailbox = Mailbox<Int>()
        mailbox.push(1)
        let batch = mailbox.takeNow()!
        mailbox.recycle(batch)
        mailbox.push(2)
        #expect(mailbox.takeNow().map(Array.init) == [2])
        // Had the batch been taken as storage, its element would come out again here.
        #expect(mailbox.takeNow() == nil)
    }

    @Test func aWaitingConsumerGetsElementsPushedIntoRecycledStorage() async {
        let mailbox = Mailbox<Int>()
        mailbox.push(1)
        var batch = mailbox.takeNow()!
        batch.removeAll(keepingCapacity: true)
        mailbox.recycle(batch)
        async let next = mailbox.takeAll()
        mailbox.push(2)
        mailbox.push(3)
        var received: [Int] = Array(await next)
        while received.count < 2, let more = mailbox.takeNow() { received += Array(more) }
        #expect(received == [2, 3])
    }

    @Test func aClosedMailboxWithRecycledStorageRefusesPushesAndReportsDrained() {
        let mailbox = Mailbox<Int>()
        mailbox.push(1)
        var batch = mailbox.takeNow()!
        batch.removeAll(keepingCapacity: true)
        mailbox.recycle(batch)
        mailbox.close()
        #expect(!mailbox.push(2))
        #expect(mailbox.takeNow().map(Array.init) == [])
    }
}
