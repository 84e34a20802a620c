import NIOCore

/// The first handler of a TLS server's connections: a TLS client's first byte is a handshake
/// record (0x16). Anything else is a plaintext peer, which gets a plaintext refusal saying TLS
/// is required (rather than a TLS alert it cannot read) before the connection closes.
final class TLSSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let checksum: Bool
    private var decided = false

    init(checksum: Bool) {
        self.checksum = checksum
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return context.fireChannelRead(data) }
        decided = true
        let bytes = Self.unwrapInboundIn(data)
        if bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 0x16 {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        let refusal = Refusal(reason: .tlsRequired, detail: "this node accepts only TLS connections")
        context.writeAndFlush(Self.wrapOutboundOut(Frames.refusal(refusal, checksum: checksum)), promise: nil)
        context.fireErrorCaught(PlaintextPeer())
    }
}

/// A plaintext peer reached a TLS server.
struct PlaintextPeer: Error, CustomStringConvertible {
    var description: String { "a plaintext peer connected to a TLS-only server" }
}
