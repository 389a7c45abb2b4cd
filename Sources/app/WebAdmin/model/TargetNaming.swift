/// A target name made from a host the way smoking-pi's add form fills its name field (§2.4 of
/// the replaced system): `www.Example.co.uk` → `www_example`, `1.1.1.1` → `site_1_1_1_1`.
/// Every name it makes matches the add form's rule `^[a-zA-Z][a-zA-Z0-9_]{0,29}$`, which is
/// stricter than SmokePing's `[-_0-9a-zA-Z]+`, so the name is good in both.
public enum TargetNaming {
    public static let maximumLength = 30
    public static let fallback = "target"

    /// One of these is stripped from the end (`.co.uk` is tried before `.co`, or `example.co.uk`
    /// would keep its `.uk`). Only from the end: `mail.company.com` must not lose the `.com` of
    /// `.company`.
    static let strippedSuffixes = [".com", ".org", ".net", ".edu", ".gov", ".co.uk", ".io", ".co"]

    /// The name for `host` (a host name or an IP address).
    public static func name(for host: String) -> String {
        var text = host.lowercased()
        if let suffix = strippedSuffixes.first(where: { text.hasSuffix($0) }) { text.removeLast(suffix.count) }
        var name = ""
        for scalar in text.unicodeScalars {
            if scalar == "." || scalar == "-" {
                name.append("_")
            } else if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" {
                name.unicodeScalars.append(scalar)
            }
        }
        if let first = name.unicodeScalars.first, ("0"..."9").contains(first) { name = "site_" + name }
        name = String(name.prefix(maximumLength))
        // smoking-pi falls back only on an empty name; a name left starting with `_` (`-foo`,
        // `.io`) would fail its own rule, so it falls back too.
        return isValid(name) ? name : fallback
    }

    /// `base`, or `base_2`, `base_3`… (cut so the whole stays within 30 characters), the first
    /// not in `taken`.
    public static func unique(_ base: String, taken: Set<String>) -> String {
        if !taken.contains(base) { return base }
        var number = 2
        while true {
            let suffix = "_\(number)"
            let candidate = String(base.prefix(maximumLength - suffix.count)) + suffix
            if !taken.contains(candidate) { return candidate }
            number += 1
        }
    }

    /// The add form's rule: a letter, then at most 29 letters, digits or `_`.
    public static func isValid(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, scalars.count <= maximumLength, first.isASCIILetter else { return false }
        return scalars.dropFirst().allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "_" }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
