#!/usr/bin/env bash
# tunnels.sh: one real TCP transfer through a kernel tunnel, captured twice: on the underlay veth
# (every packet encapsulated) and on the tunnel device (the same packets, inner only). The tunnel
# decoders are tested on these pairs: both captures must yield the same TCP segments.
#
#   sudo test/lab/tunnels.sh <kind> <outdir> [--bytes N]
#
#   kind        tunnel                                              underlay
#   vxlan       ip link add ... type vxlan id 42 dstport 4789       IPv4
#   vxlan-8472  the same without dstport (the Linux default, 8472)  IPv4
#   vxlan6      VXLAN on 4789 over IPv6                             IPv6
#
# Writes <outdir>/<kind>.underlay.pcap and <outdir>/<kind>.overlay.pcap (snaplen 262144), and
# prints one JSON line: {kind, bytes, underlayPackets, overlayPackets}. Exit 2 on usage errors,
# 1 if the transfer or a capture failed. GRE, Geneve, IPIP and SIT need kernel modules this lab
# kernel lacks (`ip link add ... type gre` answers "Unknown device type"); their real captures come
# from the Debian corpus instead (test/fixtures/tunnels/README.md).
#
# Two namespaces wst-<pid>-{a,b}: underlay 198.18.10.1-2/24 (2001:db8:10::1-2/64), overlay
# 198.19.10.1-2/24 on the tunnel, client in a, server in b. Neighbours are static (no ARP or ND in
# the captures), offloads are off (wire-sized segments). An EXIT trap kills what the script
# started, by PID, and deletes its namespaces.
set -euo pipefail

usage() {
  echo "usage: $0 vxlan|vxlan-8472|vxlan6 <outdir> [--bytes N]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
KIND=$1
OUT=$2
shift 2
BYTES=16384
while [[ $# -gt 0 ]]; do
  case $1 in
    --bytes) BYTES=$2; shift 2 ;;
    *) usage ;;
  esac
done
case $KIND in vxlan | vxlan-8472 | vxlan6) ;; *) usage ;; esac
[[ $(id -u) -eq 0 ]] || { echo "$0: needs root (network namespaces)" >&2; exit 2; }
for tool in ip tcpdump ethtool node; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is not installed" >&2; exit 2; }
done
mkdir -p "$OUT"
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

A="wst-$$-a"
B="wst-$$-b"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$A" "$B"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$A"
ip netns add "$B"
for ns in "$A" "$B"; do
  # No router solicitations or DAD probes in the captures.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
  ip -n "$ns" link set lo up
done
ip -n "$A" link add u0 address 02:00:c6:12:0a:01 type veth peer name u0 address 02:00:c6:12:0a:02 netns "$B"
if [[ $KIND != vxlan6 ]]; then
  for ns in "$A" "$B"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.u0.disable_ipv6=1; done
fi
ip -n "$A" addr add 198.18.10.1/24 dev u0
ip -n "$B" addr add 198.18.10.2/24 dev u0
ip -n "$A" link set u0 up
ip -n "$B" link set u0 up
ip -n "$A" neigh replace 198.18.10.2 lladdr 02:00:c6:12:0a:02 dev u0 nud permanent
ip -n "$B" neigh replace 198.18.10.1 lladdr 02:00:c6:12:0a:01 dev u0 nud permanent
if [[ $KIND == vxlan6 ]]; then
  ip -n "$A" addr add 2001:db8:10::1/64 dev u0 nodad
  ip -n "$B" addr add 2001:db8:10::2/64 dev u0 nodad
  ip -n "$A" neigh replace 2001:db8:10::2 lladdr 02:00:c6:12:0a:02 dev u0 nud permanent
  ip -n "$B" neigh replace 2001:db8:10::1 lladdr 02:00:c6:12:0a:01 dev u0 nud permanent
fi

# The tunnel: local/remote underlay addresses of each side, and the overlay MAC of each side.
tunnel() { # ns local remote mac
  local args=(id 42 local "$2" remote "$3" dev u0)
  case $KIND in
    vxlan | vxlan6) args+=(dstport 4789) ;;
    vxlan-8472) ;; # the kernel's default port
  esac
  ip -n "$1" link add t0 address "$4" type vxlan "${args[@]}" 2>/dev/null
}
if [[ $KIND == vxlan6 ]]; then
  tunnel "$A" 2001:db8:10::1 2001:db8:10::2 02:00:c6:13:0a:01
  tunnel "$B" 2001:db8:10::2 2001:db8:10::1 02:00:c6:13:0a:02
else
  tunnel "$A" 198.18.10.1 198.18.10.2 02:00:c6:13:0a:01
  tunnel "$B" 198.18.10.2 198.18.10.1 02:00:c6:13:0a:02
fi
ip -n "$A" addr add 198.19.10.1/24 dev t0
ip -n "$B" addr add 198.19.10.2/24 dev t0
for ns in "$A" "$B"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.t0.disable_ipv6=1
  ip -n "$ns" link set t0 up
  for dev in u0 t0; do
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null 2>&1 || true
  done
done
ip -n "$A" neigh replace 198.19.10.2 lladdr 02:00:c6:13:0a:02 dev t0 nud permanent
ip -n "$B" neigh replace 198.19.10.1 lladdr 02:00:c6:13:0a:01 dev t0 nud permanent

capture() { # ns dev file
  # --immediate-mode: a packet still in the kernel's ring when tcpdump is stopped would be lost.
  ip netns exec "$1" timeout 60 tcpdump -i "$2" -s 262144 --immediate-mode -U -w "$3" 2>/dev/null &
  PIDS+=($!)
}
capture "$A" u0 "$OUT/$KIND.underlay.pcap"
capture "$A" t0 "$OUT/$KIND.overlay.pcap"
# tcpdump is ready when its capture file exists (it writes the header at once).
for _ in $(seq 50); do
  [[ -s $OUT/$KIND.underlay.pcap && -s $OUT/$KIND.overlay.pcap ]] && break
  sleep 0.1
done

ip netns exec "$B" timeout 30 node "$LAB/transfer.mjs" server --host 198.19.10.2 --port 80 --bytes "$BYTES" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.3
ip netns exec "$A" timeout 30 node "$LAB/transfer.mjs" client --host 198.19.10.2 --port 80 --bytes "$BYTES" >"$OUT/.transfer.json" ||
  { echo "$0: the transfer failed" >&2; exit 1; }
sleep 1
# SIGINT: tcpdump flushes and writes its counts.
for pid in "${PIDS[@]:0:2}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]:0:2}"; do wait "$pid" 2>/dev/null || true; done

# Records in a classic pcap (tcpdump prints two lines for an encapsulated packet, so no wc -l).
count() {
  node -e 'const b = require("fs").readFileSync(process.argv[1]); let n = 0;
    for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) n++;
    process.stdout.write(String(n));' "$1"
}
got=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).bytes))' "$OUT/.transfer.json")
rm -f "$OUT/.transfer.json"
[[ $got -eq $BYTES ]] || { echo "$0: transferred $got of $BYTES bytes" >&2; exit 1; }
printf '{"kind":"%s","bytes":%s,"underlayPackets":%s,"overlayPackets":%s}\n' \
  "$KIND" "$BYTES" "$(count "$OUT/$KIND.underlay.pcap")" "$(count "$OUT/$KIND.overlay.pcap")"
