"""The names a dashboard query may use, read from docs/schema.md and docs/metrics.md, for
scripts/lib/check-dashboards.py. The documents' tables are the only source: a name they lack
is refused, so a dashboard cannot drift from what smokeflow writes.
"""
import re

INFLUXQL_WORDS = {
    "select", "from", "where", "and", "or", "group", "by", "time", "fill", "null", "none", "previous", "linear", "limit",
    "slimit", "offset", "order", "asc", "desc", "as", "not", "tz", "into",
    "mean", "median", "min", "max", "count", "sum", "percentile", "last", "first", "spread", "stddev", "mode", "distinct",
    "difference", "derivative", "non_negative_derivative", "moving_average", "cumulative_sum", "integral", "top", "bottom",
}
WINDOW = r"\d+(?:ms|s|m|h|d|w)"


def backticked(cell):
    """The names a table cell lists: `ping_1` … `ping_N` becomes a pattern, `_min` after
    `resolution_time` a suffix of it; names in parentheses (placeholders) are left out."""
    names, last = [], None
    for name in re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", cell)):
        if name == "ping_N":
            names.append(r"ping_\d+")
        elif name.startswith("_") and last:
            names.append(re.escape(last + name))
        elif re.fullmatch(r"\w+", name):
            names.append(re.escape(name))
            last = name
    return [n for n in names if n != "ping_1"]


def unit_of(text):
    text = text.strip().lower()
    if text.startswith(("milliseconds", "ms")):
        return "ms"
    if text.startswith("percent"):
        return "percent"
    return None


