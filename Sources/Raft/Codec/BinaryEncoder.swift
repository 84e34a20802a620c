/// A compact, deterministic binary encoder for `Encodable` values.
///
/// The format is the one ``BinaryDecoder`` reads; the TCP transport and the file store share it.
///
/// ## Format
/// Every value is written as a *frame*: a varint tag, `0` for nil, otherwise `n + 1` followed by
/// the `n` content bytes. Content depends on what the value's `encode(to:)` asked for:
/// - integers: a LEB128 varint (signed ones zigzag-mapped first); `UInt8`/`Int8`: one byte;
///   `Bool`: one byte, 0 or 1; `Float`/`Double`: little-endian IEEE bits;
/// - `String`: its UTF-8 bytes; `[UInt8]`: its bytes (a fast path: no per-byte framing);
/// - keyed container: a sequence of `varint keyLength, key UTF-8, frame`; an absent optional is
///   simply left out, so adding an optional field keeps old data decodable;
/// - unkeyed container: a sequence of frames.
///
/// Containers need no element count: the enclosing frame's length bounds them, so a decoder
/// never trusts a count it read from the wire.
///
/// ## Determinism
/// Equal values encode to equal bytes, within and across processes: struct fields keep their
/// declaration order, and `Set`s and `Dictionary`s whose elements (keys) are `Comparable` are
/// written in sorted order instead of Swift's per-process hash order. Collections of
/// non-`Comparable` elements keep the hash order and are not deterministic.
public struct BinaryEncoder: Sendable {
    /// An encoder; it holds no state, so one can be shared.
    public init() {}

    /// Encodes `value` as one frame.
    public func encode<T: Encodable>(_ value: T) throws(BinaryEncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, appendingTo: &bytes)
        return bytes
    }

    /// Appends the encoding of `value` to `bytes`, so a caller can pack many values into one
    /// buffer (a log batch, a network frame) without intermediate arrays. On error `bytes` is
    /// left as it was.
    public func encode<T: Encodable>(_ value: T, appendingTo bytes: inout [UInt8]) throws(BinaryEncodingError) {
        // Leaf values (a string or byte command per log entry) need no encoder objects.
        if BinaryValueEncoder.appendFastFrame(value, to: &bytes) { return }
        let context = EncodingContext()
        let sink = BinaryValueEncoder(codingPath: [], context: context)
        sink.kind = .unkeyed
        let originalCount = bytes.count
        swap(&sink.bytes, &bytes)
        var failure: BinaryEncodingError?
        do {
            try sink.encodeFramed(value, key: nil)
        } catch let error as BinaryEncodingError {
            failure = error
        } catch {
            failure = BinaryEncodingError(reason: String(describing: error))
        }
        swap(&sink.bytes, &bytes)
        if let error = failure ?? context.firstError {
            bytes.removeSubrange(originalCount...)
            throw error
        }
    }
}

/// State shared by every nested encoder of one `encode` call.
final class EncodingContext {
    var firstError: BinaryEncodingError?

    func record(_ error: BinaryEncodingError) {
        if firstError == nil { firstError = error }
    }
}
