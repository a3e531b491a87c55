#!/usr/bin/env bash
# Memory under a day's kind of traffic, compressed: the load test's mix (locustfile.py: match
# players creating matches continuously, puzzle solvers, spectators) for DURATION against one
# memory-mode instance writing its snapshot every SNAPSHOT_INTERVAL_SECS (default 60), with its
# resident memory, matches held and snapshot size sampled every 10 s.
#
#   scripts/soak.sh                          # memory mode, 60 users, 10 minutes
#   DURATION=3m USERS=40 scripts/soak.sh
#   scripts/soak.sh redis                    # three Redis-mode instances behind nginx
#                                            # (scripts/load-test.sh: each instance flat ±20 %)
#
# Memory mode passes when resident memory at the end is within RSS_END_MAX (1.5) times its value
# after the first minute, and the memory one more held match costs (the slope of anonymous
# memory over matches held after the first minute: the mapped model's pages are not the
# matches', nor is the process's warm-up) is at most PER_MATCH_MAX (2) times its share of the
# snapshot file.
# Writes $SOAK_DIR (default $CARGO_TARGET_DIR/soak/<time>): samples.csv, locust's CSVs,
# serve.log, summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
export DURATION=${DURATION:-10m}
if [ "${1:-memory}" = redis ]; then
  exec env RSS_GROWTH_MAX_PCT=${RSS_GROWTH_MAX_PCT:-20} scripts/load-test.sh
fi
users=${USERS:-60}
spawn=${SPAWN_RATE:-10}
port=${SOAK_PORT:-18299}
out=${SOAK_DIR:-$CARGO_TARGET_DIR/soak/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=${WORD_BOCCE_BIN:-$CARGO_TARGET_DIR/release/word-bocce}
[ -x "$bin" ] || cargo build --release --quiet --bin word-bocce
scripts/install-deps.sh --load
venv=${LOAD_VENV:-$CARGO_TARGET_DIR/load-venv}

pid="" sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2> /dev/null || true
  [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null || true
}
trap cleanup EXIT
PORT=$port SNAPSHOT_PATH=$out/matches.json SNAPSHOT_INTERVAL_SECS=${SNAPSHOT_INTERVAL_SECS:-60} \
  SQLITE_PATH=$out/progress.db RATE_LIMIT_ENABLED=false RUST_LOG=${RUST_LOG:-warn} \
  "$bin" serve > "$out/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  sleep 0.2
done
sleep 2
# Anonymous memory is what matches and requests cost; the rest of the resident memory is the
# memory-mapped model and graph, paged in as queries touch them.
idle=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")

(
  echo "elapsed_s,rss_kb,anon_kb,matches,snapshot_bytes" > "$out/samples.csv"
  t0=$(date +%s)
  while true; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo 0)
    anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo 0)
    held=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^wordbocce_active_matches / {print $2}')
    snap=$(stat -c %s "$out/matches.json" 2> /dev/null || echo 0)
    echo "$(( $(date +%s) - t0 )),$rss,$anon,${held:-0},$snap" >> "$out/samples.csv"
    sleep 10
  done
) &
sampler=$!

echo "soak: $users users (spawn $spawn/s) for $DURATION against one memory-mode instance; results in $out"
set +e
"$venv/bin/locust" -f locustfile.py --headless --host "http://127.0.0.1:$port" -u "$users" -r "$spawn" \
  -t "$DURATION" --csv "$out/run" --only-summary --stop-timeout 10 2>&1 | tee "$out/locust.log" | grep -v "^\["
set -e
# The last snapshot and sample once the load has stopped.
sleep "${SNAPSHOT_INTERVAL_SECS:-60}"
sleep 12
kill "$sampler" 2> /dev/null || true; sampler=""

python3 - "$out" "$idle" "${RSS_END_MAX:-1.5}" "${PER_MATCH_MAX:-2}" << 'PY' | tee "$out/summary.txt"
import csv, sys
out, idle, end_max, per_max = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rows = [{k: int(float(v or 0)) for k, v in r.items()} for r in csv.DictReader(open(f"{out}/samples.csv"))]
agg = next(r for r in csv.DictReader(open(f"{out}/run_stats.csv")) if r["Name"] == "Aggregated")
print(f"requests {agg['Request Count']}, failures {agg['Failure Count']}, "
      f"{float(agg['Requests/s']):.0f} req/s, p99 {agg['99%']} ms")
first = next(r for r in rows if r["elapsed_s"] >= 60)
last = rows[-1]
peak = max(r["rss_kb"] for r in rows)
ratio = last["rss_kb"] / first["rss_kb"]
print(f"rss: after 1 min {first['rss_kb'] / 1024:.0f} MB, "
      f"end {last['rss_kb'] / 1024:.0f} MB ({ratio:.2f}x), peak {peak / 1024:.0f} MB")
why = []
if int(agg["Failure Count"]):
    why.append(f"{agg['Failure Count']} failures")
if ratio > end_max:
    why.append(f"memory at the end {ratio:.2f}x the first minute's")
held, snap = last["matches"], last["snapshot_bytes"]
if held and snap:
    share = snap / held
    # What one more match held costs: the slope of anonymous memory over matches held, from the
    # first minute on (the first minute also pays the process's warm-up: thread stacks, caches,
    # connections). The average over the idle process is shown beside it.
    pts = [(r["matches"], r["anon_kb"] * 1024) for r in rows if r["elapsed_s"] >= 60 and r["matches"]]
    n = len(pts)
    mx, my = sum(p[0] for p in pts) / n, sum(p[1] for p in pts) / n
    slope = sum((x - mx) * (y - my) for x, y in pts) / max(1e-9, sum((x - mx) ** 2 for x, _ in pts))
    average = (last["anon_kb"] - idle) * 1024 / held
    print(f"anonymous memory: idle {idle / 1024:.0f} MB, end {last['anon_kb'] / 1024:.0f} MB")
    print(f"matches held {held}, snapshot {snap / 1e6:.1f} MB: {share / 1024:.1f} KB a match in the "
          f"snapshot; in memory {slope / 1024:.1f} KB a match more ({slope / share:.2f}x), "
          f"{average / 1024:.1f} KB a match over the idle process ({average / share:.2f}x)")
    if slope / share > per_max:
        why.append(f"{slope / share:.2f}x the snapshot's share per match")
print("result:", "PASS" if not why else "FAIL: " + ", ".join(why),
      f"(wanted: end <= {end_max}x the first minute, per match <= {per_max}x its snapshot share, no failure)")
sys.exit(0 if not why else 1)
PY
