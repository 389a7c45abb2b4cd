#if canImport(Glibc)
import Glibc
#endif

/// The Strings of the names seen at each position of the previous lines.
struct NameCache: Sendable {
    private var entries: [(bytes: [UInt8], string: String)] = []
    /// The previous point's tag and field counts, to size the next point's arrays once.
    var lastTagCount = 0
    var lastFieldCount = 0

    mutating func string(for bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String {
        if slot < entries.count {
            let hit = entries[slot].bytes.withUnsafeBufferPointer { cached in
                guard cached.count == bytes.count else { return false }
                for index in 0..<bytes.count where cached[index] != bytes[index] { return false }
                return true
            }
            if hit { return entries[slot].string }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if slot < entries.count {
            entries[slot] = (Array(bytes), string)
        } else if slot == entries.count && slot < 256 {
            entries.append((Array(bytes), string))
        }
        return string
    }
}
