/// Nanoseconds since 1970 as RFC 3339 UTC with milliseconds (`2026-12-02T15:37:45.123Z`),
/// without a formatter or the C library's time zone state: log lines, alert notifications.
public enum RFC3339 {
    public static func string(_ nanoseconds: Int64) -> String {
        var output = ""
        appendTime(nanoseconds, to: &output)
        return output
    }

    public static func appendTime(_ nanoseconds: Int64, to output: inout String) {
        let milliseconds = nanoseconds.floorDivided(by: 1_000_000)
        let seconds = milliseconds.floorDivided(by: 1000)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        append(year, width: 4, to: &output)
        output.append("-")
        append(month, width: 2, to: &output)
        output.append("-")
        append(day, width: 2, to: &output)
        output.append("T")
        append(secondOfDay / 3600, width: 2, to: &output)
        output.append(":")
        append(secondOfDay / 60 % 60, width: 2, to: &output)
        output.append(":")
        append(secondOfDay % 60, width: 2, to: &output)
        output.append(".")
        append(milliseconds - seconds * 1000, width: 3, to: &output)
        output.append("Z")
    }

    /// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func append(_ value: Int64, width: Int, to output: inout String) {
        let digits = String(value)
        if digits.utf8.count < width { output.append(String(repeating: "0", count: width - digits.utf8.count)) }
        output.append(digits)
    }
}
