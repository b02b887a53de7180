#!/usr/bin/env bash
# scenario.sh: run ONE lab scenario end to end and leave real captures plus meta.json in OUTDIR.
#
#   test/lab/scenario.sh <scenario> <outdir> [options]
#
# Needs root, iproute2, nft, ethtool, tcpdump, tshark/dumpcap/capinfos, jq, node, python3.
# See test/lab/README.md. Exit status: 0 when the transfer ran and every check on the captures
# passed, 1 when a check failed (the outputs are still written), 2 on usage errors.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netlab.sh
source "$LAB_DIR/netlab.sh"

SCENARIOS="healthy strip-syn strip-synack rewrite-syn-0 zero-above-2 server-noscale zero-window ipv6-strip-syn
healthy-any healthy-ns healthy-pcapng vlan nat mss-clamp"

usage() {
  cat <<EOF
usage: $0 <scenario> <outdir> [options]

scenarios: $(echo "$SCENARIOS" | tr '\n' ' ')

options:
  --bytes N                   bytes to transfer (default depends on the scenario)
  --timeout S                 cap on the transfer time in seconds
  --upload                    the client sends instead of receiving
  --delay-ms MS               one-way delay of the wire (default $NL_DELAY_MS, so RTT ~$((2 * NL_DELAY_MS)) ms)
  --port P                    server port (default 80)
  --snaplen N                 capture snap length (default 96; 128 for ipv6-strip-syn and vlan)
  --also-snaplen N            add a client-side capture with this snaplen (client.snapN.pcap)
  --client-route-window BYTES set a route 'window' metric on the client's route to the server
                              (caps the client's advertised shift: 174760 -> 2, 65535 -> 0)
  --pause-after BYTES         slow reader: the client stops reading after BYTES ...
  --pause-ms MS               ... for MS milliseconds (default 1000; zero-window uses 65536 / 1500)
  --qinq                      vlan: two tags (802.1ad 100 outside, 802.1Q 200 inside)
  --client-csum-offload       keep TX checksum offload on the client veth (its capture then shows
                              partial checksums, as on a real NIC; the path still works)
EOF
}

die_usage() {
  echo "scenario.sh: $*" >&2
  usage >&2
  exit 2
}

(($# >= 2)) || die_usage "need a scenario and an output directory"
SCENARIO=$1 OUTDIR=$2
shift 2
tr ' ' '\n' <<<"$SCENARIOS" | grep -qx -- "$SCENARIO" || die_usage "unknown scenario '$SCENARIO'"

BYTES="" TIMEOUT="" SNAPLEN="" ALSO_SNAPLEN="" PORT=80 MODE=download ROUTE_WINDOW="" QINQ=0
PAUSE_AFTER=0 PAUSE_MS=0 CSUM_OFFLOAD=0 NAT_PORTS=20000-20999
while (($#)); do
  case $1 in
  --bytes) BYTES=$2 && shift ;;
  --timeout) TIMEOUT=$2 && shift ;;
  --upload) MODE=upload ;;
  --delay-ms) NL_DELAY_MS=$2 && shift ;;
  --port) PORT=$2 && shift ;;
  --snaplen) SNAPLEN=$2 && shift ;;
  --also-snaplen) ALSO_SNAPLEN=$2 && shift ;;
  --client-route-window) ROUTE_WINDOW=$2 && shift ;;
  --pause-after) PAUSE_AFTER=$2 && shift ;;
  --pause-ms) PAUSE_MS=$2 && shift ;;
  --qinq) QINQ=1 ;;
  --client-csum-offload) CSUM_OFFLOAD=1 ;;
  -h | --help) usage && exit 0 ;;
  *) die_usage "unknown option $1" ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || die_usage "must run as root (namespaces, nft, tcpdump)"

