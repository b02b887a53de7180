#!/usr/bin/env bash
# advice-lab.sh: the lab network of netlab.sh kept up between transfers, so that a test can paste the
# commands wscale printed into the namespace they target and measure the next transfer.
#
#   test/lab/advice-lab.sh OUTDIR [--box-above N]
#
#   --box-above N   the router zeroes window-scale shifts above N in the client's SYN (the nft rule of
#                   scenario.sh's zero-above-2, for any N)
#   --synproxy "OPTS"  the router answers the client's SYNs itself (nft synproxy, e.g. "mss 1460 sack-perm
#                   timestamp": the options its SYN-ACK carries) and opens the connection to the server after
#
# Prints "ready <client-ns> <router-ns> <server-ns>" once the network is up, then reads commands on
# stdin, one per line, and answers each with one line:
#   transfer NAME BYTES  a download of BYTES from 198.18.2.2:80, captured on the client's c0 into
#                        OUTDIR/NAME.pcap -> "done NAME <exit status> <transfer.mjs client JSON>"
#   quit                 tear everything down (also on EOF)
# Needs root, iproute2, nft, ethtool, tcpdump, node, python3.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NL_MAX_SECONDS=${NL_MAX_SECONDS:-600} # the lab outlives several transfers
# shellcheck source-path=SCRIPTDIR source=netlab.sh
source "$LAB_DIR/netlab.sh"

(($# >= 1)) || nl_die "usage: $0 OUTDIR [--box-above N] [--synproxy OPTS]"
OUTDIR=$1
shift
BOX_ABOVE="" SYNPROXY=""
while (($#)); do
  case $1 in
  --box-above) BOX_ABOVE=$2 && shift ;;
  --synproxy) SYNPROXY=$2 && shift ;;
  *) nl_die "unknown option $1" ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || nl_die "must run as root"
mkdir -p "$OUTDIR"

nl_init
nl_topology
if [[ -n $BOX_ABOVE ]]; then
  # As scenario.sh's zero_shift_rules: overwrite the shift byte (TCP header byte 39 of Linux's
  # mss,sackOK,TS,nop,wscale) with 0, and put the amount the checksum lost into the urgent pointer.
  rules=""
  for ((s = BOX_ABOVE + 1; s <= 14; s++)); do
    rules+="    iifname \"rc\" tcp flags syn / syn,ack @th,296,16 0x0303 @th,312,8 $s @th,312,8 set 0 @th,144,16 set $s"$'\n'
  done
  nl_nft "$NL_R" "$(printf 'table inet wscale_advice_lab {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n%s\n  }\n}\n' "$rules")"
fi

if [[ -n $SYNPROXY ]]; then
  [[ $SYNPROXY =~ ^[a-z0-9\ -]+$ ]] || nl_die "bad synproxy options: $SYNPROXY"
  # The SYN is not tracked, so conntrack sees the client's ACK first and hands it to synproxy, which
  # checks the cookie and only then sends its own SYN to the server.
  nl_ns "$NL_R" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
  nl_nft "$NL_R" "table ip wscale_advice_synproxy {
  chain raw { type filter hook prerouting priority raw; policy accept; iifname \"rc\" tcp flags syn notrack; }
  chain forward { type filter hook forward priority filter; policy accept;
    iifname \"rc\" ct state invalid,untracked synproxy $SYNPROXY; ct state invalid drop; }
}"
fi

echo "ready $NL_C $NL_R $NL_S"
while read -r cmd name bytes; do
  case $cmd in
  transfer)
    [[ $name =~ ^[a-z0-9-]+$ && $bytes =~ ^[0-9]+$ ]] || nl_die "bad transfer command: $name $bytes"
    nl_capture "$name" "$NL_C" tcpdump -i c0 -s 96 -w "$OUTDIR/$name.pcap"
    nl_transfer "$NL_S4" 80 "$bytes" download 30
    nl_capture_stop_all
    echo "done $name $NL_TRANSFER_RC $(tr -d '\n' <"$NL_TMP/client.out")"
    ;;
  quit) break ;;
  *) nl_die "unknown command $cmd" ;;
  esac
done
