import Foundation

/// The host's time zone, as the system tools know it: `timedatectl`, `/etc/timezone`, the
/// `/etc/localtime` link into the zoneinfo tree, else UTC.
public enum TimeZoneDetection {
    /// `root` is "/" on a real host; tests give a tree of their own (and no timedatectl).
    public static func detect(root: String = "/", timedatectl: String? = "/usr/bin/timedatectl") -> String {
        if let timedatectl, FileManager.default.isExecutableFile(atPath: timedatectl),
            let output = try? run(timedatectl, ["show", "--property=Timezone", "--value"]), isZoneName(output)
        {
            return output
        }
        let etc = (root as NSString).appendingPathComponent("etc")
        if let text = try? String(contentsOfFile: etc + "/timezone", encoding: .utf8) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if isZoneName(name) { return name }
        }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: etc + "/localtime"),
            let range = target.range(of: "zoneinfo/")
        {
            let name = String(target[range.upperBound...])
            if isZoneName(name) { return name }
        }
        return "UTC"
    }

    /// An IANA name such as Europe/Berlin or UTC: letters, digits and `/_+-`, no `..`.
    static func isZoneName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.contains("..")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return "" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