# ---------------------------------------------------------------------------------------------
# Scenario definitions: what the middlebox does, how we capture, and what the captures must show.
# Checks are jq expressions over {files: {name: capsummary}, transfer: ...}; c/s are the lab
# connection as seen in the client-side and server-side capture.
FAMILY=4 CAPTURE=tcpdump NFT_RULES="" DESCRIPTION="" SERVER_NOSCALE=0 LOOPBACK_TRAFFIC=0
CHECKS=()
expect() { CHECKS+=("$1"$'\t'"$2"); }

# nft rules of the box that zeroes a SYN's window-scale shift. The shift is byte 39 of the TCP
# header when the options are Linux's mss,sackOK,TS,nop,wscale (kind 3 at byte 37, len 3 at 38).
# A raw payload write does not fix the TCP checksum, so each rule also puts the amount the 16-bit
# word (len,shift) lost into the urgent pointer (bytes 18-19, ignored without URG): the ones'-
# complement sum, and so the checksum, stay valid whatever the offload state. One rule per shift
# value, so nothing assumes what the client sends. Keep the raw @th,144,16 form: nft prints it back
# as 'tcp urgptr set N', and that spelling makes nft add a checksum fix-up, undoing the compensation.
zero_shift_rules() { # MIN_SHIFT: rewrite shifts MIN_SHIFT..14 to 0
  local s rules=""
  for ((s = $1; s <= 14; s++)); do
    rules+="    iifname \"rc\" tcp flags syn / syn,ack @th,296,16 0x0303 @th,312,8 $s @th,312,8 set 0 @th,144,16 set $s"$'\n'
  done
  printf '%s' "$rules"
}

nft_table() { # RULES: wrap rules in the router's forward chain
  printf 'table inet wscale_lab {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n%s\n  }\n}\n' "$1"
}

CHECK_HANDSHAKE_INTACT='c.syn.wscale != null and s.syn.wscale == c.syn.wscale and c.synAck.wscale != null and s.synAck.wscale == c.synAck.wscale'
CHECK_CLIENT_SHIFT_10='c.syn.wscale == 10'

case $SCENARIO in
healthy | healthy-any | healthy-ns | healthy-pcapng)
  DESCRIPTION="no middlebox interference"
  : "${BYTES:=1048576}"
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "client offers this kernel's default shift 10" "$CHECK_CLIENT_SHIFT_10"
  case $SCENARIO in
  healthy-any)
    CAPTURE=any
    DESCRIPTION+="; client side captured with tcpdump -i any: Linux cooked v1 (-y LINUX_SLL) and v2 (client-sll2.pcap)"
    expect "client.pcap is Linux cooked v1" '.files["client.pcap"].interfaces[0].linkType | test("linux-sll\\)")'
    expect "client-sll2.pcap is Linux cooked v2" '.files["client-sll2.pcap"].interfaces[0].linkType | test("linux-sll2\\)")'
    ;;
  healthy-ns)
    CAPTURE=nano
    DESCRIPTION+="; both sides captured with nanosecond timestamps"
    expect "nanosecond pcap (magic a1b23c4d)" '.files["client.pcap"].timestampPrecision == "nano" and .files["server.pcap"].timestampPrecision == "nano"'
    ;;
  healthy-pcapng)
    CAPTURE=pcapng LOOPBACK_TRAFFIC=1
    DESCRIPTION+="; captured with dumpcap as pcapng, client side on two interfaces (c0 and lo, with a loopback transfer)"
    expect "client.pcapng is pcapng with two interfaces" '.files["client.pcapng"].format == "pcapng" and (.files["client.pcapng"].interfaces | length) == 2'
    expect "the loopback connection is on interface 1" '[.files["client.pcapng"].connections[] | select(.client.ip == "127.0.0.1") | .interfaces] == [[1]]'
    ;;
  esac
  ;;
