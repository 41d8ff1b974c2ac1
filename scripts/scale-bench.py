#!/usr/bin/env python3
"""Measures `fpx explain --redis` workers against one `fpx explain` of the same records, in one
run: ratios, not seconds (absolute times on shared machines are noise).

Usage: scripts/scale-bench.py EVE_FILE [WORKERS...]   (default workers: 1 2)

Starts a throwaway redis-server on loopback, loads EVE_FILE into a stream as Suricata writes it
(XADD key MAXLEN ~ N * eve line), then for each worker count drains the stream with that many
`fpx explain --redis --threads 1` workers into a results stream and times it until every entry
is acknowledged; then the same through `fpx route` into as many partitions, one worker each.
The baseline is `fpx explain --format json --threads 1 EVE_FILE > /dev/null`.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FPX = os.path.join(ROOT, "target", "release", "fpx")


class Redis:
    """Just enough RESP for the benchmark."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = self.sock.makefile("rb")

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def reply(self):
        line = self.buf.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b"+", b"-"):
            if kind == b"-":
                raise RuntimeError(rest.decode())
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.buf.read(n + 2)[:-2]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def cmd(self, *args):
        self.send(*args)
        return self.reply()


def say(line):
    print(line, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def group_done(r, key, group, total):
    """Whether the group has read every entry and has none pending."""
    try:
        groups = r.cmd("XINFO", "GROUPS", key)
    except RuntimeError:
        return False
    for g in groups:
        info = dict(zip(g[::2], g[1::2]))
        if info[b"name"].decode() == group:
            return info[b"pending"] == 0 and info[b"entries-read"] == total
    return False


def spawn(args):
    return subprocess.Popen([FPX] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def drain(r, url, key, group, results, workers, total):
    """Runs `workers` workers on `key` until the group is done; returns the seconds taken."""
    start = time.monotonic()
    procs = [
        spawn(["explain", "--format", "json", "--threads", "1", "--redis", url,
               "--stream", key, "--group", group, "--consumer", "w%d" % i,
               "--results", results])
        for i in range(workers)
    ]
    try:
        while not group_done(r, key, group, total):
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker died: %s" % procs[0].stderr.read().decode())
            time.sleep(0.02)
        return time.monotonic() - start
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    eve = sys.argv[1]
    counts = [int(w) for w in sys.argv[2:]] or [1, 2]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "fpx"], cwd=ROOT, check=True)
    lines = [l.rstrip(b"\n") for l in open(eve, "rb") if l.strip()]
    alerts = sum(1 for l in lines if b'"event_type":"alert"' in l)
    tmp = tempfile.mkdtemp(prefix="fpx-scale-")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                r = Redis(port)
                if r.cmd("PING") == "PONG":
                    break
            except OSError:
                time.sleep(0.05)
        url = "redis://127.0.0.1:%d" % port
        key = "suricata"
        for i in range(0, len(lines), 1000):
            chunk = lines[i:i + 1000]
            for l in chunk:
                r.send("XADD", key, "MAXLEN", "~", str(len(lines) + 1000), "*", "eve", l)
            for _ in chunk:
                r.reply()
        total = r.cmd("XLEN", key)
        say("scale: %s: %d records, %d alerts in the stream" % (eve, total, alerts))

        start = time.monotonic()
        subprocess.run([FPX, "explain", "--format", "json", "--threads", "1", eve],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = time.monotonic() - start
        say("scale: baseline `fpx explain --threads 1 FILE` = 1.00")

        one = None
        for n in counts:
            t = drain(r, url, key, "g%d" % n, "results-%d" % n, n, total)
            one = one or t
            got = r.cmd("XLEN", "results-%d" % n)
            say("scale: %d worker(s) on one stream: %.2fx the baseline's speed, %.2fx one "
                  "worker's; %d results" % (n, base / t, one / t, got))

        for n in counts:
            if n < 2:
                continue
            start = time.monotonic()
            # Untrimmed partitions: the benchmark loads the whole file at once.
            routers = [spawn(["route", "--redis", url, "--stream", key, "--group", "route%d" % n,
                              "--consumer", "r%d" % i, "--partitions", str(n),
                              "--partition-maxlen", "0"])
                       for i in range(n)]
            try:
                while not group_done(r, key, "route%d" % n, total):
                    time.sleep(0.02)
                routed = time.monotonic() - start
            finally:
                for p in routers:
                    p.kill()
                    p.wait()
            parts = [r.cmd("XLEN", "%s:%d" % (key, p)) for p in range(n)]
            start = time.monotonic()
            procs = [
                spawn(["explain", "--format", "json", "--threads", "1", "--redis", url,
                       "--stream", "%s:%d" % (key, p), "--group", "part%d" % n,
                       "--consumer", "p%d" % p, "--results", "presults-%d" % n])
                for p in range(n)
            ]
            try:
                while not all(group_done(r, "%s:%d" % (key, p), "part%d" % n, parts[p])
                              for p in range(n)):
                    time.sleep(0.02)
                t = time.monotonic() - start
            finally:
                for p in procs:
                    p.kill()
                    p.wait()
            say("scale: routing into %d partitions %s: %.2fx the baseline's speed; then %d "
                  "partition workers: %.2fx the baseline's speed, %.2fx one worker's on one "
                  "stream; %d results" % (n, parts, base / routed, n, base / t, one / t,
                                         r.cmd("XLEN", "presults-%d" % n)))
    finally:
        server.kill()
        server.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
