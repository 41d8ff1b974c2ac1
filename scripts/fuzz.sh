#!/usr/bin/env bash
# Fuzzes fpx's entry-point parsers (the cargo-fuzz targets in fuzz/), one target at a time,
# each from a seed corpus built from the public corpus, and prints what each run did.
#
#   scripts/fuzz.sh [TARGET...]                     every target, or those named
#   scripts/fuzz.sh --minimise TARGET CRASH_FILE    minimise a crash into fuzz/artifacts/TARGET/
#   scripts/fuzz.sh --list                          the targets
#
# Environment:
#   FUZZ_SECONDS  seconds per target (600)
#   FUZZ_WORK     work folder, outside the repo: target/ (the build), seeds/ (rebuilt on each
#                 run), corpus/ (what libFuzzer found, kept between runs), artifacts/ (crashes),
#                 logs/ (/tmp/fpx-fuzz)
#   FPX_CORPUS    the public corpus, read only (../shared/corpus, from the repo's root)
#   FUZZ_NICE     niceness of the build and the fuzzer (10)
#
# Nothing is written into the repo except by --minimise. One fuzzer runs at a time, on one
# core (-jobs=1 -workers=1), with libFuzzer's limits: 10 s per input, 2048 MB of memory.
# Exit status: 0 when no target crashed, 1 otherwise, 2 on a usage error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=${FUZZ_WORK:-/tmp/fpx-fuzz}
CORPUS=${FPX_CORPUS:-../shared/corpus}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-600}
NICE=${FUZZ_NICE:-10}
TARGETS=(dissect decode unified2 pcap rules replay eve fast_full snort3_logs context_logs user_files)

