import CZstd

extension ZstdCompressor {
    /// One whole frame for `input` (`ZSTD_compress2`, with this context's level): for records
    /// compressed one by one, such as the disk buffer's.
    public func compressFrame(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { ZSTD_compress2(context, $0.baseAddress, bound, input.baseAddress, input.count) }
        if ZSTD_isError(written) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(written))) }
        output.removeLast(bound - written)
        return output
    }
}

extension ZstdDecompressor {
    /// Decompresses one whole frame whose size the caller recorded; anything else (a different
    /// size, a truncated or corrupt frame) is an error, never a partial result.
    public func decompressFrame(_ input: UnsafeRawBufferPointer, size: Int) throws(ZstdError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        let got = output.withUnsafeMutableBytes { ZSTD_decompressDCtx(context, $0.baseAddress, size, input.baseAddress, input.count) }
        if ZSTD_isError(got) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(got))) }
        guard got == size else { throw ZstdError(message: "frame holds \(got) bytes, the record says \(size)") }
        return output
    }
}
