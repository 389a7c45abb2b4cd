/// The `rrdtool graph` arguments SmokePing's detail graph uses (Smokeping.pm: DEF/CDEF per ping,
/// `smokecol`'s AREA + STACK pairs, the median and its loss-coloured bars), for comparing our
/// picture and our speed against SmokePing's own on the same file. Times in the file are seconds.
public enum SmokePingRecipe {
    public static func arguments(
        rrd: String, output: String, pings: Int, start: Int, end: Int, width: Int = 600, height: Int = 200,
        maxSeconds: Double, title: String
    ) -> [String] {
        var arguments = [
            "graph", output, "--start", String(start), "--end", String(end),
            "--height", String(height), "--width", String(width), "--title", title,
            "--rigid", "--upper-limit", String(maxSeconds), "--lower-limit", "0",
            "--vertical-label", "Seconds", "--imgformat", "PNG",
            "--color", "SHADEA#ffffff", "--color", "SHADEB#ffffff", "--color", "BACK#ffffff", "--color", "CANVAS#ffffff",
        ]
        // rrd paths with colons must be escaped for DEFs.
        let file = rrd.replacingColons()
        arguments += (1...pings).map { "DEF:ping\($0)=\(file):ping\($0):AVERAGE" }
        arguments += (1...pings).map { "CDEF:cp\($0)=ping\($0),\(maxSeconds),LT,ping\($0),INF,IF" }
        arguments.append("DEF:loss=\(file):loss:AVERAGE")
        arguments += smoke(pings: pings)
        let barHalfHeight = maxSeconds / Double(height)
        arguments += ["DEF:median=\(file):median:AVERAGE", "CDEF:ploss=loss,\(pings),/,100,*", "LINE1:median#202020"]
        var last = -1
        for bin in LossColors(pings: pings).bins {
            let key = bin.upTo
            arguments += [
                "CDEF:me\(key)=loss,\(last),GT,loss,\(key),LE,*,1,UNKN,IF,median,*",
                "CDEF:meL\(key)=me\(key),\(barHalfHeight),-",
                "CDEF:meH\(key)=me\(key),0,*,\(barHalfHeight),2,*,+",
                "AREA:meL\(key)",
                "STACK:meH\(key)\(bin.color):\(bin.label)",
            ]
            last = key
        }
        arguments += ["HRULE:0#000000", "COMMENT:probe\\: \(pings) pings every step"]
        return arguments
    }

    /// Pair i (1 = outermost) as an invisible AREA to the lower ping and a grey STACK to the upper.
    static func smoke(pings: Int) -> [String] {
        guard pings > 2 else { return [] }
        var items: [String] = []
        var bottom = 1, top = pings
        while top > bottom {
            let grey = SVGText.grey(SmokeBands.greyLevel(pair: bottom, pings: pings))
            items += ["CDEF:smoke\(bottom)=cp\(bottom),UN,UNKN,cp\(top),cp\(bottom),-,IF", "AREA:cp\(bottom)", "STACK:smoke\(bottom)\(grey)"]
            bottom += 1
            top -= 1
        }
        return items
    }
}

extension String {
    func replacingColons() -> String {
        var out = ""
        for character in self { out += character == ":" ? "\\:" : String(character) }
        return out
    }
}
