#!/usr/bin/env python3
"""Real Suricata into Redis into fpx workers: the verdicts equal those of the same records read
from a file.

Usage: SURICATA=/path/to/suricata scripts/suricata-redis-check.py [WORKERS]   (default 2)

Needs a Suricata built with hiredis (`--enable-hiredis`; `suricata --build-info` says "hiredis
support: yes") and the corpus (FPX_CORPUS, default ../shared/corpus). For each run of
suricata-8.0.6-runs/runs.tsv with more than 10 alerts in the `et` set, plus the two largest
`own` runs, it runs Suricata over the run's pcap with the corpus configuration, its EVE output
switched to a Redis stream (`filetype: redis`, `mode: stream`), on a throwaway redis-server on
loopback; then WORKERS `fpx explain --redis` workers drain the stream into a results stream.
It checks that every entry is acknowledged and that the alerts' verdicts equal those of
`fpx explain` over the run's eve.json in the corpus and of `fpx explain --follow` over it.
"""

import collections
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FPX = os.path.join(ROOT, "target", "release", "fpx")
CORPUS = os.environ.get("FPX_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
RUNS = os.path.join(CORPUS, "suricata-8.0.6-runs")

REDIS_OUTPUT = """  - eve-log:
      enabled: yes
      filetype: redis
      redis:
        server: 127.0.0.1
        port: {port}
        mode: stream
        key: {key}
        stream-maxlen: 100000
"""


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, check=True).stdout


def group_info(port, key, group):
    lines = redis_cli(port, "XINFO", "GROUPS", key).split("\n")
    return dict(zip(lines[::2], lines[1::2])) if group in lines else {}


def config_for(key, port):
    """The corpus configuration with its regular eve-log turned into a Redis stream one."""
    text = open(os.path.join(RUNS, "suricata.yaml")).read()
    start = text.index("  - eve-log:")
    head = text.index("      community-id:", start)
    return text[:start] + REDIS_OUTPUT.format(port=port, key=key) + text[head:]


def verdicts(lines):
    def key_of(v):
        a = v["alert"]
        return (a["timestamp"], a["sid"], a.get("src_port"), a.get("dest_port"))
    return collections.Counter((key_of(v), v["verdict"]) for v in lines if v.get("kind") == "alert")


def explain(args, stdin=None):
    out = subprocess.run([FPX, "explain", "--format", "json", *args], stdin=stdin,
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.split("\n") if l]


def main():
    suricata = os.environ.get("SURICATA")
    if not suricata:
        print(__doc__)
        sys.exit(2)
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "fpx"], cwd=ROOT,
                   check=True)
    tmp = tempfile.mkdtemp(prefix="fpx-suricata-redis-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", tmp],
                              stdout=subprocess.DEVNULL)
    failed = 0
    try:
        for _ in range(100):
            try:
                if "PONG" in redis_cli(port, "PING"):
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)
        rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(RUNS, "runs.tsv"))]
        rows = [r for r in rows[1:] if len(r) > 7 and r[4].isdigit()]
        own = sorted((r for r in rows if r[1] == "own"), key=lambda r: -int(r[4]))[:2]
        picked = [r for r in rows if r[1] == "et" and int(r[4]) > 10] + own
        totals = collections.Counter()
        for r in picked:
            name = "%s-%s" % (r[0], r[1])
            key = "suricata:%s" % name
            cfg = os.path.join(tmp, name + ".yaml")
            open(cfg, "w").write(config_for(key, port))
            args = [a for a in shlex.split(r[7]) if a != "TZ=UTC"]
            args[0] = suricata
            args[args.index("-c") + 1] = cfg
            logdir = os.path.join(tmp, name)
            os.makedirs(logdir)
            args[args.index("-l") + 1] = logdir
            subprocess.run(args, cwd=RUNS, env=dict(os.environ, TZ="UTC"), check=True,
                           capture_output=True)
            entries = int(redis_cli(port, "XLEN", key))
            results = "results:%s" % name
            procs = [subprocess.Popen([FPX, "explain", "--format", "json", "--redis",
                                       "redis://127.0.0.1:%d" % port, "--stream", key,
                                       "--consumer", "w%d" % i, "--results", results],
                                      stdout=subprocess.DEVNULL)
                     for i in range(workers)]
            deadline = time.time() + 60
            while time.time() < deadline:
                g = group_info(port, key, "fpx")
                if g.get("pending") == "0" and g.get("entries-read") == str(entries):
                    break
                time.sleep(0.1)
            for p in procs:
                p.kill()
                p.wait()
            raw = redis_cli(port, "--raw", "XRANGE", results, "-", "+").split("\n")
            got = verdicts(json.loads(l) for l in raw if l.startswith("{"))
            eve = os.path.join(RUNS, r[0], r[1], "eve.json")
            same_file = got == verdicts(explain([eve]))
            with open(eve) as f:
                same_live = got == verdicts(explain(["--follow", "-"], stdin=f))
            g = group_info(port, key, "fpx")
            ok = same_file and same_live and g.get("pending") == "0"
            failed += not ok
            totals["alerts"] += sum(got.values())
            totals["entries"] += entries
            print("suricata-redis: %s: %d entries, %d alerts explained, pending %s; verdicts as "
                  "from the file: %s, as --follow: %s" % (name, entries, sum(got.values()),
                                                          g.get("pending"), same_file, same_live))
        print("suricata-redis: %d runs, %d entries, %d alerts; %d differ" %
              (len(picked), totals["entries"], totals["alerts"], failed))
    finally:
        server.kill()
        server.wait()
        subprocess.run(["rm", "-rf", tmp])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
