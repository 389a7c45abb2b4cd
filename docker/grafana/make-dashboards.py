#!/usr/bin/env python3
"""Writes docker/grafana/dashboards/*.json: smokeflow's Grafana dashboards as code (stdlib only).

Run it after editing this file and commit both; scripts/lib/check-dashboards.py runs every
panel's query against real servers (Tests/IntegrationTests/GrafanaDashboardTests.swift), and
`--check` fails when the JSON differs from what this file makes.
Names (measurements, tags, fields and units) are docs/schema.md's; metric names docs/metrics.md's.
"""
import json
import pathlib
import re
import sys

OUT = pathlib.Path(__file__).resolve().parent / "dashboards"
INFLUX = {"type": "influxdb", "uid": "smokeflow-influxdb"}
POSTGRES = {"type": "grafana-postgresql-datasource", "uid": "smokeflow-postgresql"}
PROMETHEUS = {"type": "prometheus", "uid": "smokeflow-prometheus"}

# --- template variables (PostgreSQL: the configuration store, docs/schema.md) ---------------

# A regex over the store's column with '' for NULL: the All value `.*` then keeps targets
# without a site or cache group, which an IN list of the values would drop.
ALL = {"text": "All", "value": "$__all"}


def pg_var(name, label, sql, multi=True, hide=0):
    return {
        "name": name, "label": label, "type": "query", "datasource": POSTGRES, "query": sql,
        "definition": sql, "refresh": 1, "sort": 1, "hide": hide, "multi": multi,
        "includeAll": multi, "allValue": ".*" if multi else None,
        "current": ALL if multi else {}, "options": [],
    }


def category_var():
    return pg_var("category", "Category", "SELECT name FROM categories ORDER BY name")


def site_var():
    return pg_var("site", "Site", "SELECT DISTINCT t.site FROM targets t LEFT JOIN categories c ON c.id = t.category_id "
                  "WHERE t.site <> '' AND COALESCE(c.name, '') ~ '^${category:regex}$' ORDER BY 1")


def cachegroup_var():
    return pg_var("cachegroup", "Cache group", "SELECT DISTINCT t.cachegroup FROM targets t LEFT JOIN categories c ON c.id = t.category_id "
                  "WHERE t.cachegroup <> '' AND COALESCE(c.name, '') ~ '^${category:regex}$' "
                  "AND COALESCE(t.site, '') ~ '^${site:regex}$' ORDER BY 1")


# DNS targets are those whose probe's module is DNS (probes.module NULL: the name is the module).
IS_DNS = "COALESCE(p.module, p.name) = 'DNS'"


def target_var(multi, dns=False, name="target", label="Target"):
    """Active targets of the chosen categories, sites and cache groups (a DNS dashboard's
    resolvers: the active DNS targets, unfiltered)."""
    filters = "" if dns else (" AND COALESCE(c.name, '') ~ '^${category:regex}$' AND COALESCE(t.site, '') ~ '^${site:regex}$' "
                              "AND COALESCE(t.cachegroup, '') ~ '^${cachegroup:regex}$'")
    sql = ("SELECT t.name FROM targets t LEFT JOIN categories c ON c.id = t.category_id "
           "LEFT JOIN probes p ON p.id = t.probe_id WHERE t.is_active "
           f"AND {'' if dns else 'NOT '}COALESCE({IS_DNS}, false){filters} ORDER BY t.name")
    variable = pg_var(name, label, sql, multi=multi)
    if multi:
        # The All value is the list itself: a target filter must not match every target in
        # InfluxDB, only those the chained variables left.
        variable["allValue"] = None
    return variable


