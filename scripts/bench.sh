#!/usr/bin/env bash
# Whole-process benchmark of `fpx explain --format json`, stated as ratios against baselines
# measured in the same run (absolute times on a shared machine are noise).
#
#   scripts/bench.sh [EVE_MIB [U2_MIB]]      defaults: 1024 and 512
#
# Inputs are generated from the corpus's real records by examples/bench_gen.rs (EVE from
# suricata-8.0.6-runs, varied addresses, ports, times and flow ids; unified2 from the djcas9
# Snort 2.9 spool and Snort 3.11.1's spools, varied event ids and times), into $FPX_BENCH_DIR
# (default /tmp/fpx-bench), and reused while their size is unchanged. U2_MIB is split between
# the Snort 2.9 and the Snort 3 spool.
#
# Baselines: examples/parse_floor.rs (EVE lines into a borrowed typed struct, alerts counted),
# `jq -c 'select(.event_type=="alert")'`, and for unified2 py-idstools' `idstools-u2json` and,
# when present, Snort 3's `u2spewfoo` (on the Snort 3 spool only: it skips Snort 2.9's type 104
# events). A baseline not installed is left out. Each command runs FPX_BENCH_RUNS times
# (default 1) and its fastest run counts. Peak RSS is the process's maximum resident set.
#
# Environment: FPX_CORPUS (default ../shared/corpus), FPX_BENCH_DIR, FPX_BENCH_RUNS,
# FPX_BENCH_THREADS (thread counts to compare, default "1 2"), FPX_BENCH_SCALE=0 to skip the
# time(10x input) / time(input) check.
set -euo pipefail
cd "$(dirname "$0")/.."

eve_mib="${1:-1024}"
u2_mib="${2:-512}"
corpus="${FPX_CORPUS:-$(cd .. && pwd)/shared/corpus}"
dir="${FPX_BENCH_DIR:-/tmp/fpx-bench}"
runs="${FPX_BENCH_RUNS:-1}"
threads="${FPX_BENCH_THREADS:-1 2}"
scale="${FPX_BENCH_SCALE:-1}"

if [ ! -d "$corpus/suricata-8.0.6-runs" ]; then
    echo "bench: corpus not found at $corpus (set FPX_CORPUS)" >&2
    exit 1
fi
if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time (GNU time) is needed for peak RSS" >&2
    exit 1
fi

cargo build --release --quiet --bin fpx --example bench_gen --example parse_floor
bin=target/release
fpx="$bin/fpx"
mkdir -p "$dir"

# gen KIND MIB OUT INPUT...: generates OUT unless it was made with the same arguments.
gen() {
    local kind="$1" mib="$2" out="$3"
    shift 3
    local stamp="$out.args"
    local want="$kind $mib $*"
    if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    "$bin/examples/bench_gen" "$kind" "$mib" "$out" "$@"
    echo "$want" > "$stamp"
}

eve_inputs=("$corpus"/suricata-8.0.6-runs/*/*/eve.json)
s2_inputs=("$corpus"/djcas9-unified2/unified2-current.log "$corpus"/djcas9-unified2/unified2-legacy.log)
mapfile -t s3_inputs < <(find "$corpus/snort-3.11.1-runs" -name 'snort.u2.*' | sort)

eve="$dir/eve-$eve_mib.json"
s2="$dir/snort2-$((u2_mib / 2)).u2"
s3="$dir/snort3-$((u2_mib / 2)).u2"
gen eve "$eve_mib" "$eve" "${eve_inputs[@]}"
gen u2 $((u2_mib / 2)) "$s2" "${s2_inputs[@]}"
gen u2 $((u2_mib / 2)) "$s3" "${s3_inputs[@]}"
if [ "$scale" = 1 ]; then
    eve_tenth="$dir/eve-$((eve_mib / 10)).json"
    gen eve $((eve_mib / 10)) "$eve_tenth" "${eve_inputs[@]}"
fi

# measure NAME CMD...: sets SECS and RSS_MIB to the fastest of $runs runs (stdout discarded).
measure() {
    local name="$1"
    shift
    local best="" rss=0 i t
    for ((i = 0; i < runs; i++)); do
        t="$(mktemp)"
        if ! /usr/bin/time -f '%e %M' -o "$t" "$@" > /dev/null 2> "$t.err"; then
            echo "bench: $name failed: $(tail -n 3 "$t.err")" >&2
        fi
        read -r s k < "$t"
        rm -f "$t" "$t.err"
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best="$s"
        fi
        [ "$k" -gt "$rss" ] && rss="$k"
    done
    SECS="$best"
    RSS_MIB=$((rss / 1024))
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
size_mib() { echo $(($(stat -c %s "$1") >> 20)); }

echo "== EVE: $(size_mib "$eve") MiB, $(grep -c '"event_type":"alert"' "$eve") alerts"
measure floor "$bin/examples/parse_floor" "$eve"
floor=$SECS
echo "parse floor                  1.00 (peak RSS $RSS_MIB MiB)"
# Builds without --threads are measured once, as they are.
"$fpx" explain --help | grep -q -- '--threads' || threads="all"
first=""
for n in $threads; do
    if [ "$n" = all ]; then
        measure fpx "$fpx" explain --format json "$eve"
    else
        measure fpx "$fpx" explain --format json --threads "$n" "$eve"
    fi
    t=$SECS
    [ -z "$first" ] && first=$t
    echo "fpx --threads $n              speed $(ratio "$floor" "$t")x the floor, $(ratio "$first" "$t")x --threads ${threads%% *} (peak RSS $RSS_MIB MiB)"
    fpx_eve=$t
done
if command -v jq > /dev/null; then
    measure jq jq -c 'select(.event_type=="alert")' "$eve"
    echo "jq select(alert)             speed $(ratio "$floor" "$SECS")x the floor; fpx is $(ratio "$SECS" "$fpx_eve")x jq (peak RSS $RSS_MIB MiB)"
fi
if [ "$scale" = 1 ]; then
    measure fpx "$fpx" explain --format json "$eve_tenth"
    echo "fpx on a tenth of the input  time(input) / time(tenth) = $(ratio "$fpx_eve" "$SECS") (target <= 10.5)"
fi

u2() {
    local label="$1" file="$2" spew="$3"
    echo "== unified2, $label: $(size_mib "$file") MiB"
    measure fpx "$fpx" explain --format json "$file"
    local t=$SECS
    echo "fpx                          1.00 (peak RSS $RSS_MIB MiB)"
    if command -v idstools-u2json > /dev/null; then
        measure u2json idstools-u2json "$file"
        echo "idstools-u2json              fpx is $(ratio "$SECS" "$t")x u2json (peak RSS $RSS_MIB MiB)"
    fi
    if [ "$spew" = 1 ] && [ -x /opt/snort3/bin/u2spewfoo ]; then
        measure u2spewfoo /opt/snort3/bin/u2spewfoo "$file"
        echo "u2spewfoo                    fpx is $(ratio "$SECS" "$t")x u2spewfoo (peak RSS $RSS_MIB MiB)"
    fi
}
u2 "Snort 2.9 (djcas9 spool)" "$s2" 0
u2 "Snort 3.11.1 spools" "$s3" 1
