#!/usr/bin/env python3
"""Summarise a capture as JSON, using tshark as the independent reference reader.

    capsummary.py FILE [LABEL]

Prints one JSON object: file format, link types, timestamp precision, packet counts, and per TCP
connection (tshark's tcp.stream) the handshake options and the numbers the lab's tests assert on:
the wscale shift in the SYN and SYN-ACK (null when the option is absent), the TCP option kinds in
order (1 = NOP, 2 = MSS, 3 = wscale, 4 = SACK-permitted, 8 = timestamps), the first raw window each
side advertised after its SYN and the smallest and largest raw window after it, data bytes and largest segment per direction, zero-window frames
and retransmissions (FIN-only ones also counted apart, as finRetransmissions; windows of RST segments
are left out), the largest tcp.analysis.bytes_in_flight, and per direction how many frames carry
each of tshark's TCP analysis flags
(`analysis`: retransmission, lost segment, zero-window probe, duplicate ACK, ...; single pass, as
Wireshark shows them). Frame numbers are 1-based, as in tcpdump/tshark/Wireshark. A gzip file is
read through (tshark and capinfos decompress it); `format` is then the format inside.
"""

import gzip
import json
import os
import subprocess
import sys

FIELDS = [
    "frame.number",
    "frame.interface_id",
    "tcp.stream",
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "tcp.dstport",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.fin",
    "tcp.flags.reset",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.options.wscale.shift",
    "tcp.option_kind",
    "tcp.urgent_pointer",
    "tcp.analysis.zero_window",
    "tcp.analysis.retransmission",
    "vlan.id",
    "ieee8021ad.id",
    "tcp.options.mss_val",
    "ip.ttl",
    "ipv6.hlim",
    "tcp.seq_raw",
    "tcp.analysis.bytes_in_flight",
]

# tshark's TCP analysis flags, counted per direction under these names.
ANALYSIS = {
    "retransmission": "tcp.analysis.retransmission",
    "fastRetransmission": "tcp.analysis.fast_retransmission",
    "spuriousRetransmission": "tcp.analysis.spurious_retransmission",
    "outOfOrder": "tcp.analysis.out_of_order",
    "lostSegment": "tcp.analysis.lost_segment",
    "ackedUnseenSegment": "tcp.analysis.ack_lost_segment",
    "duplicateAck": "tcp.analysis.duplicate_ack",
    "zeroWindow": "tcp.analysis.zero_window",
    "zeroWindowProbe": "tcp.analysis.zero_window_probe",
    "zeroWindowProbeAck": "tcp.analysis.zero_window_probe_ack",
    "keepAlive": "tcp.analysis.keep_alive",
    "keepAliveAck": "tcp.analysis.keep_alive_ack",
    "windowFull": "tcp.analysis.window_full",
    "windowUpdate": "tcp.analysis.window_update",
    "reusedPorts": "tcp.analysis.reused_ports",
}
FIELDS += [f for f in ANALYSIS.values() if f not in FIELDS]


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def file_info(path: str) -> dict:
    with open(path, "rb") as f:
        magic = f.read(4)
    info: dict = {"fileBytes": os.path.getsize(path)}
    if magic[:2] == b"\x1f\x8b":
        info["compression"] = "gzip"
        with gzip.open(path, "rb") as f:
            magic = f.read(4)
    if magic == b"\x0a\x0d\x0d\x0a":
        info["format"] = "pcapng"
    elif magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        info["format"], info["timestampPrecision"] = "pcap", "micro"
    elif magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        info["format"], info["timestampPrecision"] = "pcap", "nano"
    # capinfos -I lists each pcapng interface with its own encapsulation and resolution.
    interfaces = []
    current: dict = {}
    for line in run("capinfos", "-I", path).splitlines():
        line = line.strip()
        if line.startswith("Interface #"):
            current = {"index": int(line.split("#")[1].split()[0])}
            interfaces.append(current)
        elif current and "=" in line:
            key, value = (x.strip() for x in line.split("=", 1))
            if key == "Name":
                current["name"] = value
            elif key == "Encapsulation":
                current["linkType"] = value
            elif key == "Capture length":
                current["snaplen"] = int(value)
            elif key == "Time precision":
                current["timePrecision"] = value
            elif key == "Number of packets":
                current["packets"] = int(value)
    info["interfaces"] = interfaces
    return info


def num(v: str):
    return int(v) if v != "" else None