# Longest input per target: whole captures and unified2 spools for the binary readers, a
# chunk of lines for the text ones (libFuzzer's default would be the longest seed).
max_len() {
    case $1 in
        pcap | unified2) echo 262144 ;;
        *) echo 65536 ;;
    esac
}

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode=run
case ${1:-} in
    -h | --help) usage ;;
    --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    --minimise | --minimize) mode=minimise; shift; [ $# -eq 2 ] || usage ;;
esac

known() {
    local t
    for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done
    return 1
}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case $WORK/ in
    "$ROOT"/*) echo "fuzz.sh: FUZZ_WORK must be outside the repo ($WORK)" >&2; exit 2 ;;
esac
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir=$WORK/target/$host/release

# Release build with debug assertions and overflow checks (as `cargo test` builds), without a
# sanitizer: the toolchain is stable, hence RUSTC_BOOTSTRAP for cargo-fuzz's nightly flags.
build() {
    RUSTC_BOOTSTRAP=1 nice -n "$NICE" cargo fuzz build -s none -O -a \
        --target-dir "$WORK/target" "$@"
}

if [ "$mode" = minimise ]; then
    target=$1
    crash=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    known "$target" || { echo "fuzz.sh: unknown target $target" >&2; exit 2; }
    build "$target"
    out=$ROOT/fuzz/artifacts/$target
    mkdir -p "$out"
    FPX_FUZZ_RULES=$WORK/seeds/replay.rules nice -n "$NICE" "$bin_dir/$target" \
        -minimize_crash=1 -runs=100000 -timeout=10 -rss_limit_mb=2048 \
        -exact_artifact_path="$out/minimised-$(basename "$crash")" "$crash"
    echo "minimised: $out/minimised-$(basename "$crash")"
    exit 0
fi

if [ $# -eq 0 ]; then
    set -- "${TARGETS[@]}"
fi
for t in "$@"; do
    known "$t" || { echo "fuzz.sh: unknown target $t (see --list)" >&2; exit 2; }
done
[ -d "$CORPUS" ] || { echo "fuzz.sh: no corpus at $CORPUS (set FPX_CORPUS)" >&2; exit 2; }

echo "fuzz.sh: building seeds from $CORPUS into $WORK/seeds" >&2
python3 - "$CORPUS" "$WORK/seeds" "$ROOT/knowledge" "$@" <<'PY'
"""Seed corpora for the fuzz targets, from the real files of the public corpus. Each seed
is laid out as its target reads its input (the selector bytes first; see fuzz_targets/)."""
import base64, gzip, hashlib, json, os, re, shutil, struct, sys

corpus, OUT, knowledge, targets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
MAX_SEEDS = 4000

def files(pred):
    for d, _, names in sorted(os.walk(corpus)):
        for n in sorted(names):
            p = os.path.join(d, n)
            if pred(p, n):
                yield p

def read(p, limit=None):
    opener = gzip.open if p.endswith(".gz") else open
    with opener(p, "rb") as f:
        return f.read() if limit is None else f.read(limit)

def sample(items, n=MAX_SEEDS):
    """Every k-th item, so that a cap keeps seeds from every file."""
    items = list(items)
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]

def write(target, seeds):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    seen = set()
    for s in seeds:
        h = hashlib.sha1(s).hexdigest()
        if h not in seen:
            seen.add(h)
            with open(os.path.join(d, h), "wb") as f:
                f.write(s)
    print(f"  {target}: {len(seen)} seeds", file=sys.stderr)

def chunks(lines, n, keep_header=False):
    """Runs of n lines; with keep_header, each run starts with the file's `#` lines."""
    header = [l for l in lines if l.startswith(b"#")] if keep_header else []
    body = [l for l in lines if not (keep_header and l.startswith(b"#"))]
    for i in range(0, max(len(body), 1), n):
        yield b"".join(header + body[i:i + n])

def lines_of(p, limit=1 << 20):
    return read(p, limit).splitlines(keepends=True)

# --- captures ---------------------------------------------------------------------------
def pcap_frames(p, cap=200):
    """(linktype, frame) of a pcap or pcapng file, the first `cap` of them."""
    b = read(p, 4 << 20)
    out = []
    if len(b) < 24:
        return out
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        lt = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(b) and len(out) < cap:
            incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
            out.append((lt, b[off + 16:off + 16 + incl]))
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if b[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, ifaces = 0, []
        while off + 12 <= len(b) and len(out) < cap:
            btype, blen = struct.unpack(e + "II", b[off:off + 8])
            if blen < 12:
                break
            body = b[off + 8:off + blen - 4]
            if btype == 1:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, incl, _ = struct.unpack(e + "IIIII", body[:20])
                lt = ifaces[iface] if iface < len(ifaces) else 1
                out.append((lt, body[20:20 + incl]))
            off += blen
    return out

def transport(lt, f):
    """(proto, src, dst, sport, dport, payload) of a frame, or None: Ethernet (with VLAN tags),
    Linux SLL, BSD null and raw IP; IPv4 and IPv6 without extension headers; TCP and UDP."""
    if lt == 1:
        et, off = struct.unpack(">H", f[12:14])[0] if len(f) >= 14 else 0, 14
        while et == 0x8100 and len(f) >= off + 4:
            et, off = struct.unpack(">H", f[off + 2:off + 4])[0], off + 4
    elif lt == 113:
        et, off = struct.unpack(">H", f[14:16])[0] if len(f) >= 16 else 0, 16
    elif lt == 0:
        et, off = 0, 4
    else:
        et, off = 0, 0
    ip = f[off:]
    if not ip or et not in (0, 0x0800, 0x86DD):
        return None
    if ip[0] >> 4 == 4 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        if struct.unpack(">H", ip[6:8])[0] & 0x1FFF:
            return None
        proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:]
    elif ip[0] >> 4 == 6 and len(ip) >= 40:
        proto, src, dst, l4 = ip[6], ip[8:24], ip[24:40], ip[40:]
    else:
        return None
    if proto == 6 and len(l4) >= 20:
        data = l4[(l4[12] >> 4) * 4:]
    elif proto == 17 and len(l4) >= 8:
        data = l4[8:]
    else:
        return None
    sport, dport = struct.unpack(">HH", l4[:4])
    return proto, src, dst, sport, dport, data

def is_pcap(p, n):
    return n.endswith((".pcap", ".pcapng"))

# --- the knowledge base, as the dissect target indexes it ----------------------------------
def toml_blocks(name, key):
    text = open(os.path.join(knowledge, name), encoding="utf-8").read()
    return [m.group(1) for m in re.finditer(rf'^{key}\s*=\s*"?([^"\n]+)"?', text, re.M)]

services = [int(p) for p in toml_blocks("services.toml", "port")]
groups = toml_blocks("multicast.toml", "address")

def dissect_seed(proto, src, dst, sport, dport, data):
    import ipaddress
    dst_ip = str(ipaddress.ip_address(bytes(dst)))
    group = groups.index(dst_ip) if dst_ip in groups else len(groups)
    service, swap = len(services), 0
    if dport in services:
        service = services.index(dport)
    elif sport in services:
        service, swap = services.index(sport), 4
    t = 1 if proto == 6 else 2
    return bytes([service % 256, group % 256, t | swap]) + data

# --- EVE ------------------------------------------------------------------------------------
def eve_files():
    return files(lambda p, n: n.endswith(".json") and "eve" in n
                 or n in ("suricata-logs-evelog.log", "suricata-eve-detect.log"))

def eve_records():
    for p in eve_files():
        for line in lines_of(p, 8 << 20):
            try:
                yield line, json.loads(line)
            except ValueError:
                yield line, None

EVE_LINKTYPES = [1, 101, 113, 228, 0, 12]

def eve_seeds():
    raw, packets = [], []
    for line, rec in eve_records():
        raw.append(b"\x00" + line)
        if isinstance(rec, dict) and isinstance(rec.get("packet"), str):
            lt = (rec.get("packet_info") or {}).get("linktype", 1)
            if lt in EVE_LINKTYPES:
                try:
                    pkt = base64.b64decode(rec["packet"] + "==")
                except ValueError:
                    continue
                packets.append(bytes([0x03, EVE_LINKTYPES.index(lt), 0]) + pkt)
    return sample(raw) + sample(packets, 1000)

# --- rules ------------------------------------------------------------------------------------
def rule_files():
    return files(lambda p, n: n.endswith(".rules"))

def rule_lines():
    for p in rule_files():
        for l in lines_of(p, 8 << 20):
            if re.match(rb"\s*#*\s*(alert|drop|reject|pass|log|sdrop)\b", l):
                yield p, l.strip()

PAYLOAD_OPTION = re.compile(rb"\b(content|pcre|byte_test|byte_jump|byte_extract|isdataat|dsize):")

def replay_pairs():
    """(rule, payload, direction, stream) for EVE alerts whose rule the corpus has."""
    by_sid = {}
    for _, l in rule_lines():
        m = re.search(rb"\bsid\s*:\s*(\d+)", l)
        if m and not l.startswith(b"#"):
            by_sid.setdefault(int(m.group(1)), l)
    pairs = []
    for _, rec in eve_records():
        if not isinstance(rec, dict) or rec.get("event_type") != "alert":
            continue
        rule = by_sid.get((rec.get("alert") or {}).get("signature_id"))
        if rule is None:
            continue
        payload = None
        if isinstance(rec.get("payload"), str):
            payload = base64.b64decode(rec["payload"] + "==")
        elif isinstance(rec.get("packet"), str):
            lt = (rec.get("packet_info") or {}).get("linktype", 1)
            t = transport(lt, base64.b64decode(rec["packet"] + "=="))
            payload = t[5] if t else None
        if payload:
            pairs.append((rule, payload, rec.get("direction"), rec.get("stream") == 1))
    return pairs

def replay_rules(pairs):
    """The rules file FPX_FUZZ_RULES names: the rules behind EVE alerts first, then others
    with payload options, one a line."""
    rules = list(dict.fromkeys(r for r, _, _, _ in pairs))
    others = [l for _, l in rule_lines() if not l.startswith(b"#") and PAYLOAD_OPTION.search(l)]
    rules += sample([l for l in others if l not in set(rules)], 1500)
    return rules

def control(direction, stream, rule):
    c = {"to_server": 1 << 1, "to_client": 2 << 1}.get(direction, 0)
    c |= 3 << 3  # established, flags ***AP***
    if stream:
        c |= 0x20
    if re.search(rb"\b(http[._]|file[._]data|dns[._]query|tls[._]sni)", rule):
        c |= 0x40
    return c

# --- text logs ------------------------------------------------------------------------------
FAST_FULL = re.compile(r"^(fast\.log|alert_fast.*\.txt|alert_full\.txt|snort-console.*\.txt|"
                       r"suricata-logs-fastlog\.log)$")
FIREWALL_DIRS = ("prelude-lml-rules/extracted-LOG-lines", "psad/iptables", "psad/pf")
FIREWALL_FILES = re.compile(r"^(.*iptables.*\.log|pf-.*\.log|pfsense.*\.log|unifi-logs\.log|"
                            r"asa_raw\.log|cisco_asa\.extracted\.log)$")
ZEEK_NAMES = ["conn", "dns", "notice"]

def zeek_pick(n):
    base = n.split(".")[0]
    return ((ZEEK_NAMES.index(base) if base in ZEEK_NAMES else 3) << 1) | 1

def is_zeek(p, n):
    rel = os.path.relpath(p, corpus)
    return rel.startswith(("zeek-btest", "zed-sample-data")) and ".log" in n or \
        rel.startswith("zed-sample-data") and ".json" in n or n == "BroExampleOutput.json"

def is_firewall(p, n):
    rel = os.path.relpath(p, corpus)
    return os.path.dirname(rel) in FIREWALL_DIRS or bool(FIREWALL_FILES.match(n))

# --- per target -------------------------------------------------------------------------------
def seeds_for(t):
    if t == "decode":
        lt_index = {lt: i for i, lt in enumerate([0, 1, 12, 14, 101, 108, 113, 228, 276])}
        return sample(bytes([lt_index[lt]]) + f
                      for p in files(is_pcap) for lt, f in pcap_frames(p) if lt in lt_index)
    if t == "dissect":
        out = []
        for p in files(is_pcap):
            for lt, f in pcap_frames(p, 400):
                tr = transport(lt, f)
                if tr and tr[5]:
                    out.append(dissect_seed(*tr))
        return sample(out)
    if t == "pcap":
        return [read(p, 128 << 10) for p in files(is_pcap)]
    if t == "unified2":
        return [read(p, 128 << 10) for p in files(
            lambda p, n: ".u2" in n or n.endswith(".unified2") or "unified2" in p and n.endswith(".log"))]
    if t == "eve":
        return eve_seeds()
    if t == "rules":
        lines = [l for _, l in rule_lines()]
        out = sample(lines, 3000)
        for p in rule_files():
            out += sample(list(chunks(lines_of(p), 12)), 20)
        maps = files(lambda p, n: n.endswith((".map", ".config")) and "threshold" not in n)
        for p in maps:
            out += sample(list(chunks(lines_of(p), 40)), 20)
        out += [read(p, 64 << 10) for p in files(lambda p, n: n == "suricata.yaml")][:30]
        return out
    if t == "replay":
        pairs = replay_pairs()
        rules = replay_rules(pairs)
        with open(os.path.join(OUT, "replay.rules"), "wb") as f:
            f.write(b"\n".join(rules) + b"\n")
        index = {r: i for i, r in enumerate(rules)}
        seeds = []
        for rule, payload, direction, stream in pairs:
            c = control(direction, stream, rule)
            seeds.append(bytes([c]) + rule + b"\x00" + payload)
            seeds.append(bytes([c | 1]) + struct.pack(">H", index[rule] % 65536) + payload)
        return sample(seeds)
    if t == "fast_full":
        out = []
        for i, p in enumerate(files(lambda p, n: bool(FAST_FULL.match(n)))):
            lines = lines_of(p)
            n = 80 if "full" in p or "console" in p else 25
            out += [bytes([i & 1]) + c for c in sample(list(chunks(lines, n)), 10)]
        return sample(out)
    if t == "snort3_logs":
        # Snort 3's alert_json files, as they are (mode byte even), and their payloads
        # through the odd mode; the corpus has no alert_csv, so one made from the same alerts.
        out = []
        for p in files(lambda p, n: n == "alert_json.txt"):
            lines = lines_of(p)
            out += [b"\x00" + c for c in sample(list(chunks(lines, 20)), 10)]
            for l in sample(lines, 20):
                try:
                    rec = json.loads(l)
                except ValueError:
                    continue
                if isinstance(rec.get("b64_data"), str):
                    out.append(b"\x01" + bytes([rec.get("gid", 1) % 4]) +
                               base64.b64decode(rec["b64_data"] + "=="))
        out.append(b"\x00# timestamp proto src_ap dst_ap rule msg\n"
                   b"04/28-02:14:03.418862, UDP, 192.168.88.23:52814, 224.0.0.252:5355, "
                   b"1:2009099:3, \"ET P2P ThunderNetwork UDP Traffic\"\n")
        return sample(out)
    if t == "context_logs":
        out = []
        for i, p in enumerate(files(is_firewall)):
            out += [bytes([i & 1]) + c for c in sample(list(chunks(lines_of(p), 25)), 10)]
        for p in files(is_zeek):
            pick = zeek_pick(os.path.basename(p))
            out += [bytes([pick]) + c for c in sample(list(chunks(lines_of(p), 25, True)), 10)]
        return sample(out)
    if t == "user_files":
        out = [read(p, 64 << 10) for p in files(
            lambda p, n: n.startswith("threshold.conf") or n.endswith(".lua"))]
        out += [l for p in files(lambda p, n: n.startswith("threshold.conf"))
                for l in lines_of(p) if not l.startswith(b"#") and l.strip()]
        # Feedback files are written by `fpx verdict`; the corpus has none, so two lines of
        # the kind it writes.
        out.append(b'{"recorded":"2026-12-01T10:00:00Z","analyst":"ana","verdict":"false_positive",'
                   b'"gid":1,"sid":2009099,"src":["192.0.2.1"],"note":"LLMNR, not P2P"}\n'
                   b'{"recorded":"2026-12-01T10:01:00Z","analyst":"bo","verdict":"true_positive",'
                   b'"host":"2001:db8::1"}\n')
        return out
    raise SystemExit(f"no seeds for {t}")

os.makedirs(OUT, exist_ok=True)
# The replay rules file is used by every target that replays rules (common::real_rules).
order = ["replay"] + [t for t in targets if t != "replay"]
for t in order:
    seeds = seeds_for(t)
    if t in targets:
        write(t, seeds)
PY

echo "fuzz.sh: building the fuzz targets" >&2
build 2>&1 | grep -Ev '^\s+(Compiling|Fresh)' >&2 || true
[ -x "$bin_dir/$1" ] || { echo "fuzz.sh: the build failed" >&2; exit 1; }

mkdir -p "$WORK/logs"
summary=$WORK/logs/summary.txt
: >"$summary"
crashed=0
for t in "$@"; do
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
    log=$WORK/logs/$t.log
    before=$(ls "$WORK/artifacts/$t" | wc -l)
    echo "fuzz.sh: $t for ${SECONDS_PER_TARGET}s (log: $log)" >&2
    start=$(date +%s)
    # -jobs=1 runs the fuzzer in one worker process whose output goes to fuzz-0.log in the
    # current folder: the logs folder, outside the repo.
    (cd "$WORK/logs" && rm -f fuzz-0.log &&
        FPX_FUZZ_RULES=$WORK/seeds/replay.rules nice -n "$NICE" "$bin_dir/$t" \
            -jobs=1 -workers=1 -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
            -rss_limit_mb=2048 -max_len="$(max_len "$t")" -print_final_stats=1 \
            -artifact_prefix="$WORK/artifacts/$t/" \
            "$WORK/corpus/$t" "$WORK/seeds/$t" >"$log.driver" 2>&1 || true
        mv -f fuzz-0.log "$log" 2>/dev/null || mv -f "$log.driver" "$log")
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    new=$(ls -t "$WORK/artifacts/$t" | head -n $(($(ls "$WORK/artifacts/$t" | wc -l) - before)))
    if [ -n "$new" ]; then
        crashed=1
        crashes=$(echo "$new" | sed "s|^|$WORK/artifacts/$t/|" | tr '\n' ' ')
    else
        crashes=0
    fi
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    slowest=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -1)
    printf '%-13s executions %-11s seconds %-5s peak_rss_mb %-5s slowest_s %-3s crashes %s\n' \
        "$t" "${execs:-?}" "$secs" "${rss:-?}" "${slowest:-?}" "$crashes" | tee -a "$summary"
done
echo "fuzz.sh: summary in $summary" >&2
exit $crashed
