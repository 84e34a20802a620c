// libFuzzer entry point for RaftNIO's frame decoder and message decoders. Not part of the
// package build: `Fuzz/run.sh` compiles it together with `Sources/RaftNIO/Wire/*.swift`
// (instrumented for coverage) against the package's debug build of NIOCore and Raft.

import NIOCore
import Raft
import RaftCore

/// Feeds one input as a byte stream: every frame the decoder cuts from it goes through the
/// request, response and handshake decoders. Decoding may fail (with a typed error); it must
/// never crash, hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    // A small limit so the fuzzer also explores frames near it.
    let limit = 64 * 1024
    while true {
        let frame: Frame
        do {
            guard let next = try FrameDecoder.parse(&buffer, maxFrameSize: limit) else { break }
            frame = next
        } catch {
            _ = error.description
            break
        }
        if frame.kind.isRequest {
            _ = try? Frames.decodeRequest(frame, as: KVTypes.self)
        } else if frame.kind.isResponse {
            _ = try? Frames.decodeResponse(frame)
        } else {
            var reader = BodyReader(frame)
            switch frame.kind {
            case .hello: _ = try? Hello.decode(&reader)
            case .helloAccepted: _ = try? HelloAccepted.decode(&reader)
            default: _ = try? Refusal.decode(&reader)
            }
        }
    }
    return 0
}