strip-syn | ipv6-strip-syn)
  DESCRIPTION="router clears the window-scale option of the client's SYN (nft 'reset tcp option window': overwritten with NOPs)"
  NFT_RULES=$(nft_table '    iifname "rc" tcp flags syn / syn,ack reset tcp option window')
  : "${BYTES:=524288}"
  if [[ $SCENARIO == ipv6-strip-syn ]]; then
    FAMILY=6
    : "${SNAPLEN:=128}"
  fi
  expect "client SYN leaves with wscale" "$CHECK_CLIENT_SHIFT_10"
  expect "server receives the SYN without wscale, option replaced by NOPs" 's.syn.wscale == null and s.syn.optionKinds == [2,4,8,1,1,1,1]'
  expect "server answers without wscale, seen on both sides" 's.synAck.wscale == null and c.synAck.wscale == null'
  ;;
strip-synack)
  DESCRIPTION="router clears the window-scale option of the server's SYN-ACK (nft 'reset tcp option window')"
  NFT_RULES=$(nft_table '    iifname "rs" tcp flags syn,ack / syn,ack reset tcp option window')
  : "${BYTES:=524288}"
  expect "SYN intact on the path" 'c.syn.wscale == 10 and s.syn.wscale == 10'
  expect "server sends wscale in its SYN-ACK" 's.synAck.wscale != null'
  expect "client receives the SYN-ACK with NOPs instead of wscale" 'c.synAck.wscale == null and c.synAck.optionKinds == [2,4,8,1,1,1,1]'
  ;;
rewrite-syn-0)
  DESCRIPTION="router rewrites the shift in the client's SYN to 0 (raw nft payload write, checksum kept valid via the urgent pointer)"
  NFT_RULES=$(nft_table "$(zero_shift_rules 1)")
  : "${BYTES:=16384}" "${TIMEOUT:=12}"
  expect "client SYN leaves with wscale 10" "$CHECK_CLIENT_SHIFT_10"
  expect "server receives wscale 0, urgent pointer carries the checksum compensation" 's.syn.wscale == 0 and s.syn.urgentPointer == c.syn.wscale'
  expect "server SYN-ACK scales normally" 's.synAck.wscale == 10 and c.synAck.wscale == 10'
  expect "the server crawls: its data segments stay far below the MSS" 's.server.largestSegment > 0 and s.server.largestSegment < 536'
  ;;
zero-above-2)
  DESCRIPTION="router zeroes window-scale shifts above 2 in the client's SYN (shifts 0-2 pass untouched)"
  NFT_RULES=$(nft_table "$(zero_shift_rules 3)")
  if [[ -n $ROUTE_WINDOW ]]; then
    DESCRIPTION+="; client route window $ROUTE_WINDOW lowers its shift so the SYN passes"
    : "${BYTES:=524288}"
    expect "client shift is at most 2 with the route window" '(c.syn.wscale | type) == "number" and c.syn.wscale <= 2'
    expect "the SYN passes untouched" 's.syn.wscale == c.syn.wscale and s.syn.urgentPointer == 0'
  else
    : "${BYTES:=16384}" "${TIMEOUT:=12}"
    expect "client SYN leaves with wscale 10" "$CHECK_CLIENT_SHIFT_10"
    expect "server receives wscale 0" 's.syn.wscale == 0 and s.syn.urgentPointer == c.syn.wscale'
  fi
  ;;
server-noscale)
  DESCRIPTION="server has net.ipv4.tcp_window_scaling=0: it declines scaling itself"
  SERVER_NOSCALE=1
  : "${BYTES:=524288}"
  expect "SYN with wscale reaches the server unchanged" 'c.syn.wscale == 10 and s.syn.wscale == 10'
  expect "SYN-ACK carries no wscale, on both sides" 's.synAck.wscale == null and c.synAck.wscale == null'
  expect "no NOP padding where the option would be" '(s.synAck.optionKinds | index([1,1,1])) == null'
  ;;
zero-window)
  DESCRIPTION="slow-reading client: it stops reading for a while, its window closes to zero, the server probes"
  : "${BYTES:=524288}"
  ((PAUSE_AFTER > 0)) || PAUSE_AFTER=65536
  ((PAUSE_MS > 0)) || PAUSE_MS=1500
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "client advertises zero windows (client-side capture)" 'c.client.zeroWindows > 0'
  ;;
