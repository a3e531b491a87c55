#!/usr/bin/env bash
# Resident memory of the service after a cold start (the HNSW graph built, no cache) against a
# warm start (the graph mapped from the cache the cold start wrote), on the embedded defaults.
#   scripts/bench-memory.sh                       # the committed model
#   MODEL_PATH=models/glove-6B-50d-400k.wbm scripts/bench-memory.sh
# Prints VmRSS (with its anonymous and file-backed parts) a few seconds after each start answers
# /healthz, and the ratio cold / warm. A cold start of the committed model builds for ~30-80 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin word-bocce
port=${BENCH_PORT:-18767}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2> /dev/null || true; fi
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME: serve with the cache in $work/index, wait until it answers, settle, read its memory.
start() {
  local name=$1 began
  began=$(date +%s)
  env PORT="$port" SNAPSHOT_PATH=off SQLITE_PATH="$work/progress.db" INDEX_CACHE_DIR="$work/index" \
    RUST_LOG=warn "$CARGO_TARGET_DIR/release/word-bocce" serve > "$work/$name.log" 2>&1 &
  pid=$!
  # Up to 30 min: a cold start of the 400k model builds its graph first.
  for _ in $(seq 1 9000); do
    curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
    kill -0 "$pid" 2> /dev/null || { cat "$work/$name.log" >&2; exit 1; }
    sleep 0.2
  done
  sleep "${SETTLE_SECS:-3}"
  local rss anon file
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
  file=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status")
  printf '%-5s start %4ss  VmRSS %7d kB (anonymous %7d kB, file %7d kB)\n' \
    "$name" "$(($(date +%s) - began))" "$rss" "$anon" "$file"
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  pid=""
  echo "$rss" > "$work/$name.rss"
}

start cold
start warm
awk -v c="$(cat "$work/cold.rss")" -v w="$(cat "$work/warm.rss")" \
  'BEGIN { printf "cold / warm: %.2f\n", c / w }'