def rank_vars(target, multi):
    """Hidden variables naming the ping_i field at each band edge for the target's pings per
    round (its probe's `pings`, else the default probe's): ping_1 … ping_N are sorted, so the
    nearest-rank percentile p of one round is ping_{floor(N·p/100 + 0.5)} (docs/schema.md's
    percentile definition). Several targets: the largest N among them."""
    where = f"t.name IN (${target})" if multi else f"t.name = '${target}'"
    pings = ("SELECT max(COALESCE(p.pings, (SELECT d.pings FROM probes d WHERE d.is_default LIMIT 1), 20)) AS n "
             f"FROM targets t LEFT JOIN probes p ON p.id = t.probe_id WHERE {where}")
    variables = []
    for edge, share in [("p10", 0.10), ("p25", 0.25), ("p75", 0.75), ("p90", 0.90), ("max", 1.0)]:
        sql = f"SELECT 'ping_' || GREATEST(1, floor(n * {share} + 0.5))::int FROM ({pings}) AS round"
        variables.append(pg_var(f"rank_{edge}", f"ping field at {edge}", sql, multi=False, hide=2))
    return variables


def store_vars(multi_target, dns=False):
    return [category_var(), site_var(), cachegroup_var(), target_var(multi_target, dns)]


# --- panels ---------------------------------------------------------------------------------


def influx(ref, query, alias="$col", fmt="time_series"):
    return {"refId": ref, "datasource": INFLUX, "rawQuery": True, "query": query, "alias": alias, "resultFormat": fmt}


def prom(ref, expr, legend):
    return {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend, "range": True}


def override(name, **properties):
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": key.replace("__", "."), "value": value} for key, value in properties.items()]}


def band(upper, lower, opacity):
    """SmokePing's smoke: the area between two series, the upper filled down to the lower."""
    return [override(upper, custom__fillBelowTo=lower, custom__lineWidth=0, custom__fillOpacity=opacity,
                     color={"mode": "fixed", "fixedColor": "#777777"}),
            override(lower, custom__lineWidth=0, custom__fillOpacity=0, color={"mode": "fixed", "fixedColor": "#777777"},
                     custom__hideFrom={"legend": True, "tooltip": False, "viz": False})]


LOSS_AXIS = override("loss", unit="percent", min=0, max=100, custom__axisPlacement="right", custom__drawStyle="bars",
                     custom__fillOpacity=60, custom__lineWidth=0, custom__axisLabel="loss",
                     color={"mode": "fixed", "fixedColor": "red"})
MEDIAN_LINE = override("median", custom__lineWidth=2, color={"mode": "fixed", "fixedColor": "green"})


def timeseries(title, targets, unit, overrides=(), grid=(0, 0, 24, 10), interval=None, repeat=None, description=""):
    panel = {
        "type": "timeseries", "title": title, "description": description, "datasource": targets[0]["datasource"],
        "gridPos": dict(zip("xywh", grid)), "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit, "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0,
                                                               "spanNulls": False, "showPoints": "never"}},
                        "overrides": list(overrides)},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
    }
    if interval:
        panel["interval"] = interval
    if repeat:
        panel.update(repeat=repeat, repeatDirection="h", maxPerRow=3)
    return panel


def smoke_query(measurement, target):
    """One round's distribution per interval: min (ping_1), p10…p90 and max as the rank
    variables name them, the median and the loss (percent, on the right axis)."""
    return influx("A", f'SELECT min("ping_1") AS "min", mean("$rank_p10") AS "p10", mean("$rank_p25") AS "p25", '
                       f'mean("$rank_p75") AS "p75", mean("$rank_p90") AS "p90", max("$rank_max") AS "max", '
                       f'mean("median") AS "median", mean("loss") AS "loss" FROM "{measurement}" '
                       f'WHERE "target" =~ /^${target}$/ AND $timeFilter GROUP BY time($__interval) fill(null)')


SMOKE_OVERRIDES = band("max", "min", 15) + band("p90", "p10", 25) + band("p75", "p25", 40) + [MEDIAN_LINE, LOSS_AXIS]


