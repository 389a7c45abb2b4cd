#!/usr/bin/env python3
"""A TCP proxy on loopback that can stop forwarding without closing anything: the faults of a
network partition or a stuck middlebox, which TCP itself does not report (the proxy's kernel
keeps acknowledging, so keepalives and tcp_user_timeout see a healthy peer).

Usage: tcp-fault-proxy.py UPSTREAM_HOST UPSTREAM_PORT [--port N] [--listen-host ADDRESS]
                          [--port-file FILE] [--mode-file FILE]
Prints the port it listens on (127.0.0.1, or --listen-host: e.g. the host side of a test
namespace's veth, so a server on loopback is reachable from inside the namespace) as its first
line of output (and writes it to
--port-file); --mode-file FILE holds the mode in force (`forward`, `blackhole`), rewritten
once a switch has taken effect, so a caller can wait for it. Modes, switched by signals:
  SIGUSR1  blackhole: every byte either way is read and dropped, sockets stay open (no FIN,
           no RST); new connections are accepted and get nothing.
  SIGUSR2  forward (the start mode): connections opened during the blackhole are closed,
           new ones are forwarded.
  SIGHUP   reset: every open connection is closed with an RST, then forward.
  SIGTERM  exit.
"""
import argparse
import selectors
import signal
import socket
import struct
import sys

FORWARD, BLACKHOLE = "forward", "blackhole"
state = {"mode": FORWARD, "pending": None}


def on_signal(number, _frame):
    if number == signal.SIGUSR1:
        state["pending"] = BLACKHOLE
    elif number == signal.SIGUSR2:
        state["pending"] = FORWARD
    elif number == signal.SIGHUP:
        state["pending"] = "reset"
    else:
        sys.exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--port", dest="listen", type=int, default=0)
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--port-file")
    parser.add_argument("--mode-file")
    args = parser.parse_args()
    import os

    def publish(mode):
        if args.mode_file:
            with open(args.mode_file + ".tmp", "w") as f:
                f.write(mode + "\n")
            os.replace(args.mode_file + ".tmp", args.mode_file)
    signals = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
    for number in signals:
        signal.signal(number, on_signal)
    # A parent's blocked signals are inherited (a Swift test process blocks most): unblock ours.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.listen_host, args.listen))
    listener.listen(128)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    publish(FORWARD)
    print(port, flush=True)

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    peers = {}  # socket -> its peer socket, or None (accepted during a blackhole)

    def close(sock, reset=False):
        peer = peers.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            peers.pop(s, None)
            try:
                selector.unregister(s)
            except (KeyError, ValueError):
                pass
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

    while True:
        pending, state["pending"] = state["pending"], None
        if pending == "reset":
            for sock in list(peers):
                if sock in peers:
                    close(sock, reset=True)
            state["mode"] = FORWARD
        elif pending == FORWARD:
            for sock, peer in list(peers.items()):
                if peer is None and sock in peers:
                    close(sock)
            state["mode"] = FORWARD
        elif pending == BLACKHOLE:
            state["mode"] = BLACKHOLE
        if pending:
            publish(state["mode"])
        try:
            events = selector.select(timeout=0.1)
        except InterruptedError:
            continue
        for key, _ in events:
            sock = key.fileobj
            if sock is listener:
                try:
                    client, _ = listener.accept()
                except BlockingIOError:
                    continue
                upstream = None
                if state["mode"] == FORWARD:
                    try:
                        upstream = socket.create_connection((args.host, args.port), timeout=5)
                    except OSError:
                        client.close()
                        continue
                    peers[upstream] = client
                    selector.register(upstream, selectors.EVENT_READ, None)
                peers[client] = upstream
                selector.register(client, selectors.EVENT_READ, None)
                continue
            if sock not in peers:
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                if state["mode"] != BLACKHOLE:
                    close(sock)
                else:
                    # A closed end is not passed on either: the other side hears nothing.
                    selector.unregister(sock)
                continue
            peer = peers.get(sock)
            if state["mode"] == BLACKHOLE or peer is None:
                continue
            try:
                peer.sendall(data)
            except OSError:
                close(sock)


if __name__ == "__main__":
    main()
