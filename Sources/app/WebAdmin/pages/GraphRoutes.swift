import ConfigManager
import Foundation
import Hummingbird

extension WebAdmin.Routes {
    /// `/graphs/12.svg?range=30h` (or `range=START-END` in Unix seconds, `compact=1` for the
    /// dashboard's small ones) and `/graphs/12.png`.
    func registerGraphs(_ router: Router<WebContext>) {
        router.get("/graphs/:file") { request, context in
            guard let file = context.parameters.get("file"), let dot = file.lastIndex(of: "."), let id = Int(file[..<dot]) else {
                throw WebRefusal(status: .notFound, message: "no such graph")
            }
            let format = file[file.index(after: dot)...]
            guard format == "svg" || format == "png" else { throw WebRefusal(status: .notFound, message: "graphs are .svg or .png") }
            var query = TargetQuery()
            query.id = id
            guard let target = try await gateway.targets(matching: query).targets.first else { throw WebRefusal(status: .notFound, message: "no target with id \(id)") }
            guard let graphs else { throw WebRefusal(status: .notFound, message: "graphs are off: serve has no --rrd-dir or InfluxDB to read rounds from") }
            let window = try GraphTime.window(request.uri.queryParameters["range"].map(String.init))
            let compact = request.uri.queryParameters["compact"] == "1"
            if format == "png" {
                let bytes = try await graphs.png(for: target, window: window)
                return Response(
                    status: .ok, headers: [.contentType: "image/png", .cacheControl: "private, max-age=60"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            let svg = try await graphs.svg(for: target, window: window, compact: compact)
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "private, max-age=60"],
                body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }
}

/// Graph ranges from the query string and the custom-range form.
enum GraphTime {
    static func window(_ text: String?) throws -> GraphWindow {
        guard let text, !text.isEmpty else { return .preset(.hours30) }
        if let preset = GraphWindow.Preset(rawValue: text) { return .preset(preset) }
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]), start < end, end - start <= 20 * 365 * 86400 else {
            throw WebRefusal(status: .badRequest, message: "range must be 3h, 30h, 10d, 1y or START-END in Unix seconds")
        }
        return .custom(start: start, end: end)
    }

    /// A `datetime-local` value (`2026-12-01T10:30`) in the server's time zone.
    static func parseLocal(_ text: String) -> Int? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970) }
        }
        return nil
    }
}