def main() -> int:
    path = sys.argv[1]
    summary = {"file": sys.argv[2] if len(sys.argv) > 2 else os.path.basename(path)} | file_info(path)
    args = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for field in FIELDS:
        args += ["-e", field]
    rows = [dict(zip(FIELDS, line.split("\t"))) for line in run(*args).splitlines()]
    summary["packets"] = len(rows)
    summary["tcpPackets"] = sum(1 for r in rows if r["tcp.stream"] != "")
    # Outer 802.1ad (QinQ service) tags first, then 802.1Q tags, as they appear in the frame.
    tags = sorted({(r["ieee8021ad.id"], r["vlan.id"]) for r in rows if r["vlan.id"] or r["ieee8021ad.id"]})
    if tags:
        summary["vlanTags"] = [
            {"outer8021ad": int(outer) if outer else None, "vlan8021q": [int(x) for x in inner.split(",") if x]}
            for outer, inner in tags
        ]

    streams: dict[int, dict] = {}
    for r in rows:
        if r["tcp.stream"] == "":
            continue
        src = r["ip.src"] or r["ipv6.src"]
        dst = r["ip.dst"] or r["ipv6.dst"]
        sport, dport = int(r["tcp.srcport"]), int(r["tcp.dstport"])
        frame = int(r["frame.number"])
        syn, ack = r["tcp.flags.syn"] in ("1", "True"), r["tcp.flags.ack"] in ("1", "True")
        fin, rst = r["tcp.flags.fin"] in ("1", "True"), r["tcp.flags.reset"] in ("1", "True")
        c = streams.get(int(r["tcp.stream"]))
        if c is None:
            # The SYN sender is the client; without a SYN, guess that the first sender is.
            c = streams[int(r["tcp.stream"])] = {
                "stream": int(r["tcp.stream"]),
                "client": {"ip": src, "port": sport},
                "server": {"ip": dst, "port": dport},
                "firstFrame": frame,
                "packets": 0,
            }
            if syn and ack:
                c["client"], c["server"] = c["server"], c["client"]
            for side in ("client", "server"):
                c[side] |= {"dataBytes": 0, "largestSegment": 0, "zeroWindowFrames": [], "retransmissions": 0}
                c[side]["finRetransmissions"] = 0
                c[side]["maxBytesInFlight"] = 0
                c[side]["analysis"] = dict.fromkeys(ANALYSIS, 0)
        c["packets"] += 1
        c["lastFrame"] = frame
        side = "client" if (src, sport) == (c["client"]["ip"], c["client"]["port"]) else "server"
        s = c[side]
        if r["frame.interface_id"]:
            c.setdefault("interfaces", set()).add(int(r["frame.interface_id"]))
        kinds = [int(k) for k in r["tcp.option_kind"].split(",") if k]
        if syn:
            key = "synAck" if ack else "syn"
            if key not in c:  # the first one; retransmissions are counted below
                c[key] = {
                    "frame": frame,
                    "window": num(r["tcp.window_size_value"]),
                    "wscale": num(r["tcp.options.wscale.shift"].split(",")[0]),
                    "optionKinds": kinds,
                    "urgentPointer": num(r["tcp.urgent_pointer"]),
                    "mss": num(r["tcp.options.mss_val"].split(",")[0]),
                    "ttl": num(r["ip.ttl"] or r["ipv6.hlim"]),
                    "isn": num(r["tcp.seq_raw"]),
                }
                if 3 in kinds and c[key]["wscale"] is None:
                    c[key]["wscaleTruncated"] = True  # kind present, shift cut off by the snaplen
            else:
                c[key]["count"] = c[key].get("count", 1) + 1
        elif r["tcp.window_size_value"] and not rst:  # a RST's window means nothing (Linux sends 0)
            raw = int(r["tcp.window_size_value"])
            if "firstWindowAfterSyn" not in s:
                s["firstWindowAfterSyn"] = {"frame": frame, "raw": raw}
                s["minWindowRaw"] = s["maxWindowRaw"] = raw
            s["minWindowRaw"] = min(s["minWindowRaw"], raw)
            s["maxWindowRaw"] = max(s["maxWindowRaw"], raw)
        length = num(r["tcp.len"]) or 0
        s["dataBytes"] += length
        s["largestSegment"] = max(s["largestSegment"], length)
        if r["tcp.analysis.zero_window"]:
            s["zeroWindowFrames"].append(frame)
        if r["tcp.analysis.retransmission"]:
            s["retransmissions"] += 1
        if r["tcp.analysis.bytes_in_flight"]:
            s["maxBytesInFlight"] = max(s["maxBytesInFlight"], int(r["tcp.analysis.bytes_in_flight"]))
        if (r["tcp.analysis.retransmission"] or r["tcp.analysis.out_of_order"]) and fin and not syn and length == 0:
            s["finRetransmissions"] += 1  # a FIN sent again without data
        for name, field in ANALYSIS.items():
            if r[field]:
                s["analysis"][name] += 1

    for c in streams.values():
        if "interfaces" in c:
            c["interfaces"] = sorted(c["interfaces"])
        for side in ("client", "server"):
            z = c[side]["zeroWindowFrames"]
            c[side]["zeroWindows"] = len(z)
            c[side]["zeroWindowFrames"] = z[:20]  # bounded: the first ones are enough to assert on
    summary["connections"] = list(streams.values())
    json.dump(summary, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
