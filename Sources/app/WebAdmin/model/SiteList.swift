import EventModel
import TargetStore

/// A top-sites list uploaded as a file, read into domains, most popular first. smoking-pi
/// fetched these itself (§2.6); here the admin downloads the list and uploads it, so the server
/// needs no outbound internet. The formats, told apart by the file's name and first bytes:
/// - Tranco: `rank,domain` CSV, or the ZIP Tranco serves it in (its first `.csv` entry);
/// - CrUX (zakird/crux-top-lists): CSV with an `origin` column (`https://www.example.com`),
///   plain or `.csv.gz`; origins are reduced to their host, repeats dropped;
/// - one domain per line, `#` starting a comment.
public enum SiteList {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// What was read: the first `limit` valid domains, and the entries that were not domains.
    public struct Sites: Sendable, Equatable {
        public var domains: [String]
        /// Entries skipped as not being host names (at most `rejectedShown` kept, for a message).
        public var rejected: [String]
        public var rejectedCount: Int
    }

    public static let rejectedShown = 20
    /// The most a file may inflate to: the full Tranco list (a million domains) is about 22 MB.
    public static let inflatedLimit = 256 * 1024 * 1024

    public static func read(_ bytes: [UInt8], fileName: String, limit: Int) throws(Failure) -> Sites {
        let text = try self.text(of: bytes, fileName: fileName)
        return select(entries(of: text), limit: limit)
    }

    /// The file's text: unzipped or gunzipped when it is a ZIP or gzip (by magic bytes, since a
    /// browser may rename a download).
    static func text(of bytes: [UInt8], fileName: String) throws(Failure) -> String {
        let name = fileName.lowercased()
        if bytes.starts(with: [0x50, 0x4b, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4b, 0x05, 0x06]) || name.hasSuffix(".zip") {
            return try textOfFirstCSV(inZip: bytes)
        }
        if bytes.starts(with: [0x1f, 0x8b]) || name.hasSuffix(".gz") {
            do {
                return String(decoding: try Inflate.decompress(bytes, framing: .gzip, limit: inflatedLimit), as: UTF8.self)
            } catch {
                throw Failure(description: "cannot gunzip '\(fileName)': \(error)")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func textOfFirstCSV(inZip bytes: [UInt8]) throws(Failure) -> String {
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes) } catch { throw Failure(description: "\(error)") }
        guard let entry = archive.entries.first(where: { $0.name.lowercased().hasSuffix(".csv") }) else {
            throw Failure(description: "the ZIP file holds no .csv file")
        }
        do { return String(decoding: try archive.contents(of: entry, limit: inflatedLimit), as: UTF8.self) } catch { throw Failure(description: "\(error)") }
    }

    /// The entries in file order, as the list has them (not yet checked).
    static func entries(of text: String) -> [String] {
        let records = CSVRecords.split(text).records.filter { record in
            let first = record.fields.first?.trimmingASCIISpaces() ?? ""
            return !first.isEmpty && !first.hasPrefix("#")
        }
        guard let first = records.first else { return [] }
        let header = first.fields.map { $0.trimmingASCIISpaces().lowercased() }
        if let origin = header.firstIndex(of: "origin") {
            return records.dropFirst().compactMap { $0.fields.indices.contains(origin) ? host(ofOrigin: $0.fields[origin]) : nil }
        }
        if let domain = header.firstIndex(of: "domain") {
            return records.dropFirst().compactMap { $0.fields.indices.contains(domain) ? $0.fields[domain] : nil }
        }
        // Tranco has no header: `1,google.com`. A line of one field is a bare domain.
        return records.map { record in
            record.fields.count >= 2 && Int(record.fields[0].trimmingASCIISpaces()) != nil ? record.fields[1] : record.fields[0]
        }
    }

    /// `https://www.example.com:443/path` → `www.example.com`; a bare host is kept as it is.
    static func host(ofOrigin origin: String) -> String {
        var rest = Substring(origin.trimmingASCIISpaces())
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let colon = rest.lastIndex(of: ":"), rest[rest.index(after: colon)...].allSatisfy(\.isNumber) { rest = rest[..<colon] }
        return String(rest)
    }

    /// The first `limit` distinct valid domains, lower-cased, without a trailing dot.
    static func select(_ entries: [String], limit: Int) -> Sites {
        var sites = Sites(domains: [], rejected: [], rejectedCount: 0)
        var seen: Set<String> = []
        for entry in entries {
            guard sites.domains.count < limit else { break }
            var domain = entry.trimmingASCIISpaces().lowercased()
            if domain.hasSuffix(".") { domain.removeLast() }
            guard isDomain(domain) else {
                sites.rejectedCount += 1
                if sites.rejected.count < rejectedShown { sites.rejected.append(entry) }
                continue
            }
            if seen.insert(domain).inserted { sites.domains.append(domain) }
        }
        return sites
    }

    /// A host name of at least two labels (a top-sites list holds no bare `localhost` or addresses).
    static func isDomain(_ text: String) -> Bool {
        !text.isEmpty && text.contains(".") && !IPLiteral.isValid(text) && TargetValidation.isValidHost(text)
    }
}