def smoke_panel(title, measurement="latency", target="target", repeat=None, grid=(0, 0, 24, 11)):
    return timeseries(title, [smoke_query(measurement, target)], "ms", SMOKE_OVERRIDES, grid=grid, interval="5m", repeat=repeat,
                      description="Grey bands: min-max, p10-p90 and p25-p75 of each round's pings (ping_1 … ping_N); "
                                  "green: the median; red bars: loss in percent (right axis).")


def rollup_panel(title, measurement, grid):
    query = influx("A", f'SELECT mean("ping_p5") AS "p5", mean("ping_p10") AS "p10", mean("ping_p25") AS "p25", '
                        f'mean("ping_p75") AS "p75", mean("ping_p90") AS "p90", mean("ping_p95") AS "p95", '
                        f'min("median_min") AS "median_min", max("median_max") AS "median_max", mean("median") AS "median", '
                        f'mean("loss") AS "loss" FROM "{measurement}" WHERE "target" =~ /^$target$/ AND $timeFilter '
                        f'GROUP BY time($__interval) fill(null)')
    overrides = band("p95", "p5", 15) + band("p90", "p10", 25) + band("p75", "p25", 40) + [
        override("median_min", custom__lineStyle={"fill": "dot"}), override("median_max", custom__lineStyle={"fill": "dot"}),
        MEDIAN_LINE, LOSS_AXIS]
    return timeseries(title, [query], "ms", overrides, grid=grid, interval=measurement.rsplit("_", 1)[1],
                      description=f"{measurement}: pooled percentiles of the window's pings (ping_p5 … ping_p95), the "
                                  "smallest and largest round median (dotted), the mean median and the window's loss.")


def dashboard(uid, title, panels, variables, time_from="now-24h", tags=("smokeflow",), refresh="5m"):
    for number, panel in enumerate(panels, start=1):
        panel["id"] = number
    return {
        "uid": uid, "title": title, "tags": list(tags), "schemaVersion": 39, "version": 1, "editable": False,
        "timezone": "browser", "refresh": refresh, "time": {"from": time_from, "to": "now"}, "graphTooltip": 1,
        "links": [{"type": "dashboards", "tags": ["smokeflow"], "asDropdown": True, "title": "smokeflow dashboards"}],
        "templating": {"list": variables}, "annotations": {"list": []}, "panels": panels,
    }


# --- the dashboards -------------------------------------------------------------------------


