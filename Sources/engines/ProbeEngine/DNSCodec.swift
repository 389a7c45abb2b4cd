/// DNS queries over UDP (RFC 1035): one question, recursion desired; the answer's id, rcode and
/// question section identify it.
public enum DNSCodec {
    public static let recordTypes: [String: UInt16] = [
        "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "ANY": 255,
    ]

    /// `NOERROR`, `NXDOMAIN`, …; `RCODE<n>` for codes without a common name.
    public static func rcodeName(_ code: UInt8) -> String {
        switch code {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "RCODE\(code)"
        }
    }

    /// The question section for `name` (dotted, trailing dot optional), or nil when it is not a
    /// valid DNS name (a label of 1–63 bytes, 255 bytes in all).
    public static func question(name: String, type: UInt16) -> [UInt8]? {
        var bytes: [UInt8] = []
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let utf8 = Array(label.utf8)
                guard (1...63).contains(utf8.count) else { return nil }
                bytes.append(UInt8(utf8.count))
                bytes += utf8
            }
        }
        bytes.append(0)
        guard bytes.count <= 255 else { return nil }
        bytes += [UInt8(type >> 8), UInt8(truncatingIfNeeded: type), 0, 1]  // class IN
        return bytes
    }

    /// A query with `id` around a question from `question(name:type:)`.
    static func query(id: UInt16, question: [UInt8], into packet: inout [UInt8]) {
        packet.removeAll(keepingCapacity: true)
        packet += [UInt8(id >> 8), UInt8(truncatingIfNeeded: id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        packet += question
    }

    struct Response {
        var id: UInt16
        var rcode: UInt8
    }

    /// The response in a datagram when it answers `question` (nil for anything else).
    static func parseResponse(_ bytes: UnsafeRawBufferPointer, question expected: [UInt8]) -> Response? {
        guard bytes.count >= 12, bytes[2] & 0x80 != 0 else { return nil }  // QR: a response
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard bytes.count >= 12 + expected.count,
            bytes[4] == 0, bytes[5] == 1
        else { return nil }
        for index in expected.indices where bytes[12 + index] != expected[index] { return nil }
        return Response(id: id, rcode: bytes[3] & 0x0f)
    }
}
