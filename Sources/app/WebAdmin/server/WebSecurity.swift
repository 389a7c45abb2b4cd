import HTTPTypes
import Hummingbird

/// What every answer of the web admin carries: no inline script, no framing, no sniffing.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebContext
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Finds the session of the cookie; sends a browser that is not signed in to the login page
/// (401 JSON under /api), and refuses a state-changing request whose CSRF token is missing or
/// wrong, or that a browser says came from another site.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let sessions: WebSessions

    static let cookieName = "smokeflow_session"
    static let publicPrefixes = ["/login", "/assets/", "/health"]

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var context = context
        context.session = sessions.find(request.cookies[Self.cookieName]?.value)
        let path = request.uri.path
        let isPublic = Self.publicPrefixes.contains { path == $0 || path.hasPrefix($0) && $0.hasSuffix("/") }
        if !isPublic, context.session?.signedIn != true {
            if path.hasPrefix("/api/") { return WebPage.json(status: .unauthorized, ["error": "authentication required"]) }
            return WebPage.redirect(to: "/login?next=" + WebPage.percentEncoded(request.uri.description))
        }
        if ![.get, .head, .options].contains(request.method) {
            if let refusal = Self.crossSiteRefusal(request, context: context) { return refusal }
        }
        return try await next(request, context)
    }

    /// A forged post fails here: no token (or the wrong one) for this session, or a browser's
    /// `Sec-Fetch-Site: cross-site`. The form's token is checked by the handler that read the
    /// form (`WebPage.requireCSRF`); JavaScript sends it as `X-CSRF-Token`.
    static func crossSiteRefusal(_ request: Request, context: WebContext) -> Response? {
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" {
            return WebPage.forbidden("a request from another site is refused")
        }
        guard context.session != nil else { return WebPage.forbidden("your session expired; reload the page and try again") }
        return nil
    }
}
