#!/usr/bin/env python3
"""Scenario 3: the disk buffer's filesystem fills up.

The state directory (and so the influx sink's disk buffer) is on a small tmpfs. InfluxDB is
down at first, so a backfill of a fixture (make-fixtures.py) fills the buffer until the
filesystem refuses writes (ENOSPC, before max_size). The run must say so in one line, honour
`when_full: block` (the source waits, nothing is dropped), keep what is already written intact,
and go on once space returns: influxd starts, the sink drains the buffer, its acknowledged
segments are deleted. At the end InfluxDB must hold every point of the fixture with its exact
field values.

  03-disk-full.py --smokeflow PATH [--short]
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
chaos1 = __import__("01-influx-outage")
ROOT = chaos1.ROOT


def parse_fixture(path):
    """(tags, ns) -> fields text, from line protocol as make-fixtures.py writes it."""
    points = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        head, fields, timestamp = line.rsplit(" ", 2)
        measurement, _, tags = head.partition(",")
        target = dict(part.split("=", 1) for part in tags.split(",")).get("target")
        points[(measurement, target, int(timestamp))] = fields
    return points


def main():
    parser = argparse.ArgumentParser()
    # scripts/chaos passes SMOKEFLOW and CHAOS_SHORT in the environment.
    parser.add_argument("--smokeflow", default=os.environ.get("SMOKEFLOW"), required="SMOKEFLOW" not in os.environ)
    parser.add_argument("--short", action="store_true", default=os.environ.get("CHAOS_SHORT") == "1")
    args = parser.parse_args()
    days, targets, size = (4, 20, "1m") if args.short else (20, 40, "3m")
    work = tempfile.mkdtemp(prefix="smokeflow-chaos3.")
    small = work + "/small"
    os.mkdir(small)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", small], check=True)
    servers = chaos1.Servers(work)
    smokeflow = None
    try:
        subprocess.run(["python3", f"{ROOT}/scripts/make-fixtures.py", f"{work}/in.lp", "--days", str(days), "--targets", str(targets)],
                       check=True, capture_output=True)
        subprocess.run(["zstd", "-q", "-f", f"{work}/in.lp", "-o", f"{work}/in.lp.zst"], check=True)
        expected = parse_fixture(f"{work}/in.lp")
        # The database exists before the run; the server is then down until the buffer is full.
        servers.start_influxd()
        chaos1.http(servers.influx_url + "/query", urllib.parse.urlencode({"q": "CREATE DATABASE chaos"}).encode())
        servers.stop_influxd()
        open(f"{work}/run.yaml", "w").write(f"""
state_dir: {small}/state
sources:
  src: {{ type: fixture, path: {work}/in.lp.zst, batch_size: 500 }}
sinks:
  influx: {{ type: influx, inputs: [src], url: "{servers.influx_url}", database: chaos, buffer: {{ type: disk, max_size: 1GiB, when_full: block }} }}
""")
        log_path = f"{work}/smokeflow.log"
        started = time.time()
        smokeflow = subprocess.Popen([args.smokeflow, "run", f"{work}/run.yaml", "--once", "--log-level", "info"],
                                     stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))

        def log():
            return open(log_path, encoding="utf-8", errors="replace").read()

        deadline = time.time() + 120
        while "disk buffer full" not in log() and "the input ended" not in log() and smokeflow.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        full_lines = [line for line in log().splitlines() if "disk buffer full" in line]
        time.sleep(3)  # held full: the source must wait, not drop, and not fail
        still_running = smokeflow.poll() is None
        usage = shutil.disk_usage(small)
        servers.start_influxd()
        try:
            smokeflow.wait(600)
        except subprocess.TimeoutExpired:
            smokeflow.kill()
        elapsed = time.time() - started
        body = json.loads(chaos1.http(servers.influx_url + "/query?" + urllib.parse.urlencode(
            {"db": "chaos", "epoch": "ns", "q": 'SELECT * FROM /.*/ GROUP BY "target"'}), timeout=300))
        delivered = {}
        mismatched = 0
        for series in body["results"][0].get("series", []):
            columns = series["columns"]
            for row in series["values"]:
                key = (series["name"], series["tags"]["target"], row[0])
                delivered[key] = {columns[i]: value for i, value in enumerate(row) if i > 0 and value is not None}
        for key, fields in expected.items():
            if key not in delivered:
                continue
            wanted = {}
            for part in fields.split(","):
                name, value = part.split("=", 1)
                wanted[name] = float(value.rstrip("i")) if not value.startswith('"') else value.strip('"')
            # SELECT * also returns the other tags as columns: compare the fields only.
            row = delivered[key]
            got = {name: (float(row[name]) if isinstance(row.get(name), (int, float)) else row.get(name)) for name in wanted}
            if got != wanted:
                mismatched += 1
        lost = len(set(expected) - set(delivered))
        text = log()
        print(f"scenario 3 (disk full, tmpfs {size}, when_full: block): produced {len(expected)}, delivered {len(set(expected) & set(delivered))}, "
              f"lost {lost}, duplicated 0 (same series+time, overwritten); {mismatched} points with other values")
        print(f"scenario 3: full reported in {len(full_lines)} line(s): {full_lines[0].split('] ', 1)[-1] if full_lines else 'none'}")
        print(f"scenario 3: the run held while full: {still_running}; filesystem used {usage.used} of {usage.total} B; "
              f"resumed: {'writing again' in text}; exit {smokeflow.returncode}; {elapsed:.1f} s")
        failed = lost or mismatched or len(full_lines) != 1 or not still_running or smokeflow.returncode != 0 or "writing again" not in text
        if failed:
            print(text[-3000:], file=sys.stderr)
        return 1 if failed else 0
    finally:
        if smokeflow and smokeflow.poll() is None:
            smokeflow.kill()
        servers.stop_all()
        subprocess.run(["umount", small], capture_output=True)
        if os.environ.get("CHAOS_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"scenario 3: work folder kept: {work}")


if __name__ == "__main__":
    sys.exit(main())
