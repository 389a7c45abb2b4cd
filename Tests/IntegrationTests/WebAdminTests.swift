import ConfigManager
import Foundation
import PasswordHash
import TargetStore
import Testing
import WebAdmin

/// The web admin over HTTP, as a browser would use it: sign-in, sessions, CSRF, escaping, and
/// every change checked in the store afterwards. (The same flows in a real Chromium are in
/// WebAdminBrowserTests.)
@Suite struct WebAdminTests {
    static func target(_ name: String, host: String = "127.0.0.1", title: String = "", category: String? = "default") -> StoreOperation {
        var fields = TargetFields()
        fields.name = name
        fields.host = host
        fields.title = title
        fields.isActive = true
        fields.category = .some(category)
        fields.probe = .some("FPing")
        return .createTarget(fields)
    }

    @Test func aPageWithoutASessionSendsTheBrowserToTheLoginPage() async throws {
        try await withWebAdmin { server in
            let browser = WebBrowser(server)
            let page = try await browser.get("/targets?q=a")
            #expect(page.status == 303)
            #expect(page.header("location") == "/login?next=/targets%3Fq%3Da")
            let api = try await browser.get("/api/status")
            #expect(api.status == 401)
            #expect(try await browser.get("/health").status == 200)
            #expect(try await browser.get("/assets/app.js").status == 200)
        }
    }

