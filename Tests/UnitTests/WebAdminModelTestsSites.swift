import ConfigManager
import Foundation
import TargetStore
import Testing
@testable import WebAdmin

/// Top-sites lists read from uploads (Tranco CSV and ZIP, CrUX CSV and .csv.gz, plain lists)
/// and merged into a category without duplicates.
@Suite struct WebAdminModelTestsSites {
    // Python 3 zipfile, ZIP_DEFLATED: README.txt, then top-1m.csv holding "1,google.com\r\n" …
    // "12,netflix.com\r\n" (Tranco's layout).
    static let trancoZip = bytes(
        "UEsDBBQAAAAIAHJlgl0Af4RdJAAAACgAAAAKAAAAUkVBRE1FLnR4dAspSsxLzlfIySwu0VEoTk1VyCgpKSi20tcvAUvogiT0Uku5AFBLAwQUAAAACAByZYJdjzX4n34AAADBAAAACgAAAHRvcC0xbS5jc3Y1jEsOwyAMBfeVehMrKun/OA4BZAUwAkekPX0jOV3OaN4zEJhDdIPldD6N4NG6iXlRvkIiW7mxFxU3wIRfztibijtgKf/5Az68yjod+ATpJOKq4gsoN8FQMal4Q6S8uJmysrmAjbzOPmI9LoyBTguVPcKBa9jNCNmJj7Rp8QNQSwECFAMUAAAACAByZYJdAH+EXSQAAAAoAAAACgAAAAAAAAAAAAAAgAEAAAAAUkVBRE1FLnR4dFBLAQIUAxQAAAAIAHJlgl2PNfiffgAAAMEAAAAKAAAAAAAAAAAAAACAAUwAAAB0b3AtMW0uY3N2UEsFBgAAAAACAAIAcAAAAPIAAAAAAA=="
    )
    // Python 3 zipfile written to a stream that cannot seek: a stored entry with a data
    // descriptor (flag 0x08, zero sizes in the local header), "1,example.com\n2,example.org\n".
    static let streamedStoredZip = bytes(
        "UEsDBBQACAAAAAAAIQAAAAAAAAAAAAAAAAAIAAAAbGlzdC5jc3YxLGV4YW1wbGUuY29tCjIsZXhhbXBsZS5vcmcKUEsHCHvQ71UcAAAAHAAAAFBLAQIUAxQACAAAAAAAIQB70O9VHAAAABwAAAAIAAAAAAAAAAAAAACAAQAAAABsaXN0LmNzdlBLBQYAAAAAAQABADYAAABSAAAAAAA="
    )
    // Python 3 gzip.compress(mtime=0) of CrUX's layout: "origin,rank\nhttps://www.google.com,1000\n"
    // then https://google.com, https://www.youtube.com, http://example.org:8080, https://www.google.com again.
    static let cruxGzip = bytes(
        "H4sIAAAAAAACA8svykzPzNMpSszL5sooKSkottLXLy8v10vPz0/PSdVLzs/VMTQwMIDL4RIH6anMLy0pTUKTBMqlViTmFgA15RelW1kYWBhg6kQ3FQABXWdllgAAAA=="
    )
    // Two gzip members one after the other: "# big\n" + "example.com\n" × 20,000 (240 KB, more
    // than one inflate chunk), then "example.net\n".
    static let twoMemberGzip = bytes(
        "H4sIAAAAAAACA+3GsQnAIBAAwN4pAvbuFEVE8DGl42cG+7vq8lPnSP288a1e2g53d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d/fr/4cLWTWGqQMAH4sIAAAAAAACA0utSMwtyEnVy0st4QIA5gMh5AwAAAA="
    )

    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    @Test func trancoZipIsUnzippedFromItsFirstCSV() throws {
        let sites = try SiteList.read(Self.trancoZip, fileName: "tranco_ABC12.zip", limit: 5)
        #expect(sites.domains == ["google.com", "facebook.com", "microsoft.com", "amazonaws.com", "apple.com"])
        let all = try SiteList.read(Self.trancoZip, fileName: "download", limit: 1000)
        #expect(all.domains.count == 12 && all.domains.last == "netflix.com" && all.rejectedCount == 0)
    }

    @Test func aStreamedStoredEntryIsReadFromTheCentralDirectorySizes() throws {
        let sites = try SiteList.read(Self.streamedStoredZip, fileName: "list.zip", limit: 10)
        #expect(sites.domains == ["example.com", "example.org"])
    }

