#!/usr/bin/env bash
# Backups restore, for real: for each store configuration
#   memory  — matches in memory with a snapshot, progress in SQLite
#   redis   — matches in a private redis-server, progress in a throwaway Postgres database
# start the service, play matches (one finished, one in its second round with a move made, one
# in the lobby) and solve puzzles with three profiles (attempts, stars, a give-up, the
# leaderboards), record what the API shows of them, run scripts/backup.sh, stop the service,
# wipe every store (and check a service started on them finds nothing), run
# scripts/restore.sh, start the service again and check it shows exactly the same.
# Then the retention: fake dated backups, two runs, only 7 daily, 4 weekly, 12 monthly kept.
# Exits non-zero on any difference. 10 to 20 s; the logs are in $CARGO_TARGET_DIR/backup-test/.
#   scripts/backup-test.sh
#   BACKUP_TEST_CONFIGS=memory scripts/backup-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
bin=${WORD_BOCCE_BIN:-$CARGO_TARGET_DIR/release/word-bocce}
[ -x "$bin" ] || cargo build --release --quiet --bin word-bocce
configs=${BACKUP_TEST_CONFIGS:-memory redis}
port=${BACKUP_TEST_PORT:-18796}
redis_port=${BACKUP_TEST_REDIS_PORT:-16396}
admin=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
base=http://127.0.0.1:$port
mkdir -p "$CARGO_TARGET_DIR/backup-test"
out=$(cd "$CARGO_TARGET_DIR/backup-test" && pwd)
play=scripts/backup_test_play.py

