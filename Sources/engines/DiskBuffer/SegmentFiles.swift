import EventModel
#if canImport(Glibc)
import Glibc
#endif

/// The blocking file calls of the segment log, each written once.
extension SegmentLog {
    static func segmentPath(_ directory: String, _ number: UInt64) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// The numbers of the `*.seg` files in `directory`, ascending; other files are left alone.
    static func segmentNumbers(in directory: String) throws(IOError) -> [UInt64] {
        guard let stream = opendir(directory) else { throw IOError(errno, "opendir", path: directory) }
        defer { closedir(stream) }
        var numbers: [UInt64] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".seg"), let number = UInt64(name.dropLast(4)) else { continue }
            numbers.append(number)
        }
        return numbers.sorted()
    }

    struct SegmentScan {
        var size: Int64
        var records: [Pending]
        var tornBytes: Int64
    }

    /// Walks a segment's record headers from `start`. The last segment (the one a crash may
    /// have been writing) has every payload checked too, and is cut back to its last whole
    /// record; an earlier one is trusted to its end (it was synced before the next began),
    /// and a bad record there is found and skipped by the reader.
    static func scanSegment(_ directory: String, _ number: UInt64, from start: Int64, verifyingPayloads: Bool) throws(IOError) -> SegmentScan {
        let path = segmentPath(directory, number)
        let descriptor = Glibc.open(path, (verifyingPayloads ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw IOError(errno, "open", path: path) }
        defer { close(descriptor) }
        let fileSize = Int64(lseek(descriptor, 0, SEEK_END))
        guard fileSize >= 0 else { throw IOError(errno, "lseek", path: path) }
        var offset = min(start, fileSize)
        var records: [Pending] = []
        var headerBytes = [UInt8](repeating: 0, count: RecordHeader.size)
        while offset < fileSize {
            guard fileSize - offset >= Int64(RecordHeader.size), try readExactly(descriptor, into: &headerBytes, at: offset, path: path),
                let header = headerBytes.withUnsafeBytes({ RecordHeader($0) }), offset + header.recordLength <= fileSize
            else { break }
            if verifyingPayloads {
                var payload = [UInt8](repeating: 0, count: header.payloadLength)
                _ = try readExactly(descriptor, into: &payload, at: offset + Int64(RecordHeader.size), path: path)
                guard header.computeChecksum(payload: payload) == header.checksum else { break }
            }
            offset += header.recordLength
            records.append(Pending(end: RecordPosition(segment: number, offset: offset), points: header.pointCount, writtenAt: header.writtenAt))
        }
        guard offset < fileSize else { return SegmentScan(size: fileSize, records: records, tornBytes: 0) }
        guard verifyingPayloads else { return SegmentScan(size: fileSize, records: records, tornBytes: 0) }
        guard ftruncate(descriptor, off_t(offset)) == 0, fsync(descriptor) == 0 else { throw IOError(errno, "ftruncate", path: path) }
        return SegmentScan(size: offset, records: records, tornBytes: fileSize - offset)
    }
}

/// `pwrite` until every byte is written; on failure the file is cut back to `offset`.
func writeAll(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(IOError) {
    var failure: IOError?
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let written = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + done)
            if written < 0 {
                if errno == EINTR { continue }
                failure = IOError(errno, "write", path: path)
                return
            }
            done += written
        }
    }
    if let failure {
        _ = ftruncate(descriptor, off_t(offset))
        throw failure
    }
}

/// `pread` of exactly `bytes.count` bytes; false when the file ends first.
func readExactly(_ descriptor: Int32, into bytes: inout [UInt8], at offset: Int64, path: String) throws(IOError) -> Bool {
    let count = bytes.count
    var failure: IOError?
    let got = bytes.withUnsafeMutableBytes { raw -> Int in
        var done = 0
        while done < count {
            let read = pread(descriptor, raw.baseAddress! + done, count - done, off_t(offset) + done)
            if read < 0 {
                if errno == EINTR { continue }
                failure = IOError(errno, "read", path: path)
                return done
            }
            if read == 0 { break }
            done += read
        }
        return done
    }
    if let failure { throw failure }
    return got == count
}