class SchemaNames:
    """Per measurement: its tags and its fields (patterns) with their units."""

    def __init__(self, text):
        sections = {}
        for chunk in re.split(r"^## ", text, flags=re.M)[1:]:
            heading, _, body = chunk.partition("\n")
            sections[heading] = body
        def section(test, what):
            found = [body for heading, body in sections.items() if test(heading)]
            if len(found) != 1:
                raise SystemExit(f"docs/schema.md: no single section for {what}: the checker's reading of it needs updating")
            return found[0]
        latency = section(lambda h: h.startswith("`latency` —"), "latency")
        dns = section(lambda h: h.startswith("`dns_latency` —"), "dns_latency")
        rrd = section(lambda h: "consolidated RRD rows" in h, "RRD rollups")
        joined = section(lambda h: h.startswith("Tags added by `postgres_join`"), "postgres_join tags")
        rollup = section(lambda h: "rollups from the `downsample` transform" in h, "downsample rollups")
        join_tags, self.only = set(), {}
        for line in joined.splitlines():
            cells = self.cells(line)
            if cells and cells[0].startswith("`"):
                join_tags.update(backticked(cells[0]))
        raw_tags, raw_fields = self.table(latency, {})
        self.raw = {"latency": (raw_tags | join_tags, raw_fields)}
        inherits = re.search(r"Tags as `(\w+)`, plus `(\w+)`", dns)
        if not inherits:
            raise SystemExit("docs/schema.md: dns_latency no longer says 'Tags as `latency`, plus `resolver`'")
        dns_tags, dns_fields = self.table(dns, raw_fields)
        self.raw["dns_latency"] = (dns_tags | raw_tags | join_tags | {re.escape(inherits.group(2))}, dns_fields)
        if "`_min` and `_max`" not in rrd:
            raise SystemExit("docs/schema.md: the RRD rollups no longer name `_min` and `_max`")
        _, rollup_fields = self.table(rollup, raw_fields)
        self.rollups = {}
        for measurement, (tags, fields) in self.raw.items():
            merged = dict(fields)
            for name, unit in fields.items():
                merged[name + "_min"] = merged[name + "_max"] = unit
            merged.update({n: u for n, u in rollup_fields.items() if self.only.get(n, measurement) == measurement})
            self.rollups[measurement] = (tags, merged)

    @staticmethod
    def cells(line):
        line = line.strip()
        return [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else None

    def table(self, body, inherited):
        """`| tag | names | … |` and `| field | names | type | unit |` rows: tags, {field: unit}."""
        tags, fields = set(), {}
        for line in body.splitlines():
            cells = self.cells(line)
            if not cells or cells[0] not in ("tag", "field") or len(cells) < 3:
                continue
            names = backticked(cells[1])
            if cells[0] == "tag":
                tags.update(names)
                continue
            for name in names:
                if name.endswith("_count"):
                    fields[name] = None
                elif re.search(r"as `(\w+)`", cells[-1]) or cells[2].startswith("as `"):
                    # "as `latency`" (the same field there) or "as `median`" (that field's unit)
                    base = re.search(r"as `(\w+)`", cells[2] + " " + cells[-1]).group(1)
                    fields[name] = inherited.get(name, fields.get(re.escape(base), inherited.get(re.escape(base))))
                else:
                    fields[name] = unit_of(cells[-1])
            only = re.match(r"`(\w+)` only", cells[-1])
            if only:
                self.only.update({name: only.group(1) for name in names})
        return tags, fields

    def summary(self):
        return (f"docs/schema.md read: measurements {sorted(self.raw)} and their <name>_<window> rollups, "
                f"{len(self.raw['latency'][0])} latency tags, {len(self.raw['latency'][1])} latency field names")

    def lookup(self, measurement):
        if measurement in self.raw:
            return self.raw[measurement]
        match = re.fullmatch(rf"(\w+?)_({WINDOW})", measurement)
        if match and match.group(1) in self.rollups:
            return self.rollups[match.group(1)]
        return None

    @staticmethod
    def matches(patterns, name):
        return next((p for p in patterns if re.fullmatch(p, name)), None)

    def problems(self, query):
        """Every measurement, tag or field the query names that docs/schema.md lacks."""
        bare = re.sub(r"'(?:[^'\\]|\\.)*'", "''", query)
        bare = re.sub(r"(=~|!~)\s*/(?:[^/\\]|\\.)*/", r"\1 //", bare)
        measurements = re.findall(r'\bFROM\s+"?(\w+)"?', bare, flags=re.I)
        problems, tags, fields = [], set(), {}
        for measurement in measurements:
            known = self.lookup(measurement)
            if known is None:
                problems.append(f"measurement {measurement!r} is not in docs/schema.md")
                continue
            tags |= known[0]
            fields.update(known[1])
        aliases = set(re.findall(r'\bAS\s+"?(\w+)"?', bare, flags=re.I))
        bare = re.sub(r'\bFROM\s+"?\w+"?', "FROM", bare, flags=re.I)
        bare = re.sub(r'\bAS\s+"?\w+"?', "AS", bare, flags=re.I)
        names = re.findall(r'"([^"]+)"', bare) + re.findall(r'(?<![\w."$])([A-Za-z_]\w*)(?![\w"])', re.sub(r'"[^"]*"', "", bare))
        for name in names:
            if name.lower() in INFLUXQL_WORDS or name in aliases:
                continue
            if not self.matches(tags, name) and not self.matches(fields, name):
                problems.append(f"{name!r} is neither a tag nor a field of {'/'.join(measurements)} in docs/schema.md")
        return problems

    def column_units(self, query):
        """Each selected column's unit from its fields: one unit shared by every field it reads,
        or percent for 100 × lost / pings (the schema's loss)."""
        measurement = re.search(r'\bFROM\s+"?(\w+)"?', query, flags=re.I)
        known = self.lookup(measurement.group(1)) if measurement else None
        select = re.search(r"\bSELECT\s+(.*?)\s+FROM\b", query, flags=re.I | re.S)
        if not known or not select:
            return {}
        units = {}
        for item in split_top_level(select.group(1)):
            alias = re.search(r'\bAS\s+"?(\w+)"?\s*$', item, flags=re.I)
            function = re.match(r"\s*(\w+)\s*\(", item)
            column = alias.group(1) if alias else (function.group(1) if function else item.strip('" '))
            used = re.findall(r'"(\w+)"', item[: alias.start()] if alias else item)
            if re.fullmatch(r'\s*100\s*\*\s*sum\("lost"\)\s*/\s*sum\("pings"\)\s*(AS.*)?', item, flags=re.I):
                units[column] = "percent"
                continue
            if function and function.group(1).lower() == "count":
                units[column] = None
                continue
            found = {known[1][p] for name in used for p in [self.matches(known[1], name)] if p}
            units[column] = found.pop() if len(found) == 1 else None
        return units


def split_top_level(text):
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


class MetricNames:
    """docs/metrics.md's series table: metric names, their labels and types."""

    def __init__(self, text):
        self.metrics = {}
        for line in text.splitlines():
            match = re.match(r"\|\s*`(\w+)`\s*\|\s*(\w+)\s*\|\s*([^|]*)\|", line)
            if match:
                labels = set(re.findall(r"`(\w+)`", match.group(3)))
                if "component_*" in match.group(3):
                    labels |= {"component_id", "component_kind", "component_type"}
                self.metrics[match.group(1)] = (match.group(2), labels)
        if len(self.metrics) < 20:
            raise SystemExit("docs/metrics.md: its series table no longer reads (fewer than 20 metrics)")

    def base(self, name):
        if name in self.metrics:
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and self.metrics.get(name[: -len(suffix)], ("",))[0] == "histogram":
                return name[: -len(suffix)]
        return None

    def problems(self, expression):
        problems, labels = [], {"instance", "job", "le"}
        for name in set(re.findall(r"\b((?:smokeflow|process)_\w+)", expression)):
            base = self.base(name)
            if base is None:
                problems.append(f"metric {name!r} is not in docs/metrics.md")
            else:
                labels |= self.metrics[base][1]
        used = re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expression) + re.findall(r"\{([^}]*)\}", expression)
        for group in used:
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=|,|$)", group):
                if label not in labels:
                    problems.append(f"label {label!r} is not one docs/metrics.md gives these metrics")
        return problems

    def unit(self, expression):
        """The Grafana units a query's values may be shown in, by Prometheus' naming rules."""
        if re.search(r"\b(rate|irate)\(", expression) and "histogram_quantile" not in expression:
            return {"cps", "ops", "reqps"}
        names = re.findall(r"\b((?:smokeflow|process)_\w+)", expression)
        if any(n.endswith(("_seconds", "_seconds_bucket")) for n in names):
            return {"s"}
        if any(n.endswith("_bytes") for n in names):
            return {"bytes", "decbytes"}
        if any(n.endswith("_ratio") for n in names):
            return {"percentunit"}
        return None


