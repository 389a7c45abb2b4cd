import TargetStore
import Testing
@testable import WebAdmin

/// Target names made from hosts (smoking-pi's add-form rule), the host check and the ICMP probe choice.
@Suite struct WebAdminModelTests {
    @Test func namesFollowSmokingPisRule() {
        let cases = [
            ("www.Example.com", "www_example"), ("example.co.uk", "example"), ("my-site.io", "my_site"), ("shop.example.co", "shop_example"),
            ("1.1.1.1", "site_1_1_1_1"), ("2001:db8::1", "site_2001db81"), ("mail.company.com", "mail_company"), ("exämple.org", "exmple"),
            ("", "target"), ("***", "target"), (".io", "target"), ("-leading.net", "target"),
            ("a-very-long-host-name-that-goes-on.example.com", "a_very_long_host_name_that_goe"),
        ]
        for (host, name) in cases {
            #expect(TargetNaming.name(for: host) == name, "\(host)")
        }
    }

    @Test func everyMadeNameIsValidForTheFormAndSmokePing() {
        for host in ["1.1.1.1", "::1", "_dmarc.example.com", "xn--bcher-kva.example", String(repeating: "9", count: 80), "Ünïcode.com", "a"] {
            let name = TargetNaming.name(for: host)
            #expect(TargetNaming.isValid(name) && TargetValidation.isValidName(name) && name.count <= 30, "\(host) → \(name)")
        }
        #expect(!TargetNaming.isValid("_x") && !TargetNaming.isValid("1x") && !TargetNaming.isValid("a-b"))
        #expect(!TargetNaming.isValid(String(repeating: "a", count: 31)) && TargetNaming.isValid(String(repeating: "a", count: 30)))
    }

    @Test func uniqueNamesStayWithinThirtyCharacters() {
        #expect(TargetNaming.unique("google", taken: []) == "google")
        #expect(TargetNaming.unique("google", taken: ["google"]) == "google_2")
        #expect(TargetNaming.unique("google", taken: ["google", "google_2", "google_3"]) == "google_4")
        let long = String(repeating: "a", count: 30)
        let second = TargetNaming.unique(long, taken: [long])
        #expect(second == String(repeating: "a", count: 28) + "_2")
        var taken: Set<String> = [long]
        for _ in 0..<12 { taken.insert(TargetNaming.unique(long, taken: taken)) }
        #expect(taken.allSatisfy { $0.count <= 30 && TargetNaming.isValid($0) } && taken.count == 13)
        #expect(taken.contains(String(repeating: "a", count: 27) + "_13"))
    }

    @Test func literalsAreHostsWithoutAnyLookup() async {
        let v4 = await HostCheck.check("127.0.0.1")
        #expect(v4 == .literal(.init(family: .v4, text: "127.0.0.1")) && !v4.isIPv6Only)
        let v6 = await HostCheck.check("::1")
        #expect(v6 == .literal(.init(family: .v6, text: "::1")) && v6.isIPv6Only)
    }

    @Test func namesAreResolvedAndBadOnesRefused() async {
        let localhost = await HostCheck.check("localhost")
        #expect(localhost.isValid && localhost.addresses.allSatisfy { $0.text == "127.0.0.1" || $0.text == "::1" || $0.text.hasPrefix("127.") })
        #expect(Set(localhost.addresses).count == localhost.addresses.count)
        for host in ["nonexistent.invalid", "", "bad host", "300.1.1.1"] {
            let outcome = await HostCheck.check(host)
            guard case .unresolvable(let message) = outcome else {
                Issue.record("\(host) resolved: \(outcome)")
                continue
            }
            #expect(!message.isEmpty && !outcome.isValid)
        }
    }

    static let probes = [
        ProbeRecord(name: "FPingSlow", module: "FPing"), ProbeRecord(name: "FPing", isDefault: true), ProbeRecord(name: "FPing6"),
        ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig"),
    ]

    @Test func ipv6OnlyHostsGetFPing6() {
        let v6 = HostCheck.Outcome.literal(.init(family: .v6, text: "2001:db8::1"))
        let v4 = HostCheck.Outcome.literal(.init(family: .v4, text: "192.0.2.1"))
        let onlyAAAA = HostCheck.Outcome.resolved([.init(family: .v6, text: "2001:db8::2")])
        let dualStack = HostCheck.Outcome.resolved([.init(family: .v6, text: "2001:db8::2"), .init(family: .v4, text: "192.0.2.2")])
        #expect(ProbeChoice.icmpProbe(for: v6, probes: Self.probes) == "FPing6")
        #expect(ProbeChoice.icmpProbe(for: onlyAAAA, probes: Self.probes) == "FPing6")
        #expect(ProbeChoice.icmpProbe(for: v4, probes: Self.probes) == "FPing")
        #expect(ProbeChoice.icmpProbe(for: dualStack, probes: Self.probes) == "FPing")
        #expect(ProbeChoice.icmpProbe(for: v4, request: .forced("FPing6"), probes: Self.probes) == "FPing6")
        #expect(ProbeChoice.icmpProbe(for: v6, request: .forced("FPingSlow"), probes: Self.probes) == "FPingSlow")
        #expect(ProbeChoice.icmpProbe(for: v6, request: .forced("Curl"), probes: Self.probes) == nil)
    }

    @Test func probesAreFoundByModuleWhenNoneIsNamedAfterIt() {
        let instances = [ProbeRecord(name: "PingA", module: "FPing"), ProbeRecord(name: "PingB", isDefault: true, module: "FPing"), ProbeRecord(name: "Six", module: "FPing6")]
        let v4 = HostCheck.Outcome.literal(.init(family: .v4, text: "192.0.2.1"))
        let v6 = HostCheck.Outcome.literal(.init(family: .v6, text: "2001:db8::1"))
        #expect(ProbeChoice.icmpProbe(for: v4, probes: instances) == "PingB")
        #expect(ProbeChoice.icmpProbe(for: v6, probes: instances) == "Six")
        #expect(ProbeChoice.icmpProbe(for: v4, request: .forced("FPing6"), probes: instances) == "Six")
        #expect(ProbeChoice.icmpProbe(for: v6, probes: [ProbeRecord(name: "FPing")]) == nil)
    }
}
