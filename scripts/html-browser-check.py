"""Assertions of scripts/html-browser-check.sh on the DOM chromium rendered, its request
log and its screenshot. Standard library only (the PNG is decoded here)."""

import json
import struct
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.charts = {}  # svg id -> bars
        self.details = 0
        self.fold_tables = 0
        self.hex_marked = 0
        self.hex_titled = 0
        self.rule_marks = 0
        self.csp = None
        self.bad = []
        self.links = []

    def classes(self, attrs):
        return (dict(attrs).get("class") or "").split()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = self.classes(attrs)
        self.stack.append((tag, cls, a.get("id")))
        if tag in ("script", "iframe", "object", "embed", "img", "link", "base", "form"):
            self.bad.append(f"<{tag}>")
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append(f"{tag} {k}=")
            if k == "src":
                self.bad.append(f"{tag} src={v}")
            if k == "style" and v and "url(" in v:
                self.bad.append(f"{tag} style url()")
            if k == "href" and v and not v.startswith("#"):
                self.links.append((tag, v, a.get("rel", "")))
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content")
        if tag == "svg" and "chart" in cls:
            self.charts[a.get("id")] = 0
        if tag == "rect" and "bar" in cls:
            for t, c, i in reversed(self.stack):
                if t == "svg":
                    self.charts[i] = self.charts.get(i, 0) + 1
                    break
        if tag == "details" and "cause" in cls:
            self.details += 1
        if tag == "table" and "folds" in cls and self.inside("details", "cause"):
            self.fold_tables += 1
        if tag == "span" and "b" in cls and self.inside("div", "hex"):
            if "m" in cls:
                self.hex_marked += 1
            if a.get("title", "").count("(") > 0:
                self.hex_titled += 1
        if tag == "mark" and self.inside("pre", "rule"):
            self.rule_marks += 1

    def inside(self, tag, cls):
        return any(t == tag and cls in c for t, c, _ in self.stack[:-1])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "style" and ("url(" in data or "@import" in data):
            self.bad.append("style url()/@import")


def page_requests(log):
    """Requests the page itself started (the browser's own have no origin)."""
    d = json.loads(Path(log).read_text())
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    out = []
    for e in d["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) != "URL_REQUEST_START_JOB":
            continue
        # The start of a job names its initiator: the page's origin ("null" for a file),
        # or "not an origin" for the browser's own requests. The job's end has neither.
        if p.get("initiator") in (None, "not an origin"):
            continue
        url = p.get("url", "")
        if not url.startswith(("file:", "data:")):
            out.append(url)
    return out


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def colour_counts(path, colours):
    w, h, bpp, rows = png_pixels(path)
    want = {bytes(c): 0 for c in colours}
    for line in rows:
        for x in range(0, w * bpp, bpp):
            px = bytes(line[x : x + 3])
            if px in want:
                want[px] += 1
    return w, h, want


def main(work):
    work = Path(work)
    dom = Dom()
    dom.feed((work / "dom.html").read_text())
    problems = []
    if dom.csp != CSP:
        problems.append(f"CSP meta tag: {dom.csp!r}")
    for chart in ("chart-time", "chart-signatures", "chart-clusters", "chart-p"):
        if dom.charts.get(chart, 0) == 0:
            problems.append(f"chart {chart} has no bars")
    if dom.details == 0 or dom.fold_tables == 0:
        problems.append("no root cause to drill into with its folded alerts")
    if dom.hex_marked == 0 or dom.hex_titled == 0:
        problems.append("no hex dump with highlighted bytes and field names")
    if dom.rule_marks == 0:
        problems.append("no rule with matched options marked")
    problems += [f"external content: {b}" for b in dom.bad]
    for tag, href, rel in dom.links:
        if tag != "a" or not href.startswith(("http://", "https://")) or "noreferrer" not in rel:
            problems.append(f"link not a plain reference: <{tag} href={href}>")
    for log in ("net.json", "net-shot.json"):
        problems += [f"the page requested {u}" for u in page_requests(work / log)]
    if not page_requests(work / "net-control.json"):
        problems.append("the request log missed the control page's planted request")
    highlight = (0xFF, 0xD5, 0x4F)
    bars = [(0xC0, 0x39, 0x2B), (0x27, 0xAE, 0x60)]
    w, h, counts = colour_counts(work / "shot.png", [highlight] + bars)
    if counts[bytes(highlight)] < 200:
        problems.append(f"screenshot: highlighted bytes not seen ({counts[bytes(highlight)]} px)")
    for c in bars:
        if counts[bytes(c)] < 200:
            problems.append(f"screenshot: chart colour {c} not seen")
    print(
        f"html: charts {dom.charts}, drill-downs {dom.details}, fold tables {dom.fold_tables}, "
        f"highlighted bytes {dom.hex_marked}, rule marks {dom.rule_marks}, reference links "
        f"{len(dom.links)}, page requests 0, screenshot {w}x{h} with "
        f"{counts[bytes(highlight)]} highlight px"
    )
    if problems:
        for p in problems:
            print(f"html: FAILED: {p}", file=sys.stderr)
        sys.exit(1)
    print("html: browser check passed")


if __name__ == "__main__":
    main(sys.argv[1])
