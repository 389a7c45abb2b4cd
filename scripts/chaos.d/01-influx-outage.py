#!/usr/bin/env python3
"""Scenario 1: InfluxDB (and victoria-metrics) down mid-stream while probing, beside vmagent.

1,000 namespace targets (scripts/lib/probe-lab.sh, --range16) are probed every 10 s. One
smokeflow process fans the rounds out to: `influx` (influxd 1.x, disk buffer), `vm` (the same
points into victoria-metrics through its InfluxDB write API, disk buffer, tag via=smokeflow),
`vmagent` (the same points into vmagent's InfluxDB endpoint, which buffers them in its
persistent queue and remote-writes them to the same victoria-metrics with via=vmagent), `rrd`
(the embedded store) and `produced` (a file: what the source produced). Then influxd and
victoria-metrics stop for the outage, probing goes on, both start again, and the run waits for
every backlog to drain. A last `smokeflow run --once` with the same state replays whatever a
disk buffer still held at the stop (nothing must depend on the run ending at a good moment).

Checks: every produced (series, time) is in InfluxDB and in victoria-metrics for both paths;
the RRD store kept updating during the outage. Figures: lost, duplicated, drain time after
recovery, peak disk of each buffer, CPU seconds of smokeflow and vmagent.

  01-influx-outage.py --smokeflow PATH [--short] [--targets N] [--outage SECONDS]
"""
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, data=None, timeout=30):
    request = urllib.request.Request(url, data=data)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def wait_http(url, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            http(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"error: {what} did not answer at {url}")


def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def disk_bytes(path):
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Servers:
    def __init__(self, work):
        self.work = work
        self.influx_port, self.vm_port, self.vmagent_port = free_port(), free_port(), free_port()
        self.influx_url = f"http://127.0.0.1:{self.influx_port}"
        self.vm_url = f"http://127.0.0.1:{self.vm_port}"
        self.vmagent_url = f"http://127.0.0.1:{self.vmagent_port}"
        self.influxd = self.vm = self.vmagent = None
        self.point_requests = 0
        conf = subprocess.run(["bash", "-c", f"source {ROOT}/scripts/lib/servers.sh; influxd_config {work}/influxdb {self.influx_port}"],
                              check=True, capture_output=True, text=True).stdout.strip()
        # influxd's own monitoring writes into _internal would count as written points.
        with open(conf, "a") as f:
            f.write("[monitor]\n  store-enabled = false\n")
        self.influx_conf = conf

    def start_influxd(self):
        self.influxd = subprocess.Popen(["influxd", "-config", self.influx_conf], stdout=subprocess.DEVNULL, stderr=open(f"{self.work}/influxd.log", "a"))
        wait_http(self.influx_url + "/ping", "influxd")

    def start_vm(self):
        self.vm = subprocess.Popen([
            "victoria-metrics", f"-storageDataPath={self.work}/vm", f"-httpListenAddr=127.0.0.1:{self.vm_port}",
            "-retentionPeriod=100y", "-loggerLevel=ERROR", "-search.latencyOffset=0s", "-search.disableCache"],
            stdout=subprocess.DEVNULL, stderr=open(f"{self.work}/vm.log", "a"))
        wait_http(self.vm_url + "/health", "victoria-metrics")

    def start_vmagent(self):
        self.vmagent = subprocess.Popen([
            "vmagent", f"-httpListenAddr=127.0.0.1:{self.vmagent_port}", f"-remoteWrite.url={self.vm_url}/api/v1/write",
            f"-remoteWrite.tmpDataPath={self.work}/vmagent-queue", "-remoteWrite.label=via=vmagent", "-loggerLevel=ERROR"], stdout=subprocess.DEVNULL, stderr=open(f"{self.work}/vmagent.log", "a"))
        wait_http(self.vmagent_url + "/health", "vmagent")

    def influx_stats(self):
        """Points influxd was asked to write since it started (SHOW STATS, module write)."""
        body = json.loads(http(self.influx_url + "/query?" + urllib.parse.urlencode({"q": "SHOW STATS FOR 'write'"})))
        for series in body["results"][0].get("series", []):
            columns = series["columns"]
            if "pointReq" in columns:
                return series["values"][0][columns.index("pointReq")]
        return 0

    def stop_influxd(self):
        self.point_requests += self.influx_stats()
        self.influxd.send_signal(signal.SIGTERM)
        self.influxd.wait(60)

    def stop_vm(self):
        self.vm.send_signal(signal.SIGTERM)
        self.vm.wait(60)

    def stop_all(self):
        for process in (self.influxd, self.vm, self.vmagent):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


def produced_keys(path):
    """(target, ns) of every latency point the source produced, from the file sink."""
    keys = []
    for line in open(path, encoding="utf-8"):
        # Read while the sink may be writing: a line without its newline is not whole yet.
        if not line.startswith("latency,") or not line.endswith("\n"):
            continue
        head, _, rest = line.rstrip("\n").partition(" ")
        timestamp = int(rest.rsplit(" ", 1)[1])
        tags = dict(part.split("=", 1) for part in head.split(",")[1:])
        keys.append((tags["target"], timestamp))
    return keys


def influx_keys(servers, database):
    body = json.loads(http(servers.influx_url + "/query?" + urllib.parse.urlencode(
        {"db": database, "epoch": "ns", "q": 'SELECT "loss" FROM "latency" GROUP BY "target"'}), timeout=300))
    keys = []
    for series in body["results"][0].get("series", []):
        target = series["tags"]["target"]
        keys += [(target, row[0]) for row in series["values"]]
    return keys


def vm_keys(servers, path):
    """Every stored sample of latency_loss for one path (duplicates included: no dedup)."""
    query = urllib.parse.urlencode({"match[]": f'{{__name__="latency_loss",via="{path}"}}'})
    body = http(servers.vm_url + "/api/v1/export?" + query, timeout=300).decode()
    keys = []
    for line in body.splitlines():
        series = json.loads(line)
        target = series["metric"]["target"]
        keys += [(target, ms * 1_000_000) for ms in series["timestamps"]]
    return keys


def main():
    parser = argparse.ArgumentParser()
    # scripts/chaos passes SMOKEFLOW and CHAOS_SHORT in the environment.
    parser.add_argument("--smokeflow", default=os.environ.get("SMOKEFLOW"), required="SMOKEFLOW" not in os.environ)
    parser.add_argument("--short", action="store_true", default=os.environ.get("CHAOS_SHORT") == "1")
    parser.add_argument("--targets", type=int)
    parser.add_argument("--outage", type=int)
    args = parser.parse_args()
    targets = args.targets or (100 if args.short else 1000)
    outage = args.outage or (30 if args.short else 600)
    before, after = (25, 20) if args.short else (60, 60)
    step = 10
    work = tempfile.mkdtemp(prefix="smokeflow-chaos1.")
    servers = Servers(work)
    lab = work + "/lab"
    smokeflow = None
    try:
        servers.start_influxd()
        servers.start_vm()
        servers.start_vmagent()
        http(servers.influx_url + "/query", urllib.parse.urlencode({"q": "CREATE DATABASE chaos"}).encode())
        env = subprocess.run([f"{ROOT}/scripts/lib/probe-lab.sh", "up", lab, "--delay-ms", "1", "--range16"],
                             check=True, capture_output=True, text=True).stdout
        lab_env = dict(line.split("=", 1) for line in env.split())
        prefix = lab_env["LAB_RANGE16"]
        with open(f"{work}/targets.yaml", "w") as f:
            for index in range(targets):
                f.write(f"- {{ name: t{index}, host: {prefix}.{index // 250}.{index % 250 + 1} }}\n")
        pipeline = f"""
state_dir: {work}/state
sources:
  ping: {{ type: probe, pings: 20, step: {step}s, interval: 250ms, timeout: 1s, rate: 5000, targets_file: {work}/targets.yaml }}
transforms:
  mark_smokeflow: {{ type: add_tags, inputs: [ping], tags: {{ via: smokeflow }} }}
sinks:
  influx: {{ type: influx, inputs: [ping], url: "{servers.influx_url}", database: chaos, buffer: {{ type: disk, max_size: 2GiB }} }}
  vm: {{ type: influx, inputs: [mark_smokeflow], url: "{servers.vm_url}", database: chaos, buffer: {{ type: disk, max_size: 2GiB }} }}
  vmagent: {{ type: influx, inputs: [ping], url: "{servers.vmagent_url}", database: chaos }}
  rrd: {{ type: rrd, inputs: [ping], path: {work}/rrd }}
  produced: {{ type: file, inputs: [ping], path: {work}/produced.lp }}
"""
        open(f"{work}/run.yaml", "w").write(pipeline)
        drain_pipeline = pipeline.replace(
            f"ping: {{ type: probe, pings: 20, step: {step}s, interval: 250ms, timeout: 1s, rate: 5000, targets_file: {work}/targets.yaml }}",
            "ping: { type: probe, pings: 20, step: 60s, targets: [] }")
        open(f"{work}/drain.yaml", "w").write(drain_pipeline)
        smokeflow = subprocess.Popen([args.smokeflow, "run", f"{work}/run.yaml", "--log-level", "info"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{work}/smokeflow.log", "w"))
        time.sleep(before)

        # The outage.
        servers.stop_influxd()
        servers.stop_vm()
        outage_start = time.time()
        peak_smokeflow = peak_vmagent = 0
        while time.time() - outage_start < outage:
            time.sleep(5)
            peak_smokeflow = max(peak_smokeflow, disk_bytes(f"{work}/state/buffers/vm"))
            peak_vmagent = max(peak_vmagent, disk_bytes(f"{work}/vmagent-queue"))
        rrd_files = [os.path.join(folder, name) for folder, _, names in os.walk(f"{work}/rrd") for name in names if name.endswith(".rrd")]
        rrd_updated = sum(1 for f in rrd_files if os.stat(f).st_mtime > outage_start + step)
        restart = time.time()
        produced_at_restart = len(produced_keys(f"{work}/produced.lp"))
        servers.start_influxd()
        servers.start_vm()
        # Drain times run from when both servers answer again.
        recovered = time.time()
        outage_points = sum(1 for _, ns in produced_keys(f"{work}/produced.lp") if ns >= outage_start * 1e9)

        # Drain: until each destination holds every point produced before the restart.
        drained = {}
        deadline = restart + max(300, outage)
        while len(drained) < 3 and time.time() < deadline:
            time.sleep(0.5)
            now = time.time()
            try:
                if "influx" not in drained:
                    body = json.loads(http(servers.influx_url + "/query?" + urllib.parse.urlencode(
                        {"db": "chaos", "q": f'SELECT count("loss") FROM "latency" WHERE time <= {int(restart * 1e9)}'})))
                    rows = body["results"][0].get("series", [{"values": [[0, 0]]}])[0]["values"]
                    if rows[0][1] >= produced_at_restart:
                        drained["influx"] = now - recovered
                for path in ("smokeflow", "vmagent"):
                    if path in drained:
                        continue
                    query = urllib.parse.urlencode({"query": f'sum(count_over_time(latency_loss{{via="{path}"}}[{int(now - restart) + before + outage + 120}s]))', "time": f"{restart:.3f}"})
                    result = json.loads(http(servers.vm_url + "/api/v1/query?" + query))["data"]["result"]
                    if result and float(result[0]["value"][1]) >= produced_at_restart:
                        drained[path] = now - recovered
            except Exception:
                pass
        time.sleep(after)
        cpu_smokeflow, cpu_vmagent = cpu_seconds(smokeflow.pid), cpu_seconds(servers.vmagent.pid)
        smokeflow.send_signal(signal.SIGTERM)
        smokeflow.wait(120)
        # What a buffer still held at the stop: the next run replays it.
        drain = subprocess.run([args.smokeflow, "run", f"{work}/drain.yaml", "--once", "--log-level", "info"],
                               stdout=subprocess.DEVNULL, stderr=open(f"{work}/drain.log", "w"), timeout=600)
        if drain.returncode != 0:
            print(open(f"{work}/drain.log").read()[-3000:], file=sys.stderr)
        time.sleep(3)  # vmagent's flush interval (1 s) and its remote write
        produced = produced_keys(f"{work}/produced.lp")
        produced_set = set(produced)
        servers.point_requests += servers.influx_stats()
        results = []
        influx = influx_keys(servers, "chaos")
        lost = len(produced_set - set(influx))
        duplicated = max(0, servers.point_requests - len(set(influx)))
        results.append(("smokeflow -> influxd", len(produced_set), len(set(influx) & produced_set), lost, duplicated))
        for path in ("smokeflow", "vmagent"):
            keys = vm_keys(servers, path)
            lost_path = len(produced_set - set(keys))
            results.append((f"{'smokeflow' if path == 'smokeflow' else 'vmagent'} -> victoria-metrics", len(produced_set),
                            len(set(keys) & produced_set), lost_path, len(keys) - len(set(keys))))
        failed = False
        for name, produced_count, delivered, lost, duplicated in results:
            print(f"scenario 1 (influx outage {outage} s, {targets} targets, {name}): produced {produced_count}, delivered {delivered}, "
                  f"lost {lost}, duplicated {duplicated} (same series+time, overwritten)")
            if lost and not name.startswith("vmagent"):
                failed = True
        print(f"scenario 1: rrd store updated during the outage: {rrd_updated} of {len(rrd_files)} files")
        def seconds(name):
            return f"{drained[name]:.2f} s" if name in drained else "not drained"
        print(f"scenario 1: drain after recovery (from both servers answering, polled every 0.5 s): smokeflow->influxd {seconds('influx')}, "
              f"smokeflow->vm {seconds('smokeflow')}, vmagent->vm {seconds('vmagent')}; "
              f"{produced_at_restart} points produced before the restart, {outage_points} during the outage")
        print(f"scenario 1: peak buffer disk during the outage (allocated blocks): smokeflow {peak_smokeflow} B, vmagent {peak_vmagent} B; "
              f"per point produced during the outage: smokeflow {peak_smokeflow / max(1, outage_points):.1f} B, "
              f"vmagent {peak_vmagent / max(1, outage_points):.1f} B")
        print(f"scenario 1: CPU seconds: smokeflow {cpu_smokeflow} (probing, five sinks, two disk buffers), vmagent {cpu_vmagent}")
        if rrd_updated < len(rrd_files):
            failed = True
        if len(drained) < 3:
            failed = True
        return 1 if failed else 0
    finally:
        if smokeflow and smokeflow.poll() is None:
            smokeflow.kill()
        servers.stop_all()
        subprocess.run([f"{ROOT}/scripts/lib/probe-lab.sh", "down", lab], capture_output=True)
        if os.environ.get("CHAOS_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"scenario 1: work folder kept: {work}")


if __name__ == "__main__":
    sys.exit(main())
