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
healthy-any healthy-ns healthy-pcapng vlan nat mss-clamp loss iperf3 syn-cookies syn-backlog keepalive port-reuse
synproxy gro"

usage() {
  cat <<EOF
usage: $0 <scenario> <outdir> [options]

scenarios: $(echo "$SCENARIOS" | tr '\n' ' ')

options:
  --bytes N                   bytes to transfer (per connection; default depends on the scenario)
  --timeout S                 cap on the transfer time in seconds
  --upload                    the client sends instead of receiving
  --delay-ms MS               one-way delay of the wire (default $NL_DELAY_MS, so RTT ~$((2 * NL_DELAY_MS)) ms)
  --port P                    server port (default 80; 5201 for iperf3)
  --snaplen N                 capture snap length (default 96; 128 for ipv6-strip-syn and vlan)
  --also-snaplen N            add a client-side capture with this snaplen (client.snapN.pcap)
  --client-route-window BYTES set a route 'window' metric on the client's route to the server
                              (caps the client's advertised shift: 174760 -> 2, 65535 -> 0)
  --pause-after BYTES         slow reader: the client stops reading after BYTES ...
  --pause-ms MS               ... for MS milliseconds (default 1000; zero-window uses 65536 / 1500)
  --qinq                      vlan: two tags (802.1ad 100 outside, 802.1Q 200 inside)
  --client-csum-offload       keep TX checksum offload on the client veth (its capture then shows
                              partial checksums, as on a real NIC; the path still works)
  --loss PCT                  the router drops PCT percent (0.1 steps) of forwarded packets at random
                              (nft numgen; SYNs and SYN-ACKs pass); default 1 for loss, else 0
  --loss-dir DIR              both (default), to-client (data of a download) or to-server
  --client-timestamps 0|1|mix syn-cookies: net.ipv4.tcp_timestamps of the client (mix: one connection
                              with 1, then one with 0, in one capture); syn-backlog: 0 or 1 (default 0)
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

BYTES="" TIMEOUT="" SNAPLEN="" ALSO_SNAPLEN="" PORT="" MODE=download ROUTE_WINDOW="" QINQ=0
PAUSE_AFTER=0 PAUSE_MS=0 CSUM_OFFLOAD=0 NAT_PORTS=20000-20999 LOSS="" LOSS_DIR=both CLIENT_TS=""
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
  --loss) LOSS=$2 && shift ;;
  --loss-dir) LOSS_DIR=$2 && shift ;;
  --client-timestamps) CLIENT_TS=$2 && shift ;;
  -h | --help) usage && exit 0 ;;
  *) die_usage "unknown option $1" ;;
  esac
  shift
done
[[ -z $LOSS || $LOSS =~ ^[0-9]+(\.[0-9])?$ ]] || die_usage "--loss takes a percentage with at most one decimal, not '$LOSS'"
[[ $LOSS_DIR =~ ^(both|to-client|to-server)$ ]] || die_usage "--loss-dir is both, to-client or to-server, not '$LOSS_DIR'"
[[ -z $CLIENT_TS || $CLIENT_TS =~ ^(0|1|mix)$ ]] || die_usage "--client-timestamps is 0, 1 or mix, not '$CLIENT_TS'"
[[ $(id -u) == 0 ]] || die_usage "must run as root (namespaces, nft, tcpdump)"

