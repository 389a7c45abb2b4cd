import EventModel
import ProbeEngine
import TargetStore
import Testing

/// One address-literal rule (inet_pton) for the probes' sockets and the configuration store's host check.
@Suite struct IPLiteralTests {
    @Test func literalsAndWhatIsNotOne() throws {
        let v4 = try #require(IPLiteral.parse("192.0.2.1"))
        #expect(v4.family == .v4 && v4.bytes == [192, 0, 2, 1])
        let v6 = try #require(IPLiteral.parse("2001:db8::1"))
        #expect(v6.family == .v6 && v6.bytes.count == 16 && v6.bytes.first == 0x20 && v6.bytes.last == 1)
        for text in ["300.1.1.1", "router.example", "", "192.0.2.1 ", "2001:db8::1::2", "[2001:db8::1]"] {
            #expect(IPLiteral.parse(text) == nil, "\(text)")
        }
    }

    @Test func theProbesAndTheStoreAgree() {
        for text in ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "300.1.1.1", "10.0.0", "host.example"] {
            let literal = IPLiteral.isValid(text)
            #expect((IPAddress(literal: text) != nil) == literal, "\(text)")
        }
        #expect(IPAddress(literal: "2001:db8::1")?.family == .v6 && IPAddress(literal: "192.0.2.1")?.description == "192.0.2.1")
        #expect(TargetValidation.isValidHost("192.0.2.1") && TargetValidation.isValidHost("2001:db8::1"))
        // All-numeric but not an address: a typo, not a host name.
        #expect(!TargetValidation.isValidHost("300.1.1.1"))
    }
}