vlan)
  CAPTURE=vlan
  : "${BYTES:=524288}" "${SNAPLEN:=128}"
  if ((QINQ)); then
    DESCRIPTION="healthy transfer; the client-router link carries QinQ frames (802.1ad 100, 802.1Q 200)"
    expect "client.pcap frames carry 802.1ad 100 over 802.1Q 200" '.files["client.pcap"].vlanTags == [{"outer8021ad": 100, "vlan8021q": [200]}]'
  else
    DESCRIPTION="healthy transfer; the client-router link carries 802.1Q VLAN 100 frames"
    expect "client.pcap frames carry 802.1Q 100" '.files["client.pcap"].vlanTags == [{"outer8021ad": null, "vlan8021q": [100]}]'
  fi
  expect "server.pcap is untagged" '.files["server.pcap"].vlanTags == null'
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  ;;
nat)
  # Source NAT to the router's server-side address, with ports outside Linux's ephemeral range
  # (32768-60999), so both the client's address and its port differ between the two captures.
  DESCRIPTION="router masquerades the client (nft 'masquerade to :$NAT_PORTS'): address and port differ between the captures"
  NFT_RULES=$(printf 'table inet wscale_lab {\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "rs" ip saddr 198.18.1.0/24 meta l4proto tcp masquerade to :%s\n  }\n}\n' "$NAT_PORTS")
  : "${BYTES:=262144}"
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "the server sees the router's address, the client its own" "c.client.ip == \"$NL_C4\" and s.client.ip == \"$NL_RS4\""
  expect "the server sees a translated port" "s.client.port != c.client.port and s.client.port >= ${NAT_PORTS%-*} and s.client.port <= ${NAT_PORTS#*-}"
  ;;
mss-clamp)
  DESCRIPTION="router clamps the MSS of SYNs and SYN-ACKs to 1200 (nft 'tcp option maxseg size set 1200')"
  NFT_RULES=$(nft_table '    tcp flags syn / syn,rst tcp option maxseg size set 1200')
  : "${BYTES:=262144}"
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "the option layout is unchanged" 's.syn.optionKinds == c.syn.optionKinds and s.synAck.optionKinds == c.synAck.optionKinds'
  expect "the server's segments obey the clamped MSS (1200 - 12 bytes of timestamps)" 'c.server.largestSegment == 1188 and s.server.largestSegment == 1188'
  ;;
esac
: "${TIMEOUT:=10}" "${SNAPLEN:=96}"
# shellcheck disable=SC2016 # $bytes and $port are jq variables
expect "the transfer completed" '.transfer.client.bytes == $bytes and .transfer.server.bytes == $bytes'
expect "both vantage points saw the same number of packets of the lab connection" 'c.packets == s.packets'
# shellcheck disable=SC2016
expect "exactly one lab connection on each side" '([.files[] | [.connections[] | select(.server.port == $port)] | length] | unique) == [1]'