    @Test func cruxOriginsAreReducedToHostsWithoutRepeats() throws {
        let sites = try SiteList.read(Self.cruxGzip, fileName: "current.csv.gz", limit: 10)
        #expect(sites.domains == ["www.google.com", "google.com", "www.youtube.com", "example.org"])
        let plain = "origin,rank\nhttps://a.example,1000\nhttps://b.example/path?q,1000\n"
        #expect(try SiteList.read(Array(plain.utf8), fileName: "202611.csv", limit: 10).domains == ["a.example", "b.example"])
    }

    @Test func gzipMembersAreAllRead() throws {
        let sites = try SiteList.read(Self.twoMemberGzip, fileName: "big.gz", limit: 10)
        #expect(sites.domains == ["example.com", "example.net"])
    }

    @Test func plainListsSkipCommentsAndWhatIsNotADomain() throws {
        let text = "# my list\n\nExample.COM.\n  spaced.example  \n192.0.2.1\nlocalhost\nnot a domain\nexample.com\n"
        let sites = try SiteList.read(Array(text.utf8), fileName: "sites.txt", limit: 10)
        #expect(sites.domains == ["example.com", "spaced.example"])
        #expect(sites.rejected == ["192.0.2.1", "localhost", "not a domain"] && sites.rejectedCount == 3)
        let tranco = "1,one.example\n2,two.example\n3,three.example\n"
        #expect(try SiteList.read(Array(tranco.utf8), fileName: "top-1m.csv", limit: 2).domains == ["one.example", "two.example"])
    }

    @Test func damagedArchivesAreRefusedWithAReason() {
        var truncated = Self.trancoZip
        truncated.removeLast(30)
        #expect(throws: SiteList.Failure.self) { try SiteList.read(truncated, fileName: "t.zip", limit: 5) }
        var corrupt = Self.cruxGzip
        corrupt[20] ^= 0xff
        corrupt[21] ^= 0xff
        #expect(throws: SiteList.Failure.self) { try SiteList.read(corrupt, fileName: "c.csv.gz", limit: 5) }
        #expect(throws: SiteList.Failure.self) { try SiteList.read(Array(Self.cruxGzip.prefix(40)), fileName: "c.csv.gz", limit: 5) }
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress(Self.twoMemberGzip, framing: .gzip, limit: 100_000) }
    }

    static let existing = [
        WebAdminModelTestsCSV.stored(1, TargetRecord(name: "google", host: "Google.com.", category: "custom")),
        WebAdminModelTestsCSV.stored(2, TargetRecord(name: "youtube", host: "www.youtube.com", isActive: false, category: "top_sites")),
        WebAdminModelTestsCSV.stored(3, TargetRecord(name: "example", host: "example.com", category: "top_sites")),
        WebAdminModelTestsCSV.stored(4, TargetRecord(name: "example_2", host: "192.0.2.9", category: "custom")),
    ]

    @Test func mergeCreatesOnlyWhatIsMissing() {
        let sites = ["google.com", "youtube.com", "example.org", "EXAMPLE.org", "wikipedia.org", "bad site", "1.1.1.1"]
        let plan = SiteMerge.plan(sites, into: "top_sites", existing: Self.existing, probe: "FPing")
        // google: by host in another category; youtube: its name, with www. in front.
        #expect(plan.kept.map(\.target.id) == [1, 2])
        #expect(plan.created.map(\.name) == ["example_3", "wikipedia", "site_1_1_1_1"])
        #expect(plan.created.first == TargetRecord(name: "example_3", host: "example.org", title: "example.org", category: "top_sites", probe: "FPing"))
        #expect(plan.invalid == ["bad site"])
        #expect(plan.operations.count == 3)
        guard case .createTarget(let fields) = plan.operations[0] else {
            Issue.record("\(plan.operations)")
            return
        }
        #expect(fields.newRecord == plan.created[0])
    }

    @Test func mergeCanSwitchKeptTargetsBackOn() {
        let plan = SiteMerge.plan(["youtube.com", "www.youtube.com"], into: "top_sites", existing: Self.existing, probe: nil, reactivate: true)
        #expect(plan.created.isEmpty && plan.kept.count == 2)
        var on = TargetFields()
        on.isActive = true
        #expect(plan.operations == [.updateTarget(id: 2, on)])
    }
}