# ---------------------------------------------------------------------------------------------
# Scenario definitions: what the middlebox does, how we capture, and what the captures must show.
# Checks are jq expressions over {files: {name: capsummary}, transfer: ...}; c/s are the lab
# connection as seen in the client-side and server-side capture.
FAMILY=4 CAPTURE=tcpdump NFT_RULES="" DESCRIPTION="" LOOPBACK_TRAFFIC=0
# TRANSFER: transfer (transfer.mjs, one client run), ts-mix (two client runs, the client's timestamps
# switched off in between) or iperf3. CONNS: lab connections per capture. SAME_PACKETS: both vantage
# points must see the same packets (not with loss on the path or a box that answers for the server).
TRANSFER=transfer CONNS=1 SAME_PACKETS=1 STREAMS=4 WIRE_RATE=""
SERVER_ARGS=() CLIENT_ARGS=() SERVER_SYSCTL=() CLIENT_SYSCTL=() ROUTER_SYSCTL=()
CHECKS=()
expect() { CHECKS+=("$1"$'\t'"$2"); }
lossy() { [[ -n $LOSS && ! $LOSS =~ ^0+(\.0)?$ ]]; } # --loss (or the scenario's default) drops something

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
# Every lab connection (iperf3: control and streams) negotiated 10/10, the same at both ends.
CHECK_ALL_INTACT='[cs[], ss[] | [.syn.wscale, .synAck.wscale]] | unique == [[10, 10]]'
# The data sender and receiver of the lab connection, as seen in the sender's and the receiver's capture.
JQ_ROLES='def sender_at_sender: if $mode == "download" then s.server else c.client end;
def sender_at_receiver: if $mode == "download" then c.server else s.client end;'

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
  SERVER_SYSCTL+=(net.ipv4.tcp_window_scaling=0)
  : "${BYTES:=524288}"
  expect "SYN with wscale reaches the server unchanged" 'c.syn.wscale == 10 and s.syn.wscale == 10'
  expect "SYN-ACK carries no wscale, on both sides" 's.synAck.wscale == null and c.synAck.wscale == null'
  expect "no NOP padding where the option would be" '(s.synAck.optionKinds | index([1,1,1])) == null'
  ;;
zero-window)
  : "${BYTES:=524288}"
  ((PAUSE_AFTER > 0)) || PAUSE_AFTER=65536
  ((PAUSE_MS > 0)) || PAUSE_MS=1500
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  if [[ $MODE == upload ]]; then
    DESCRIPTION="slow-reading server (upload): it stops reading for a while, its window closes to zero, the client probes"
    expect "server advertises zero windows (server-side capture)" 's.server.zeroWindows > 0'
  else
    DESCRIPTION="slow-reading client: it stops reading for a while, its window closes to zero, the server probes"
    expect "client advertises zero windows (client-side capture)" 'c.client.zeroWindows > 0'
  fi
  # Linux probes a zero window with pure ACKs at snd_una - 1 (tcp_xmit_probe_skb): the kernel counts
  # them as TCPWinProbe, and tshark 4.0 calls them "TCP Keep-Alive" (its zero_window_probe wants a
  # 1-byte segment at the next sequence number, as Windows and BSD send).
  expect "the sender's kernel sent zero-window probes, and tshark sees each as a keep-alive at the sender" \
    "$JQ_ROLES"' (if $mode == "download" then .counters.server else .counters.client end).TCPWinProbe as $n | $n > 0 and sender_at_sender.analysis.keepAlive == $n'
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
loss)
  : "${LOSS:=1}" "${BYTES:=8388608}" "${TIMEOUT:=30}"
  DESCRIPTION="healthy path whose router drops $LOSS% of packets at random ($LOSS_DIR); nothing touches TCP options or windows"
  SAME_PACKETS=0
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "client offers this kernel's default shift 10" "$CHECK_CLIENT_SHIFT_10"
  expect "the data sender retransmits (tshark, at the sender)" "$JQ_ROLES sender_at_sender.retransmissions > 0"
  expect "the receiver's side misses segments (tshark: previous segment not captured)" "$JQ_ROLES sender_at_receiver.analysis.lostSegment > 0"
  ;;
iperf3)
  TRANSFER=iperf3 CONNS=$((STREAMS + 1))
  : "${PORT:=5201}" "${BYTES:=8388608}" "${TIMEOUT:=30}" "${LOSS:=0}"
  if [[ $MODE == download ]]; then
    DESCRIPTION="iperf3 -P $STREAMS -n $BYTES -R (download: the server sends) on the plain lab path"
  else
    DESCRIPTION="iperf3 -P $STREAMS -n $BYTES (upload: the client sends) on the plain lab path"
  fi
  expect "the control connection and $STREAMS streams negotiated 10/10, unchanged on the path" "$CHECK_ALL_INTACT"
  if ! lossy; then
    expect "no retransmission at either vantage point" '[cs[], ss[] | .client.retransmissions, .server.retransmissions] | add == 0'
  else
    expect "the data sender retransmits on the streams (tshark, at the sender)" \
      'if $mode == "download" then ([ss[] | .server.retransmissions] | add) > 0 else ([cs[] | .client.retransmissions] | add) > 0 end'
  fi
  ;;