def smoke():
    panels = [
        smoke_panel("Smoke – $target"),
        {"type": "stat", "title": "Over the range – $target", "datasource": INFLUX, "gridPos": {"x": 0, "y": 11, "w": 24, "h": 4},
         "targets": [influx("A", 'SELECT mean("median") AS "median" FROM "latency" WHERE "target" =~ /^$target$/ AND $timeFilter'),
                     influx("B", 'SELECT 100 * sum("lost") / sum("pings") AS "loss" FROM "latency" WHERE "target" =~ /^$target$/ AND $timeFilter')],
         "fieldConfig": {"defaults": {"unit": "ms", "decimals": 2}, "overrides": [override("loss", unit="percent")]},
         "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "none", "graphMode": "none"}},
    ]
    return dashboard("smokeflow-smoke", "Smoke", panels, store_vars(False) + rank_vars("target", False))


def side_by_side():
    panels = [smoke_panel("$target", repeat="target", grid=(0, 0, 8, 9))]
    return dashboard("smokeflow-side-by-side", "Side by side", panels, store_vars(True) + rank_vars("target", True))


def dns():
    variables = [target_var(True, dns=True, name="resolver", label="Resolver")] + rank_vars("resolver", True)
    by_resolver = 'FROM "dns_latency" WHERE "target" =~ /^$resolver$/ AND $timeFilter GROUP BY time($__interval), "target" fill(null)'
    band_query = influx("A", 'SELECT min("ping_1") AS "min", max("$rank_max") AS "max", mean("resolution_time") AS "median", '
                             'mean("loss") AS "loss" FROM "dns_latency" WHERE "target" =~ /^$resolver$/ AND $timeFilter '
                             'GROUP BY time($__interval) fill(null)')
    panels = [
        timeseries("Resolution time", [influx("A", f'SELECT mean("resolution_time") {by_resolver}', alias="$tag_target")], "ms",
                   grid=(0, 0, 12, 9), interval="5m", description="The round's median resolution time per resolver."),
        timeseries("Loss", [influx("A", f'SELECT mean("loss") {by_resolver}', alias="$tag_target")], "percent",
                   grid=(12, 0, 12, 9), interval="5m", description="Queries without an answer before the timeout, percent."),
        timeseries("$resolver", [band_query], "ms", band("max", "min", 20) + [MEDIAN_LINE, LOSS_AXIS], grid=(0, 9, 8, 9),
                   interval="5m", repeat="resolver",
                   description="Grey: fastest to slowest query of each round; green: resolution time; red: loss (right axis)."),
    ]
    return dashboard("smokeflow-dns", "DNS resolvers", panels, variables)


def loss_overview():
    ranked = influx("A", 'SELECT 100 * sum("lost") / sum("pings") AS "loss", mean("median") AS "median" FROM "latency" '
                         'WHERE "target" =~ /^$target$/ AND $timeFilter GROUP BY "target"', alias="", fmt="table")
    bad = influx("A", 'SELECT max("loss") FROM "latency" WHERE "target" =~ /^$target$/ AND $timeFilter '
                      'GROUP BY time($__interval), "target" fill(null)', alias="$tag_target")
    steps = [{"color": "green", "value": None}, {"color": "yellow", "value": 1}, {"color": "orange", "value": 10},
             {"color": "red", "value": 50}]
    panels = [
        {"type": "table", "title": "Targets by loss", "datasource": INFLUX, "gridPos": {"x": 0, "y": 0, "w": 10, "h": 12},
         "description": "Loss over the range (100 × Σlost / Σpings) and the mean median, worst first.",
         "targets": [ranked],
         # One table of every target's row (InfluxDB answers a series per target), without its time.
         "transformations": [{"id": "merge", "options": {}}, {"id": "organize", "options": {"excludeByName": {"Time": True}}}],
         "fieldConfig": {"defaults": {"unit": "ms"},
                         "overrides": [override("loss", unit="percent", custom__cellOptions={"type": "color-background"},
                                                thresholds={"mode": "absolute", "steps": steps})]},
         "options": {"sortBy": [{"displayName": "loss", "desc": True}], "showHeader": True}},
        {"type": "state-timeline", "title": "Bad rounds", "datasource": INFLUX, "gridPos": {"x": 10, "y": 0, "w": 14, "h": 12},
         "description": "The worst round's loss per interval: green none, yellow from 1 %, orange from 10 %, red from 50 %.",
         "interval": "5m", "targets": [bad],
         "fieldConfig": {"defaults": {"unit": "percent", "min": 0, "max": 100, "color": {"mode": "thresholds"},
                                      "thresholds": {"mode": "absolute", "steps": steps}}, "overrides": []},
         "options": {"showValue": "never", "mergeValues": True, "rowHeight": 0.8}},
    ]
    return dashboard("smokeflow-loss", "Loss overview", panels, store_vars(True))


def rollups():
    panels = [rollup_panel("Hourly – $target", "latency_1h", (0, 0, 24, 11)),
              rollup_panel("Daily – $target", "latency_1d", (0, 11, 24, 11))]
    return dashboard("smokeflow-rollups", "Rollups", panels, store_vars(False), time_from="now-90d", refresh="1h")


def self_metrics():
    instance = '{instance=~"$instance"}'
    panels = [
        timeseries("Throughput", [prom("A", f"sum by (component_id) (rate(smokeflow_component_sent_events_total{instance}[$__rate_interval]))", "{{component_id}}")],
                   "cps", grid=(0, 0, 12, 8), description="Points each component passed on, per second."),
        timeseries("Backlog", [prom("A", f"sum by (component_id, buffer_type) (smokeflow_buffer_events{instance})", "{{component_id}} ({{buffer_type}})")],
                   "short", grid=(12, 0, 12, 8), description="Points waiting in each sink's buffer."),
        timeseries("Errors and retries", [
            prom("A", f"sum by (component_id, error_type) (rate(smokeflow_component_errors_total{instance}[$__rate_interval])) or on() vector(0)", "{{component_id}} {{error_type}}"),
            prom("B", f"sum by (component_id, cause) (rate(smokeflow_sink_retries_total{instance}[$__rate_interval]))", "{{component_id}} retry: {{cause}}")],
                   "cps", grid=(0, 8, 12, 8), description="Errors per second (0 until a component has had one), and sink write retries."),
        timeseries("Points dropped", [prom("A", f"sum by (component_id, reason) (rate(smokeflow_component_discarded_events_total{instance}[$__rate_interval]))", "{{component_id}} {{reason}}")],
                   "cps", grid=(12, 8, 12, 8), description="Points dropped per second, by reason (filtered: inactive or unknown targets)."),
        timeseries("Lag", [
            prom("A", f"max by (component_id, tree) (smokeflow_source_lag_seconds{instance})", "{{component_id}} behind {{tree}}"),
            prom("B", f"max by (component_id) (time() - (smokeflow_sink_last_success_timestamp_seconds{instance} > 0))", "{{component_id}}: since last write"),
            prom("C", f"max by (component_id) (smokeflow_join_snapshot_age_seconds{instance})", "{{component_id}}: metadata age")],
                   "s", grid=(0, 16, 12, 8), description="How far tailing sources are behind, since each sink last wrote, how old the join's metadata is."),
        timeseries("Sink write latency (p99)", [prom("A", f"histogram_quantile(0.99, sum by (component_id, le) (rate(smokeflow_sink_request_duration_seconds_bucket{instance}[$__rate_interval])))", "{{component_id}}")],
                   "s", grid=(12, 16, 12, 8)),
        timeseries("Memory", [prom("A", f"process_resident_memory_bytes{instance}", "{{instance}}")], "bytes", grid=(0, 24, 12, 8)),
    ]
    variables = [{"name": "instance", "label": "Instance", "type": "query", "datasource": PROMETHEUS,
                  "query": {"query": "label_values(smokeflow_build_info, instance)", "refId": "instance"},
                  "definition": "label_values(smokeflow_build_info, instance)", "refresh": 2, "sort": 1, "hide": 0,
                  "multi": True, "includeAll": True, "allValue": None, "current": ALL, "options": []}]
    return dashboard("smokeflow-self", "smokeflow", panels, variables, time_from="now-3h", refresh="1m")


DASHBOARDS = {"smoke.json": smoke, "side-by-side.json": side_by_side, "dns.json": dns, "loss.json": loss_overview,
              "rollups.json": rollups, "smokeflow.json": self_metrics}


def provisioned_uids():
    text = (OUT.parent / "provisioning/datasources/smokeflow.yaml").read_text(encoding="utf-8")
    return set(re.findall(r"^\s+uid:\s*(\S+)", text, flags=re.M))


def main():
    check = "--check" in sys.argv[1:]
    stale, uids = [], set()
    for name, make in DASHBOARDS.items():
        made = make()
        # Links and deep links name dashboards by uid, panels name datasources by uid.
        if made["uid"] in uids:
            stale.append(f"{name}: uid {made['uid']} used twice")
        uids.add(made["uid"])
        named = set(re.findall(r'"uid": "([^"]+)"', json.dumps(made["panels"]) + json.dumps(made["templating"])))
        if named - provisioned_uids():
            stale.append(f"{name}: datasources {sorted(named - provisioned_uids())} are not provisioned")
        text = json.dumps(made, indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(f"{name} differs from what make-dashboards.py writes")
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.exit(f"dashboards: {'; '.join(stale)} (a stale file: run docker/grafana/make-dashboards.py)")


if __name__ == "__main__":
    main()