def self_check(schema, metrics):
    """The checks must refuse what they exist to refuse: a name check that passed everything
    would make the whole run prove nothing. Returns what did not behave."""
    failures = []
    refused = [
        'SELECT mean("rtt") FROM "latency" WHERE time > now() - 1h',
        'SELECT mean("ping_p10") FROM "latency"',
        'SELECT mean("median") FROM "latency_raw"',
        'SELECT mean("median") FROM "latency" GROUP BY "hostname"',
        "SELECT mean(median) FROM latency_1h WHERE bogus = 'x'",
        'SELECT mean("resolution_time") FROM "latency"',
    ]
    accepted = [
        'SELECT mean("ping_p10"), min("median_min") FROM "latency_1h" WHERE "site" =~ /^(a|b)$/ GROUP BY "target"',
        "SELECT min(\"ping_20\") AS \"max\", mean(resolution_time) FROM dns_latency WHERE \"resolver\" = 'x y' AND time > 0ms",
        'SELECT 100 * sum("lost") / sum("pings") AS "loss" FROM "latency" GROUP BY "cachegroup", "category"',
    ]
    for query in refused:
        if not schema.problems(query):
            failures.append(f"accepted a query naming what docs/schema.md lacks: {query}")
    for query in accepted:
        if schema.problems(query):
            failures.append(f"refused a query of documented names: {query}: {schema.problems(query)}")
    units = schema.column_units('SELECT mean("ping_3") AS "a", mean("loss") AS "b", 100 * sum("lost") / sum("pings") AS "c", '
                                'count("median") AS "d", mean("resolution_time") AS "e" FROM "dns_latency"')
    if units != {"a": "ms", "b": "percent", "c": "percent", "d": None, "e": "ms"}:
        failures.append(f"units read wrongly from docs/schema.md: {units}")
    if not metrics.problems("rate(smokeflow_points_total[5m])") or not metrics.problems("sum by (hostname) (smokeflow_buffer_events)"):
        failures.append("accepted a metric or label docs/metrics.md lacks")
    if metrics.problems('histogram_quantile(0.99, sum by (component_id, le) (rate(smokeflow_sink_request_duration_seconds_bucket{instance=~"a"}[1m])))'):
        failures.append("refused a documented histogram")
    return failures