pid="" redis_pid="" db=""
stop_service() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  fi
  pid=""
}
cleanup() {
  stop_service
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2> /dev/null || true
    wait "$redis_pid" 2> /dev/null || true
  fi
  if [ -n "$db" ]; then
    psql "$admin" -qc "drop database if exists $db with (force)" > /dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

start_service() { # LOG: with the environment of service_env
  env "${service_env[@]}" "$bin" serve >> "$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fs "$base/readyz" > /dev/null 2>&1 && return 0
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "backup-test: the service did not become ready" >&2
  tail -20 "$1" >&2
  exit 1
}

check_empty() { # STATE: a service on the wiped stores knows none of the matches or profiles
  local state=$1 mid token code
  mid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matches"][0]["id"])' "$state")
  token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["profiles"][0]["token"])' "$state")
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/match/$mid")
  [ "$code" = 404 ] || { echo "backup-test: after the wipe GET /match/$mid is $code, not 404" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/players/me")
  [ "$code" = 401 ] || { echo "backup-test: after the wipe /players/me is $code, not 401" >&2; exit 1; }
}

failed=0
for config in $configs; do
  t0=$(date +%s%N)
  dir=$out/$config
  rm -rf "$dir" && mkdir -p "$dir/data"
  log=$dir/serve.log
  service_env=(PORT="$port" RATE_LIMIT_ENABLED=false RUST_LOG=warn)
  store_env=()
  case $config in
    memory)
      store_env=(SNAPSHOT_PATH="$dir/data/matches.json" SQLITE_PATH="$dir/data/progress.db")
      service_env+=(SNAPSHOT_INTERVAL_SECS=1)
      ;;
    redis)
      scripts/ensure-redis-server.sh > /dev/null
      mkdir -p "$dir/redis"
      redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir/redis" --repl-diskless-sync-delay 0 \
        > "$dir/redis.log" 2>&1 &
      redis_pid=$!
      for _ in $(seq 1 50); do
        redis-cli -p "$redis_port" ping > /dev/null 2>&1 && break
        sleep 0.1
      done
      db=wb_bk_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
      psql "$admin" -qc "create database $db" > /dev/null
      store_env=(REDIS_URL="redis://127.0.0.1:$redis_port" REDIS_KEY_PREFIX="wb-bk:" DATABASE_URL="${admin%/*}/$db")
      ;;
    *) echo "backup-test: unknown configuration '$config'" >&2; exit 2 ;;
  esac
  service_env+=("${store_env[@]}")

  start_service "$log"
  python3 "$play" play "$base" "$dir/state.json"
  echo "backup-test: $config: played: $(python3 "$play" observe "$base" "$dir/state.json" "$dir/before.json")"
  # the memory store's snapshot is written every second: wait for one after the last change
  [ "$config" = memory ] && sleep 2.2

  env "${store_env[@]}" BACKUP_DIR="$dir/backups" scripts/backup.sh | sed 's/^/  /'
  backup=$(find "$dir/backups/daily" -mindepth 1 -maxdepth 1 -type d | sort | tail -1)
  stop_service

  # Wipe every store.
  case $config in
    memory) rm -f "$dir"/data/* ;;
    redis)
      redis-cli -p "$redis_port" flushall > /dev/null   # the PRIVATE server
      psql "$admin" -qc "drop database $db with (force)" -c "create database $db" > /dev/null
      ;;
  esac
  start_service "$log"
  check_empty "$dir/state.json"
  stop_service
  echo "  wiped: a service on the wiped stores finds no match and no profile"
  # (the memory store wrote an empty snapshot as it stopped: restore.sh replaces it)

  env "${store_env[@]}" scripts/restore.sh "$backup" | sed 's/^/  /'
  start_service "$log"
  echo "  restored: $(python3 "$play" observe "$base" "$dir/state.json" "$dir/after.json")"
  stop_service
  if python3 "$play" compare "$dir/before.json" "$dir/after.json"; then
    ms=$((($(date +%s%N) - t0) / 1000000))
    printf 'backup-test: %s: everything found again (%d.%03d s)\n' "$config" $((ms / 1000)) $((ms % 1000))
  else
    echo "backup-test: $config FAILED: the restored service shows something else ($dir/before.json, $dir/after.json)" >&2
    failed=1
  fi
  cleanup
  redis_pid="" db=""
done

# Retention: 10 daily, 6 weekly and 14 monthly fake backups, then a run on Tuesday 2026-12-01
# (the first of ISO week 2026-W49 and of December) and one on Wednesday 2026-12-02.
dir=$out/retention
rm -rf "$dir" && mkdir -p "$dir"
echo '{"matches":[]}' > "$dir/snapshot.json"
for d in 20 21 22 23 24 25 26 27 28 29; do mkdir -p "$dir/backups/daily/2026-11-${d}T030000Z"; done
for d in 2026-10-19 2026-10-26 2026-11-02 2026-11-09 2026-11-16 2026-11-23; do mkdir -p "$dir/backups/weekly/${d}T030000Z"; done
for m in 2025-10 2025-11 2025-12 2026-01 2026-02 2026-03 2026-04 2026-05 2026-06 2026-07 2026-08 2026-09 2026-10 2026-11; do
  mkdir -p "$dir/backups/monthly/${m}-01T030000Z"
done
mkdir -p "$dir/backups/daily/2026-11-19T030000Z.incomplete"   # a failed run: never counted, then removed
for now in "2026-12-01 03:00" "2026-12-02 03:00"; do
  SNAPSHOT_PATH=$dir/snapshot.json BACKUP_DIR=$dir/backups BACKUP_NOW=$now scripts/backup.sh > "$dir/run.log" 2>&1 \
    || { cat "$dir/run.log" >&2; failed=1; }
done
listing() { find "$dir/backups/$1" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | grep -v incomplete | sort | tr '\n' ' '; }
expect() { # KIND LIST
  if [ "$(listing "$1")" != "$2" ]; then
    echo "backup-test: retention: $1 holds '$(listing "$1")', expected '$2'" >&2
    failed=1
  fi
}
expect daily "2026-11-25T030000Z 2026-11-26T030000Z 2026-11-27T030000Z 2026-11-28T030000Z 2026-11-29T030000Z 2026-12-01T030000Z 2026-12-02T030000Z "
expect weekly "2026-11-09T030000Z 2026-11-16T030000Z 2026-11-23T030000Z 2026-12-01T030000Z "
expect monthly "2026-01-01T030000Z 2026-02-01T030000Z 2026-03-01T030000Z 2026-04-01T030000Z 2026-05-01T030000Z 2026-06-01T030000Z 2026-07-01T030000Z 2026-08-01T030000Z 2026-09-01T030000Z 2026-10-01T030000Z 2026-11-01T030000Z 2026-12-01T030000Z "
[ -e "$dir/backups/daily/2026-11-19T030000Z.incomplete" ] \
  && { echo "backup-test: retention: a failed run was left after a good one" >&2; failed=1; }
[ "$(stat -c %h "$dir/backups/weekly/2026-12-01T030000Z/snapshot.json")" = 3 ] \
  || { echo "backup-test: retention: weekly and monthly are not hard links of the daily backup" >&2; failed=1; }
[ $failed -eq 0 ] && echo "backup-test: retention: 7 daily, 4 weekly, 12 monthly kept; the first of a week and of a month promoted"

if [ $failed -ne 0 ]; then
  echo "backup-test: FAILED" >&2
  exit 1
fi
echo "backup-test: passed"
