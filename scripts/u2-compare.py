#!/usr/bin/env python3
"""Compares fpx's unified2 record counts with py-idstools' for every unified2 file in the corpus.

For each file it counts events, packets and extra-data records with
`idstools.unified2.FileRecordReader` and with fpx (`examples/u2count.rs`). Where idstools stops
on a record type it does not know (Snort 3's type 3 buffer), the file is instead checked against
the `alert_json.txt` written by the same Snort run: fpx must count one event per JSON line and one
packet or buffer record per event. Truncated files must be rejected by both.

Usage: scripts/u2-compare.py [CORPUS_DIR]   (default ../shared/corpus, or $FPX_CORPUS)
Needs: pip install idstools; cargo (or FPX_U2COUNT=path/to/u2count).
Exit status: 0 when every file agrees, 1 otherwise.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

try:
    from idstools import unified2
except ImportError:
    sys.exit("py-idstools is not installed: pip install idstools")

REPO = Path(__file__).resolve().parent.parent


def corpus_dir():
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    return Path(os.environ.get("FPX_CORPUS", REPO.parent / "shared" / "corpus"))


def unified2_files(root):
    files = []
    for sub, pattern in [
        ("djcas9-unified2", "unified2-*.log"),
        ("go-unified2", "*.log"),
        ("py-idstools", "*.log"),
        ("py-idstools", "*.unified2"),
        ("snort-3.11.1-runs", "**/snort.u2.*"),
    ]:
        files.extend(sorted((root / sub).glob(pattern)))
    return files


def idstools_counts(path):
    """(events, packets, extra_data, stopped_on) where stopped_on names why reading ended early."""
    counts = {"events": 0, "packets": 0, "extra_data": 0}
    try:
        for rec in unified2.FileRecordReader(str(path)):
            if isinstance(rec, unified2.Event):
                counts["events"] += 1
            elif isinstance(rec, unified2.Packet):
                counts["packets"] += 1
            elif isinstance(rec, unified2.ExtraData):
                counts["extra_data"] += 1
    except unified2.UnknownRecordType as e:
        return counts, "unknown record type ({})".format(e)
    except Exception as e:  # truncated input and the like
        return counts, "error ({}: {})".format(type(e).__name__, e)
    return counts, None


def fpx_counts(paths):
    exe = os.environ.get("FPX_U2COUNT")
    if exe:
        cmd = [exe]
    else:
        cmd = ["cargo", "run", "--quiet", "--example", "u2count", "--"]
    out = subprocess.run(cmd + [str(p) for p in paths], cwd=REPO, capture_output=True, text=True)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if len(rows) != len(paths):
        sys.exit("u2count printed {} rows for {} files:\n{}".format(len(rows), len(paths), out.stderr))
    return {row["path"]: row for row in rows}


def alert_json_lines(path):
    d = path.parent
    if d.name == "legacy-u2":
        d = d.parent
    j = d / "alert_json.txt"
    if not j.is_file():
        return None
    with open(j, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if line.strip())


def main():
    root = corpus_dir()
    if not (root / "PROVENANCE.md").is_file():
        sys.exit("corpus not found at {}".format(root))
    files = unified2_files(root)
    fpx = fpx_counts(files)
    bad = 0
    by_method = {"idstools": 0, "alert_json": 0, "both_reject": 0}
    for path in files:
        f = fpx[str(path)]
        ids, stopped = idstools_counts(path)
        name = path.relative_to(root)
        if "count_error" in f:
            if stopped is not None or sum(ids.values()) == 0:
                by_method["both_reject"] += 1
                print("ok   {}: rejected by both (fpx: {})".format(name, f["count_error"]))
            else:
                bad += 1
                print("FAIL {}: fpx rejects it, idstools reads {}".format(name, ids))
            continue
        mine = {k: f[k] for k in ("events", "packets", "extra_data")}
        if stopped is None:
            by_method["idstools"] += 1
            if mine != ids:
                bad += 1
                print("FAIL {}: fpx {} idstools {}".format(name, mine, ids))
            continue
        want = alert_json_lines(path)
        by_method["alert_json"] += 1
        problems = []
        if want is None:
            problems.append("idstools stopped ({}) and there is no alert_json.txt".format(stopped))
        elif f["events"] != want:
            problems.append("{} events, alert_json.txt has {} lines".format(f["events"], want))
        if f["packets"] + f["buffers"] != f["events"]:
            problems.append("{} packets + {} buffers for {} events".format(f["packets"], f["buffers"], f["events"]))
        if any(ids[k] > mine[k] for k in ids):
            problems.append("idstools read more before stopping: {}".format(ids))
        if f.get("alerts") != f["events"]:
            problems.append("{} alerts from {} events".format(f.get("alerts"), f["events"]))
        if problems:
            bad += 1
            print("FAIL {}: {}".format(name, "; ".join(problems)))
    print(
        "{} files: {} compared with idstools, {} with alert_json.txt (idstools stopped), "
        "{} truncated and rejected by both; {} mismatches".format(
            len(files), by_method["idstools"], by_method["alert_json"], by_method["both_reject"], bad
        )
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
