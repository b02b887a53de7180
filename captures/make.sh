#!/usr/bin/env bash
# captures/make.sh: regenerate the committed captures from real lab runs (test/lab/scenario.sh).
#
#   sudo captures/make.sh            # every run below (about 10 min on a busy 2-core machine)
#   sudo captures/make.sh NAME...    # only these runs; every other committed file stays as it is
#   captures/make.sh --manifest      # no run: re-read every committed file with tshark (capsummary.py)
#
# Every scenario runs in its own throw-away namespaces; the files land in a scratch directory first
# and replace the captures here only when every run passed its checks, so a failed run never leaves
# a half-updated set. Then captures/manifest.json (what tshark reads in each file) is rewritten from
# the committed files themselves, and so is the generated table at the end of captures/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/../test/lab
WORK=$(mktemp -d /tmp/wscale-captures.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# name | scenario and options [| gzip]. The name is the prefix of the committed files:
# <name>.client.pcap ... A third field "gzip" commits <name>.client.pcap.gz instead (multi-MB
# transfers: wscale and tshark read gzip, and each committed file stays well under 1 MB).
RUNS=(
  "healthy|healthy --also-snaplen 73"
  "strip-syn|strip-syn"
  "strip-synack|strip-synack"
  "strip-synack-upload|strip-synack --upload --bytes 16384 --timeout 12"
  "rewrite-syn-0|rewrite-syn-0"
  "zero-above-2|zero-above-2"
  "zero-above-2-route-window|zero-above-2 --client-route-window 174760"
  "server-noscale|server-noscale"
  "zero-window|zero-window"
  "ipv6-strip-syn|ipv6-strip-syn"
  "healthy-any|healthy-any --bytes 262144"
  "healthy-ns|healthy-ns --bytes 262144"
  "healthy-pcapng|healthy-pcapng --bytes 262144"
  "vlan|vlan --bytes 262144"
  "vlan-qinq|vlan --qinq --bytes 262144"
  # Issue 12: what an imperfect real path looks like, with no window-scale problem at all.
  "healthy-8m|healthy --bytes 8388608|gzip"
  "loss-1|loss --loss 1|gzip"
  "loss-3|loss --loss 3|gzip"
  "loss-1-upload|loss --loss 1 --upload|gzip"
  "iperf3-download|iperf3|gzip"
  "iperf3-upload|iperf3 --upload|gzip"
  "iperf3-download-loss-1|iperf3 --loss 1|gzip"
  "iperf3-upload-loss-1|iperf3 --upload --loss 1|gzip"
  "gro|gro|gzip"
  "gro-loss-1|gro --loss 1|gzip"
  "zero-window-upload|zero-window --upload --pause-ms 3000"
  "syn-cookies|syn-cookies --client-timestamps 1"
  "syn-cookies-no-ts|syn-cookies --client-timestamps 0"
  "syn-cookies-mix|syn-cookies --client-timestamps mix"
  "syn-backlog|syn-backlog"
  "keepalive|keepalive"
  "port-reuse|port-reuse"
  "synproxy|synproxy"
)

run_name() { echo "${1%%|*}"; }
run_args() { # the scenario and its options
  local rest=${1#*|}
  echo "${rest%%|*}"
}
run_gzip() { [[ $1 == *"|gzip" ]]; }
find_run() { # NAME: the RUNS entry, or nothing
  local r
  for r in "${RUNS[@]}"; do [[ $(run_name "$r") == "$1" ]] && echo "$r" && return; done
  return 0
}
# How the manifest names the command: test/lab/scenario.sh SCENARIO <out> [OPTIONS]
scenario_run() {
  local -a a
  read -r -a a <<<"$(run_args "$1")"
  echo "test/lab/scenario.sh ${a[0]} <out>${a[1]:+ ${a[*]:1}}"
}

# committed name for a file the scenario wrote: client.pcap -> NAME.client.pcap,
# client-sll2.pcap -> NAME-sll2.client.pcap, client.snap73.pcap -> NAME.snap73.client.pcap
committed_name() { # NAME FILE
  local name=$1 file=$2 side ext variant
  side=${file%%[.-]*}      # client | server
  ext=${file##*.}          # pcap | pcapng
  variant=${file#"$side"}  # "" | -sll2.pcap | .snap73.pcap ...
  variant=${variant%".$ext"}
  echo "$name$variant.$side.$ext"
}

MANIFEST_ONLY=0 SELECTED=()
for arg in "$@"; do
  case $arg in
  --manifest) MANIFEST_ONLY=1 ;;
  -h | --help) sed -n '2,11p' "$0" && exit 0 ;;
  *)
    [[ -n $(find_run "$arg") ]] || { echo "make.sh: no run named '$arg'" >&2 && exit 2; }
    SELECTED+=("$(find_run "$arg")")
    ;;
  esac
done
if ((MANIFEST_ONLY == 0 && ${#SELECTED[@]} == 0)); then SELECTED=("${RUNS[@]}"); fi

start=$(date +%s)
failed=0
for run in "${SELECTED[@]}"; do
  name=$(run_name "$run")
  read -r -a args <<<"$(run_args "$run")"
  echo "=== $name: scenario.sh ${args[0]} <out> ${args[*]:1}" >&2
  if ! "$LAB/scenario.sh" "${args[0]}" "$WORK/$name" "${args[@]:1}"; then
    echo "=== $name FAILED" >&2
    failed=1
  fi
done
((failed == 0)) || {
  echo "make.sh: some scenarios failed; captures/ left unchanged (outputs in $WORK kept)" >&2
  trap - EXIT
  exit 1
}

# The manifest entries of the runs that are not made again stay (their files do not change). Older
# manifests had no "run" field: it is recovered from the command. (JSON goes through files: the
# manifest is too large for a command-line argument.)
ENTRIES=$WORK/entries.json
for r in "${RUNS[@]}"; do
  jq -n --arg name "$(run_name "$r")" --arg cmd "$(scenario_run "$r")" '{name: $name, cmd: $cmd}'
done | jq -s . >"$WORK/runs.json"
if [[ -f $HERE/manifest.json ]]; then
  jq --slurpfile runs "$WORK/runs.json" '
    def norm: sub(" <out>"; "");
    .files | map(if .run or .gzipOf then . else
      . as $f | .run = (first($runs[0][] | select((.cmd | norm) == ($f.scenarioRun | norm)) | .name) // null) end)' \
    "$HERE/manifest.json" >"$ENTRIES"
else
  echo '[]' >"$ENTRIES"
fi
update() { # JQ-ARGS...: apply a jq filter to the entries in place
  jq "$@" "$ENTRIES" >"$ENTRIES.new" && mv "$ENTRIES.new" "$ENTRIES"
}

# Replace the files of the runs made again.
for run in "${SELECTED[@]}"; do
  name=$(run_name "$run")
  for f in $(jq -r --arg run "$name" '.[] | select(.run == $run) | .file' "$ENTRIES"); do
    rm -f "$HERE/$f"
  done
  update --arg run "$name" 'map(select(.run != $run))'
  meta=$WORK/$name/meta.json
  for file in $(jq -r '.captures[].file' "$meta"); do
    target=$(committed_name "$name" "$file")
    if run_gzip "$run"; then
      target+=.gz
      gzip -9 -n -c "$WORK/$name/$file" >"$HERE/$target" # -n: no name or time stamp, reproducible
    else
      cp "$WORK/$name/$file" "$HERE/$target"
    fi
    chmod 644 "$HERE/$target" # dumpcap creates its files 0600
    update --arg target "$target" --arg file "$file" --arg name "$name" --arg cmd "$(scenario_run "$run")" \
      --slurpfile meta "$meta" '
      . + [$meta[0] as $m | ($m.captures[] | select(.file == $file)) as $c | {
        file: $target, run: $name, scenarioRun: $cmd, kernel: $m.host.kernel,
        scenario: $m.scenario, description: $m.description, vantage: $c.vantage, command: $c.command,
        client: $m.client, server: $m.server, transfer: ($m.transfer | del(.client, .server)),
        middlebox: $m.middlebox, loss: $m.loss, options: $m.options, sysctl: $m.sysctl, counters: $m.counters
      } | with_entries(select(.value != null))]'
  done
  if [[ $name == healthy ]]; then
    # A gzip copy, to test gzip input.
    gzip -9 -n -c "$HERE/healthy.client.pcap" >"$HERE/healthy.client.pcap.gz"
    update 'map(select(.file != "healthy.client.pcap.gz")) + [{file: "healthy.client.pcap.gz",
      gzipOf: "healthy.client.pcap", description: "gzip -9 -n of healthy.client.pcap"}]'
  fi
done

# Every entry's tshark numbers are read again from the committed file, so the manifest always
# describes the bytes in the repository. Entries are kept in the order of RUNS.
mkdir -p "$WORK/summaries"
for f in $(jq -r '.[] | select(.gzipOf | not) | .file' "$ENTRIES"); do
  [[ -f $HERE/$f ]] || { echo "make.sh: $f is in the manifest but not in captures/" >&2 && exit 1; }
  python3 "$LAB/capsummary.py" "$HERE/$f" >"$WORK/summaries/$f.json"
done
jq -s 'map({(.file): .}) | add' "$WORK"/summaries/*.json >"$WORK/summaries.json"
update --slurpfile s "$WORK/summaries.json" --slurpfile runs "$WORK/runs.json" '
  map(if .gzipOf then . else . + ($s[0][.file] | del(.file)) end)
  | sort_by(if .gzipOf then 1e9 else (.run as $r | [$runs[0][].name] | index($r)) end)'

jq -n --arg kernel "$(uname -r)" --arg created "$(date -u +%FT%TZ)" --slurpfile files "$ENTRIES" '{
  note: "Generated by captures/make.sh from real lab runs; numbers are what tshark reads (see test/lab/capsummary.py).",
  created: $created, kernel: $kernel, files: $files[0]}' >"$WORK/manifest.json"
mv "$WORK/manifest.json" "$HERE/manifest.json"

# The generated table at the end of README.md: the numbers of this very set of files.
table=$(jq -r '
  def shift(x): if x == null then "-" elif x.wscale == null then (if x.wscaleTruncated then "cut" else "none" end) else (x.wscale | tostring) end;
  def sum(f): [.[] | f] | add;
  "| file | link type | packets | conns | SYN wscale | SYN-ACK wscale | first raw win c/s | largest seg c/s | retrans c/s | lost c/s | zero wins c/s | keep-alives c/s | transfer s | file bytes |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  (.files[] | select(.connections) | . as $f | (.connections | map(select(.server.port == $f.server.port))) as $l | $l[0] as $c |
    "| \(.file) | \([.interfaces[].linkType | sub(" \\(.*"; "")] | join(" + ")) | \(.packets) | \($l | length) | \(shift($c.syn)) | \(shift($c.synAck)) | \($c.client.firstWindowAfterSyn.raw)/\($c.server.firstWindowAfterSyn.raw) | \($l | [.[].client.largestSegment] | max)/\($l | [.[].server.largestSegment] | max) | \($l | sum(.client.retransmissions))/\($l | sum(.server.retransmissions)) | \($l | sum(.client.analysis.lostSegment))/\($l | sum(.server.analysis.lostSegment)) | \($l | sum(.client.zeroWindows))/\($l | sum(.server.zeroWindows)) | \($l | sum(.client.analysis.keepAlive))/\($l | sum(.server.analysis.keepAlive)) | \(if .transfer.seconds then .transfer.seconds * 100 | round / 100 else "-" end) | \(.fileBytes) |")
' "$HERE/manifest.json")
if grep -q '^<!-- BEGIN GENERATED' "$HERE/README.md" 2>/dev/null; then
  awk -v table="$table" '
    /^<!-- BEGIN GENERATED/ { print; print table; skip = 1; next }
    /^<!-- END GENERATED/ { skip = 0 }
    !skip' "$HERE/README.md" >"$WORK/README.md"
  cat "$WORK/README.md" >"$HERE/README.md"
fi

total=$(du -cb "$HERE"/*.pcap "$HERE"/*.pcapng "$HERE"/*.gz | tail -1 | cut -f1)
echo "make.sh: $(find "$HERE" -maxdepth 1 -name '*.pcap*' | wc -l) files, $total bytes, $(($(date +%s) - start)) s" >&2
