#!/usr/bin/env bash
# Load the match API with wrk: fresh submits (a fifth of them jokers; rank, nearest and
# contributions computed for each) and round polling, at 16 and 64 connections.
#   scripts/bench-http.sh            # builds, starts the service on the embedded defaults, runs
# Installs wrk from Debian's packages if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin word-bocce
port=${BENCH_PORT:-18766}
work=$(mktemp -d)
RATE_LIMIT_ENABLED=false PORT=$port SNAPSHOT_PATH=off RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/word-bocce" serve > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
for conns in 16 64; do
  python3 benches/http/setup_matches.py "$base" "${MOVES:-40000}" "$work/moves.txt"
  echo "== POST submit, $conns connections (fresh moves)"
  MOVES_FILE="$work/moves.txt" THREADS=2 wrk -t2 -c"$conns" -d"${DURATION:-15s}" --latency \
    -s benches/http/submit.lua "$base" | grep -E "Requests/sec|requests|p50|p90|p99|Non-2xx"
  echo "== GET round/current, $conns connections"
  ROUNDS_FILE="$work/moves.txt.rounds" wrk -t2 -c"$conns" -d"${DURATION:-15s}" \
    -s benches/http/rounds.lua "$base" | grep -E "Requests/sec|requests|p50|p90|p99|Non-2xx"
done