syn-cookies)
  : "${CLIENT_TS:=1}" "${BYTES:=262144}"
  SERVER_SYSCTL+=(net.ipv4.tcp_syncookies=2)
  DESCRIPTION="server has net.ipv4.tcp_syncookies=2: every SYN is answered with a SYN cookie"
  expect "the server sent a SYN cookie for each connection and accepted each ACK (TcpExt counters)" \
    '.counters.server.SyncookiesSent == $conns and .counters.server.SyncookiesRecv == $conns'
  expect "the SYN-ACK is the same at both ends" '[range($conns) as $i | cs[$i].synAck.optionKinds == ss[$i].synAck.optionKinds] | all'
  case $CLIENT_TS in
  1)
    DESCRIPTION+="; the client sends timestamps, so the cookie keeps wscale and SACK-permitted (encoded in the TSval)"
    CLIENT_SYSCTL+=(net.ipv4.tcp_timestamps=1)
    expect "the cookie SYN-ACK still carries wscale 10 and SACK-permitted" 'c.synAck.wscale == 10 and c.synAck.optionKinds == [2,4,8,1,3]'
    ;;
  0)
    DESCRIPTION+="; the client sends no timestamps, so the cookie SYN-ACK loses wscale and SACK-permitted"
    CLIENT_SYSCTL+=(net.ipv4.tcp_timestamps=0)
    expect "the client's SYN offers wscale 10 and SACK, without timestamps" 'c.syn.wscale == 10 and c.syn.optionKinds == [2,1,1,4,1,3]'
    expect "the cookie SYN-ACK carries the MSS only" 'c.synAck.optionKinds == [2] and c.synAck.wscale == null'
    ;;
  mix)
    DESCRIPTION+="; two connections from the same client, the first with timestamps (scaling kept), the second without (scaling and SACK lost)"
    TRANSFER=ts-mix CONNS=2
    expect "first connection: the client sends timestamps, the SYN-ACK keeps wscale 10 and SACK-permitted" \
      'cs[0].syn.optionKinds == [2,4,8,1,3] and cs[0].synAck.wscale == 10 and cs[0].synAck.optionKinds == [2,4,8,1,3]'
    expect "second connection: no client timestamps, the SYN-ACK carries the MSS only" \
      'cs[1].syn.optionKinds == [2,1,1,4,1,3] and cs[1].synAck.optionKinds == [2]'
    ;;
  esac
  ;;
syn-backlog)
  : "${CLIENT_TS:=0}" "${BYTES:=65536}"
  CONNS=4
  SERVER_ARGS+=(--backlog 1 --count "$CONNS")
  # SYNs 5 ms apart, all within one round trip: the SYN queue overflows. The completing ACKs may find
  # the accept queue full as well (the kernel then drops them: ListenOverflows), so the client sends a
  # request, as an HTTP client would: it is retransmitted until the server has accepted the connection.
  CLIENT_ARGS+=(--connections "$CONNS" --parallel --stagger-ms 5 --request 100)
  CLIENT_SYSCTL+=("net.ipv4.tcp_timestamps=$CLIENT_TS")
  DESCRIPTION="server listens with backlog 1 (tcp_syncookies=1, the default); $CONNS connections at once overflow its SYN queue, so some are answered with SYN cookies; client tcp_timestamps=$CLIENT_TS"
  expect "the SYN queue overflowed into SYN cookies (TcpExt TCPReqQFullDoCookies, SyncookiesSent)" \
    '.counters.server.TCPReqQFullDoCookies > 0 and .counters.server.SyncookiesSent == .counters.server.TCPReqQFullDoCookies'
  expect "every SYN offered wscale 10" '[cs[] | .syn.wscale] | unique == [10]'
  if [[ $CLIENT_TS == 0 ]]; then
    expect "normal SYN-ACKs (wscale 10, SACK) and cookie SYN-ACKs (MSS only) in one capture, as many cookies as the server sent" \
      '([cs[] | select(.synAck.optionKinds == [2,1,1,4,1,3] and .synAck.wscale == 10)] | length) > 0 and ([cs[] | select(.synAck.optionKinds == [2])] | length) == .counters.server.SyncookiesSent'
  else
    expect "every SYN-ACK carries wscale 10 and SACK-permitted, cookie or not" '[cs[] | .synAck.optionKinds] | unique == [[2,4,8,1,3]]'
  fi
  ;;
