import ConfigManager
import Foundation
import Testing
@testable import WebAdmin

/// The web admin's pieces that need no server: form parsing, the `next` rule, graph ranges, the
/// embedded files.
@Suite struct WebAdminServerPartsTests {
    @Test func urlEncodedFormsDecodePlusPercentAndRepeats() {
        let form = FormFields(urlEncoded: "a=1&b=x+y%21&ids=1&ids=2&empty=&bad=%zz&only")
        #expect(form["a"] == "1")
        #expect(form["b"] == "x y!")
        #expect(form.all("ids") == ["1", "2"])
        #expect(form["empty"] == "")
        #expect(form["bad"] == "%zz")
        #expect(form["only"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func multipartFormsGiveFieldsAndFiles() throws {
        let body = Array((
            "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"top.csv\"\r\nContent-Type: text/csv\r\n\r\n1,example.com\r\n2,example.org\r\n\r\n"
                + "--XyZ--\r\n").utf8)
        let form = try #require(FormFields(multipart: body, boundary: "XyZ"))
        #expect(form["csrf_token"] == "abc")
        let file = try #require(form.file("file"))
        #expect(file.filename == "top.csv")
        #expect(String(decoding: file.bytes, as: UTF8.self) == "1,example.com\r\n2,example.org\r\n")
        #expect(FormFields(multipart: Array("no boundary here".utf8), boundary: "XyZ") == nil)
    }

    @Test func nextGoesToALocalPathOnly() {
        #expect(WebPage.localPath("/targets?q=a") == "/targets?q=a")
        for hostile in ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil", "/a\r\nLocation: x", nil] {
            #expect(WebPage.localPath(hostile) == "/", "\(hostile ?? "nil")")
        }
    }

    @Test func graphRangesArePresetsOrBoundedCustomRanges() throws {
        #expect(try GraphTime.window(nil) == .preset(.hours30))
        #expect(try GraphTime.window("1y") == .preset(.year))
        #expect(try GraphTime.window("100-200") == .custom(start: 100, end: 200))
        #expect(throws: WebRefusal.self) { try GraphTime.window("200-100") }
        #expect(throws: WebRefusal.self) { try GraphTime.window("5m") }
        #expect(GraphWindow.preset(.hours3).bounds(now: 100_000) == (89_200, 100_000))
    }

    @Test func everyTemplateParsesAndEveryAssetIsEmbedded() throws {
        let pages = try WebPage(graphsOn: true)
        for name in ["layout", "login", "dashboard", "targets", "target_form", "target_detail", "import", "catalog", "sites", "error"] {
            #expect(pages.library.getTemplate(named: name) != nil, "\(name).mustache")
        }
        #expect(EmbeddedWebFiles.assets["app.js"] != nil)
        #expect(EmbeddedWebFiles.assets["app.css"] != nil)
    }

    @Test func theEmbeddedFilesAreTheFilesInTheRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/app/WebAdmin")
        for (name, text) in EmbeddedWebFiles.templates {
            let file = try String(contentsOf: root.appendingPathComponent("templates/\(name).mustache"), encoding: .utf8)
            #expect(file == text, "templates/\(name).mustache changed: run scripts/embed-web-assets")
        }
        for (name, (_, text)) in EmbeddedWebFiles.assets {
            let file = try String(contentsOf: root.appendingPathComponent("assets/\(name)"), encoding: .utf8)
            #expect(file == text, "assets/\(name) changed: run scripts/embed-web-assets")
        }
    }

    @Test func sortingIsStableAndEitherWay() {
        let targets = [("b", 1), ("a", 2), ("b", 3)].map { StoredTarget(id: $0.1, record: .init(name: $0.0, host: "h"), createdAt: "", updatedAt: "") }
        var query = TargetQuery()
        query.sort = .name
        #expect(query.page(of: targets).targets.map(\.id) == [2, 1, 3])
        query.descending = true
        #expect(query.page(of: targets).targets.map(\.id) == [3, 1, 2])
    }

    @Test func theThrottleLocksAfterFiveFailuresPerAddress() {
        let throttle = LoginThrottle()
        for _ in 1...4 { throttle.failed("192.0.2.1") }
        #expect(throttle.lockedFor("192.0.2.1") == nil)
        throttle.failed("192.0.2.1")
        #expect((throttle.lockedFor("192.0.2.1") ?? 0) > 290)
        #expect(throttle.lockedFor("192.0.2.2") == nil, "another address is not locked")
    }
}