# ---------------------------------------------------------------------------------------------
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
rm -f "$OUTDIR"/*.pcap "$OUTDIR"/*.pcapng "$OUTDIR"/meta.json

# Every background process of the lab is killed by `timeout` after this long, whatever happens.
NL_MAX_SECONDS=$((TIMEOUT + 60))
nl_init
if ((FAMILY == 6)); then
  nl_topology --ipv6
  CLIENT_IP=$NL_C6 SERVER_IP=$NL_S6
else
  nl_topology
  CLIENT_IP=$NL_C4 SERVER_IP=$NL_S4
fi
nl_log "scenario $SCENARIO in namespaces $NL_ID-*: $DESCRIPTION"

if ((CSUM_OFFLOAD)); then
  ip netns exec "$NL_C" ethtool -K c0 tx on >/dev/null
fi
if [[ -n $ROUTE_WINDOW ]]; then
  # The window metric clamps the receive window the client offers on this route, hence its shift.
  ip -n "$NL_C" route change 198.18.2.0/24 via "$NL_RC4" dev c0 window "$ROUTE_WINDOW"
  if ((FAMILY == 6)); then
    ip -n "$NL_C" -6 route change 2001:db8:2::/64 via "$NL_RC6" dev c0 window "$ROUTE_WINDOW"
  fi
fi
if [[ -n $NFT_RULES ]]; then
  nl_nft "$NL_R" "$NFT_RULES"
fi
if ((SERVER_NOSCALE)); then
  nl_ns "$NL_S" sysctl -qw net.ipv4.tcp_window_scaling=0
fi
if [[ $CAPTURE == vlan ]]; then
  # Tag everything on the client<->router link, both ways: push on egress, pop on the peer's ingress.
  if ((QINQ)); then push=(push 0x8100:200 0x88a8:100) pop=(pop 2); else push=(push 0x8100:100) pop=(pop 1); fi
  nl_vlan_tc "$NL_C" c0 egress "${push[@]}"
  nl_vlan_tc "$NL_C" c0 ingress "${pop[@]}"
  nl_vlan_tc "$NL_R" rc egress "${push[@]}"
  nl_vlan_tc "$NL_R" rc ingress "${pop[@]}"
fi

# Captures: client side at c0 (in the client namespace), server side at s0.
declare -A CAPTURE_CMD CAPTURE_VANTAGE
start_capture() { # FILE NS VANTAGE PROGRAM ARGS...
  local file=$1 ns=$2 vantage=$3 prog=$4
  shift 4
  CAPTURE_CMD[$file]="$prog $* -w $file"
  CAPTURE_VANTAGE[$file]=$vantage
  nl_capture "$file" "$ns" "$prog" "$@" -w "$OUTDIR/$file"
}
CLIENT_FILE=client.pcap SERVER_FILE=server.pcap
case $CAPTURE in
tcpdump | vlan)
  start_capture client.pcap "$NL_C" "client veth c0" tcpdump -i c0 -s "$SNAPLEN"
  start_capture server.pcap "$NL_S" "server veth s0" tcpdump -i s0 -s "$SNAPLEN"
  ;;
nano)
  start_capture client.pcap "$NL_C" "client veth c0" tcpdump --time-stamp-precision nano -i c0 -s "$SNAPLEN"
  start_capture server.pcap "$NL_S" "server veth s0" tcpdump --time-stamp-precision nano -i s0 -s "$SNAPLEN"
  ;;
any)
  # Plain `-i any` writes LINUX_SLL2 with this tcpdump/libpcap: ask for each version explicitly.
  start_capture client.pcap "$NL_C" "client namespace, all interfaces" tcpdump -i any -y LINUX_SLL -s "$SNAPLEN"
  start_capture client-sll2.pcap "$NL_C" "client namespace, all interfaces" tcpdump -i any -y LINUX_SLL2 -s "$SNAPLEN"
  start_capture server.pcap "$NL_S" "server veth s0" tcpdump -i s0 -s "$SNAPLEN"
  ;;
pcapng)
  CLIENT_FILE=client.pcapng SERVER_FILE=server.pcapng
  # -N/-C: with two interfaces dumpcap queues packets between threads and otherwise drops some.
  start_capture client.pcapng "$NL_C" "client veth c0 (interface 0) and client loopback lo (interface 1)" \
    dumpcap -N 1000000 -C 200000000 --capture-comment "wscale lab $SCENARIO, client side" -s "$SNAPLEN" -i c0 -i lo
  start_capture server.pcapng "$NL_S" "server veth s0" \
    dumpcap -N 1000000 -C 200000000 --capture-comment "wscale lab $SCENARIO, server side" -s "$SNAPLEN" -i s0
  ;;
esac
if [[ -n $ALSO_SNAPLEN ]]; then
  start_capture "client.snap$ALSO_SNAPLEN.pcap" "$NL_C" "client veth c0" tcpdump -i c0 -s "$ALSO_SNAPLEN"
fi

client_args=()
if ((PAUSE_AFTER > 0)); then
  ((PAUSE_MS > 0)) || PAUSE_MS=1000
  client_args+=(--pause-after "$PAUSE_AFTER" --pause-ms "$PAUSE_MS")
fi
nl_log "transfer: $MODE $BYTES bytes, $SERVER_IP port $PORT, at most ${TIMEOUT}s"
nl_transfer "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT" "${client_args[@]}"
CLIENT_JSON=$(cat "$NL_TMP/client.out")
SERVER_JSON=$(cat "$NL_TMP/server.out")
[[ -n $CLIENT_JSON ]] || CLIENT_JSON='{"bytes": 0, "error": "client did not finish"}'
[[ -n $SERVER_JSON ]] || SERVER_JSON='{"bytes": 0, "error": "server did not finish"}'
((NL_TRANSFER_RC == 0)) || nl_log "transfer did not complete (exit $NL_TRANSFER_RC): $(cat "$NL_TMP/client.err")"

if ((LOOPBACK_TRAFFIC)); then
  # A second, local connection so the pcapng's loopback interface has packets of its own.
  nl_bg lo-server "$NL_C" node "$LAB_DIR/transfer.mjs" server --host 127.0.0.1 --port $((PORT + 1)) --bytes 65536
  nl_wait_for_line "$NL_TMP/lo-server.err" '^listening' 10 "$NL_LAST_PID"
  ip netns exec "$NL_C" timeout 10 node "$LAB_DIR/transfer.mjs" client --host 127.0.0.1 --port $((PORT + 1)) \
    --bytes 65536 --timeout-ms 5000 >/dev/null
  wait "$NL_LAST_PID"
fi
nl_capture_stop_all

# ---------------------------------------------------------------------------------------------
# Read the captures back with tshark and check what they must show.
declare -A SUMMARY
FILES_JSON='{}'
for f in "${!CAPTURE_CMD[@]}"; do
  SUMMARY[$f]=$(python3 "$LAB_DIR/capsummary.py" "$OUTDIR/$f")
  FILES_JSON=$(jq --arg f "$f" --argjson s "${SUMMARY[$f]}" '.[$f] = $s' <<<"$FILES_JSON")
done
CONTEXT=$(jq -n --argjson files "$FILES_JSON" --argjson client "$CLIENT_JSON" --argjson server "$SERVER_JSON" \
  '{files: $files, transfer: {client: $client, server: $server}}')
JQ_DEFS="def lab(f): first(.files[f].connections[] | select(.server.port == \$port));
def c: lab(\"$CLIENT_FILE\"); def s: lab(\"$SERVER_FILE\");"
CHECKS_JSON='[]'
FAILED=0
for check in "${CHECKS[@]}"; do
  what=${check%%$'\t'*} expr=${check#*$'\t'}
  if err=$(jq -e --argjson port "$PORT" --argjson bytes "$BYTES" "$JQ_DEFS $expr" <<<"$CONTEXT" 2>&1 >/dev/null); then
    ok=true
  else
    ok=false FAILED=1
    nl_log "CHECK FAILED: $what ($expr) $err"
  fi
  CHECKS_JSON=$(jq --arg what "$what" --arg expr "$expr" --argjson ok "$ok" '. + [{what: $what, ok: $ok, jq: $expr}]' <<<"$CHECKS_JSON")
done

CAPTURES_JSON='[]'
for f in $(printf '%s\n' "${!CAPTURE_CMD[@]}" | sort); do
  CAPTURES_JSON=$(jq --arg cmd "${CAPTURE_CMD[$f]}" --arg vantage "${CAPTURE_VANTAGE[$f]}" \
    --argjson s "${SUMMARY[$f]}" '. + [{vantage: $vantage, command: $cmd} + $s]' <<<"$CAPTURES_JSON")
done

sysctls() { # NS: the inputs of Linux's window-scale choice, as seen in that namespace
  nl_ns "$1" sysctl -n net.ipv4.tcp_rmem net.core.rmem_max net.ipv4.tcp_window_scaling net.ipv4.tcp_wmem |
    jq -Rn '[inputs] | {"net.ipv4.tcp_rmem": .[0], "net.core.rmem_max": (.[1] | tonumber),
      "net.ipv4.tcp_window_scaling": (.[2] | tonumber), "net.ipv4.tcp_wmem": .[3]}'
}

jq -n \
  --arg scenario "$SCENARIO" --arg description "$DESCRIPTION" --arg created "$(date -u +%FT%TZ)" \
  --arg kernel "$(uname -r)" --arg tcpdump "$(tcpdump --version 2>&1 | head -1)" \
  --arg nft "$(nft --version)" --arg node "$(node --version)" \
  --argjson family "$FAMILY" --arg clientIp "$CLIENT_IP" --arg serverIp "$SERVER_IP" --argjson port "$PORT" \
  --arg routerClientSide "$( ((FAMILY == 6)) && echo "$NL_RC6" || echo "$NL_RC4")" \
  --arg routerServerSide "$( ((FAMILY == 6)) && echo "$NL_RS6" || echo "$NL_RS4")" \
  --argjson delay "$NL_DELAY_MS" --arg mode "$MODE" --argjson bytes "$BYTES" --argjson timeout "$TIMEOUT" \
  --argjson client "$CLIENT_JSON" --argjson server "$SERVER_JSON" --argjson rc "$NL_TRANSFER_RC" \
  --argjson pauseAfter "$PAUSE_AFTER" --argjson pauseMs "$PAUSE_MS" \
  --arg routeWindow "$ROUTE_WINDOW" --argjson qinq "$QINQ" --argjson csumOffload "$CSUM_OFFLOAD" \
  --arg nftRules "$NFT_RULES" --arg clientRoute "$(ip -n "$NL_C" route show 198.18.2.0/24)" \
  --argjson clientSysctl "$(sysctls "$NL_C")" --argjson serverSysctl "$(sysctls "$NL_S")" \
  --argjson captures "$CAPTURES_JSON" --argjson checks "$CHECKS_JSON" '
{
  scenario: $scenario,
  description: $description,
  created: $created,
  host: {kernel: $kernel, tcpdump: $tcpdump, nft: $nft, node: $node},
  family: $family,
  client: {ip: $clientIp, port: $client.localPort, interface: "c0"},
  server: {ip: $serverIp, port: $port, interface: "s0"},
  router: {clientSide: $routerClientSide, serverSide: $routerServerSide},
  delayMsEachWay: $delay,
  transfer: {
    mode: $mode, bytesRequested: $bytes, bytes: $client.bytes, seconds: $client.seconds,
    completed: ($rc == 0 and $client.bytes == $bytes and $server.bytes == $bytes), timeoutSeconds: $timeout,
    slowReader: (if $pauseAfter > 0 then {pauseAfterBytes: $pauseAfter, pauseMs: $pauseMs} else null end),
    client: $client, server: $server
  },
  options: {clientRouteWindow: (if $routeWindow == "" then null else ($routeWindow | tonumber) end),
            qinq: ($qinq == 1), clientChecksumOffload: ($csumOffload == 1)},
  middlebox: (if $nftRules == "" then null else {where: "router forward chain", nft: $nftRules} end),
  clientRoute: $clientRoute,
  sysctl: {client: $clientSysctl, server: $serverSysctl},
  captures: $captures,
  checks: $checks
}' >"$OUTDIR/meta.json"

nl_log "wrote ${!CAPTURE_CMD[*]} meta.json in $OUTDIR"
if ((FAILED)); then
  nl_log "some checks FAILED (see meta.json .checks)"
  exit 1
fi
nl_log "all $(jq length <<<"$CHECKS_JSON") checks passed"
