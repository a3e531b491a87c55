#!/usr/bin/env bash
# Run every check and test of Word Bocce: formatting, clippy, the unit and integration tests
# (optimised: index work is far too slow in debug builds), and the CLI against the committed
# model. Exits non-zero on any failure.
#
# Caches: CARGO_TARGET_DIR and INDEX_CACHE_DIR (frozen HNSW graphs) may point outside the
# checkout so that they survive between runs; by default they live in target/.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
export INDEX_CACHE_DIR=${INDEX_CACHE_DIR:-$CARGO_TARGET_DIR/index-cache}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --release -- -D warnings

step "scripts/install-deps.sh (nginx and openssl, for the through-nginx tests of tests/cluster)"
scripts/install-deps.sh

step "cargo test --release"
scripts/ensure-redis-server.sh > /dev/null   # the Redis outage test runs a private redis-server
cargo test --release --all-targets

step "word-bocce check-puzzles (the puzzle catalogue validates against the committed model)"
"$CARGO_TARGET_DIR/release/word-bocce" check-puzzles

step "word-bocce serve: answers on its port, stops cleanly on SIGTERM"
port=${SMOKE_PORT:-18765}
PORT=$port SNAPSHOT_PATH=off SQLITE_PATH="$CARGO_TARGET_DIR/smoke-progress.db" "$CARGO_TARGET_DIR/release/word-bocce" serve > "$CARGO_TARGET_DIR/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/api" | tee "$CARGO_TARGET_DIR/api.json"; echo
grep -q '"vocab_size":100000' "$CARGO_TARGET_DIR/api.json"
curl -fs "http://127.0.0.1:$port/puzzles/daily" | grep -q '"allowed_cards"'   # the catalogue loaded
curl -fs "http://127.0.0.1:$port/readyz" | grep -q '"progress_store":true'   # the SQLite store migrated
kill -TERM "$pid"
wait "$pid"

step "schemathesis: the OpenAPI document against the service, memory and Redis + Postgres (scripts/schemathesis.sh)"
scripts/schemathesis.sh

step "backups: back up, wipe, restore and find everything again, memory + SQLite and Redis + Postgres (scripts/backup-test.sh)"
scripts/backup-test.sh

step "the page in headless Chromium (scripts/browser-test.sh)"
scripts/browser-test.sh

step "word-bocce eval-index (recall and speed on the committed model)"
"$CARGO_TARGET_DIR/release/word-bocce" eval-index --queries 500 --ef 64,256

echo
echo "all checks passed"
