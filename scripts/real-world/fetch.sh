#!/usr/bin/env bash
# Reproduce the real-world capture corpus from Debian source packages (Debian 12 "bookworm").
#
#   scripts/real-world/fetch.sh CACHE_DIR [PACKAGE ...]     (default: every package below)
#
# Downloads the source packages with `apt-get source --download-only` (pinned versions) into
# CACHE_DIR/src and extracts only their captures (and p0f's fingerprint list) into CACHE_DIR/x,
# keeping each tarball's own paths (x/tcpdump-4.99.3/tests/..., x/wireshark-v4.0.17/test/captures/...).
# test/real-world/README.md names committed extracts by these paths.
#
# apt runs with a private configuration under CACHE_DIR/apt (one deb-src entry for bookworm and
# bookworm-security), so the host's apt sources and state are left alone and no root is needed.
# Never point CACHE_DIR into the repository: the corpus is ~170 MB extracted (~180 MB of tarballs).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 CACHE_DIR [PACKAGE ...]" >&2
  exit 2
fi
cache=$(mkdir -p "$1" && cd "$1" && pwd)
shift
only=" $* "
repo=$(cd "$(dirname "$0")/../.." && pwd)
case "$cache/" in
  "$repo"/*) echo "$0: $cache is inside the repository; give a cache directory outside it" >&2; exit 2 ;;
esac

# package=version  tarball top directory  members to extract (tar wildcards)
PACKAGES=(
  "tcpdump=4.99.3-1|tcpdump-4.99.3|*/tests/*"
  "libpcap=1.10.3-1|libpcap-1.10.3|*/tests/*"
  "ndpi=4.2-2|nDPI-4.2|*/tests/pcap/* */example/*.pcap"
  "wireshark=4.0.17-0+deb12u3|wireshark-v4.0.17|*/test/captures/*"
  "p0f=3.09b-3|p0f-3.09b|*/p0f.fp */docs/*"
)

apt_dir=$cache/apt
mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$cache/src" "$cache/x"
cat >"$apt_dir/sources.list" <<'LIST'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
LIST
APT=(apt-get -q
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State=$apt_dir/state" -o "Dir::Cache=$apt_dir/cache"
  -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")

echo "== apt-get update (private deb-src list in $apt_dir)" >&2
"${APT[@]}" update >&2

cd "$cache/src"
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r pkgver top members <<<"$entry"
  pkg=${pkgver%%=*}
  [[ "$only" == "  " || "$only" == *" $pkg "* ]] || continue
  echo "== $pkgver" >&2
  if ! "${APT[@]}" source --download-only "$pkgver" >&2; then
    # A superseded version leaves the archive; take the current one and say so (paths may differ).
    echo "$0: $pkgver is no longer in the archive; fetching the current $pkg instead" >&2
    "${APT[@]}" source --download-only "$pkg" >&2
  fi
  tarball=$(ls -1 "${pkg}"_*.orig.tar.* | grep -v '\.asc$' | tail -n 1)
  # shellcheck disable=SC2086 # members is a list of wildcards
  tar -xf "$tarball" -C "$cache/x" --wildcards --no-anchored $members
  [[ -d "$cache/x/$top" ]] || echo "$0: warning: $tarball did not unpack into $top" >&2
done

count=$(find "$cache/x" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.gz' -o -name '*.pcapng.[0-9]' \) | wc -l)
echo "corpus: $count capture files under $cache/x" >&2
