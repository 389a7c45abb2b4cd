import CZstd

/// Streaming zstd compression (`ZSTD_compressStream2`).
public final class ZstdCompressor {
    let context: OpaquePointer

    public init(level: Int32 = 3) throws(ZstdError) {
        guard let context = ZSTD_createCCtx() else { throw ZstdError(message: "cannot allocate a zstd context") }
        self.context = context
        let result = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        if ZSTD_isError(result) != 0 {
            ZSTD_freeCCtx(context)
            throw ZstdError(message: String(cString: ZSTD_getErrorName(result)))
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`; with `end`, also closes the frame so the output so far is a complete file.
    public func compress(
        _ input: UnsafeRawBufferPointer, end: Bool = false, output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let chunkSize = Int(ZSTD_CStreamOutSize())
        try withUnsafeTemporaryAllocation(byteCount: chunkSize, alignment: 16) { chunk in
            var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            let directive = end ? ZSTD_e_end : ZSTD_e_continue
            while true {
                var destination = ZSTD_outBuffer(dst: chunk.baseAddress, size: chunk.count, pos: 0)
                let remaining = ZSTD_compressStream2(context, &destination, &source, directive)
                if ZSTD_isError(remaining) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(remaining))) }
                if destination.pos > 0 { try output(UnsafeRawBufferPointer(rebasing: chunk[..<destination.pos])) }
                let done = end ? remaining == 0 : source.pos == source.size
                if done { return }
            }
        }
    }
}
