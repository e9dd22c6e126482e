#!/usr/bin/env bash
# Runs one fuzz target for a while on the stable toolchain (cargo-fuzz needs nightly flags;
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them).
# Usage: fuzz/run.sh TARGET SECONDS   (targets: archive tar state msgpack record diff http)
# The project has no unsafe code, so the default is no sanitizer (fast, and peak RSS is ours,
# not ASAN's quarantine); SANITIZER=address turns ASAN on.
set -euo pipefail
target=${1:?target}
secs=${2:-60}
cd "$(dirname "$0")"
root=..
corpus=corpus/$target
mkdir -p "$corpus" artifacts/$target
# Seed corpora come from the project's own small real fixtures.
seed() { cp -n "$@" "$corpus"/ 2>/dev/null || true; }
case $target in
  archive|diff) seed $root/testdata/basic.snap $root/testdata/kv.snap $root/testdata/all.snap ;;
  tar)
    for f in basic kv all; do
      [ -f "$corpus/$f.tar" ] || gzip -dc "$root/testdata/$f.snap" > "$corpus/$f.tar"
    done ;;
  state|msgpack|record)
    cp -n $root/testdata/raw/kv-2-38/state.bin "$corpus/kv.state.bin" 2>/dev/null || true
    cp -n $root/testdata/raw/all-restored-2-3262/state.bin "$corpus/all.state.bin" 2>/dev/null || true ;;
  http)
    printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Consul-Index: 7\r\n\r\n5\r\nhello\r\n0\r\n\r\n' > "$corpus/chunked"
    printf 'HTTP/1.1 403 Forbidden\r\nContent-Length: 17\r\n\r\nPermission denied' > "$corpus/length"
    printf 'HTTP/1.0 200 OK\r\n\r\n{"ID":"x"}' > "$corpus/close" ;;
esac
RUSTC_BOOTSTRAP=1 cargo fuzz run -O -s "${SANITIZER:-none}" "$target" "$corpus" -- \
  -dict=msgpack.dict -rss_limit_mb=256 -max_total_time="$secs" -timeout=10 \
  -artifact_prefix="artifacts/$target/" -print_final_stats=1
