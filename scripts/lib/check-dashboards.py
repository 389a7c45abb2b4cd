#!/usr/bin/env python3
"""Runs every panel query of smokeflow's Grafana dashboards against real servers (stdlib only).

Loads each docker/grafana/dashboards/*.json, resolves its template variables the way Grafana
does (PostgreSQL queries through psql, Prometheus label_values through its API, chained ones
with their parent's value), substitutes them into every panel's query, runs it against
InfluxDB (InfluxQL), PostgreSQL or Prometheus (query_range), and checks the answer: series that
are not empty, every column with values, the panel's unit the one docs/schema.md gives the
field, override names that exist. A query naming a measurement, tag or field docs/schema.md
does not define, or a metric docs/metrics.md does not list, is a problem. Prints one line per
query (what it returned) and exits 1 on any problem.

Tests/IntegrationTests/GrafanaDashboardTests.swift prepares the data (smokeflow itself) and runs it:
  check-dashboards.py --influx-url URL --influx-db DB --prometheus-url URL --from MS --to MS
with the PostgreSQL store in DATABASE_URL (never printed).
"""
import argparse
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from dashboard_names import SchemaNames, MetricNames, self_check  # noqa: E402
from grafana_variables import Variables, interpolate, round_interval, duration  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Servers:
    def __init__(self, args):
        self.args = args

    def influx(self, query):
        params = urllib.parse.urlencode({"db": self.args.influx_db, "q": query, "epoch": "ms"})
        with urllib.request.urlopen(f"{self.args.influx_url}/query?{params}", timeout=30) as answer:
            result = json.load(answer)["results"][0]
        if "error" in result:
            raise RuntimeError(result["error"])
        return result.get("series", [])

    def postgres(self, sql):
        """The first column of every row, through psql; the password goes in its environment."""
        url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
        env = dict(os.environ, PGHOST=url.hostname or "127.0.0.1", PGPORT=str(url.port or 5432),
                   PGUSER=urllib.parse.unquote(url.username or ""), PGPASSWORD=urllib.parse.unquote(url.password or ""),
                   PGDATABASE=url.path.lstrip("/"), PGCONNECT_TIMEOUT="10")
        done = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        return [line.split("|")[0] for line in done.stdout.splitlines() if line != ""]

    def prometheus(self, path, params):
        body = urllib.parse.urlencode(params, doseq=True).encode()
        with urllib.request.urlopen(f"{self.args.prometheus_url}{path}", data=body, timeout=30) as answer:
            reply = json.load(answer)
        if reply.get("status") != "success":
            raise RuntimeError(reply.get("error", "prometheus said no"))
        return reply["data"]

    def label_values(self, expression, start, end):
        metric, label = re.fullmatch(r"label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)", expression).groups()
        series = self.prometheus("/api/v1/series", {"match[]": metric, "start": start, "end": end})
        return sorted({item[label] for item in series if label in item})


