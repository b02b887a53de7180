# shellcheck shell=bash
# netlab.sh: a throw-away three-host network in network namespaces, for real captures.
#
#   client (c0) ---- (rc) router (rs) ---- [wire: w1 <-delay-> w2] ---- (s0) server
#   198.18.1.2       198.18.1.1  198.18.2.1                              198.18.2.2
#   2001:db8:1::2    2001:db8:1::1  2001:db8:2::1                        2001:db8:2::2
#
# Source it, then: nl_init; nl_topology; nl_capture ...; nl_server ...; nl_client ...; nl_server_wait;
# nl_capture_stop_all.
# nl_init installs an EXIT trap that kills what the lab started and deletes its namespaces.
#
# The router is where a "middlebox" goes (nft rules in its forward chain). The wire namespace is
# a userspace delay line (delayline.py): this kernel has no sch_netem, so a 10 ms delay each way
# (RTT ~20 ms) is added there, transparently at layer 2, between router and server.
#
# Namespace names are wsl-<pid>-{c,r,w,s}, so parallel runs never collide. Interfaces are created
# directly inside their namespaces, so nothing ever appears in the root namespace.

NL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NL_DELAY_MS=${NL_DELAY_MS:-10}     # one-way delay added by the wire
NL_MAX_SECONDS=${NL_MAX_SECONDS:-90} # hard cap for every background process of the lab
NL_OFFLOADS=${NL_OFFLOADS:-0}       # 1: TSO/GSO/GRO and checksum offload stay on (see nl_offloads_off)

# Fixed addresses and MACs: captures are easier to assert on when they never change.
NL_C4=198.18.1.2 NL_RC4=198.18.1.1 NL_RS4=198.18.2.1 NL_S4=198.18.2.2
NL_C6=2001:db8:1::2 NL_RC6=2001:db8:1::1 NL_RS6=2001:db8:2::1 NL_S6=2001:db8:2::2
NL_MAC_C0=02:00:c6:12:01:02 NL_MAC_RC=02:00:c6:12:01:01
NL_MAC_RS=02:00:c6:12:02:01 NL_MAC_S0=02:00:c6:12:02:02

