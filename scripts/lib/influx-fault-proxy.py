#!/usr/bin/env python3
"""An HTTP proxy on loopback between smokeflow's influx sink and a real influxd that answers
the first COUNT write requests with a fault, then forwards everything (the storm ends clean).

Usage: influx-fault-proxy.py UPSTREAM_URL MODE COUNT [--retry-after S] [--port-file FILE]
                             [--stats FILE]
MODE:
  latency:S     wait S seconds, then forward (a slow server)
  status:CODE   answer CODE (413, 429, 503, …) with Retry-After when given, write nothing
  redirect:CODE answer CODE (301, 302, 307, 308) with a Location to the same URL on upstream
  reset         read half the body, then close the connection with an RST
  bad400        read the body, answer 400 with a 1 MB InfluxDB "partial write" error, write
                nothing (the lines are refused for good)
Prints the port; --stats FILE gets JSON after every request: requests, faulted, forwarded,
refused_lines (lines of bad400 requests), forwarded_lines.
"""
import argparse
import gzip
import http.client
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

lock = threading.Lock()
stats = {"requests": 0, "faulted": 0, "forwarded": 0, "refused_lines": 0, "forwarded_lines": 0}


def lines_of(body, headers):
    if headers.get("Content-Encoding", "") == "gzip":
        body = gzip.decompress(body)
    return sum(1 for line in body.split(b"\n") if line.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("upstream")
    parser.add_argument("mode")
    parser.add_argument("count", type=int)
    parser.add_argument("--retry-after")
    parser.add_argument("--port-file")
    parser.add_argument("--stats")
    args = parser.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    kind, _, argument = args.mode.partition(":")

    def save():
        if args.stats:
            with open(args.stats + ".tmp", "w") as f:
                json.dump(stats, f)
            os.replace(args.stats + ".tmp", args.stats)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def forward(self, body):
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            connection.close()
            return response.status

        def handle_any(self):
            length = int(self.headers.get("Content-Length", "0"))
            is_write = self.path.startswith("/write") or self.path.startswith("/api/v2/write")
            with lock:
                stats["requests"] += 1
                fault = is_write and stats["faulted"] < args.count
                if fault:
                    stats["faulted"] += 1
            if fault and kind == "reset":
                self.rfile.read(length // 2)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                with lock:
                    save()
                return
            body = self.rfile.read(length) if length else b""
            if fault and kind == "latency":
                time.sleep(float(argument))
                fault = False
            if fault and kind == "status":
                headers = [("Retry-After", args.retry_after)] if args.retry_after else []
                self.answer(int(argument), b'{"error":"fault proxy: storm"}', [("Content-Type", "application/json"), *headers])
            elif fault and kind == "redirect":
                location = f"{args.upstream.rstrip('/')}{self.path}"
                self.answer(int(argument), b"", [("Location", location)])
            elif fault and kind == "bad400":
                lines = lines_of(body, self.headers)
                with lock:
                    stats["refused_lines"] += lines
                padding = "x" * (1024 * 1024)
                message = f"partial write: points beyond retention policy {padding} dropped={lines}"
                self.answer(400, json.dumps({"error": message}).encode(), [("Content-Type", "application/json"),
                                                                          ("X-Influxdb-Error", "partial write")])
            else:
                status = self.forward(body)
                if is_write and 200 <= status < 300:
                    with lock:
                        stats["forwarded"] += 1
                        stats["forwarded_lines"] += lines_of(body, self.headers)
            with lock:
                save()

        do_GET = do_POST = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    save()
    server.serve_forever()


if __name__ == "__main__":
    main()
