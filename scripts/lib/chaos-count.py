#!/usr/bin/env python3
"""The count check of a scripts/chaos scenario: what was produced (line protocol from the
source side: a clean run's `file` sink, a fixture) against what InfluxDB holds, by series
(measurement + tags) and timestamp.

Usage: chaos-count.py --label "2 (kill -9 during a backfill)" --produced FILE.lp [FILE.lp…]
         --influx URL --database DB [--sent FILE.lp…] [--clean-database DB] [--rejected N]
         [--ignore-field NAME]…

Prints exactly one line,
  scenario LABEL: produced N, delivered N, lost L, duplicated K (same series+time, overwritten)
then, on stderr, the first differences found. Exit 1 on any loss, any point InfluxDB holds
that was not produced, or (with --clean-database) any point whose fields differ from the
clean run's. `delivered` counts produced points present in InfluxDB. `duplicated` is how
many times a point was written again (from --sent: every line the run's side sink wrote,
over all restarts). `--rejected N`: N produced points were refused for good and reported so
by the sink (they are expected to be missing and are not counted as lost).
"""
import argparse
import json
import sys
import urllib.parse
import urllib.request


def split_unescaped(text, separator, limit=-1):
    """Splits on `separator` outside backslash escapes and double quotes."""
    parts, current, escaped, quoted = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted and (limit < 0 or len(parts) < limit):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text):
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def field_value(text):
    if text.startswith('"'):
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text in ("t", "T", "true", "True", "TRUE"):
        return True
    if text in ("f", "F", "false", "False", "FALSE"):
        return False
    if text.endswith("i") or text.endswith("u"):
        return int(text[:-1])
    return float(text)


def parse_line(line):
    """(key, fields) of one line, key = (measurement, ((tag, value)…), timestamp ns)."""
    series, fields, stamp = split_unescaped(line, " ", 2)
    head = split_unescaped(series, ",")
    measurement = unescape(head[0])
    tags = tuple(sorted((unescape(k), unescape(v)) for k, v in (split_unescaped(t, "=", 1) for t in head[1:])))
    values = {}
    for pair in split_unescaped(fields, ","):
        name, value = split_unescaped(pair, "=", 1)
        values[unescape(name)] = field_value(value)
    return (measurement, tags, int(stamp)), values


def read_lines(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and not line.startswith("#"):
                    yield parse_line(line)


def query(url, database, q):
    params = urllib.parse.urlencode({"db": database, "q": q, "epoch": "ns", "chunked": "true", "chunk_size": "20000"})
    with urllib.request.urlopen(f"{url}/query?{params}", timeout=120) as response:
        for text in response.read().decode().splitlines():
            if text.strip():
                yield json.loads(text)


def influx_points(url, database):
    """Every point of a database: {key: fields}."""
    points = {}
    measurements = []
    for answer in query(url, database, "SHOW MEASUREMENTS"):
        for result in answer.get("results", []):
            if "error" in result:
                raise SystemExit(f"chaos-count: {database}: {result['error']}")
            for series in result.get("series", []):
                measurements += [row[0] for row in series["values"]]
    for measurement in measurements:
        quoted = '"' + measurement.replace("\\", "\\\\").replace('"', '\\"') + '"'
        tag_keys = set()
        for answer in query(url, database, f"SHOW TAG KEYS FROM {quoted}"):
            for result in answer.get("results", []):
                for series in result.get("series", []):
                    tag_keys |= {row[0] for row in series["values"]}
        for answer in query(url, database, f"SELECT * FROM {quoted}"):
            for result in answer.get("results", []):
                if "error" in result:
                    raise SystemExit(f"chaos-count: {database}: {result['error']}")
                for series in result.get("series", []):
                    columns = series["columns"]
                    for row in series["values"]:
                        tags, fields, stamp = [], {}, None
                        for column, value in zip(columns, row):
                            if column == "time":
                                stamp = value
                            elif value is None:
                                continue
                            elif column in tag_keys:
                                tags.append((column, value))
                            else:
                                fields[column] = value
                        points[(measurement, tuple(sorted(tags)), stamp)] = fields
    return points


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--produced", nargs="+", required=True)
    parser.add_argument("--influx", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--sent", nargs="*", default=[])
    parser.add_argument("--clean-database")
    parser.add_argument("--rejected", type=int, default=0)
    parser.add_argument("--ignore-field", action="append", default=[])
    parser.add_argument("--duplicated", type=int, help="the duplicate count, when another side knows it (a proxy)")
    args = parser.parse_args()

    produced = {}
    for key, fields in read_lines(args.produced):
        produced[key] = fields
    delivered = influx_points(args.influx, args.database)
    present = [key for key in produced if key in delivered]
    missing = [key for key in produced if key not in delivered]
    unexpected = [key for key in delivered if key not in produced]
    lost = max(0, len(missing) - args.rejected)
    duplicated = 0
    if args.sent:
        seen = set()
        total = 0
        for key, _ in read_lines(args.sent):
            total += 1
            seen.add(key)
        duplicated = total - len(seen)
    if args.duplicated is not None:
        duplicated = max(0, args.duplicated)
    problems = []
    if len(missing) > args.rejected:
        problems.append(f"{len(missing)} produced points not in {args.database}, e.g. {missing[:3]}")
    if unexpected:
        problems.append(f"{len(unexpected)} points in {args.database} never produced, e.g. {unexpected[:3]}")
    if args.clean_database:
        clean = influx_points(args.influx, args.clean_database)
        if set(clean) != set(delivered):
            problems.append(f"{args.database} and the clean run's {args.clean_database} hold different series+times: "
                            f"{len(set(clean) - set(delivered))} only in the clean run, {len(set(delivered) - set(clean))} only here")
        differing = []
        for key, fields in delivered.items():
            other = clean.get(key)
            if other is None:
                continue
            a = {k: v for k, v in fields.items() if k not in args.ignore_field}
            b = {k: v for k, v in other.items() if k not in args.ignore_field}
            if a.keys() != b.keys() or not all(same(a[k], b[k]) for k in a):
                differing.append((key, a, b))
        if differing:
            problems.append(f"{len(differing)} points differ from the clean run, e.g. {differing[:2]}")
    print(f"scenario {args.label}: produced {len(produced)}, delivered {len(present)}, lost {lost}, "
          f"duplicated {duplicated} (same series+time, overwritten)", flush=True)
    if args.rejected:
        print(f"  ({args.rejected} points refused for good and reported rejected by the sink; "
              f"{len(missing)} missing from {args.database})", flush=True)
    for problem in problems:
        print(f"  problem: {problem}", file=sys.stderr, flush=True)
    bad = lost > 0 or unexpected or (args.clean_database and any("clean run" in p for p in problems))
    if args.rejected and len(missing) != args.rejected:
        print(f"  problem: {len(missing)} missing but {args.rejected} reported rejected", file=sys.stderr)
        bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
