/// ICMP and ICMPv6 echo requests and replies.
///
/// A request carries our identifier and sequence and, in its payload, a 32-bit token: a reply is
/// ours only when all three match what was sent (a raw socket sees every ICMP packet on the host).
enum ICMPCodec {
    static let echoRequestV4: UInt8 = 8
    static let echoReplyV4: UInt8 = 0
    static let echoRequestV6: UInt8 = 128
    static let echoReplyV6: UInt8 = 129

    /// Writes an echo request of `8 + payloadSize` bytes into `packet` (resized as needed).
    static func echoRequest(
        v6: Bool, identifier: UInt16, sequence: UInt16, token: UInt32, payloadSize: Int, into packet: inout [UInt8]
    ) {
        let length = 8 + max(payloadSize, 4)
        if packet.count != length { packet = [UInt8](repeating: 0, count: length) }
        packet[0] = v6 ? echoRequestV6 : echoRequestV4
        packet[1] = 0
        packet[2] = 0
        packet[3] = 0
        store(identifier, at: 4, in: &packet)
        store(sequence, at: 6, in: &packet)
        store(UInt16(truncatingIfNeeded: token >> 16), at: 8, in: &packet)
        store(UInt16(truncatingIfNeeded: token), at: 10, in: &packet)
        // The kernel computes ICMPv6 checksums (it needs the pseudo-header); ICMPv4 is ours.
        if !v6 { store(checksum(packet), at: 2, in: &packet) }
    }

    struct Reply {
        var identifier: UInt16
        var sequence: UInt16
        var token: UInt32
    }

    /// The echo reply in a received datagram, or nil for any other packet. Raw IPv4 sockets
    /// deliver the IP header too; ICMPv6 and datagram (ping) sockets do not.
    static func parseReply(_ bytes: UnsafeRawBufferPointer, v6: Bool, hasIPHeader: Bool) -> Reply? {
        var offset = 0
        if hasIPHeader {
            guard bytes.count >= 20 else { return nil }
            offset = Int(bytes[0] & 0x0f) * 4
        }
        guard bytes.count >= offset + 12, bytes[offset] == (v6 ? echoReplyV6 : echoReplyV4), bytes[offset + 1] == 0 else {
            return nil
        }
        func load16(_ at: Int) -> UInt16 { UInt16(bytes[offset + at]) << 8 | UInt16(bytes[offset + at + 1]) }
        return Reply(
            identifier: load16(4), sequence: load16(6), token: UInt32(load16(8)) << 16 | UInt32(load16(10)))
    }

    static func store(_ value: UInt16, at index: Int, in packet: inout [UInt8]) {
        packet[index] = UInt8(value >> 8)
        packet[index + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// The Internet checksum (RFC 1071), in network byte order as a big-endian value.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }
}
