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
        // The take after the recycle puts the recycled storage in place of the queue ...
        mailbox.push(101)
        #expect(mailbox.takeNow().map(Array.init) == [101])
        // ... so these go into it, growing it past the 100 elements it held before.
        for value in 102...400 { mailbox.push(value) }
        #expect(mailbox.takeNow().map(Array.init) == Array(102...400))
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
        mailbox.push(2)
        #expect(mailbox.takeNow().map(Array.init) == [2])
        // The recycled storage is the queue now; the consumer parks on it before the pushes.
        async let next = mailbox.takeAll()
        while !mailbox.state.withLock({ $0.waiter != nil }) { await Task.yield() }
        mailbox.push(3)
        mailbox.push(4)
        var received: [Int] = Array(await next)
        while received.count < 2, let more = mailbox.takeNow() { received += Array(more) }
        #expect(received == [3, 4])
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
