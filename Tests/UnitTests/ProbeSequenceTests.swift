import Foundation
@testable import ProbeEngine
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Review S4: more pings in flight than there are sequence numbers (65,536).
struct ProbeSequenceTests {
    /// A UDP socket bound to a loopback port that never reads: queries sent to it are never
    /// answered (and no "port unreachable" comes back). Its port, and the descriptor to close.
    static func silentPort() throws -> (port: UInt16, descriptor: Int32) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        if !bound { close(descriptor) }
        try #require(bound)
        return (UInt16(bigEndian: address.sin_port), descriptor)
    }

    /// 100,000 unanswered DNS pings of one round, all due at once: a ping never takes a slot
    /// that is still pending (before, it did, so the earlier ping's timeout never came and the
    /// round never finished), it waits until one times out; the round then finishes with every
    /// ping lost. The time is the test's: `expire` is told when it is.
    @Test func pingsBeyondTheSequenceSpaceWaitForASlotAndTheRoundFinishes() throws {
        let silent = try Self.silentPort()
        defer { close(silent.descriptor) }
        let udp = try ProbeSocket.udp(v6: false)
        let settings = ProbeEngine.Settings(transport: .dns, interval: .nanoseconds(1), timeout: .seconds(60), rate: 1e9)
        var loop = EngineLoop(settings: settings, sockets: [udp])
        let question = try #require(DNSCodec.question(name: "a.example.test.", type: 1))
        let address = IPAddress(family: .v4, bytes: [127, 0, 0, 1], port: silent.port)
        let pings = 100_000
        loop.add(RoundRequest(target: ProbeTarget(name: "t", host: "127.0.0.1"), address: address, pings: pings, start: Clocks.monotonic(), question: question))
        var results: [RoundResult] = []
        // Send what may leave, then let every timeout pass (a minute later), as often as needed.
        for _ in 0..<4 where !loop.isIdle {
            _ = loop.sendDue(now: Clocks.monotonic())
            loop.expire(now: Clocks.monotonic() + 120_000_000_000)
            results += loop.takeFinished()
        }
        #expect(loop.isIdle, "the round finished")
        #expect(results.count == 1 && results.first?.sent == pings && results.first?.times.isEmpty == true)
    }
}