keepalive)
  : "${BYTES:=65536}" "${TIMEOUT:=20}"
  IDLE_MS=7000 KEEPALIVE_MS=2000
  SERVER_ARGS+=(--idle-ms "$IDLE_MS")
  CLIENT_ARGS+=(--keepalive-ms "$KEEPALIVE_MS")
  DESCRIPTION="download of $((BYTES / 2)) bytes, $((IDLE_MS / 1000)) s idle while the client sends TCP keepalives (SO_KEEPALIVE, TCP_KEEPIDLE $((KEEPALIVE_MS / 1000)) s), then $((BYTES - BYTES / 2)) bytes more"
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "the client sends keepalives while idle (tshark: TCP Keep-Alive), each answered" \
    'c.client.analysis.keepAlive >= 2 and s.client.analysis.keepAlive == c.client.analysis.keepAlive and c.server.analysis.keepAliveAck == c.client.analysis.keepAlive'
  expect "no retransmissions" 'c.server.retransmissions == 0 and s.server.retransmissions == 0'
  ;;
port-reuse)
  : "${BYTES:=65536}"
  CONNS=2
  SERVER_ARGS+=(--count "$CONNS")
  CLIENT_ARGS+=(--connections "$CONNS" --local-port 40000 --between-ms 300)
  DESCRIPTION="two downloads, one after the other, from the same client port 40000: after the first one's FIN the 4-tuple comes back with a new ISN"
  expect "two connections on the same 4-tuple at each end" '[cs[], ss[] | .client.port] | unique == [40000]'
  expect "the second connection has new ISNs on both sides" 'cs[0].syn.isn != cs[1].syn.isn and cs[0].synAck.isn != cs[1].synAck.isn'
  expect "tshark marks the second SYN as a reused port" 'cs[1].client.analysis.reusedPorts == 1'
  expect "window scaling negotiated 10/10 on both" "$CHECK_ALL_INTACT"
  ;;
synproxy)
  : "${BYTES:=524288}" "${PORT:=80}"
  SAME_PACKETS=0
  # The router answers the client's SYN itself (a cookie, with its own options), and only after the
  # client's ACK opens the connection to the server; conntrack then shifts sequence numbers and
  # timestamps between the two halves. As in the nft manual: SYNs untracked, ACKs of unknown
  # connections 'invalid' (tcp_loose=0) so that synproxy sees them.
  NFT_RULES=$(printf '%s\n' 'table inet wscale_lab {' \
    '  chain prerouting {' '    type filter hook prerouting priority raw; policy accept;' \
    '    iifname "rc" tcp dport '"$PORT"' tcp flags syn / syn,ack notrack' '  }' \
    '  chain forward {' '    type filter hook forward priority filter; policy accept;' \
    '    iifname "rc" tcp dport '"$PORT"' ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm' \
    '    ct state invalid drop' '  }' '}')
  ROUTER_SYSCTL+=(net.netfilter.nf_conntrack_tcp_loose=0)
  DESCRIPTION="router runs nft synproxy (mss 1460 wscale 7 timestamp sack-perm): the client's SYN-ACK comes from the router, not from the server"
  expect "the client gets the proxy's SYN-ACK: wscale 7, not the server's 10" 'c.syn.wscale == 10 and c.synAck.wscale == 7 and c.synAck.mss == 1460'
  expect "the server gets a SYN from the proxy with the client's wscale 10, and answers with its own 10" 's.syn.wscale == 10 and s.synAck.wscale == 10'
  expect "the two SYN-ACKs are different packets: other ISN, the proxy's TTL 64 (not a forwarded 63)" 'c.synAck.isn != s.synAck.isn and c.synAck.ttl == 64 and s.synAck.ttl == 64'
  ;;
