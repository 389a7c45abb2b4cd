import CZlib

/// zlib's inflate over a whole buffer: raw deflate (a ZIP entry) or gzip (a `.csv.gz`), with a
/// ceiling on the output so a small upload cannot expand into gigabytes (a "zip bomb").
enum Inflate {
    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        var description: String
    }

    enum Framing {
        /// Deflate data with no header (ZIP's method 8): window bits -15.
        case raw
        /// One or more gzip members: window bits 31.
        case gzip

        var windowBits: Int32 { self == .raw ? -15 : 31 }
    }

    static func decompress(_ input: [UInt8], framing: Framing, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, framing.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib cannot start inflating")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var consumed = 0
        while true {
            var status: Int32 = Z_OK
            var produced = 0
            input.withUnsafeBufferPointer { source in
                chunk.withUnsafeMutableBufferPointer { destination in
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress.map { $0 + consumed })
                    stream.avail_in = uInt(source.count - consumed)
                    stream.next_out = destination.baseAddress
                    stream.avail_out = uInt(destination.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    consumed = source.count - Int(stream.avail_in)
                    produced = destination.count - Int(stream.avail_out)
                }
            }
            output += chunk[0..<produced]
            if output.count > limit { throw Failure(description: "the file inflates to more than \(limit) bytes") }
            switch status {
            case Z_STREAM_END:
                // gzip allows members one after another (`cat a.gz b.gz`); the rest is read too.
                guard framing == .gzip, consumed < input.count, input[consumed] == 0x1f else { return output }
                guard inflateReset(&stream) == Z_OK else { throw Failure(description: "zlib cannot read the next gzip member") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where produced > 0:
                continue
            case Z_BUF_ERROR:
                throw Failure(description: "the compressed data ends early (truncated file)")
            default:
                throw Failure(description: "the compressed data is corrupt (zlib \(status))")
            }
        }
    }
}
