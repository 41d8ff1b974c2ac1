#!/usr/bin/env python3
"""Writes llmnr.pcap: the three LLMNR queries of seed 000 (examples/seed000-llmnr-xunlei.eve.json)
as real Ethernet frames, for the Snort 3 run kept in tests/fixtures/snort3/seed000-llmnr/:

    python3 scripts/craft-llmnr-pcap.py tests/fixtures/snort3/seed000-llmnr/llmnr.pcap

Source 192.168.88.23 (the seed's host), destination the LLMNR group 224.0.0.252 port 5355,
IPv4 TTL 1 as RFC 4795 section 2.5 asks of multicast queries, checksums correct.
"""

import base64
import json
import struct
import sys
from datetime import datetime


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, sport, dst, dport, payload, ip_id):
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    udp_len = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ip_id, 0, 1, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    # 01:00:5e + low 23 bits of the group; a locally administered source MAC.
    dmac = bytes([0x01, 0x00, 0x5E, d[1] & 0x7F, d[2], d[3]])
    smac = bytes([0x02, 0x00, 0x00, 0x58, 0x00, 0x17])
    return dmac + smac + b"\x08\x00" + ip + udp


def main():
    out = sys.argv[1]
    recs = [json.loads(l) for l in open("examples/seed000-llmnr-xunlei.eve.json") if l.strip()]
    pcap = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, r in enumerate(recs):
        t = datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        sec, usec = int(t), round((t - int(t)) * 1e6)
        f = frame(r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"],
                  base64.b64decode(r["payload"]), 0x1000 + i)
        pcap += struct.pack("<IIII", sec, usec, len(f), len(f)) + f
    open(out, "wb").write(pcap)


if __name__ == "__main__":
    main()