nl_log() { printf '[netlab %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
nl_die() {
  nl_log "ERROR: $*"
  exit 1
}

# nl_reap_stale: delete wsl-<pid>-* namespaces left by a lab run that was SIGKILLed (its trap never
# ran). Only namespaces whose creating shell no longer exists are touched.
nl_reap_stale() {
  local ns pid proc
  for ns in $(ip netns list | awk '$1 ~ /^wsl-[0-9]+-[crws]$/ {print $1}'); do
    pid=${ns#wsl-}
    pid=${pid%-*}
    kill -0 "$pid" 2>/dev/null && continue
    nl_log "removing stale namespace $ns"
    for proc in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$proc" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# nl_init: names, scratch dir, cleanup trap. Must run in the main shell (not a subshell).
nl_init() {
  nl_reap_stale
  NL_ID="wsl-$$"
  NL_C="$NL_ID-c" NL_R="$NL_ID-r" NL_W="$NL_ID-w" NL_S="$NL_ID-s"
  NL_NAMESPACES=()
  NL_PIDS=()         # every background process we started
  NL_CAPTURE_PIDS=() # the subset that are packet captures (stopped with SIGINT so they flush)
  NL_TMP=$(mktemp -d "/tmp/$NL_ID.XXXXXX")
  trap nl_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

nl_cleanup() {
  local rc=$? pid ns
  trap - EXIT
  for pid in "${NL_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${NL_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${NL_NAMESPACES[@]}"; do
    # Anything still running inside our namespaces was started by this lab: end it by PID.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
  done
  [[ -n ${NL_TMP:-} && -d $NL_TMP ]] && rm -rf "$NL_TMP"
  exit "$rc"
}

nl_ns() { ip netns exec "$@"; }

# nl_bg LOGNAME NS CMD...: start CMD in NS in the background, bounded by NL_MAX_SECONDS.
# Sets NL_LAST_PID. stdout/stderr go to $NL_TMP/LOGNAME.{out,err}.
nl_bg() {
  local name=$1 ns=$2
  shift 2
  ip netns exec "$ns" timeout "$NL_MAX_SECONDS" "$@" >"$NL_TMP/$name.out" 2>"$NL_TMP/$name.err" &
  NL_LAST_PID=$!
  NL_PIDS+=("$NL_LAST_PID")
}

# nl_wait_for_line FILE REGEX SECONDS PID: wait until a background process reports readiness.
nl_wait_for_line() {
  local file=$1 regex=$2 seconds=$3 pid=$4 i
  for ((i = 0; i < seconds * 20; i++)); do
    grep -qE "$regex" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || nl_die "process $pid exited early: $(cat "$file")"
    sleep 0.05
  done
  nl_die "timed out waiting for '$regex' in $file"
}

nl_offloads_off() { # NS DEV [router]
  local ns=$1 dev=$2
  # Wire-sized segments (no TSO/GSO/GRO) and checksums computed in software, so captures show what
  # a real NIC would put on the wire, and the delay line forwards complete frames.
  # NL_OFFLOADS=1 leaves them on at the hosts instead (and turns GRO on, which a veth only does when
  # asked), so the captures show what tcpdump sees on a real host: the sender's TSO super-segments,
  # the receiver's GRO-coalesced ones. The router's veths stay off: forwarding a super-segment out
  # of them cuts it into wire-sized frames with real checksums, as a NIC and the wire would.
  if ((NL_OFFLOADS)) && [[ ${3:-} != router ]]; then
    ip netns exec "$ns" ethtool -K "$dev" tso on gso on gro on tx on >/dev/null 2>&1 ||
      nl_die "ethtool -K (offloads on) failed on $ns/$dev"
    return
  fi
  ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null 2>&1 ||
    nl_die "ethtool -K failed on $ns/$dev"
}

# nl_topology [--ipv6]: namespaces, links, addresses, routes, static neighbours, delay line.
nl_topology() {
  local ipv6=0 ns
  [[ ${1:-} == --ipv6 ]] && ipv6=1
  for ns in "$NL_C" "$NL_R" "$NL_W" "$NL_S"; do
    ip netns add "$ns"
    NL_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    # IPv6 off unless asked for: no link-local chatter (RS, MLD, DAD) in IPv4 captures.
    # The wire is pure layer 2 and never needs it.
    if ((ipv6 == 0)) || [[ $ns == "$NL_W" ]]; then
      nl_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
  done

  ip -n "$NL_C" link add c0 address "$NL_MAC_C0" type veth peer name rc address "$NL_MAC_RC" netns "$NL_R"
  ip -n "$NL_R" link add rs address "$NL_MAC_RS" type veth peer name w1 netns "$NL_W"
  ip -n "$NL_W" link add w2 type veth peer name s0 address "$NL_MAC_S0" netns "$NL_S"
  nl_offloads_off "$NL_C" c0
  nl_offloads_off "$NL_R" rc router
  nl_offloads_off "$NL_R" rs router
  nl_offloads_off "$NL_W" w1
  nl_offloads_off "$NL_W" w2
  nl_offloads_off "$NL_S" s0
  ip -n "$NL_W" link set w1 up
  ip -n "$NL_W" link set w2 up

  nl_ns "$NL_R" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NL_C" addr add "$NL_C4/24" dev c0
  ip -n "$NL_R" addr add "$NL_RC4/24" dev rc
  ip -n "$NL_R" addr add "$NL_RS4/24" dev rs
  ip -n "$NL_S" addr add "$NL_S4/24" dev s0
  if ((ipv6)); then
    nl_ns "$NL_R" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$NL_C" addr add "$NL_C6/64" dev c0 nodad
    ip -n "$NL_R" addr add "$NL_RC6/64" dev rc nodad
    ip -n "$NL_R" addr add "$NL_RS6/64" dev rs nodad
    ip -n "$NL_S" addr add "$NL_S6/64" dev s0 nodad
  fi
  ip -n "$NL_C" link set c0 up
  ip -n "$NL_R" link set rc up
  ip -n "$NL_R" link set rs up
  ip -n "$NL_S" link set s0 up

  # Explicit routes (not a default route) so `ip route change <dst> via <gw> window N` has a target.
  ip -n "$NL_C" route add 198.18.2.0/24 via "$NL_RC4" dev c0
  ip -n "$NL_S" route add 198.18.1.0/24 via "$NL_RS4" dev s0
  # Static neighbours: captures start with the SYN instead of ARP/ND.
  ip -n "$NL_C" neigh replace "$NL_RC4" lladdr "$NL_MAC_RC" dev c0 nud permanent
  ip -n "$NL_R" neigh replace "$NL_C4" lladdr "$NL_MAC_C0" dev rc nud permanent
  ip -n "$NL_R" neigh replace "$NL_S4" lladdr "$NL_MAC_S0" dev rs nud permanent
  ip -n "$NL_S" neigh replace "$NL_RS4" lladdr "$NL_MAC_RS" dev s0 nud permanent
  if ((ipv6)); then
    ip -n "$NL_C" -6 route add 2001:db8:2::/64 via "$NL_RC6" dev c0
    ip -n "$NL_S" -6 route add 2001:db8:1::/64 via "$NL_RS6" dev s0
    ip -n "$NL_C" neigh replace "$NL_RC6" lladdr "$NL_MAC_RC" dev c0 nud permanent
    ip -n "$NL_R" neigh replace "$NL_C6" lladdr "$NL_MAC_C0" dev rc nud permanent
    ip -n "$NL_R" neigh replace "$NL_S6" lladdr "$NL_MAC_S0" dev rs nud permanent
    ip -n "$NL_S" neigh replace "$NL_RS6" lladdr "$NL_MAC_RS" dev s0 nud permanent
  fi

  local vnet=()
  # With offloads on, frames reach the delay line as GSO super-frames with partial checksums: it must
  # pass their virtio-net header through, or they could not be sent on.
  ((NL_OFFLOADS)) && vnet=(--vnet-hdr)
  nl_bg delayline "$NL_W" python3 "$NL_DIR/delayline.py" "${vnet[@]}" w1 w2 "$NL_DELAY_MS" "$NL_MAX_SECONDS"
  nl_wait_for_line "$NL_TMP/delayline.err" ready 10 "$NL_LAST_PID"
}

# nl_nft NS RULESET: load an nft ruleset (text) into a namespace.
nl_nft() {
  local ns=$1 ruleset=$2
  printf '%s\n' "$ruleset" >"$NL_TMP/ruleset.$ns.nft"
  ip netns exec "$ns" nft -f "$NL_TMP/ruleset.$ns.nft"
}

# nl_vlan_tc NS DEV egress|ingress push TPID:VID... | pop N
# Attach a cls_bpf program that pushes/pops VLAN tags (see vlanbpf.py). The program is pinned in a
# private bpffs mount that only exists for the duration of the call: the tc filter keeps it alive.
nl_vlan_tc() {
  local ns=$1 dev=$2 dir=$3
  shift 3
  tc -n "$ns" qdisc replace dev "$dev" clsact
  # shellcheck disable=SC2016 # the inner script expands its own positional parameters
  unshare -m --propagation private bash -euo pipefail -c '
    loader=$1 ns=$2 dev=$3 dir=$4; shift 4
    bpffs=$(mktemp -d)
    mount -t bpf bpf "$bpffs"
    python3 "$loader" "$bpffs/prog" "$@"
    tc -n "$ns" filter add dev "$dev" "$dir" bpf direct-action object-pinned "$bpffs/prog"
    umount "$bpffs"
    rmdir "$bpffs"' _ "$NL_DIR/vlanbpf.py" "$ns" "$dev" "$dir" "$@"
}

# nl_capture NAME NS PROGRAM ARGS...: start tcpdump or dumpcap in NS and wait until it is listening.
# PROGRAM is tcpdump or dumpcap; ARGS are passed through (interface, snaplen, -w file, ...).
nl_capture() {
  local name=$1 ns=$2 prog=$3
  shift 3
  case $prog in
  tcpdump) nl_bg "cap-$name" "$ns" tcpdump -n -U --immediate-mode -Z root "$@" ;;
  dumpcap) nl_bg "cap-$name" "$ns" dumpcap -q "$@" ;;
  *) nl_die "unknown capture program $prog" ;;
  esac
  NL_CAPTURE_PIDS+=("$NL_LAST_PID")
  nl_wait_for_line "$NL_TMP/cap-$name.err" 'listening on|Capturing on' 10 "$NL_LAST_PID"
}

# nl_capture_stop_all: SIGINT every capture (so it flushes), wait, and complain about kernel drops.
nl_capture_stop_all() {
  local pid f
  sleep 0.3 # let the last ACKs of the teardown cross the 20 ms path
  for pid in "${NL_CAPTURE_PIDS[@]}"; do
    kill -INT "$pid" 2>/dev/null || true
  done
  for pid in "${NL_CAPTURE_PIDS[@]}"; do
    wait "$pid" || true
  done
  NL_CAPTURE_PIDS=()
  for f in "$NL_TMP"/cap-*.err; do
    if grep -qE '^[1-9][0-9]* packets dropped by (kernel|interface)|^Packets received/dropped .*/[1-9]' "$f"; then
      nl_log "WARNING: capture dropped packets: $(tr '\n' ' ' <"$f")"
    fi
  done
}

# nl_server SERVER_ADDR PORT BYTES MODE TIMEOUT [SERVER OPTIONS...]: start transfer.mjs as the
# server in $NL_S and wait until it listens. Sets NL_SERVER_PID; its JSON lines (one per
# connection) go to $NL_TMP/server.out.
nl_server() {
  local addr=$1 port=$2 bytes=$3 mode=$4 seconds=$5
  shift 5
  nl_bg server "$NL_S" node "$NL_DIR/transfer.mjs" server --host "$addr" --port "$port" --bytes "$bytes" \
    --mode "$mode" --timeout-ms $(((seconds + 2) * 1000)) "$@"
  NL_SERVER_PID=$NL_LAST_PID
  nl_wait_for_line "$NL_TMP/server.err" '^listening' 10 "$NL_SERVER_PID"
}

# nl_client NAME SERVER_ADDR PORT BYTES MODE TIMEOUT [CLIENT OPTIONS...]: run transfer.mjs as a
# client in $NL_C and wait for it. Its JSON goes to $NL_TMP/NAME.out; its exit status is
# NL_CLIENT_RC (non-zero: timed out or failed).
nl_client() {
  local name=$1 addr=$2 port=$3 bytes=$4 mode=$5 seconds=$6
  shift 6
  NL_CLIENT_RC=0
  # In the background plus `wait`, so a SIGINT/SIGTERM runs the cleanup trap at once instead of
  # after the client finishes.
  nl_bg "$name" "$NL_C" timeout "$((seconds + 1))" node "$NL_DIR/transfer.mjs" client --host "$addr" \
    --port "$port" --bytes "$bytes" --mode "$mode" --timeout-ms $((seconds * 1000)) "$@"
  wait "$NL_LAST_PID" || NL_CLIENT_RC=$?
}

# nl_server_wait RC: wait for the server; a failed client (RC != 0) leaves it waiting for a connection
# or a stalled peer, so it is ended first.
nl_server_wait() {
  (($1 == 0)) || kill -TERM "$NL_SERVER_PID" 2>/dev/null || true
  wait "$NL_SERVER_PID" || true
}
