"""Load for `smokeflow serve` (scripts/bench api): POST /targets/bulk of N targets, then
GET /targets (all N) and POST /targets at 1, 10 and 50 concurrent clients, each client one
keep-alive connection; requests/s and p50/p99 latency, and the server's RSS.
Usage: api.py BASE_URL TOKEN SERVER_PID [TARGETS] [SECONDS]"""
import http.client, json, sys, threading, time, urllib.parse

base, token, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10
url = urllib.parse.urlparse(base)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def connection():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=120)


def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def rss_mib():
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run(label, clients, make_request):
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index):
        conn = connection()
        mine, step = [], 0
        while time.monotonic() < deadline:
            method, path, body = make_request(index, step)
            start = time.monotonic()
            status, _ = call(conn, method, path, body)
            mine.append(time.monotonic() - start)
            if status >= 300:
                errors.append(status)
            step += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    rss, peak = rss_mib()
    print(f"{label} clients={clients} requests_per_second={len(latencies) / elapsed:.0f} p50_ms={p(0.50):.2f} "
          f"p99_ms={p(0.99):.2f} errors={len(errors)} rss_mib={rss:.0f} peak_rss_mib={peak:.0f}", flush=True)


conn = connection()
operations = [{"action": "create", "target": {"name": f"bench{i}", "host": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                                              "title": f"Bench target {i}", "category": "default", "site": f"site{i % 20}"}}
              for i in range(count)]
start = time.monotonic()
status, body = call(conn, "POST", "/targets/bulk", {"operations": operations})
assert status == 200, body[:300]
print(f"bulk_create targets={count} seconds={time.monotonic() - start:.3f}", flush=True)

start = time.monotonic()
status, body = call(conn, "POST", "/generate")
print(f"generate targets={count} status={status} seconds={time.monotonic() - start:.3f} answer={body[:160].decode()}", flush=True)

for clients in (1, 10, 50):
    run("get_targets_all", clients, lambda index, step: ("GET", "/targets", None))
for clients in (1, 10, 50):
    run("post_target", clients, lambda index, step, c=clients: (
        "POST", "/targets", {"name": f"p{c}_{index}_{step}", "host": "192.0.2.1", "category": "default"}))
