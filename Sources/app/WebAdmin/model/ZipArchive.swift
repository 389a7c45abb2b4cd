/// Reads entries of a ZIP file held in memory (Tranco's daily list is a ZIP of one CSV):
/// the central directory at the end names each entry, its method and sizes; the local header
/// it points to gives where the data starts. Stored (0) and deflated (8) entries; no ZIP64, no
/// encryption (a list of a million domains is about 10 MB compressed).
struct ZipArchive {
    struct Entry: Sendable, Equatable {
        var name: String
        var method: UInt16
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
        var isEncrypted: Bool
    }

    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        var description: String
    }

    let bytes: [UInt8]
    let entries: [Entry]

    init(_ bytes: [UInt8]) throws(Failure) {
        self.bytes = bytes
        // The end-of-central-directory record is the last thing in the file, 22 bytes plus a
        // comment of up to 65,535.
        let lowest = max(0, bytes.count - 22 - 65_535)
        guard bytes.count >= 22,
              let end = stride(from: bytes.count - 22, through: lowest, by: -1).first(where: { Self.u32(bytes, $0) == 0x0605_4b50 })
        else { throw Failure(description: "not a ZIP file (no end of central directory)") }
        let count = Int(Self.u16(bytes, end + 10))
        var offset = Int(Self.u32(bytes, end + 16))
        guard count != 0xFFFF, offset != 0xFFFF_FFFF else { throw Failure(description: "ZIP64 archives are not supported") }
        var entries: [Entry] = []
        for _ in 0..<count {
            guard offset + 46 <= bytes.count, Self.u32(bytes, offset) == 0x0201_4b50 else {
                throw Failure(description: "the ZIP central directory is damaged")
            }
            let nameLength = Int(Self.u16(bytes, offset + 28))
            let extraLength = Int(Self.u16(bytes, offset + 30))
            let commentLength = Int(Self.u16(bytes, offset + 32))
            guard offset + 46 + nameLength <= bytes.count else { throw Failure(description: "the ZIP central directory is damaged") }
            entries.append(Entry(
                name: String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self),
                method: Self.u16(bytes, offset + 10),
                compressedSize: Int(Self.u32(bytes, offset + 20)),
                size: Int(Self.u32(bytes, offset + 24)),
                localHeaderOffset: Int(Self.u32(bytes, offset + 42)),
                isEncrypted: Self.u16(bytes, offset + 8) & 1 != 0
            ))
            offset += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The entry's contents, inflated, at most `limit` bytes.
    func contents(of entry: Entry, limit: Int) throws(Failure) -> [UInt8] {
        guard !entry.isEncrypted else { throw Failure(description: "'\(entry.name)' is encrypted") }
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, Self.u32(bytes, header) == 0x0403_4b50 else {
            throw Failure(description: "the ZIP entry '\(entry.name)' has no local header")
        }
        // The local header's own name and extra lengths (the extra field may differ from the
        // central directory's); the sizes come from the central directory, which is right even
        // when the entry was streamed with a data descriptor.
        let start = header + 30 + Int(Self.u16(bytes, header + 26)) + Int(Self.u16(bytes, header + 28))
        guard start + entry.compressedSize <= bytes.count else { throw Failure(description: "the ZIP entry '\(entry.name)' is truncated") }
        let data = Array(bytes[start..<(start + entry.compressedSize)])
        switch entry.method {
        case 0:
            guard data.count <= limit else { throw Failure(description: "'\(entry.name)' is larger than \(limit) bytes") }
            return data
        case 8:
            do {
                return try Inflate.decompress(data, framing: .raw, limit: limit)
            } catch {
                throw Failure(description: "'\(entry.name)': \(error)")
            }
        default:
            throw Failure(description: "'\(entry.name)' uses ZIP compression method \(entry.method); only stored and deflated entries are read")
        }
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        guard offset + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
