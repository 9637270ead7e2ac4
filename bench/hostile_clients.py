#!/usr/bin/env python3
"""Hostile sockets and /health probes for bench/peers' `hostile` scenario.

    hostile_clients.py hold  --port P [--host H] [--idle N] [--slowloris N] [--silent N]
                             [--no-reconnect] [--hold-for SECONDS] [--source-addresses K]
    hostile_clients.py probe --port P [--host H] [--count N] [--connections C] [--fresh N]

hold opens three kinds of sockets to the server and keeps them:
  idle       one successful `GET /health` on a keep-alive connection, then nothing;
  slowloris  a request head sent one byte a second, never finished;
  silent     connected, sends nothing.
With reconnection (the default) a socket the server closes is counted and
opened again at once (an idle one does its GET again). With --no-reconnect it
stays closed, and the time from its connect to the close is kept: how a server
with its own timeouts treats them.

It prints one JSON line {"ready": ...} once every socket is open (idle ones
answered), then holds until stdin ends (or --hold-for passes) and prints one
JSON line with the counts per kind: open at the end, closes, reconnects,
failed connects, the status codes the server answered with before closing,
and seconds from connect to close (p50, max).

probe measures `GET /health` in its own process, so the holder's event loop adds
nothing to the figures: --count GETs spread over --connections kept-alive
connections, then --fresh GETs each on a new connection (connect, request,
answer, close). Prints one JSON line: p50, p99 and max in ms for each, errors.
"""

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import sys
import threading
import time

KINDS = ("idle", "slowloris", "silent")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentiles(values):
    if not values:
        return {"p50": None, "p99": None, "max": None}
    values = sorted(values)

    def at(q):
        return values[min(len(values) - 1, int(q * len(values)))]
    return {"p50": at(0.50), "p99": at(0.99), "max": values[-1]}


def request(host, path="/health", keep_alive=True):
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()