gro)
  : "${BYTES:=8388608}" "${TIMEOUT:=30}"
  NL_OFFLOADS=1 SAME_PACKETS=0 WIRE_RATE=500mbit
  DESCRIPTION="healthy download with TSO, GSO, GRO and checksum offload on at the hosts' veths: the server's capture shows TSO super-segments; the router cuts them into wire-sized frames sent at $WIRE_RATE, and the client's capture shows them GRO-coalesced, as on real hosts"
  expect "window scaling negotiated and unchanged on the path" "$CHECK_HANDSHAKE_INTACT"
  expect "the server's capture shows TSO super-segments (larger than one MSS)" 's.server.largestSegment > 1448'
  expect "the client's capture shows GRO-coalesced segments (larger than one MSS)" 'c.server.largestSegment > 1448'
  ;;
esac
: "${TIMEOUT:=10}" "${SNAPLEN:=96}" "${PORT:=80}" "${LOSS:=0}"
if lossy; then
  SAME_PACKETS=0
  [[ $SCENARIO == loss ]] || DESCRIPTION+="; the router drops $LOSS% of packets at random ($LOSS_DIR)"
fi
if [[ $TRANSFER == iperf3 ]]; then
  # iperf3 -n counts what the sender wrote, in whole blocks (128 KiB), so it may send a little more
  # than asked. The receiver's count stops when the test ends: iperf3 then closes streams that still
  # carry data, and the receiving side resets them (RST with data unread).
  expect "iperf3 sent what -n asked for" '.transfer.client.sentBytes >= $bytes'
else
  # shellcheck disable=SC2016 # $bytes and $port are jq variables
  expect "the transfer completed" '.transfer.client.bytes == $bytes * $conns and .transfer.server.bytes == $bytes * $conns'
fi
if ((SAME_PACKETS)); then
  expect "both vantage points saw the same number of packets of the lab connection" 'c.packets == s.packets'
fi
if ((CONNS == 1)); then
  # shellcheck disable=SC2016
  expect "exactly one lab connection on each side" '([.files[] | [.connections[] | select(.server.port == $port)] | length] | unique) == [1]'
else
  expect "$CONNS lab connections on each side" '[cs, ss | length] == [$conns, $conns]'
fi
case $SCENARIO in healthy | healthy-any | healthy-ns | healthy-pcapng)
  expect "no retransmission at either vantage point (a healthy path loses nothing)" 'c.server.retransmissions + c.client.retransmissions + s.server.retransmissions + s.client.retransmissions == 0'
  ;;
esac

# The router's random loss: its own table, so it combines with any middlebox. Handshake packets
# pass, so every capture starts with SYN, SYN-ACK (a lost SYN would only add a 1 s timeout).
LOSS_RULES=""
if lossy; then
  LOSS_PERMILLE=$(awk -v p="$LOSS" 'BEGIN { printf "%d", p * 10 + 0.5 }')
  loss_ifs=()
  [[ $LOSS_DIR != to-server ]] && loss_ifs+=(rs) # packets from the server side, towards the client
  [[ $LOSS_DIR != to-client ]] && loss_ifs+=(rc)
  LOSS_RULES=$(
    printf 'table inet wscale_lab_loss {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n'
    printf '    tcp flags & syn == syn accept\n'
    for i in "${loss_ifs[@]}"; do printf '    iifname "%s" numgen random mod 1000 < %d drop\n' "$i" "$LOSS_PERMILLE"; done
    printf '  }\n}\n'
  )
fi

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
if [[ -n $LOSS_RULES ]]; then
  nl_nft "$NL_R" "$LOSS_RULES"
fi
if [[ -n $WIRE_RATE ]]; then
  # The router's link to the client sends at a line rate, one frame after the other, as a NIC does
  # (the veth alone would hand over a whole burst at once, and GRO would merge all of it).
  tc -n "$NL_R" qdisc replace dev rc root tbf rate "$WIRE_RATE" burst 3028 latency 100ms
