@testable import LineProtocol
import Foundation
import NIOCore
import EventModel
import SmokeflowTesting
import Testing

@Suite struct LineProtocolParserTests {
    @Test func parsesEscapesTypesAndComments() throws {
        let text = """
            # a comment
            m\\ e\\,a=s,t\\ k=v\\=1 f="q\\"u\\\\o",i=-5i,u=5u,b=t,x=1.5e3 42

            cpu v=1 43
            """
        let points = try LineProtocolParser.parse(text)
        try #require(points.count == 2)
        #expect(points[0].measurement == "m e,a=s")
        #expect(points[0].tags == [.init("t k", "v=1")])
        #expect(points[0].fields == [
            .init("f", .string("q\"u\\o")), .init("i", .int(-5)), .init("u", .uint(5)), .init("b", .bool(true)), .init("x", .float(1500)),
        ])
        #expect(points[1].timestamp == 43)
    }

    @Test(arguments: [
        ("m f=1 1\nm,t f=1 2\n", 2, 4, "missing '=' after tag key"),
        ("m f=1 1\nm f=abc 2\n", 2, 5, "invalid field value"),
        ("m f=1 1\nm f=1 12x\n", 2, 7, "invalid timestamp"),
        ("m f=\"open 1\n", 1, 5, "unterminated string field"),
        ("m f=1\n", 1, 1, "point has no timestamp"),
        ("m f=inf 1\n", 1, 5, "invalid field value"),
        ("m f=1 1\nm f=1e400 2\n", 2, 5, "float field value out of range"),
        ("m g=2,f=-1.5e309 1\n", 1, 9, "float field value out of range"),
        ("m,t= f=1 1\n", 1, 5, "missing tag value"),
    ])
    func reportsLineAndColumn(text: String, line: Int, column: Int, message: String) {
        #expect(throws: LineProtocolParseError(line: line, column: column, message: message)) {
            try LineProtocolParser.parse(text)
        }
    }

    @Test func parseOfEncodeIsIdentityForGeneratedPoints() throws {
        var generator = SplitMix64(seed: 7)
        var encoder = LineProtocolEncoder()
        var buffer = ByteBuffer()
        var expected: [Point] = []
        for _ in 0..<3000 {
            let point = Point.random(using: &generator)
            try encoder.encode(point, into: &buffer)
            expected.append(point)
        }
        let text = String(buffer: buffer)
        #expect(try LineProtocolParser.parse(text) == expected)

        // Fed in arbitrary chunks, the incremental parser gives the same points.
        var parser = LineProtocolParser()
        var points: [Point] = []
        var pending: [UInt8] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let size = Int(generator.next() % 300) + 1
            pending += bytes[offset..<min(offset + size, bytes.count)]
            offset += size
            let consumed = try pending.withUnsafeBufferPointer { try parser.parse($0, isFinal: false, into: &points) }
            pending.removeFirst(consumed)
        }
        _ = try pending.withUnsafeBufferPointer { try parser.parse($0, isFinal: true, into: &points) }
        #expect(points == expected)
    }
}

extension Point {
    /// Names drawn from an alphabet full of the characters line protocol escapes.
    static func random(using generator: inout SplitMix64) -> Point {
        let alphabet: [String] = ["a", "Z", "0", " ", ",", "=", "\"", "\\", "é", "😀", "_", "-", "."]
        func name(_ generator: inout SplitMix64, allowEquals: Bool = true) -> String {
            while true {
                let length = Int(generator.next() % 8) + 1
                let text = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
                // The encoder refuses a backslash before a separator or at the end; skip those.
                let bytes = Array(text.utf8)
                let ambiguous = bytes.indices.contains { index in
                    bytes[index] == UInt8(ascii: "\\")
                        && (index == bytes.count - 1 || [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "=")].contains(bytes[index + 1]))
                }
                if !ambiguous && !text.hasPrefix("#") { return text }
            }
        }
        let tagCount = Int(generator.next() % 4)
        var tags: [Tag] = []
        for _ in 0..<tagCount { tags.append(Tag(name(&generator), name(&generator))) }
        var fields: [Field] = []
        var keys: Set<String> = []
        for _ in 0..<(Int(generator.next() % 5) + 1) {
            let key = name(&generator)
            guard keys.insert(key).inserted else { continue }
            let value: FieldValue
            switch generator.next() % 5 {
            case 0:
                var double = Double(bitPattern: generator.next())
                if !double.isFinite { double = 0 }
                value = .float(double)
            case 1: value = .int(Int64(bitPattern: generator.next()))
            case 2: value = .uint(generator.next())
            case 3: value = .bool(generator.next() % 2 == 0)
            default: value = .string(name(&generator) + "\n\t" + name(&generator))
            }
            fields.append(Field(key, value))
        }
        return Point(measurement: name(&generator), tags: tags, fields: fields, timestamp: Int64(bitPattern: generator.next()))
    }
}

@Suite struct FastFloatTests {
    /// The strtod-free path must give exactly what strtod gives, or decline.
    @Test func agreesWithStrtodOrDeclines() {
        var generator = SplitMix64(seed: 99)
        var declined = 0
        for index in 0..<300_000 {
            let text: String
            switch index % 4 {
            case 0: text = Double(bitPattern: generator.next()).description
            case 1: text = String(Double(generator.next() % 1_000_000_000) / 1e7)
            case 2: text = "\(generator.next() % 100_000).\(generator.next() % 1_000_000_000_000)"
            default: text = "\(Int64(bitPattern: generator.next()) % 1_000_000)e\(Int(generator.next() % 40) - 20)"
            }
            let expected = strtod(text, nil)
            guard expected.isFinite else { continue }
            let parsed = Array(text.utf8).withUnsafeBufferPointer { FastFloat.parse($0) }
            if let parsed {
                #expect(parsed.bitPattern == expected.bitPattern, "\(text)")
            } else {
                declined += 1
            }
        }
        #expect(declined < 150_000, "the fast path should take most ordinary numbers")
    }
}
