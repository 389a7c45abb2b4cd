public import Foundation

/// A cron expression (`minute hour day-of-month month day-of-week`, or `@hourly`, `@daily`,
/// `@weekly`, `@monthly`) evaluated in a time zone, UTC by default. Fields take `*`, `N`,
/// `A-B`, lists `A,B` and steps `*/N`, `A-B/N`; day-of-week 0 or 7 is Sunday. When both day
/// fields are restricted, a day matching either runs (as in Vixie cron).
public struct CronSchedule: Sendable, CustomStringConvertible {
    public let expression: String
    public let timeZone: TimeZone
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public struct InvalidExpression: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(InvalidExpression) {
        let macros = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *"]
        let text = macros[expression.trimmingCharacters(in: .whitespaces)] ?? expression
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw InvalidExpression(description: "a schedule has five fields (minute hour day month weekday) or is @hourly/@daily/@weekly/@monthly")
        }
        self.expression = expression
        self.timeZone = timeZone
        minutes = try Self.field(fields[0], 0...59, "minute")
        hours = try Self.field(fields[1], 0...23, "hour")
        days = try Self.field(fields[2], 1...31, "day of month")
        months = try Self.field(fields[3], 1...12, "month")
        weekdays = Set(try Self.field(fields[4], 0...7, "day of week").map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    public var description: String { "\(expression) (\(timeZone.identifier))" }

    static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String) throws(InvalidExpression) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let span = pieces.first else { throw InvalidExpression(description: "bad \(name) field '\(text)'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw InvalidExpression(description: "bad step in \(name) field '\(text)'") }
                step = parsed
            }
            var bounds = range
            if span != "*" {
                let ends = span.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(ends.count), let low = ends[0], let high = ends.count == 2 ? ends[1] : (pieces.count == 2 ? range.upperBound : low),
                    range.contains(low), range.contains(high), low <= high
                else { throw InvalidExpression(description: "\(name) field '\(text)' must be within \(range.lowerBound)-\(range.upperBound)") }
                bounds = low...high
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// The first time strictly after `date` (to the minute) the schedule fires.
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var time = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        for _ in 0..<200_000 {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: time)
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute, let weekday = parts.weekday else {
                return nil
            }
            if !months.contains(month) {
                time = calendar.date(from: DateComponents(year: parts.year, month: month + 1, day: 1))!
            } else if !dayMatches(day: day, weekday: weekday - 1) {
                time = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: time))!
            } else if !hours.contains(hour) {
                // To the next local hour by elapsed time: rebuilding the hour from its components
                // would, on the hour a fall-back repeats, land on its first occurrence again and
                // loop. A skipped hour (spring forward) is skipped, as the clock does.
                time += TimeInterval(3600 - minute * 60)
            } else if !minutes.contains(minute) {
                time += 60
            } else {
                return time
            }
        }
        return nil
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}
