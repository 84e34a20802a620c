import NIOCore
import Raft

/// Cuts the byte stream into frames, rejecting a bad header as soon as its bytes arrive (a
/// peer that is not speaking this protocol is dropped after a few bytes, not after it fills a
/// length's worth of memory).
@usableFromInline struct FrameDecoder: ByteToMessageDecoder, Sendable {
    @usableFromInline typealias InboundOut = Frame

    /// The largest frame accepted, counting every byte of it.
    @usableFromInline let maxFrameSize: Int

    @inlinable init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    @inlinable mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.parse(&buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    @inlinable mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if let frame = try Self.parse(&buffer, maxFrameSize: maxFrameSize) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        }
        if buffer.readableBytes > 0 {
            let left = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: left)
            throw FrameError.truncated(bytesLeft: left)
        }
        return .needMoreData
    }

    /// Takes one complete frame off the front of `buffer`, nil when more bytes are needed.
    /// Throws as soon as the bytes present prove the stream is not a valid frame.
    @inlinable static func parse(_ buffer: inout ByteBuffer, maxFrameSize: Int) throws(FrameError) -> Frame? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        guard available >= 4, let length32 = buffer.getInteger(at: start, as: UInt32.self) else { return nil }
        let length = Int(length32)
        let total = length + 4
        if total > maxFrameSize { throw .frameTooLarge(length: total, limit: maxFrameSize) }
        if length < FrameLayout.headerAfterLength { throw .frameTooSmall(length: length) }
        if available >= 6, let magic = buffer.getInteger(at: start + 4, as: UInt16.self), magic != FrameLayout.magic {
            throw .badMagic(magic)
        }
        if available >= 7, let version = buffer.getInteger(at: start + 6, as: UInt8.self), !FrameLayout.supportedVersions.contains(version) {
            throw .unsupportedVersion(version)
        }
        if available >= 8, let kind = buffer.getInteger(at: start + 7, as: UInt8.self), FrameKind(rawValue: kind) == nil {
            throw .unknownKind(kind)
        }
        if available >= 12, let flagWord = buffer.getInteger(at: start + 8, as: UInt32.self) {
            let flags = UInt8(flagWord >> 24)
            if flags & ~FrameLayout.knownFlags != 0 || flagWord & 0x00FF_FFFF != 0 { throw .reservedBitsSet }
            if flags & FrameLayout.flagChecksum != 0, length < FrameLayout.headerAfterLength + FrameLayout.checksumSize {
                throw .frameTooSmall(length: length)
            }
        }
        guard available >= total else { return nil }
        // The whole frame is here; the checks above ran on its bytes.
        let version = buffer.getInteger(at: start + 6, as: UInt8.self)!
        let kind = FrameKind(rawValue: buffer.getInteger(at: start + 7, as: UInt8.self)!)!
        let flags = buffer.getInteger(at: start + 8, as: UInt8.self)!
        let group = buffer.getInteger(at: start + 12, as: UInt64.self)!
        let correlation = buffer.getInteger(at: start + 20, as: UInt64.self)!
        var bodyLength = length - FrameLayout.headerAfterLength
        if flags & FrameLayout.flagChecksum != 0 {
            bodyLength -= FrameLayout.checksumSize
            let expected = buffer.getInteger(at: start + total - FrameLayout.checksumSize, as: UInt32.self)!
            let computed = buffer.withUnsafeReadableBytes { bytes in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[4..<(total - FrameLayout.checksumSize)]))
            }
            if expected != computed { throw .checksumMismatch(expected: expected, computed: computed) }
        }
        let body = buffer.getSlice(at: start + FrameLayout.headerSize, length: bodyLength)!
        buffer.moveReaderIndex(forwardBy: total)
        return Frame(kind: kind, version: version, group: group, correlation: correlation, body: body)
    }
}

extension ByteBuffer {
    /// Writes a frame header whose length is filled in by ``endFrame(startingAt:checksum:)``;
    /// returns where the frame starts.
    @inlinable mutating func beginFrame(_ kind: FrameKind, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> Int {
        let start = writerIndex
        writeInteger(UInt32(0))
        writeInteger(FrameLayout.magic)
        writeInteger(FrameLayout.currentVersion)
        writeInteger(kind.rawValue)
        writeInteger(UInt32(checksum ? FrameLayout.flagChecksum : 0) << 24)
        writeInteger(group)
        writeInteger(correlation)
        return start
    }

    /// Completes the frame begun at `start`: sets its length and appends its checksum.
    @inlinable mutating func endFrame(startingAt start: Int, checksum: Bool) {
        let length = writerIndex - start - 4 + (checksum ? FrameLayout.checksumSize : 0)
        setInteger(UInt32(truncatingIfNeeded: length), at: start)
        if checksum {
            let from = start + 4 - readerIndex
            let to = writerIndex - readerIndex
            let crc = withUnsafeReadableBytes { bytes in CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[from..<to])) }
            writeInteger(crc)
        }
    }
}
