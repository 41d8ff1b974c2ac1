#!/usr/bin/env python3
"""Writes N compact EVE alerts to stdout, for measuring memory over long runs without a large
file: `scripts/alert-stream.py 10000000 | /usr/bin/time -v fpx explain --format json
--threads 1 - > /dev/null`.

Alerts of 40 signatures between many hosts: sources from a /12 of the RFC 1918 space and
destinations from a /10 of public space (so the host table fills to its cap), ephemeral
source ports, a few service ports, times one to three milliseconds apart, a new flow id per
alert and a flow record for every fourth alert some records later. Deterministic: the same
N gives the same stream.
"""
import random
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rnd = random.Random(13)
    out = sys.stdout
    sigs = [
        (2_000_000 + i, f"ET POLICY stream test signature {i}", "Potentially Bad Traffic" if i % 3 else "Misc activity")
        for i in range(40)
    ]
    ports = [80, 443, 53, 445, 22, 3389, 8080, 25]
    t = 1_700_000_000_000_000  # microseconds
    pending = []  # (due index, flow line)
    buf = []
    for i in range(n):
        t += rnd.randrange(1000, 3000)
        sec, us = divmod(t, 1_000_000)
        h, rem = divmod(sec % 86400, 3600)
        m, s = divmod(rem, 60)
        day = 14 + (sec // 86400) % 14
        ts = f"2023-11-{day:02d}T{h:02d}:{m:02d}:{s:02d}.{us:06d}+0000"
        src = rnd.getrandbits(20)
        dst = rnd.getrandbits(22)
        sip = f"172.{16 + (src >> 16)}.{(src >> 8) & 255}.{src & 255 or 1}"
        dip = f"100.{64 + (dst >> 16)}.{(dst >> 8) & 255}.{dst & 255 or 1}"
        sp = rnd.randrange(32768, 61000)
        dp = ports[rnd.randrange(len(ports))]
        proto = "UDP" if dp == 53 else "TCP"
        sid, msg, cls = sigs[rnd.randrange(len(sigs))]
        fid = 1_000_000_007 * (i + 1) % (1 << 52)
        buf.append(
            f'{{"timestamp":"{ts}","flow_id":{fid},"event_type":"alert","src_ip":"{sip}","src_port":{sp},'
            f'"dest_ip":"{dip}","dest_port":{dp},"proto":"{proto}","direction":"to_server",'
            f'"alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":{1 + sid % 4},'
            f'"signature":"{msg}","category":"{cls}","severity":{1 + sid % 3}}},'
            f'"flow":{{"pkts_toserver":{1 + i % 5},"pkts_toclient":{i % 3},"bytes_toserver":{60 + i % 900},'
            f'"bytes_toclient":{(i % 3) * 80},"start":"{ts}"}}}}\n'
        )
        if i % 4 == 0:
            pending.append((i + 20,
                f'{{"timestamp":"{ts}","flow_id":{fid},"event_type":"flow","src_ip":"{sip}","src_port":{sp},'
                f'"dest_ip":"{dip}","dest_port":{dp},"proto":"{proto}","flow":{{"pkts_toserver":{2 + i % 5},'
                f'"pkts_toclient":{i % 4},"bytes_toserver":{120 + i % 900},"bytes_toclient":{(i % 4) * 90},'
                f'"start":"{ts}","end":"{ts}","state":"closed","reason":"timeout"}}}}\n'))
        while pending and pending[0][0] <= i:
            buf.append(pending.pop(0)[1])
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf.clear()
    buf.extend(line for _, line in pending)
    out.write("".join(buf))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
