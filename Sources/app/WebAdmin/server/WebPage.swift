import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// A refusal a handler throws: answered as a page (or JSON under /api) with its status.
struct WebRefusal: Error {
    var status: HTTPResponse.Status
    var message: String
}

/// The templates (embedded in the binary) and the answers pages give.
struct WebPage: Sendable {
    let library: MustacheLibrary
    /// Whether graphs can be drawn: pages show no image that could only fail.
    let graphsOn: Bool

    init(graphsOn: Bool) throws {
        self.graphsOn = graphsOn
        var library = MustacheLibrary()
        for (name, text) in EmbeddedWebFiles.templates {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// `template` inside the layout, with the session's CSRF token and the navigation.
    func render(_ template: String, title: String, context: WebContext, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["page_title"] = title
        values["csrf_token"] = context.session?.csrfToken ?? ""
        values["signed_in"] = context.session?.signedIn == true
        values["user"] = context.session?.user ?? ""
        values["nav_" + template] = true
        values["graphs_on"] = graphsOn
        values = Self.withoutEmptyText(values)
        let body = library.render(values, withTemplate: template) ?? "template \(template) is missing"
        var page = values
        page["body"] = body
        let html = library.render(page, withTemplate: "layout") ?? body
        return Self.html(html, status: status)
    }

    /// Mustache treats "" as true in a section (`{{#flash}}`): an empty text is left out instead,
    /// which renders the same where it is printed.
    static func withoutEmptyText(_ values: [String: Any]) -> [String: Any] {
        var cleaned: [String: Any] = [:]
        for (key, value) in values {
            switch value {
            case let text as String where text.isEmpty: continue
            case let nested as [String: Any]: cleaned[key] = withoutEmptyText(nested)
            case let list as [[String: Any]]: cleaned[key] = list.map(withoutEmptyText)
            default: cleaned[key] = value
            }
        }
        return cleaned
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(status: HTTPResponse.Status = .ok, _ value: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func redirect(to location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func forbidden(_ message: String) -> Response {
        html("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Refused</title></head><body><h1>Refused</h1><p>\(escape(message))</p></body></html>", status: .forbidden)
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The form of a state-changing request, once its CSRF token (form field `csrf_token` or
    /// header `X-CSRF-Token`) matched the session's: every handler that changes anything
    /// reads its input through here, so none can forget the check.
    static func form(_ request: Request, _ context: WebContext, limit: Int = 32 * 1024 * 1024) async throws -> FormFields {
        let buffer = try await request.body.collect(upTo: limit)
        let bytes = Array(buffer.readableBytesView)
        let contentType = request.headers[.contentType] ?? ""
        let fields: FormFields
        if contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = contentType.split(separator: ";").compactMap({ piece -> String? in
                let trimmed = piece.trimmingCharacters(in: " ")
                return trimmed.hasPrefix("boundary=") ? String(trimmed.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
            }).first,
            let parsed = FormFields(multipart: bytes, boundary: boundary)
        {
            fields = parsed
        } else {
            fields = FormFields(urlEncoded: String(decoding: bytes, as: UTF8.self))
        }
        let token = request.headers[HTTPField.Name("X-CSRF-Token")!] ?? fields["csrf_token"]
        guard let session = context.session, session.checksCSRF(token) else {
            throw WebRefusal(status: .forbidden, message: "the form's security token is missing or wrong (a cross-site request?); reload the page and try again")
        }
        return fields
    }

    /// `next` after login: a local path only (one leading slash, no scheme, no host).
    static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.contains("\\"), !next.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return "/" }
        return next
    }
}
