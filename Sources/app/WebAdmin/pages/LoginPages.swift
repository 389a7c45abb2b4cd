import HTTPTypes
import Hummingbird

extension WebAdmin.Routes {
    func registerLogin(_ router: Router<WebContext>) {
        router.get("/health") { _, _ in WebPage.json(["status": "ok", "app": "smokeflow-web"]) }
        router.get("/login") { request, context in
            try loginPage(context: context, next: request.uri.queryParameters["next"].map(String.init), error: nil, username: "")
        }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            _ = try await WebPage.form(request, context)
            if let session = context.session { sessions.end(session) }
            return WebPage.redirect(to: "/login", cookies: [expiredCookie])
        }
    }

    /// The login form, with an anonymous session for its CSRF token when the browser has none.
    func loginPage(context: WebContext, next: String?, error: String?, username: String, status: HTTPResponse.Status = .ok) throws -> Response {
        var context = context
        var cookies: [String] = []
        if context.session == nil {
            let session = try sessions.anonymous()
            context.session = session
            cookies.append(sessionCookie(session))
        }
        var response = pages.render("login", title: "Sign in", context: context, [
            "next": WebPage.localPath(next), "error": error ?? "", "username": username,
            "not_configured": !settings.credentials.configured,
        ], status: status)
        for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func login(_ request: Request, _ context: WebContext) async throws -> Response {
        let address = context.remoteAddress
        if let seconds = throttle.lockedFor(address) {
            var response = try loginPage(context: context, next: nil, error: "Too many failed sign-ins from your address: try again in \(seconds) seconds.", username: "", status: .tooManyRequests)
            response.headers[.retryAfter] = "\(seconds)"
            return response
        }
        let form: FormFields
        do {
            form = try await WebPage.form(request, context, limit: 64 * 1024)
        } catch let refusal as WebRefusal {
            return try loginPage(context: context, next: nil, error: refusal.message, username: "", status: refusal.status)
        }
        let username = form["username"] ?? ""
        let next = WebPage.localPath(form["next"])
        guard settings.credentials.configured, await settings.credentials.verify(username: username, password: form["password"] ?? "") else {
            throttle.failed(address)
            logger.notice("web admin sign-in failed", metadata: ["address": "\(address)"])
            return try loginPage(context: context, next: next, error: "Wrong user or password.", username: username, status: .unauthorized)
        }
        throttle.succeeded(address)
        // A new session nonce at every sign-in: an id planted before it (fixation) is worthless.
        let session = try sessions.signIn(settings.credentials.username, replacing: context.session, remember: form["remember"] == "1")
        logger.notice("web admin sign-in", metadata: ["address": "\(address)", "user": "\(settings.credentials.username)"])
        return WebPage.redirect(to: next, cookies: [sessionCookie(session)])
    }

    func registerAssets(_ router: Router<WebContext>) {
        router.get("/assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let (type, text) = EmbeddedWebFiles.assets[name] else {
                throw WebRefusal(status: .notFound, message: "no such asset")
            }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
