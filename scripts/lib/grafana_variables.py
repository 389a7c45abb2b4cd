"""Grafana's template variables as its front end applies them, for scripts/lib/check-dashboards.py.

What is reproduced (Grafana 10/11, public/app/features/templating and the datasources'
interpolateVariable): the three syntaxes `$var`, `${var}` / `${var:format}`, `[[var]]`; the All
value (a custom allValue goes in raw, else every option); per datasource the default format of
a multi-value or All variable (InfluxQL and Prometheus: regex-escaped values as `(a|b)`; SQL:
quoted literals `'a','b'`); the formats regex, pipe, csv, raw, singlequote, doublequote,
sqlstring, text; and Grafana's interval rounding for $__interval.
"""
import re

# Grafana's variable regex (templating/utils.ts).
VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}")
REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|[\]{}/]")


def escape_regex(value):
    return REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), value)


def escape_promql_regex(value):
    """Grafana's prometheusSpecialRegexEscape: doubled backslashes, since the regex sits in a
    PromQL string literal, which takes one level of escapes itself."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def quote_literal(value):
    return "'" + value.replace("'", "''") + "'"


def format_values(values, fmt, variable, datasource):
    multi = variable.get("multi") or variable.get("includeAll")
    if fmt == "regex":
        escaped = [escape_regex(v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    if fmt == "pipe":
        return "|".join(values)
    if fmt in ("csv", "text"):
        return ",".join(values) if fmt == "csv" else " + ".join(values)
    if fmt == "raw":
        return ",".join(values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "sqlstring":
        return ",".join(quote_literal(v) for v in values)
    if fmt is not None:
        raise ValueError(f"format {fmt!r} is not reproduced here")
    if datasource in ("influxdb", "prometheus"):
        if not multi:
            return values[0] if datasource == "influxdb" else values[0].replace("\\", "\\\\").replace("'", "\\'")
        escaped = [escape_regex(v) if datasource == "influxdb" else escape_promql_regex(v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    if datasource == "postgres":
        if not multi and len(values) == 1:
            return values[0].replace("'", "''")
        return ",".join(quote_literal(v) for v in values)
    return ",".join(values)


def interpolate(text, variables, macros, datasource):
    """Grafana's templateSrv.replace: dashboard variables first, then the built-in ones."""
    def replace(match):
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if name in macros:
            return str(macros[name])
        if name not in variables.definitions:
            return match.group(0)
        variable = variables.definitions[name]
        if variables.is_all(name) and variable.get("allValue") and fmt not in ("text", "queryparam"):
            return variable["allValue"]
        values = variables.current(name)
        if fmt == "text" and variables.is_all(name):
            return "All"
        return format_values(values, fmt, variable, datasource)
    if "__from" in macros:  # the SQL macro, before `$__timeFilter` could be read as a variable
        text = re.sub(r"\$__timeFilter\(([^)]+)\)", lambda m: f"{m.group(1)} BETWEEN to_timestamp({int(macros['__from']) / 1000}) "
                      f"AND to_timestamp({int(macros['__to']) / 1000})", text)
    return VARIABLE.sub(replace, text)


DATASOURCE_FORMAT = {"influxdb": "influxdb", "prometheus": "prometheus", "grafana-postgresql-datasource": "postgres", "postgres": "postgres"}


class Variables:
    """Every variable's options and current value, refreshed in the dashboard's order (a
    variable's query sees the current values of those before it, as Grafana's chain does)."""

    def __init__(self, definitions, run, overrides=None):
        self.list = definitions
        self.definitions = {v["name"]: v for v in definitions}
        self.run = run
        self.selected = dict(overrides or {})  # name -> list of values picked (not All)
        self.options, self.queries = {}, {}
        for variable in definitions:
            self.refresh(variable)

    def refresh(self, variable):
        name = variable["name"]
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        if variable["type"] == "custom":
            values = [v.strip() for v in query.split(",") if v.strip()]
        else:
            source = DATASOURCE_FORMAT[variable["datasource"]["type"]]
            query = interpolate(query, self, {}, source)
            self.queries[name] = query
            values = self.run(variable, query)
        if variable.get("sort") in (1, 5):
            values = sorted(set(values), key=values.index) if variable.get("sort") == 5 else sorted(set(values))
        self.options[name] = values

    def is_all(self, name):
        variable = self.definitions[name]
        return name not in self.selected and bool(variable.get("includeAll")) and variable.get("current", {}).get("value") in ("$__all", ["$__all"])

    def current(self, name):
        if name in self.selected:
            return self.selected[name]
        values = self.options.get(name, [])
        return values if self.is_all(name) else values[:1]

    def with_value(self, name, value):
        """The same dashboard with `name` set to one value (a repeated panel's copy): the
        variables after it are not refreshed, as Grafana does not refresh them per copy."""
        copy = object.__new__(Variables)
        copy.__dict__.update(self.__dict__)
        copy.selected = dict(self.selected, **{name: [value]})
        return copy

    def chains(self):
        """For each variable whose query names a multi-value variable before it: the parent set
        to its first value, the child refreshed, both lists (the chain must narrow)."""
        found = []
        for index, child in enumerate(self.list):
            query = child["query"]["query"] if isinstance(child["query"], dict) else child["query"]
            if child["type"] != "query" or child.get("hide") == 2:  # hidden: derived values, not a filter
                continue
            for parent in self.list[:index]:
                name = parent["name"]
                if not parent.get("multi") or not re.search(r"\$\{?" + name + r"\b", query) or len(self.options.get(name, [])) < 2:
                    continue
                picked = self.options[name][0]
                narrowed = Variables(self.list[: index + 1], self.run, {name: [picked]}).options[child["name"]]
                found.append((child["name"], name, picked, narrowed, self.options[child["name"]]))
        return found


UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}


def duration(text):
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * UNITS_MS[match.group(2)]


# Grafana's rangeutil.roundInterval: (upper bound in ms, interval in ms).
ROUNDING = [(10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000), (3500, 2000), (7500, 5000),
            (12500, 10000), (17500, 15000), (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000),
            (450000, 300000), (750000, 600000), (1050000, 900000), (1500000, 1200000), (2700000, 1800000),
            (5400000, 3600000), (9000000, 7200000), (16200000, 10800000), (32400000, 21600000), (86400000, 43200000),
            (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000)]


def round_interval(interval_ms):
    for bound, value in ROUNDING:
        if interval_ms < bound:
            return value
    return 31536000000
