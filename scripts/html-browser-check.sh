#!/usr/bin/env bash
# The HTML report of the bundled examples, checked in a real browser (Debian's chromium,
# headless): the DOM has the four charts, a root cause to drill into with its folded alerts,
# an example whose hex dump has matched bytes highlighted and field names on hover, and the
# rule with its matched options marked; nothing on the page asks for the network (the
# browser's own log of requests shows none from the page, which a planted control page
# proves it would); and the screenshot shows the charts' and the highlight's colours.
#
# The browser runs in a network namespace of its own (no route anywhere) with every host
# name resolving to nothing, so nothing it tries can leave the machine.
#
#   scripts/html-browser-check.sh [FPX] [SCREENSHOT]
set -euo pipefail
cd "$(dirname "$0")/.."

FPX="${1:-target/release/fpx}"
SHOT="${2:-}"
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$FPX" explain --format html -o "$work/report.html" --rules tests/fixtures/rules \
    examples/*.json examples/*.txt examples/*.log

cat > "$work/control.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body><img src="http://planted.invalid/x.png"><p>control</p></body></html>
HTML

browse() {
    # $1 page, $2 net log, then chromium's own arguments
    local page="$1" log="$2"
    shift 2
    local isolate=()
    if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
    "${isolate[@]}" chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --no-first-run --host-resolver-rules="MAP * ~NOTFOUND" \
        --log-net-log="$log" "$@" "file://$page" 2>/dev/null
}

browse "$work/report.html" "$work/net.json" --dump-dom > "$work/dom.html"
browse "$work/report.html" "$work/net-shot.json" --window-size=1200,2500 \
    --screenshot="$work/shot.png" > /dev/null
browse "$work/control.html" "$work/net-control.json" --dump-dom > /dev/null

python3 scripts/html-browser-check.py "$work"
if [ -n "$SHOT" ]; then
    cp "$work/shot.png" "$SHOT"
    echo "html: screenshot kept as $SHOT"
fi