def status_of(head):
    """The status code of a response head (bytes), or None."""
    parts = head.split(b" ", 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None


def body_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


# --------------------------------------------------------------------------
# hold

class Kind:
    def __init__(self, name, target):
        self.name, self.target = name, target
        self.open = 0
        self.opened = 0           # sockets that reached their held state at least once
        self.closes = 0           # closed by the server (end of file or reset)
        self.reconnects = 0
        self.connect_errors = 0
        self.statuses = {}        # what the server answered before closing
        self.closed_after_s = []  # connect to close
        self.health_ok = 0        # idle: GETs answered 200

    def summary(self):
        return {"target": self.target, "open": self.open, "opened": self.opened,
                "closes": self.closes, "reconnects": self.reconnects,
                "connect_errors": self.connect_errors,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "closed_after_s": percentiles(self.closed_after_s),
                "health_ok": self.health_ok}


class Holder:
    def __init__(self, args):
        self.args = args
        self.kinds = {k: Kind(k, getattr(args, k)) for k in KINDS}
        self.connecting = asyncio.Semaphore(args.connect_concurrency)
        self.ready = asyncio.Event()
        self.stopping = False
        self.next_source = 0

    def check_ready(self):
        if all(k.opened >= k.target for k in self.kinds.values()):
            self.ready.set()

    async def connect(self, kind):
        local = None
        if self.args.source_addresses:
            local = (f"127.0.0.{2 + self.next_source % self.args.source_addresses}", 0)
            self.next_source += 1
        while not self.stopping:
            try:
                async with self.connecting:
                    return await asyncio.wait_for(asyncio.open_connection(
                        self.args.host, self.args.port, local_addr=local), 10)
            except (OSError, asyncio.TimeoutError):
                kind.connect_errors += 1
                await asyncio.sleep(0.25)
        return None, None

    async def keep(self, kind, index):
        first = True
        while not self.stopping:
            reader, writer = await self.connect(kind)
            if reader is None:
                return
            if not first:
                kind.reconnects += 1
            first = False
            t0 = time.monotonic()
            status = await self.hold_one(kind, index, reader, writer)
            writer.close()
            if self.stopping:
                return
            kind.closes += 1
            kind.closed_after_s.append(time.monotonic() - t0)
            if status is not None:
                kind.statuses[status] = kind.statuses.get(status, 0) + 1
            if not self.args.reconnect:
                return

    async def hold_one(self, kind, index, reader, writer):
        """Holds one socket until the server closes it; returns the status it
        answered with before closing, if any."""
        if kind.name == "idle":
            try:
                writer.write(request(self.args.host, self.args.health_path))
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(body_length(head))
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return None
            if status_of(head) != 200:
                return status_of(head)
            kind.health_ok += 1
        kind.open += 1
        kind.opened += 1
        self.check_ready()
        trickle = (asyncio.ensure_future(self.trickle(writer, index))
                   if kind.name == "slowloris" else None)
        try:
            received = b""
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                received += chunk[:256 - len(received)]
        except OSError:
            pass
        finally:
            kind.open -= 1
            if trickle:
                trickle.cancel()
        return status_of(received) if received else None

    async def trickle(self, writer, index):
        """One byte of a request head a second, never the blank line that ends it."""
        head = f"GET /health HTTP/1.1\r\nHost: {self.args.host}\r\nX-Slow-{index}: ".encode()
        await asyncio.sleep(random.random())  # spread the sockets over the second
        sent = 0
        try:
            while True:
                writer.write(head[sent:sent + 1] if sent < len(head) else b"a")
                sent += 1
                await writer.drain()
                await asyncio.sleep(self.args.interval)
        except (OSError, asyncio.CancelledError):
            pass

    def summary(self):
        return {k: v.summary() for k, v in self.kinds.items()}

    async def run(self):
        tasks = [asyncio.ensure_future(self.keep(kind, i))
                 for kind in self.kinds.values() for i in range(kind.target)]
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(self.ready.wait(), self.args.open_timeout)
        except asyncio.TimeoutError:
            pass
        print(json.dumps({"ready": self.ready.is_set(), "open_s": time.monotonic() - t0,
                          "kinds": self.summary()}), flush=True)
        if self.args.hold_for:
            await asyncio.sleep(max(0.0, self.args.hold_for - (time.monotonic() - t0)))
        else:
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        summary = self.summary()  # before our own closes count as anything
        self.stopping = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        summary["held_s"] = time.monotonic() - t0
        print(json.dumps(summary), flush=True)
        # Not a normal exit: the executor thread may still block on stdin.
        sys.stdout.flush()
        os._exit(0)


# --------------------------------------------------------------------------
# probe

class Probe:
    def __init__(self, args):
        self.args = args
        self.req = request(args.host, args.health_path)

    def exchange(self, sock):
        sock.sendall(self.req)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the answer")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        need = body_length(head)
        while len(body) < need:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed inside the body")
            body += chunk
        if status_of(head) != 200:
            raise ConnectionError(f"status {status_of(head)}")

    def connect(self):
        sock = socket.create_connection((self.args.host, self.args.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def kept_alive(self, count, out, errors):
        sock = None
        for _ in range(count):
            t0 = time.perf_counter()
            try:
                if sock is None:
                    sock = self.connect()
                self.exchange(sock)
                out.append((time.perf_counter() - t0) * 1000)
            except OSError:
                errors.append(1)
                if sock:
                    sock.close()
                sock = None
        if sock:
            sock.close()

    def run(self):
        result = {}
        latencies, errors = [], []
        per = [self.args.count // self.args.connections] * self.args.connections
        per[0] += self.args.count - sum(per)
        threads = [threading.Thread(target=self.kept_alive, args=(n, latencies, errors))
                   for n in per]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result["keepalive"] = dict(percentiles(latencies), count=len(latencies),
                                   errors=len(errors), connections=self.args.connections)
        latencies, errors = [], []
        for _ in range(self.args.fresh):
            t0 = time.perf_counter()
            try:
                with self.connect() as sock:
                    self.exchange(sock)
                latencies.append((time.perf_counter() - t0) * 1000)
            except OSError:
                errors.append(1)
        result["fresh"] = dict(percentiles(latencies), count=len(latencies), errors=len(errors))
        print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("hold", "probe"):
        p = sub.add_parser(name)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--health-path", default="/health")
    hold = sub.choices["hold"]
    hold.add_argument("--idle", type=int, default=1000)
    hold.add_argument("--slowloris", type=int, default=1000)
    hold.add_argument("--silent", type=int, default=1000)
    hold.add_argument("--interval", type=float, default=1.0, help="seconds between slowloris bytes")
    hold.add_argument("--no-reconnect", dest="reconnect", action="store_false")
    hold.add_argument("--hold-for", type=float, default=0,
                      help="stop this many seconds after the first connect (0: when stdin ends)")
    hold.add_argument("--open-timeout", type=float, default=60)
    hold.add_argument("--connect-concurrency", type=int, default=200)
    hold.add_argument("--source-addresses", type=int, default=None,
                      help="bind to 127.0.0.2.. (K addresses); default: one per 20,000 sockets "
                           "past the first 20,000")
    probe = sub.choices["probe"]
    probe.add_argument("--count", type=int, default=2000)
    probe.add_argument("--connections", type=int, default=4)
    probe.add_argument("--fresh", type=int, default=500)
    args = parser.parse_args()
    limit = raise_nofile()
    if args.command == "probe":
        return Probe(args).run()
    total = args.idle + args.slowloris + args.silent
    if total + 64 > limit:
        parser.error(f"{total} sockets need more descriptors than RLIMIT_NOFILE allows ({limit})")
    if args.source_addresses is None:
        args.source_addresses = 0 if total <= 20000 else -(-total // 20000)
    asyncio.run(Holder(args).run())


if __name__ == "__main__":
    main()
