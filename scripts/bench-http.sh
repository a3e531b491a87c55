#!/usr/bin/env bash
# Load the API with wrk, wrk on the same machine.
#   matches: fresh submits (a fifth of them jokers; rank, nearest and contributions computed for
#            each) and round polling, at 16 and 64 connections;
#   puzzles: anonymous solves (every legal move of every puzzle, cycled; after a first pass,
#            warm_puzzles.py, that scores each move once) at 16 and 64 connections, then solves with profile
#            tokens on a fresh Postgres database at 16 connections, and a count of the stored
#            attempts against the requests answered.
#   practice: practice throws (every throw of 600 seeded courts, shuffled: each scored afresh,
#            as a match submit is, with no store) at 16 and 64 connections.
#   scripts/bench-http.sh                  # all three (BENCH=matches, puzzles or practice for one)
# DURATION (default 15s) per run; MOVES fresh moves prepared per submit run (default 8,000 per
# second of DURATION: a run that sends them all says its rate is a floor).
# Postgres: DATABASE_BENCH_URL (a database the bench may create and drop others from;
# default postgres://postgres@127.0.0.1:5432/test). Installs wrk from Debian's packages if
# it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin word-bocce
port=${BENCH_PORT:-18766}
duration=${DURATION:-15s}
what=${BENCH:-all}
# Fresh moves for the submit runs: 8,000 a second of the duration (a run that uses them all says so).
case $duration in
  *m) secs=$((${duration%m} * 60)) ;;
  *) secs=${duration%s} ;;
esac
moves=${MOVES:-$((8000 * secs))}
work=$(mktemp -d)
pids=()
db=""
admin=${DATABASE_BENCH_URL:-postgres://postgres@127.0.0.1:5432/test}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  [ -n "$db" ] && psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
show() { grep -E "Requests/sec|requests|p50|p90|p99|Non-2xx" "$@"; }

# serve PORT LOG [VAR=value ...]: start the service with rate limits off, wait until it answers.
serve() {
  local p=$1 log=$2
  shift 2
  env RATE_LIMIT_ENABLED=false PORT="$p" SNAPSHOT_PATH=off SQLITE_PATH="$work/progress.db" RUST_LOG=warn "$@" \
    "$CARGO_TARGET_DIR/release/word-bocce" serve > "$log" 2>&1 &
  pids+=($!)
  # Up to 2 min: a first start without a cached graph builds it.
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$p/healthz" > /dev/null && return; sleep 0.2; done
  echo "the service on port $p did not start:" >&2
  cat "$log" >&2
  exit 1
}

serve "$port" "$work/serve.log"
base="http://127.0.0.1:$port"

if [ "$what" = all ] || [ "$what" = matches ]; then
  for conns in 16 64; do
    python3 benches/http/setup_matches.py "$base" "$moves" "$work/moves.txt"
    echo "== POST submit, $conns connections (fresh moves)"
    MOVES_FILE="$work/moves.txt" THREADS=2 wrk -t2 -c"$conns" -d"$duration" --latency \
      -s benches/http/submit.lua "$base" > "$work/submit.txt"
    show "$work/submit.txt"
    # A wrk thread that runs out of prepared moves stops: the rate is then moves / duration.
    sent=$(awk '/^requests/ {print $2 + 0}' "$work/submit.txt")
    if [ "${sent:-0}" -ge $((moves * 98 / 100)) ]; then
      echo "   (every prepared move was sent: this rate is a floor; raise MOVES)"
    fi
    echo "== GET round/current, $conns connections"
    ROUNDS_FILE="$work/moves.txt.rounds" wrk -t2 -c"$conns" -d"$duration" \
      -s benches/http/rounds.lua "$base" | show
  done
fi

if [ "$what" = all ] || [ "$what" = practice ]; then
  python3 benches/http/setup_practice.py "$base" "${COURTS:-600}" "$work/throws.txt"
  for conns in 16 64; do
    echo "== POST practice throw, $conns connections"
    SOLVES_FILE="$work/throws.txt" wrk -t2 -c"$conns" -d"$duration" --latency \
      -s benches/http/solve.lua "$base" | show
  done
fi

if [ "$what" = all ] || [ "$what" = puzzles ]; then
  python3 benches/http/setup_puzzles.py "$base" 0 "$work/anon.txt"
  python3 benches/http/warm_puzzles.py "$base" "$work/anon.txt"
  for conns in 16 64; do
    echo "== POST puzzle solve, anonymous, $conns connections"
    SOLVES_FILE="$work/anon.txt" wrk -t2 -c"$conns" -d"$duration" --latency \
      -s benches/http/solve.lua "$base" | show
  done

  db="wb_bench_$(date +%s)_$$"
  psql "$admin" -qc "CREATE DATABASE $db"
  pg_port=$((port + 1))
  serve "$pg_port" "$work/serve-pg.log" DATABASE_URL="${admin%/*}/$db"
  pg="http://127.0.0.1:$pg_port"
  python3 benches/http/setup_puzzles.py "$pg" "${PROFILES:-64}" "$work/token.txt"
  # Warm the score memo (as a day of play would) without storing: anonymous first.
  python3 benches/http/warm_puzzles.py "$pg" "$work/anon.txt"
  echo "== POST puzzle solve with a profile token (Postgres), 16 connections"
  SOLVES_FILE="$work/token.txt" wrk -t2 -c16 -d"$duration" --latency \
    -s benches/http/solve.lua "$pg" | tee "$work/token.out" | show
  answered=$(sed -n 's/^requests \([0-9]*\), errors: status \([0-9]*\).*/\1 \2/p' "$work/token.out")
  sleep 1
  stored=$(python3 benches/http/verify_puzzles.py "$pg" "$work/token.txt.tokens")
  rows=$(psql "${admin%/*}/$db" -tAc "SELECT COUNT(*) FROM attempts")
  echo "answered (requests, non-2xx): $answered; attempts stored: $stored (rows: $rows)"
  read -r done_n bad_n <<< "$answered"
  # wrk counts the requests it saw answered; up to one in-flight request per connection may be
  # answered (and stored) after it stops.
  if [ "$bad_n" -ne 0 ] || [ "$rows" -lt "$done_n" ] || [ "$rows" -gt $((done_n + 16)) ] || [ "$rows" -ne "$stored" ]; then
    echo "MISMATCH: not every answered solve was stored exactly once" >&2
    exit 1
  fi
fi
