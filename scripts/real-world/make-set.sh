#!/usr/bin/env bash
# Rebuild the committed real-world regression set (test/real-world/*.pcap*) from the corpus that
# fetch.sh extracts: each file is a copy of a public capture, the TCP streams of one kept with
# tshark (same link type, same format), or a deterministic cut of one (a capture that ends inside a
# record), as listed below and in test/real-world/README.md.
#
#   scripts/real-world/make-set.sh CORPUS_DIR [OUT_DIR]     # CORPUS_DIR = fetch.sh's CACHE_DIR/x
#
# tshark renumbers frames and streams in a trimmed file: test/real-world/expected.json refers to
# the files as written here. pcapng written by tshark carries tshark's version in its section
# header, so those bytes differ between tshark versions; the packets do not.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 CORPUS_DIR [OUT_DIR]" >&2
  exit 2
fi
corpus=$1
out=${2:-$(cd "$(dirname "$0")/../.." && pwd)/test/real-world}
mkdir -p "$out"

N=nDPI-4.2/tests/pcap
T=tcpdump-4.99.3/tests
W=wireshark-v4.0.17/test/captures
L=libpcap-1.10.3/tests

# name | source (under CORPUS_DIR) | tcp.stream numbers to keep (empty: the whole file)
SET=(
  # Findings an earlier build raised that the packets disprove (test/real-world/README.md)
  "alexa-app.trim.pcapng|$N/alexa-app.pcapng|6 30 32 68 69"
  "skype.trim.pcap|$N/skype.pcap|0 2 3 10 13 44 58"
  "1kxun.trim.pcap|$N/1kxun.pcap|13 14 16 17"
  "vnc.trim.pcap|$N/vnc.pcap|0 2"
  "ndpi-ssh.pcap|$N/ssh.pcap|"
  "zcash.pcap|$N/zcash.pcap|"
  "forticlient.trim.pcap|$N/forticlient.pcap|4"
  "whatsappfiles.trim.pcap|$N/whatsappfiles.pcap|0"
  "bitcoin.trim.pcap|$N/bitcoin.pcap|1"
  "pps.trim.pcap|$N/pps.pcap|58"
  "http2_follow_multistream.pcapng|$W/http2_follow_multistream.pcapng|"
  "of10_s4810.pcap|$T/of10_s4810.pcap|"
  "cassandra.pcap|$N/cassandra.pcap|"
  "tls-renegotiation.pcap|$W/tls-renegotiation.pcap|"
  "quickplay.pcap|$N/quickplay.pcap|"
  "hpvirtgrp.pcap|$N/hpvirtgrp.pcap|"
  # Findings the packets support (and tls_invalid_reads: a corrupted SYN-ACK, see the README)
  "long_tls_certificate.pcap|$N/long_tls_certificate.pcap|"
  "tcpdump-ssh.pcap|$T/ssh.pcap|"
  "tls_invalid_reads.pcap|$N/tls_invalid_reads.pcap|"
  "anyconnect-vpn.trim.pcap|$N/anyconnect-vpn.pcap|3"
  "webex.trim.pcap|$N/webex.pcap|2 24"
  "starcraft_battle.trim.pcap|$N/starcraft_battle.pcap|19 21 30"
  "dns_tcp.pcap|$T/dns_tcp.pcap|"
  # Ordinary stacks, link types, tunnels, IPv6, mid-stream and damaged captures: nothing to report
  "iec60780-5-104.pcap|$N/iec60780-5-104.pcap|"
  "pptp.pcap|$T/pptp.pcap|"
  "rtsp.pcap|$N/rtsp.pcap|"
  "iphone.pcap|$N/iphone.pcap|"
  "safari.trim.pcap|$N/safari.pcap|6"
  "many_interfaces.pcapng.1|$W/many_interfaces.pcapng.1|"
  "nintendo.trim.pcap|$N/nintendo.pcap|0 1 2 3"
  "netflix.trim.pcap|$N/netflix.pcap|22 24"
  "pop3.pcap|$N/pop3.pcap|"
  "imap.pcap|$N/imap.pcap|"
  "geneve.pcap|$T/geneve.pcap|"
  "6in4tunnel.pcap|$N/6in4tunnel.pcap|"
  "4in6tunnel.pcap|$N/4in6tunnel.pcap|"
  "http_ipv6.pcap|$N/http_ipv6.pcap|"
  "http-ooo.pcap|$W/http-ooo.pcap|"
  "mptcp-v1.pcap|$T/mptcp-v1.pcap|"
  "tcp-badsegments.pcap|$W/tcp-badsegments.pcap|"
  "grpc_web.pcapng.gz|$W/grpc_web.pcapng.gz|"
  # Damaged by design: a section header whose option runs past its block (exit 2)
  "shb-option-too-long.pcapng|$L/shb-option-too-long.pcapng|"
)

# name | file of the set it is cut from | bytes kept (the cut falls inside a record)
CUTS=(
  "safari.cut.pcap|safari.trim.pcap|5000"
)

for entry in "${SET[@]}"; do
  IFS='|' read -r name src streams <<<"$entry"
  if [[ -z "$streams" ]]; then
    cp "$corpus/$src" "$out/$name"
    continue
  fi
  filter="tcp.stream in {${streams// /,}}"
  format=pcap
  [[ "$name" == *.pcapng ]] && format=pcapng
  tshark -r "$corpus/$src" -Y "$filter" -F "$format" -w "$out/$name" 2>/dev/null
done
for entry in "${CUTS[@]}"; do
  IFS='|' read -r name from bytes <<<"$entry"
  head -c "$bytes" "$out/$from" >"$out/$name"
done
ls -l "$out" >&2