    @Test func signingInRenewsTheSessionAndGoesToALocalNextOnly() async throws {
        try await withWebAdmin { server in
            let browser = WebBrowser(server)
            try await browser.get("/login")
            let before = try #require(browser.cookie)
            let signedIn = try await browser.signIn(next: "/targets")
            #expect(signedIn.status == 303, "\(signedIn)")
            #expect(signedIn.header("location") == "/targets")
            let after = try #require(browser.cookie)
            #expect(before != after, "the session id must change at sign-in (fixation)")
            #expect(signedIn.header("set-cookie")?.contains("HttpOnly") == true)
            #expect(signedIn.header("set-cookie")?.contains("SameSite=Lax") == true)
            #expect(signedIn.header("set-cookie")?.contains("Max-Age") == false, "a session cookie unless remember me")
            #expect(try await browser.get("/targets").status == 200)
            // The planted (pre-login) id is worthless now.
            let attacker = WebBrowser(server)
            attacker.cookie = before
            #expect(try await attacker.get("/targets").status == 303)

            for next in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
                let other = WebBrowser(server)
                let page = try await other.signIn(next: next)
                #expect(page.header("location") == "/", "next=\(next) must not leave the site")
            }
            let remembered = WebBrowser(server)
            let page = try await remembered.signIn(remember: true)
            #expect(page.header("set-cookie")?.contains("Max-Age=2592000") == true)

            let out = try await browser.post("/logout", [])
            #expect(out.status == 303)
            browser.cookie = after
            #expect(try await browser.get("/targets").status == 303, "a signed-out session is gone")
        }
    }

    @Test func fiveFailedSignInsLockTheAddressOutWithA429() async throws {
        try await withWebAdmin { server in
            let browser = WebBrowser(server)
            for attempt in 1...5 {
                let page = try await browser.signIn("wrong \(attempt)")
                #expect(page.status == 401, "\(page)")
                #expect(page.body.contains("Wrong user or password"))
            }
            let locked = try await browser.signIn()
            #expect(locked.status == 429, "\(locked)")
            #expect(locked.header("retry-after") != nil)
            #expect(browser.cookie.map { !$0.isEmpty } ?? true)
            #expect(try await browser.get("/targets").status == 303, "the right password during the lockout signs nobody in")
        }
    }

    @Test func aBcryptHashFromTheEnvFileSignsIn() async throws {
        let hash = try PasswordHash.bcrypt("s3cret-Pass", cost: 4)
        try await withWebAdmin(credentials: WebCredentials(username: "ops", passwordHash: hash, password: nil)) { server in
            let browser = WebBrowser(server)
            try await browser.get("/login")
            #expect(try await browser.post("/login", [("username", "ops"), ("password", "nope"), ("next", "/")]).status == 401)
            #expect(try await browser.post("/login", [("username", "admin"), ("password", "s3cret-Pass"), ("next", "/")]).status == 401)
            #expect(try await browser.post("/login", [("username", "ops"), ("password", "s3cret-Pass"), ("next", "/")]).status == 303)
        }
    }

    @Test func forgedPostsChangeNothing() async throws {
        try await withWebAdmin(prepare: [Self.target("keep")]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            try await browser.get("/targets")
            let id = try #require(try await server.targets().first?.id)
            let noToken = try await browser.post("/targets/\(id)/delete", [], csrf: .some(nil))
            #expect(noToken.status == 403, "\(noToken)")
            let wrongToken = try await browser.post("/targets/\(id)/delete", [], csrf: .some("0123456789abcdef"))
            #expect(wrongToken.status == 403)
            let crossSite = try await browser.post("/targets/\(id)/delete", [], headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(crossSite.status == 403)
            let forgedNew = try await browser.post("/targets/new", [("kind", "icmp"), ("host", "127.0.0.9"), ("name", "evil"), ("step", "save")], csrf: .some(nil))
            #expect(forgedNew.status == 403)
            #expect(try await server.targets().map(\.record.name) == ["keep"])
            // The same post with the page's token goes through.
            #expect(try await browser.post("/targets/\(id)/delete", []).status == 303)
            #expect(try await server.targets().isEmpty)
        }
    }

    @Test func whatAUserEnteredIsEscapedEverywhere() async throws {
        let hostile = "<script>alert(1)</script>\"'&"
        var fields = TargetFields()
        fields.name = "xss"
        fields.host = "127.0.0.1"
        fields.title = hostile
        fields.site = .some(hostile)
        fields.cachegroup = .some(hostile)
        fields.isActive = true
        fields.category = .some("default")
        try await withWebAdmin(prepare: [.createTarget(fields), .createCategory(CategoryRecord(name: "evil", displayName: hostile, description: hostile))]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            let id = try #require(try await server.targets().first?.id)
            for path in ["/", "/targets", "/targets/\(id)", "/targets/\(id)/edit", "/categories", "/targets?q=\(WebBrowser.encode(hostile))"] {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path): \(page)")
                #expect(!page.body.contains("<script>alert"), "\(path) renders a user's <script>")
                #expect(page.header("content-security-policy")?.contains("script-src 'self'") == true)
                #expect(page.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)
                #expect(page.header("x-content-type-options") == "nosniff")
                #expect(page.header("referrer-policy") == "same-origin")
                #expect(!page.body.contains("<script>") || page.body.components(separatedBy: "<script").count == 2, "\(path): only the one script tag of the layout")
            }
            #expect(try await browser.get("/targets").body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
    }

    @Test func addEditToggleAndDeleteATarget() async throws {
        try await withWebAdmin { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            try await browser.get("/targets/new")
            let checked = try await browser.post("/targets/new", [("kind", "icmp"), ("host", "127.0.0.1"), ("step", "check"), ("active", "1")])
            #expect(checked.status == 200, "\(checked)")
            #expect(try await server.targets().isEmpty, "checking a host saves nothing")
            let saved = try await browser.post("/targets/new", [("kind", "icmp"), ("host", "127.0.0.1"), ("name", "loop"), ("title", "Loopback"), ("category", "default"), ("step", "save"), ("active", "1")])
            #expect(saved.status == 303, "\(saved)")
            let created = try #require(try await server.targets().first)
            #expect(created.record.name == "loop")
            #expect(created.record.title == "Loopback")
            #expect(created.record.isActive)
            #expect(created.record.probe == "FPing")

            try await browser.get("/targets/\(created.id)/edit")
            let edited = try await browser.post("/targets/\(created.id)", [("name", "loop"), ("host", "127.0.0.2"), ("title", "Edited"), ("category", "default"), ("probe", "FPing"), ("site", "lab"), ("active", "1")])
            #expect(edited.status == 303, "\(edited)")
            let after = try #require(try await server.targets().first)
            #expect(after.record.host == "127.0.0.2")
            #expect(after.record.title == "Edited")
            #expect(after.record.site == "lab")

            try await browser.get("/targets")
            #expect(try await browser.post("/targets/\(created.id)/toggle", []).status == 303)
            #expect(try await server.targets().first?.record.isActive == false)
            #expect(try await browser.post("/targets/\(created.id)/delete", []).status == 303)
            #expect(try await server.targets().isEmpty)
        }
    }

    @Test func aRefusedEditSaysWhyAndKeepsTheTarget() async throws {
        try await withWebAdmin(prepare: [Self.target("one"), Self.target("two")]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            let two = try #require(try await server.targets().first { $0.record.name == "two" })
            try await browser.get("/targets/\(two.id)/edit")
            let page = try await browser.post("/targets/\(two.id)", [("name", "one"), ("host", "127.0.0.1"), ("title", ""), ("active", "1")])
            #expect(page.status == 422 || page.status == 409, "\(page)")
            #expect(page.body.contains("one"))
            #expect(try await server.targets().map(\.record.name).sorted() == ["one", "two"])
        }
    }

    @Test func bulkActionsAreAllOrNothing() async throws {
        try await withWebAdmin(prepare: (1...5).map { Self.target("t\($0)") } + [.createCategory(CategoryRecord(name: "moved"))]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            try await browser.get("/targets")
            let ids = try await server.targets().map(\.id)
            let move = try await browser.post("/targets/bulk", [("action", "move"), ("category", "moved"), ("ids", "\(ids[0])"), ("ids", "\(ids[1])")])
            #expect(move.status == 303, "\(move)")
            #expect(try await server.targets().filter { $0.record.category == "moved" }.count == 2)
            let off = try await browser.post("/targets/bulk", [("action", "deactivate"), ("ids", "\(ids[2])"), ("ids", "\(ids[3])")])
            #expect(off.status == 303)
            #expect(try await server.targets().filter { !$0.record.isActive }.map(\.id) == [ids[2], ids[3]])
            // One id that does not exist: nothing is deleted.
            let bad = try await browser.post("/targets/bulk", [("action", "delete"), ("ids", "\(ids[0])"), ("ids", "999999")])
            #expect(bad.status == 404 || bad.status == 422, "\(bad)")
            #expect(try await server.targets().count == 5)
            let delete = try await browser.post("/targets/bulk", [("action", "delete")] + ids.prefix(3).map { ("ids", "\($0)") })
            #expect(delete.status == 303)
            #expect(try await server.targets().map(\.record.name) == ["t4", "t5"])
        }
    }

    @Test func theTargetsPagePagesSortsAndFilters() async throws {
        try await withWebAdmin(prepare: (1...250).map { Self.target(String(format: "n%03d", $0), title: $0 % 2 == 0 ? "even" : "odd") }) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            let first = try await browser.get("/targets")
            #expect(first.body.contains("1–100 of 250"))
            #expect(first.body.contains(">n001<"))
            #expect(!first.body.contains(">n101<"))
            let descending = try await browser.get("/targets?sort=-name")
            #expect(descending.body.contains(">n250<"))
            #expect(!descending.body.contains(">n001<"))
            let even = try await browser.get("/targets?q=even")
            #expect(even.body.contains("of 125"))
            let csv = try await browser.get("/targets.csv?q=even")
            #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        }
    }

    @Test func aCategoryInUseCannotBeDeleted() async throws {
        try await withWebAdmin(prepare: [Self.target("a"), Self.target("b")]) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signIn()
            let page = try await browser.get("/categories")
            #expect(page.body.contains("<td>default</td>"))
            let catalog = try await server.api.gateway.catalog()
            let id = try #require(catalog.categories.first { $0.record.name == "default" }?.id)
            let refused = try await browser.post("/categories/\(id)/delete", [])
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.body.contains("2"), "the refusal gives the count of targets")
            #expect(try await server.api.gateway.catalog().categories.contains { $0.id == id })
            let added = try await browser.post("/categories", [("name", "new_one"), ("display_name", "New one")])
            #expect(added.status == 200, "\(added)")
            #expect(try await server.api.gateway.catalog().categories.contains { $0.record.name == "new_one" })
        }
    }
}