class Checker:
    def __init__(self, args):
        self.args = args
        self.servers = Servers(args)
        self.schema = SchemaNames((ROOT / "docs/schema.md").read_text(encoding="utf-8"))
        self.metrics = MetricNames((ROOT / "docs/metrics.md").read_text(encoding="utf-8"))
        self.problems = []
        self.lines = []

    def say(self, line):
        self.lines.append(line)
        print(line, flush=True)

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")
        self.say(f"    PROBLEM: {text}")

    # --- time ----------------------------------------------------------------------------

    def window(self, dashboard):
        """Influx dashboards: the range the data was written for; Prometheus: the last minutes."""
        if any(v.get("datasource", {}).get("type") == "prometheus" for v in dashboard["templating"]["list"]):
            now = int(time.time() * 1000)
            return now - self.args.prometheus_minutes * 60_000, now
        return self.args.time_from, self.args.time_to

    def builtins(self, start, end, panel, datasource):
        range_ms = end - start
        lower = panel.get("interval") or {"influxdb": "5m", "prometheus": self.args.scrape_interval}.get(datasource, "1s")
        interval_ms = max(round_interval(range_ms / self.args.max_data_points), duration(lower))
        scrape = duration(self.args.scrape_interval)
        rate_ms = max(interval_ms + scrape, 4 * scrape)
        return {"timeFilter": f"time >= {start}ms and time <= {end}ms", "__interval": f"{interval_ms // 1000}s" if interval_ms >= 1000 else f"{interval_ms}ms",
                "__interval_ms": str(interval_ms), "__rate_interval": f"{rate_ms // 1000}s", "__range": f"{range_ms // 1000}s",
                "__range_s": str(range_ms // 1000), "__range_ms": str(range_ms), "__from": str(start), "__to": str(end),
                "_interval_ms": interval_ms}

    def wait_for_series(self, dashboard):
        """A scraped pipeline's series appear within a few scrapes: poll until every query of a
        Prometheus dashboard has a finite value, at most --wait-seconds, rather than hoping."""
        deadline = time.monotonic() + self.args.wait_seconds
        while True:
            start, end = self.window(dashboard)
            missing = []
            try:
                variables = Variables(dashboard["templating"]["list"], lambda v, q: self.servers.label_values(q, start // 1000, end // 1000))
                for panel in dashboard["panels"]:
                    for target in panel["targets"]:
                        expression = interpolate(target["expr"], variables, self.builtins(start, end, panel, "prometheus"), "prometheus")
                        data = self.servers.prometheus("/api/v1/query_range", {"query": expression, "start": start / 1000, "end": end / 1000, "step": 1})
                        if not any(math.isfinite(float(v)) for item in data["result"] for _, v in item["values"]):
                            missing.append(expression)
            except Exception as error:  # Prometheus still starting, no instance scraped yet
                missing.append(f"{type(error).__name__}: {error}")
            if not missing or time.monotonic() > deadline:
                if missing:
                    self.say(f"  waited {self.args.wait_seconds} s; still without a value: {missing[0]}")
                return
            time.sleep(1)

    # --- variables -------------------------------------------------------------------------

    def resolve(self, dashboard, start, end):
        def run(variable, query):
            kind = variable["datasource"]["type"]
            if kind == "prometheus":
                return self.servers.label_values(query, start // 1000, end // 1000)
            return self.servers.postgres(query)
        variables = Variables(dashboard["templating"]["list"], run)
        for variable in dashboard["templating"]["list"]:
            values = variables.options.get(variable["name"], [])
            shown = ", ".join(values[:8]) + (" …" if len(values) > 8 else "")
            self.say(f"  variable ${variable['name']}: {len(values)} value(s): {shown}" + (" (All)" if variables.is_all(variable["name"]) else ""))
            if not values:
                self.problem(dashboard["title"], f"variable ${variable['name']} has no value (query: {variables.queries.get(variable['name'])})")
        for child, parent, picked, narrowed, full in variables.chains():
            self.say(f"  chain: ${parent}={picked} -> ${child} {len(narrowed)} of {len(full)} ({', '.join(narrowed)})")
            if not set(narrowed) < set(full):
                self.problem(dashboard["title"], f"${parent}={picked} does not narrow ${child}")
        return variables

    # --- panels ----------------------------------------------------------------------------

    def check_dashboard(self, path):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        self.say(f"dashboard {dashboard['title']} (uid {dashboard['uid']}, {path.name})")
        if not re.fullmatch(r"smokeflow-[a-z-]+", dashboard.get("uid", "")):
            self.problem(dashboard["title"], f"uid {dashboard.get('uid')!r} is not a stable smokeflow-… uid")
        if self.args.wait_seconds and any(t.get("expr") for p in dashboard["panels"] for t in p["targets"]):
            self.wait_for_series(dashboard)
        start, end = self.window(dashboard)
        try:
            variables = self.resolve(dashboard, start, end)
        except Exception as error:  # a variable's query refused: nothing else can run
            return self.problem(dashboard["title"], f"variables: {type(error).__name__}: {error}")
        for panel in dashboard["panels"]:
            repeat = panel.get("repeat")
            for value in (variables.current(repeat) if repeat else [None]):
                scoped = variables.with_value(repeat, value) if repeat else variables
                title = interpolate(panel["title"], scoped, {}, "text")
                self.say(f"  panel {title!r} ({panel['type']}, unit {panel['fieldConfig']['defaults'].get('unit')})")
                names = set()
                for target in panel["targets"]:
                    datasource = (target.get("datasource") or panel["datasource"])["type"]
                    macros = self.builtins(start, end, panel, datasource)
                    where = f"{dashboard['title']} / {title} / {target['refId']}"
                    try:
                        if datasource == "influxdb":
                            names |= self.check_influx(where, panel, target, scoped, macros)
                        elif datasource == "prometheus":
                            self.check_prometheus(where, panel, target, scoped, macros, start, end)
                        else:
                            self.problem(where, f"no check for datasource {datasource}")
                    except Exception as error:  # a server's refusal is the panel's problem, with its query
                        self.problem(where, f"{type(error).__name__}: {error}")
                if names:
                    self.check_overrides(f"{dashboard['title']} / {title}", panel, names)

    def check_influx(self, where, panel, target, variables, macros):
        query = interpolate(target["query"], variables, macros, "influxdb")
        self.say(f"    {target['refId']}: {query}")
        for text in self.schema.problems(query):
            self.problem(where, text)
        series = self.servers.influx(query)
        if not series:
            self.problem(where, "no series")
            return set()
        columns = [c for c in series[0]["columns"] if c != "time"]
        units = self.schema.column_units(query)
        names, samples = [], []
        for column in columns:
            values = [row[s["columns"].index(column)] for s in series for row in s["values"]]
            present = [v for v in values if v is not None]
            if not present:
                self.problem(where, f"column {column} has no value")
                continue
            alias = target.get("alias", "")
            for item in series:
                names.append(self.display_name(alias, item, column))
            expected = units.get(column)
            shown = self.panel_unit(panel, column if "$tag" not in alias else None)
            if expected is not None and shown != expected:
                self.problem(where, f"column {column} is in {expected} (docs/schema.md) but the panel shows {shown}")
            samples.append(f"{column}={present[len(present) // 2]:.4g} {shown or expected or ''}".rstrip())
        rows = sum(len(s["values"]) for s in series)
        self.say(f"      -> {len(series)} series, {rows} rows; median sample: {', '.join(samples)}")
        # Overrides name columns: checked (per panel) only where series are named by column.
        if "$col" in target.get("alias", "") or target.get("resultFormat") == "table":
            return set(names) | set(columns)
        return set()

    @staticmethod
    def display_name(alias, series, column):
        if not alias:
            return f"{series['name']}.{column}"
        tags = series.get("tags") or {}
        name = alias.replace("$col", column).replace("$m", series["name"])
        return re.sub(r"\$tag_(\w+)", lambda m: tags.get(m.group(1), ""), name)

    @staticmethod
    def panel_unit(panel, name):
        unit = panel["fieldConfig"]["defaults"].get("unit")
        for override in panel["fieldConfig"].get("overrides", []):
            if override["matcher"]["id"] == "byName" and override["matcher"]["options"] == name:
                for item in override["properties"]:
                    if item["id"] == "unit":
                        unit = item["value"]
        return unit

    def check_overrides(self, where, panel, names):
        for override in panel["fieldConfig"].get("overrides", []):
            if override["matcher"]["id"] == "byName" and override["matcher"]["options"] not in names:
                self.problem(where, f"override for {override['matcher']['options']!r}, which no query returns ({sorted(names)})")
            for item in override["properties"]:
                if item["id"] == "custom.fillBelowTo" and item["value"] not in names:
                    self.problem(where, f"fill between {override['matcher']['options']!r} and {item['value']!r}, which no query returns")

    def check_prometheus(self, where, panel, target, variables, macros, start, end):
        expression = interpolate(target["expr"], variables, macros, "prometheus")
        self.say(f"    {target['refId']}: {expression}")
        for text in self.metrics.problems(expression):
            self.problem(where, text)
        expected = self.metrics.unit(expression)
        shown = panel["fieldConfig"]["defaults"].get("unit")
        if expected is not None and shown not in expected:
            self.problem(where, f"the query is in {'/'.join(expected)} but the panel shows {shown}")
        step = max(macros["_interval_ms"] // 1000, 1)
        data = self.servers.prometheus("/api/v1/query_range", {"query": expression, "start": start / 1000, "end": end / 1000, "step": step})
        result = data["result"]
        if not result:
            return self.problem(where, "no series")
        finite = [float(v) for item in result for _, v in item["values"] if math.isfinite(float(v))]
        if not finite:
            return self.problem(where, "no finite value in any series")
        labels = ", ".join(sorted({"/".join(f"{k}={v}" for k, v in sorted(item["metric"].items())) or "{}" for item in result})[:4])
        fallback = " (no such series yet: the vector(0) fallback)" if result == [r for r in result if not r["metric"]] and "vector(0)" in expression else ""
        self.say(f"      -> {len(result)} series ({labels}); last {finite[-1]:.4g}, max {max(finite):.4g} {shown or ''}{fallback}")

    def run(self):
        for line in self_check(self.schema, self.metrics):
            self.problems.append(f"self-check: {line}")
            print(f"PROBLEM (self-check): {line}")
        self.say(f"self-check: {self.schema.summary()}; names outside docs/schema.md and docs/metrics.md are refused")
        paths = sorted(pathlib.Path(self.args.dashboards).glob("*.json"))
        if not paths:
            self.problems.append(f"no dashboard in {self.args.dashboards}")
        for path in paths:
            self.check_dashboard(path)
        if self.args.output:
            pathlib.Path(self.args.output).write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        print(f"{len(paths)} dashboards, {len(self.problems)} problem(s)")
        for problem in self.problems:
            print(f"PROBLEM: {problem}")
        return 1 if self.problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", default=str(ROOT / "docker/grafana/dashboards"))
    parser.add_argument("--influx-url", required=True)
    parser.add_argument("--influx-db", required=True)
    parser.add_argument("--prometheus-url", required=True)
    parser.add_argument("--from", dest="time_from", type=int, required=True, help="ms since 1970: the Influx dashboards' range")
    parser.add_argument("--to", dest="time_to", type=int, required=True)
    parser.add_argument("--prometheus-minutes", type=int, default=10)
    parser.add_argument("--scrape-interval", default="1s", help="Prometheus' scrape_interval (the datasource's timeInterval)")
    parser.add_argument("--max-data-points", type=int, default=1000, help="a panel's width in points, for $__interval")
    parser.add_argument("--wait-seconds", type=int, default=0, help="how long to wait for a Prometheus dashboard's series")
    parser.add_argument("--output", help="also write the per-panel lines here")
    sys.exit(Checker(parser.parse_args()).run())


if __name__ == "__main__":
    main()