fi
((${#SERVER_SYSCTL[@]} == 0)) || nl_ns "$NL_S" sysctl -qw "${SERVER_SYSCTL[@]}"
((${#CLIENT_SYSCTL[@]} == 0)) || nl_ns "$NL_C" sysctl -qw "${CLIENT_SYSCTL[@]}"
((${#ROUTER_SYSCTL[@]} == 0)) || nl_ns "$NL_R" sysctl -qw "${ROUTER_SYSCTL[@]}"
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

if ((PAUSE_AFTER > 0)); then
  ((PAUSE_MS > 0)) || PAUSE_MS=1000
  # The receiver reads slowly: the client of a download, the server of an upload.
  if [[ $MODE == upload ]]; then
    SERVER_ARGS+=(--pause-after "$PAUSE_AFTER" --pause-ms "$PAUSE_MS")
  else
    CLIENT_ARGS+=(--pause-after "$PAUSE_AFTER" --pause-ms "$PAUSE_MS")
  fi
fi
case $TRANSFER in
transfer)
  nl_log "transfer: $MODE $BYTES bytes x $CONNS, $SERVER_IP port $PORT, at most ${TIMEOUT}s"
  nl_server "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT" "${SERVER_ARGS[@]}"
  nl_client client "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT" "${CLIENT_ARGS[@]}"
  NL_TRANSFER_RC=$NL_CLIENT_RC
  nl_server_wait "$NL_TRANSFER_RC"
  ;;
ts-mix)
  # The client's tcp_timestamps is read when it sends its SYN: switch it between two connections.
  nl_log "transfer: $MODE $BYTES bytes, twice (client timestamps 1, then 0), $SERVER_IP port $PORT"
  nl_server "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT" --count 2
  nl_ns "$NL_C" sysctl -qw net.ipv4.tcp_timestamps=1
  nl_client client-1 "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT"
  NL_TRANSFER_RC=$NL_CLIENT_RC
  nl_ns "$NL_C" sysctl -qw net.ipv4.tcp_timestamps=0
  nl_client client-2 "$SERVER_IP" "$PORT" "$BYTES" "$MODE" "$TIMEOUT"
  ((NL_TRANSFER_RC != 0)) || NL_TRANSFER_RC=$NL_CLIENT_RC
  nl_server_wait "$NL_TRANSFER_RC"
  ;;
iperf3)
  iperf_args=(-c "$SERVER_IP" -p "$PORT" -P "$STREAMS" -n "$BYTES" -J --connect-timeout 5000)
  [[ $MODE == download ]] && iperf_args+=(-R)
  nl_log "transfer: iperf3 ${iperf_args[*]}"
  # -1: the server serves one test and exits. Its stdout is a log; the client's -J report has both ends.
  nl_bg server "$NL_S" iperf3 -s -1 --forceflush -B "$SERVER_IP" -p "$PORT"
  server_pid=$NL_LAST_PID
  nl_wait_for_line "$NL_TMP/server.out" 'Server listening' 10 "$server_pid"
  nl_bg iperf3 "$NL_C" timeout "$((TIMEOUT + 1))" iperf3 "${iperf_args[@]}"
  NL_TRANSFER_RC=0
  wait "$NL_LAST_PID" || NL_TRANSFER_RC=$?
  ((NL_TRANSFER_RC == 0)) || kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" || true
  # The transfer's numbers in the shape of transfer.mjs's output: bytes is what the receiver got (the
  # sender's count, sentBytes, includes what was in flight when the test ended); senderRetransmits is
  # the sender's kernel count (TCP_INFO), an independent check of what tshark counts.
  jq -c --arg mode "$MODE" '.end as $e | {role: "client", tool: "iperf3", mode: $mode,
      bytes: $e.sum_received.bytes, sentBytes: $e.sum_sent.bytes, seconds: $e.sum_received.seconds,
      localPorts: [.start.connected[].local_port], senderRetransmits: $e.sum_sent.retransmits}' \
    "$NL_TMP/iperf3.out" >"$NL_TMP/client.out" 2>/dev/null || true
  # The server's own report is the same test seen from the other end: the -J report holds both.
  jq -c '{role: "server", tool: "iperf3", bytes: .bytes}' "$NL_TMP/client.out" >"$NL_TMP/server.out" 2>/dev/null || true
  ;;
esac
# One JSON object per side: a single connection's as it is, several summed up with each listed.
merge_json() { jq -cs 'if length == 1 then .[0] else {bytes: (map(.bytes) | add), seconds: (map(.seconds) | add), connections: .} end' "$@" 2>/dev/null || true; }
CLIENT_JSON=$(merge_json "$NL_TMP"/client*.out)
SERVER_JSON=$(merge_json "$NL_TMP/server.out")
[[ -n $CLIENT_JSON && $CLIENT_JSON != null ]] || CLIENT_JSON='{"bytes": 0, "error": "client did not finish"}'
[[ -n $SERVER_JSON && $SERVER_JSON != null ]] || SERVER_JSON='{"bytes": 0, "error": "server did not finish"}'
((NL_TRANSFER_RC == 0)) || nl_log "transfer did not complete (exit $NL_TRANSFER_RC): $(cat "$NL_TMP"/client*.err "$NL_TMP"/iperf3.err 2>/dev/null)"

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
# The kernel's own TCP counters in each end's namespace (/proc/net is per namespace): SYN cookies,
# SYN queue overflows, retransmitted segments. An independent account of what the captures show.
tcp_counters() { # NS
  nl_ns "$1" cat /proc/net/netstat /proc/net/snmp | awk '
    $1 == "TcpExt:" || $1 == "Tcp:" { if (!(($1) in names)) { names[$1] = $0; next }
      n = split(names[$1], k); split($0, v)
      for (i = 2; i <= n; i++) want[k[i]] = v[i] }
    END {
      split("SyncookiesSent SyncookiesRecv SyncookiesFailed TCPReqQFullDoCookies TCPReqQFullDrop ListenOverflows ListenDrops RetransSegs TCPLostRetransmit TCPTimeouts TCPLossProbes TCPSackRecovery TCPDSACKRecv TCPFastRetrans TCPSlowStartRetrans TCPKeepAlive TCPWinProbe TCPToZeroWindowAdv TCPFromZeroWindowAdv TSEcrRejected PAWSEstab TCPChallengeACK", keys)
      printf "{"; for (i = 1; i in keys; i++) printf "%s\"%s\": %d", (i > 1 ? ", " : ""), keys[i], want[keys[i]]; print "}" }'
}
COUNTERS_JSON=$(jq -n --argjson client "$(tcp_counters "$NL_C")" --argjson server "$(tcp_counters "$NL_S")" \
  '{client: $client, server: $server}')

# Read the captures back with tshark and check what they must show.
declare -A SUMMARY
FILES_JSON='{}'
for f in "${!CAPTURE_CMD[@]}"; do
  SUMMARY[$f]=$(python3 "$LAB_DIR/capsummary.py" "$OUTDIR/$f")
  FILES_JSON=$(jq --arg f "$f" --argjson s "${SUMMARY[$f]}" '.[$f] = $s' <<<"$FILES_JSON")
done
CONTEXT=$(jq -n --argjson files "$FILES_JSON" --argjson client "$CLIENT_JSON" --argjson server "$SERVER_JSON" \
  --argjson counters "$COUNTERS_JSON" '{files: $files, transfer: {client: $client, server: $server}, counters: $counters}')
# c, s: the (first) lab connection in the client-side and server-side capture; cs, ss: all of them.
JQ_DEFS="def labs(f): [.files[f].connections[] | select(.server.port == \$port)];
def lab(f): labs(f)[0]; def c: lab(\"$CLIENT_FILE\"); def s: lab(\"$SERVER_FILE\");
def cs: labs(\"$CLIENT_FILE\"); def ss: labs(\"$SERVER_FILE\");"
CHECKS_JSON='[]'
FAILED=0
for check in "${CHECKS[@]}"; do
  what=${check%%$'\t'*} expr=${check#*$'\t'}
  if err=$(jq -e --argjson port "$PORT" --argjson bytes "$BYTES" --argjson conns "$CONNS" --arg mode "$MODE" \
    "$JQ_DEFS $expr" <<<"$CONTEXT" 2>&1 >/dev/null); then
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

sysctls() { # NS: the inputs of Linux's window-scale choice and the TCP options, as seen in that namespace
  nl_ns "$1" sysctl -n net.ipv4.tcp_rmem net.core.rmem_max net.ipv4.tcp_window_scaling net.ipv4.tcp_wmem \
    net.ipv4.tcp_timestamps net.ipv4.tcp_sack net.ipv4.tcp_syncookies net.ipv4.tcp_congestion_control |
    jq -Rn '[inputs] | {"net.ipv4.tcp_rmem": .[0], "net.core.rmem_max": (.[1] | tonumber),
      "net.ipv4.tcp_window_scaling": (.[2] | tonumber), "net.ipv4.tcp_wmem": .[3],
      "net.ipv4.tcp_timestamps": (.[4] | tonumber), "net.ipv4.tcp_sack": (.[5] | tonumber),
      "net.ipv4.tcp_syncookies": (.[6] | tonumber), "net.ipv4.tcp_congestion_control": .[7]}'
}
if [[ $TRANSFER == iperf3 ]]; then TOTAL_BYTES=$BYTES; else TOTAL_BYTES=$((BYTES * CONNS)); fi

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
  --argjson captures "$CAPTURES_JSON" --argjson checks "$CHECKS_JSON" --argjson counters "$COUNTERS_JSON" \
  --argjson conns "$CONNS" --argjson total "$TOTAL_BYTES" --arg tool "$TRANSFER" --argjson streams "$STREAMS" \
  --arg loss "$LOSS" --arg lossDir "$LOSS_DIR" --arg lossRules "$LOSS_RULES" --argjson offloads "$NL_OFFLOADS" \
  --arg routerSysctl "${ROUTER_SYSCTL[*]}" '
{
  scenario: $scenario,
  description: $description,
  created: $created,
  host: {kernel: $kernel, tcpdump: $tcpdump, nft: $nft, node: $node},
  family: $family,
  client: {ip: $clientIp, port: ($client.localPort // null), interface: "c0"},
  server: {ip: $serverIp, port: $port, interface: "s0"},
  router: {clientSide: $routerClientSide, serverSide: $routerServerSide},
  delayMsEachWay: $delay,
  transfer: {
    mode: $mode, bytesRequested: $total, bytes: $client.bytes, seconds: $client.seconds,
    completed: ($rc == 0 and (if $tool == "iperf3" then $client.sentBytes >= $total
      else $client.bytes == $total and $server.bytes == $total end)), timeoutSeconds: $timeout,
    connections: $conns,
    tool: (if $tool == "iperf3" then "iperf3 -P \($streams)" else "transfer.mjs" end),
    slowReader: (if $pauseAfter > 0 then {pauseAfterBytes: $pauseAfter, pauseMs: $pauseMs} else null end),
    client: $client, server: $server
  },
  options: {clientRouteWindow: (if $routeWindow == "" then null else ($routeWindow | tonumber) end),
            qinq: ($qinq == 1), clientChecksumOffload: ($csumOffload == 1), offloads: ($offloads == 1)},
  middlebox: (if $nftRules == "" then null else {where: "router forward chain", nft: $nftRules} end),
  loss: (if $lossRules == "" then null else {percent: ($loss | tonumber), direction: $lossDir,
    where: "router forward chain", nft: $lossRules} end),
  clientRoute: $clientRoute,
  sysctl: {client: $clientSysctl, server: $serverSysctl, router: (if $routerSysctl == "" then null else $routerSysctl end)},
  counters: $counters,
  captures: $captures,
  checks: $checks
}' >"$OUTDIR/meta.json"

nl_log "wrote ${!CAPTURE_CMD[*]} meta.json in $OUTDIR"
if ((FAILED)); then
  nl_log "some checks FAILED (see meta.json .checks)"
  exit 1
fi
nl_log "all $(jq length <<<"$CHECKS_JSON") checks passed"
