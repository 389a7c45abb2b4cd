public import AsyncHTTPClient
import Foundation
public import NIOCore

/// Whether an InfluxDB the pipeline names answers with its credentials, before any point is
/// written (`smokeflow doctor`). Reads only: `SHOW DATABASES` (v1) or the bucket list (v2).
/// What it says names the server as `scheme://host:port` and never a credential.
public enum InfluxServerCheck {
    public enum Outcome: Sendable, Equatable {
        case ok(String)
        case problem(String, fix: String)
    }

    /// `database` (v1) or `bucket` (v2), when given, must exist and be visible to the credentials.
    public static func check(
        _ options: InfluxServerOptions, v2: Bool, database: String?, org: String?, bucket: String?, client: HTTPClient,
        timeout: TimeAmount = .seconds(5)
    ) async -> Outcome {
        let server: InfluxServer
        do { server = try options.server() } catch { return .problem("url is not a valid http(s) URL", fix: "set url to http://HOST:8086") }
        let name = server.displayName
        let path = v2 ? "/api/v2/buckets" : "/query"
        let query = v2 ? [URLQueryItem(name: "name", value: bucket), URLQueryItem(name: "org", value: org)].filter { $0.value != nil }
            : [URLQueryItem(name: "q", value: "SHOW DATABASES")]
        let status: UInt
        let body: ByteBuffer
        do {
            let response = try await client.execute(server.request(try server.url(path, query: query), method: .GET), timeout: timeout)
            status = response.status.code
            body = try await InfluxServer.readBody(response.body)
        } catch {
            return .problem(
                "\(name) does not answer: \(server.redacted(String(describing: error)))",
                fix: "start InfluxDB there, or correct the url (and the firewall between)")
        }
        switch status {
        case 200..<300:
            return found(Data(body.readableBytesView), name: name, v2: v2, database: database, bucket: bucket)
        case 401, 403:
            return .problem(
                "\(name) refused the credentials (HTTP \(status)): \(server.message(from: body))",
                fix: v2 ? "check the token (INFLUX_TOKEN) and its access to the bucket" : "check username and password (INFLUX_PASSWORD)")
        case 404 where v2:
            // victoria-metrics takes /api/v2/write but has no bucket API: it answered, which is what can be known.
            return .ok("\(name) answers (it has no /api/v2/buckets, so the token is checked at the first write)")
        default:
            return .problem("\(name) answered HTTP \(status) to \(path): \(server.message(from: body))", fix: "check that the url is InfluxDB's")
        }
    }

    private static func found(_ body: Data, name: String, v2: Bool, database: String?, bucket: String?) -> Outcome {
        let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
        if v2 {
            guard let bucket else { return .ok("\(name) accepts the token") }
            let buckets = (object?["buckets"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            return buckets.contains(bucket)
                ? .ok("\(name) accepts the token; bucket '\(bucket)' exists")
                : .problem("\(name) has no bucket '\(bucket)' the token can see", fix: "create it (influx bucket create -n \(bucket)) or grant the token access")
        }
        let results = object?["results"] as? [[String: Any]]
        let series = results?.first?["series"] as? [[String: Any]]
        let names = (series?.first?["values"] as? [[Any]])?.compactMap { $0.first as? String } ?? []
        guard let database else { return .ok("\(name) accepts the credentials") }
        return names.contains(database)
            ? .ok("\(name) accepts the credentials; database '\(database)' exists")
            : .problem("\(name) has no database '\(database)' these credentials can see", fix: "create it: influx -execute 'CREATE DATABASE \(database)'")
    }
}
