@testable import LineProtocol
import NIOCore
import EventModel
import SmokeflowTesting
import Testing

@Suite struct LineProtocolEncoderTests {
    func encode(_ point: Point, precision: Precision = .nanoseconds) throws -> String {
        var encoder = LineProtocolEncoder(precision: precision)
        var buffer = ByteBuffer()
        try encoder.encode(point, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func escapesEachPartAsTheSpecSays() throws {
        let point = Point(
            measurement: "m e,a=s",
            tags: [.init("t k=,", "v a=l,ue"), .init("a", "1")],
            fields: [.init("f k=,", .string("say \"hi\" \\ there")), .init("n", .int(-3)), .init("u", .uint(7)), .init("b", .bool(true))],
            timestamp: 1_700_000_000_123_456_789
        )
        #expect(
            try encode(point)
                == #"m\ e\,a=s,a=1,t\ k\=\,=v\ a\=l\,ue f\ k\=\,="say \"hi\" \\ there",n=-3i,u=7u,b=true 1700000000123456789"# + "\n"
        )
    }

    @Test func sortsTagsByKeyInByteOrderAndOmitsEmptyValues() throws {
        let point = Point(
            measurement: "m", tags: [.init("b", "2"), .init("Z", "0"), .init("a", ""), .init("é", "x")],
            fields: [.init("f", .float(1))], timestamp: 1
        )
        #expect(try encode(point) == "m,Z=0,b=2,é=x f=1.0 1\n")
    }

    @Test func dropsNonFiniteFieldsAndCountsThem() throws {
        var encoder = LineProtocolEncoder()
        var buffer = ByteBuffer()
        try encoder.encode(
            Point(measurement: "m", fields: [.init("a", .float(.nan)), .init("b", .float(2.5)), .init("c", .float(-.infinity))], timestamp: 5),
            into: &buffer)
        // A point left without fields is refused, so the sink counts it as dropped, not written.
        #expect(throws: LineProtocolEncodingError(part: "fields", reason: .noFields)) {
            try encoder.encode(Point(measurement: "m", fields: [.init("a", .float(.infinity))], timestamp: 6), into: &buffer)
        }
        #expect(String(buffer: buffer) == "m b=2.5 5\n")
        #expect(encoder.droppedNonFiniteFields == 3)
        #expect(encoder.droppedPoints == 1)
    }

    @Test(arguments: [
        ("measurement", Point(measurement: "a\nb", fields: [.init("f", .int(1))], timestamp: 0)),
        ("tag value", Point(measurement: "m", tags: [.init("t", "x\ny")], fields: [.init("f", .int(1))], timestamp: 0)),
        ("tag key", Point(measurement: "m", tags: [.init("t\r", "x")], fields: [.init("f", .int(1))], timestamp: 0)),
        ("field key", Point(measurement: "m", fields: [.init("f\n", .int(1))], timestamp: 0)),
    ])
    func rejectsNewlinesInNamesAndTags(part: String, point: Point) throws {
        var encoder = LineProtocolEncoder()
        var buffer = ByteBuffer(string: "kept\n")
        #expect(throws: LineProtocolEncodingError(part: part, reason: .newline)) { try encoder.encode(point, into: &buffer) }
        #expect(String(buffer: buffer) == "kept\n", "a rejected point leaves nothing behind")
    }

    @Test func rejectsABackslashThatWouldReadAsAnEscape() throws {
        let trailing = Point(measurement: "m", tags: [.init("t", "ends\\")], fields: [.init("f", .int(1))], timestamp: 0)
        #expect(throws: LineProtocolEncodingError(part: "tag value", reason: .ambiguousBackslash)) { try encode(trailing) }
        let literal = Point(measurement: "m", tags: [.init("t", "C:\\path")], fields: [.init("f", .int(1))], timestamp: 0)
        #expect(try encode(literal) == "m,t=C:\\path f=1i 0\n")
    }

    @Test func writesExtremeNumbers() throws {
        let point = Point(
            measurement: "m",
            fields: [
                .init("a", .float(.leastNonzeroMagnitude)), .init("b", .float(1.7976931348623157e308)), .init("c", .float(-0.0)),
                .init("d", .int(.min)), .init("e", .int(.max)), .init("f", .uint(.max)), .init("g", .float(100)),
            ],
            timestamp: -1
        )
        #expect(
            try encode(point)
                == "m a=5e-324,b=1.7976931348623157e+308,c=-0.0,d=-9223372036854775808i,e=9223372036854775807i,f=18446744073709551615u,g=100.0 -1\n"
        )
    }

    /// The encoder calls the runtime's float formatter directly; it must stay `description`.
    @Test func floatsAreShortestRoundTripLikeDescription() throws {
        var generator = SplitMix64(seed: 42)
        var buffer = ByteBuffer()
        for index in 0..<200_000 {
            let value: Double
            switch index % 3 {
            case 0: value = Double(bitPattern: generator.next())
            case 1: value = Double(generator.next() % 100_000_000) / 1e7
            default: value = Double(generator.next() % 1000)
            }
            guard value.isFinite else { continue }
            buffer.clear()
            buffer.writeLineProtocolFloat(value)
            let text = String(buffer: buffer)
            #expect(text == value.description)
            #expect(Double(text)?.bitPattern == value.bitPattern)
        }
    }

    @Test func scalesTimestampsToThePrecision() throws {
        let point = Point(measurement: "m", fields: [.init("f", .bool(false))], timestamp: 1_700_000_000_999_999_999)
        #expect(try encode(point, precision: .seconds) == "m f=false 1700000000\n")
        #expect(try encode(point, precision: .milliseconds) == "m f=false 1700000000999\n")
        #expect(try encode(point, precision: .microseconds) == "m f=false 1700000000999999\n")
    }
}

/// A small deterministic generator, so property tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
