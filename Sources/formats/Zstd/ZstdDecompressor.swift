import CZstd

/// Streaming zstd decompression (`ZSTD_decompressStream`): memory stays at the context's
/// window plus the caller's chunk, whatever the size of the input.
public final class ZstdDecompressor {
    let context: OpaquePointer
    /// Compressed bytes consumed so far.
    public private(set) var consumed = 0
    private var frameOpen = false

    public init() throws(ZstdError) {
        guard let context = ZSTD_createDCtx() else { throw ZstdError(message: "cannot allocate a zstd context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `input`, calling `output` with each decompressed chunk.
    public func decompress(
        _ input: UnsafeRawBufferPointer, chunkSize: Int = 1 << 17,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        try withUnsafeTemporaryAllocation(byteCount: chunkSize, alignment: 16) { chunk in
            while source.pos < source.size {
                var destination = ZSTD_outBuffer(dst: chunk.baseAddress, size: chunk.count, pos: 0)
                let before = source.pos
                let result = ZSTD_decompressStream(context, &destination, &source)
                if ZSTD_isError(result) != 0 {
                    throw ZstdError(message: String(cString: ZSTD_getErrorName(result)), offset: consumed + before)
                }
                consumed += source.pos - before
                frameOpen = result != 0
                if destination.pos > 0 { try output(UnsafeRawBufferPointer(rebasing: chunk[..<destination.pos])) }
                // A full output buffer may hide more output for the same input: loop again.
            }
            // Drain output still held in the context for input already given.
            while frameOpen {
                var destination = ZSTD_outBuffer(dst: chunk.baseAddress, size: chunk.count, pos: 0)
                var empty = ZSTD_inBuffer(src: base, size: 0, pos: 0)
                let result = ZSTD_decompressStream(context, &destination, &empty)
                if ZSTD_isError(result) != 0 {
                    throw ZstdError(message: String(cString: ZSTD_getErrorName(result)), offset: consumed)
                }
                frameOpen = result != 0
                if destination.pos == 0 { break }
                try output(UnsafeRawBufferPointer(rebasing: chunk[..<destination.pos]))
            }
        }
    }

    /// Call at the end of the input: a frame left open means the file was truncated.
    public func finish() throws(ZstdError) {
        if frameOpen { throw ZstdError(message: "truncated zstd frame", offset: consumed) }
    }
}
