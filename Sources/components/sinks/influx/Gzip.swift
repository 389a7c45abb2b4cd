import CZlib
import NIOCore

enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "gzip compression failed (zlib \(code))" }
    }

    /// The whole body as one gzip member (zlib with window bits 31).
    static func compress(_ input: ByteBuffer, level: Int32 = 6) throws -> ByteBuffer {
        var stream = z_stream()
        var status = deflateInit2_(
            &stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)
        )
        guard status == Z_OK else { throw Failure(code: status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.readableBytes)))
        var output = ByteBuffer()
        output.reserveCapacity(bound)
        try input.withUnsafeReadableBytes { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(source.count)
            let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                stream.next_out = destination.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(destination.count)
                status = deflate(&stream, Z_FINISH)
                return destination.count - Int(stream.avail_out)
            }
            guard status == Z_STREAM_END, written > 0 else { throw Failure(code: status) }
        }
        return output
    }
}
