#!/usr/bin/env bash
# The load test of issue 5: a headless locust run (match players + puzzle solvers + spectators,
# locustfile.py) against nginx in front of 3 instances sharing one Redis (scripts/cluster.sh),
# with the instances' resident memory sampled during the run.
#
#   scripts/load-test.sh                        # 60 users, 5 minutes
#   USERS=100 SPAWN_RATE=10 DURATION=10m scripts/load-test.sh
#   LOCUST_CLASSES="MatchPlayers Spectators" scripts/load-test.sh   # some of the user classes
#
# Writes $LOAD_DIR (default $CARGO_TARGET_DIR/load/<time>): locust's CSV stats (run_stats.csv,
# run_stats_history.csv, run_failures.csv), rss.csv (kB, every 10 s, per instance and nginx),
# summary.txt. Exits non-zero when a request failed (other than the intended 4xx, which the
# locustfile counts as successes), when p99 exceeds P99_MAX_MS (50), or when an instance's
# memory grew by more than RSS_GROWTH_MAX_PCT (20) between the first and the last minute.
# The instances run with RATE_LIMIT_ENABLED=false and nginx with EDGE_LIMITS=off: one machine
# is every client here. Puzzle progress goes to a fresh Postgres database of DATABASE_ADMIN_URL
# (default postgres://postgres@127.0.0.1:5432/postgres) when psql is there, dropped afterwards;
# else to a SQLite file in the run directory.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
users=${USERS:-60}
spawn=${SPAWN_RATE:-10}
duration=${DURATION:-5m}
out=${LOAD_DIR:-$CARGO_TARGET_DIR/load/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

scripts/install-deps.sh --load
venv=${LOAD_VENV:-$CARGO_TARGET_DIR/load-venv}
[ -x "${WORD_BOCCE_BIN:-$CARGO_TARGET_DIR/release/word-bocce}" ] || cargo build --release --quiet --bin word-bocce

export CLUSTER_DIR=$out/cluster INSTANCE_BASE_PORT=${INSTANCE_BASE_PORT:-18201}
export HTTP_PORT=${HTTP_PORT:-18280} HTTPS_PORT=${HTTPS_PORT:-18543}
export RATE_LIMIT_ENABLED=false EDGE_LIMITS=off ACCESS_LOG=off RUST_LOG=${RUST_LOG:-warn}

db=""
admin=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -z "${DATABASE_URL:-}" ] && command -v psql > /dev/null && psql "$admin" -qtAc 'select 1' > /dev/null 2>&1; then
  db=wb_load_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
  psql "$admin" -qc "create database $db" > /dev/null
  export DATABASE_URL=${admin%/*}/$db
fi
[ -n "${DATABASE_URL:-}" ] || export SQLITE_PATH=$out/progress.db

sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2> /dev/null || true
  scripts/cluster.sh stop > /dev/null || true
  [ -n "$db" ] && psql "$admin" -qc "drop database if exists $db with (force)" > /dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/cluster.sh start
. "$CLUSTER_DIR/cluster.env"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }
(
  i=1; hdr="elapsed_s"; for p in $INSTANCE_PIDS; do hdr+=",instance_$i"; i=$((i + 1)); done
  echo "$hdr,nginx_master" > "$out/rss.csv"
  t0=$(date +%s)
  while true; do
    row=$(( $(date +%s) - t0 )); for p in $INSTANCE_PIDS; do row+=",$(rss "$p")"; done
    echo "$row,$(rss "$NGINX_PID")" >> "$out/rss.csv"
    sleep 10
  done
) &
sampler=$!

echo "load: $users users (spawn $spawn/s) for $duration against $URL; results in $out"
set +e
"$venv/bin/locust" -f locustfile.py --headless --host "$URL" -u "$users" -r "$spawn" -t "$duration" \
  --csv "$out/run" --csv-full-history --only-summary --stop-timeout 10 ${LOCUST_CLASSES:-} 2>&1 | tee "$out/locust.log" | grep -v "^\[" 
set -e
kill "$sampler" 2> /dev/null || true; sampler=""

python3 - "$out" "${P99_MAX_MS:-50}" "${RSS_GROWTH_MAX_PCT:-20}" << 'PY' | tee "$out/summary.txt"
import csv, sys
out, p99_max, growth_max = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rows = list(csv.DictReader(open(f"{out}/run_stats.csv")))
agg = next(r for r in rows if r["Name"] == "Aggregated")
fails = int(agg["Failure Count"])
p99 = float(agg["99%"])
print(f"requests {agg['Request Count']}, failures {fails}, {float(agg['Requests/s']):.1f} req/s, "
      f"p50 {agg['50%']} ms, p90 {agg['90%']} ms, p99 {agg['99%']} ms, max {float(agg['Max Response Time']):.0f} ms")
for r in rows:
    if r["Name"] != "Aggregated":
        print(f"  {r['Type']:5} {r['Name']:45} {r['Request Count']:>7} req {r['Failure Count']:>4} fail  "
              f"p50 {r['50%']:>4}  p99 {r['99%']:>4} ms")
samples = list(csv.reader(open(f"{out}/rss.csv")))
head, data = samples[0], [list(map(int, s)) for s in samples[1:] if s]
why = ([f"{fails} failures"] if fails else []) + ([f"p99 {p99:.0f} ms > {p99_max:.0f} ms"] if p99 > p99_max else [])
# Flat memory: the first minute after the ramp vs the last minute.
if len(data) >= 12:
    first, last = data[3:9], data[-6:]
    for c in range(1, len(head)):
        a = sum(s[c] for s in first) / len(first)
        b = sum(s[c] for s in last) / len(last)
        g = 100 * (b - a) / a if a else 0
        print(f"rss {head[c]}: {a / 1024:.1f} MB -> {b / 1024:.1f} MB ({g:+.1f}%)")
        if head[c].startswith("instance") and g > growth_max:
            why.append(f"{head[c]} grew {g:.0f}%")
print("result:", "PASS" if not why else "FAIL: " + ", ".join(why),
      f"(wanted: no failure, p99 <= {p99_max:.0f} ms, memory growth <= {growth_max:.0f}%)")
sys.exit(0 if not why else 1)
PY
