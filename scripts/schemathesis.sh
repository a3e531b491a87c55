#!/usr/bin/env bash
# The OpenAPI document tells the truth: schemathesis (pinned in
# scripts/requirements-schemathesis.txt) generates requests for every operation of
# /openapi.json and checks every answer for server errors, undocumented status codes, content
# types and response schemas. Run against the service on each store configuration:
#   memory  — matches in memory, progress in SQLite (the embedded defaults)
#   redis   — matches in Redis, progress in a fresh Postgres database (dropped afterwards)
# Fixed seed, 50 examples an operation (SCHEMATHESIS_EXAMPLES), about a minute a configuration.
# Exits non-zero on any failure; the reports are in $CARGO_TARGET_DIR/schemathesis/<config>/.
#   scripts/schemathesis.sh                 # both configurations
#   SCHEMATHESIS_CONFIGS=memory scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
bin=${WORD_BOCCE_BIN:-$CARGO_TARGET_DIR/release/word-bocce}
[ -x "$bin" ] || cargo build --release --quiet --bin word-bocce
configs=${SCHEMATHESIS_CONFIGS:-memory redis}
examples=${SCHEMATHESIS_EXAMPLES:-50}
seed=${SCHEMATHESIS_SEED:-1}
port=${SCHEMATHESIS_PORT:-18790}
mkdir -p "$CARGO_TARGET_DIR/schemathesis"
out=$(cd "$CARGO_TARGET_DIR/schemathesis" && pwd)

# The venv records the requirements it was built from: a changed pin reinstalls.
venv=${SCHEMATHESIS_VENV:-$CARGO_TARGET_DIR/schemathesis-venv}
req=scripts/requirements-schemathesis.txt
if ! cmp -s "$req" "$venv/requirements.txt" 2> /dev/null; then
  echo "schemathesis: installing into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.txt"
fi
venv=$(cd "$venv" && pwd)

pid="" db="" prefix=""
admin=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${SCHEMATHESIS_REDIS_URL:-redis://127.0.0.1:6379}
stop() {
  [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null || true
  pid=""
  [ -n "$db" ] && psql "$admin" -qc "drop database if exists $db with (force)" > /dev/null 2>&1 || true
  db=""
  if [ -n "$prefix" ]; then
    redis-cli -u "$redis_url" --scan --pattern "$prefix*" | xargs -r redis-cli -u "$redis_url" del > /dev/null 2>&1 || true
  fi
  prefix=""
}
trap stop EXIT

failed=0
for config in $configs; do
  dir=$out/$config
  rm -rf "$dir" && mkdir -p "$dir"
  env=(PORT=$port SNAPSHOT_PATH=off RATE_LIMIT_ENABLED=false RUST_LOG=warn)
  case $config in
    memory) env+=(SQLITE_PATH=$dir/progress.db) ;;
    redis)
      db=wb_st_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
      psql "$admin" -qc "create database $db" > /dev/null
      prefix="wb-st-$db:"
      env+=(REDIS_URL=$redis_url REDIS_KEY_PREFIX=$prefix DATABASE_URL=${admin%/*}/$db)
      ;;
    *) echo "schemathesis: unknown configuration '$config'" >&2; exit 2 ;;
  esac
  env "${env[@]}" "$bin" serve > "$dir/serve.log" 2>&1 &
  pid=$!
  ready=""
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && { ready=1; break; }
    sleep 0.2
  done
  [ -n "$ready" ] || { echo "schemathesis: the service did not become ready ($config)" >&2; cat "$dir/serve.log" >&2; exit 1; }
  echo "schemathesis: $config: $examples examples an operation, seed $seed"
  st=("$venv/bin/st" run "http://127.0.0.1:$port/openapi.json"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
    --phases examples,coverage,fuzzing --seed "$seed" --generation-database none
    --request-timeout 10 --no-color)
  # The event stream of a real match never ends: a generated request for one could only time
  # out. Every other operation runs in full; the stream's operation runs with invalid inputs
  # only (its ids, its Last-Event-ID), which are answered at once. Its live behaviour is
  # tests/api/events.rs's.
  # (Run from the report directory: schemathesis keeps a cache in its working directory.)
  set +e
  (cd "$dir" && "${st[@]}" -n "$examples" --exclude-path '/match/{id}/events' \
    --report junit --report-junit-path "$dir/junit.xml" > "$dir/run.txt" 2>&1)
  rc=$?
  (cd "$dir" && "${st[@]}" -n "$examples" --include-path '/match/{id}/events' --mode negative \
    --report junit --report-junit-path "$dir/junit-events.xml" > "$dir/run-events.txt" 2>&1)
  rc_events=$?
  set -e
  cat "$dir/run-events.txt" >> "$dir/run.txt"
  [ $rc_events -eq 0 ] || rc=$rc_events
  sed -n '/=* SUMMARY =*/,$p' "$dir/run.txt"
  if [ $rc -ne 0 ]; then
    failed=1
    sed -n '/=* FAILURES =*/,/=* WARNINGS\|=* SUMMARY/p' "$dir/run.txt" | head -200
    echo "schemathesis: $config FAILED (the whole run: $dir/run.txt)" >&2
  fi
  stop
done
exit $failed
