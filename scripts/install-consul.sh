#!/usr/bin/env bash
# Installs the real Consul 1.8.7 (Debian bullseye's package) into target/consul-1.8.7/ for the
# integration tests, without touching the machine's apt configuration: a private sources list
# built from the machine's own Debian mirror, private apt state and cache, `apt-get download`,
# `dpkg-deb -x`. Idempotent. Prints the path of the consul binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/target/consul-1.8.7
bin=$dest/usr/bin/consul
version=1.8.7+dfsg1-2+b3

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep "Consul v1.8.7" >/dev/null; then
  echo "$bin"
  exit 0
fi

# The mirror is whatever this machine's Debian sources use; nothing is hard-coded here.
uri=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  [ -f "$f" ] || continue
  if [ "${f##*.}" = sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' "$f")
  else
    uri=$(awk '/^deb / {print $2; exit}' "$f")
  fi
  [ -n "$uri" ] && break
done
[ -n "$uri" ] || { echo "install-consul: no Debian mirror found in the apt sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb $uri bullseye main" > "$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
      -o APT::Sandbox::User=root -o Acquire::Retries=3)
apt-get "${opts[@]}" -qq update >&2
(cd "$work" && apt-get "${opts[@]}" -qq download "consul=$version" >&2)
mkdir -p "$dest"
dpkg-deb -x "$work"/consul_*.deb "$dest"
"$bin" version | sed -n 1p >&2
echo "$bin"
