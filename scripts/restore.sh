#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into the stores the environment names (the same
# variables, and CONFIG_FILE, as backup.sh):
#
#   scripts/restore.sh BACKUP_DIR/daily/2026-12-04T030000Z
#
#   postgres.dump     → DATABASE_URL: pg_restore --clean --if-exists --no-owner in one
#                       transaction (all or nothing; the database
#                       must exist; its tables are replaced). Stop every instance first.
#   progress.sqlite   → SQLITE_PATH: the file is replaced (its -wal/-shm removed). The service
#                       MUST be stopped: it holds the file open.
#   redis-keys.jsonl  → REDIS_URL: every key replayed with RESTORE … REPLACE and its original
#                       absolute expiry (keys that have expired since are skipped); works into
#                       a running server. Stop the instances, or they may write in between.
#                       (redis.rdb is for disaster recovery by hand: docs/operations.md.)
#   snapshot.json     → SNAPSHOT_PATH: copied back; the service MUST be stopped (it rewrites
#                       the snapshot when it stops) and reads it when it starts.
#
# A store in the backup whose target the environment does not name is skipped, with a
# message. The MANIFEST's sums are checked first. Exits non-zero if a check or a restore
# fails, or if nothing was restored.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
helper=$here/backup_helper.py
[ $# -eq 1 ] || { echo "usage: $0 BACKUP_PATH" >&2; exit 2; }
src=$(cd "$1" && pwd)

# shellcheck source=scripts/backup-stores.sh
. "$here/backup-stores.sh" restore

case $src in *.incomplete) echo "restore: $src is a failed backup run" >&2; exit 1 ;; esac
[ -f "$src/MANIFEST" ] || { echo "restore: $src has no MANIFEST: not a backup of backup.sh" >&2; exit 1; }
(cd "$src" && sha256sum --quiet -c MANIFEST) || { echo "restore: $src: checksums differ" >&2; exit 1; }

restored=0 failed=0
skip() { echo "restore: $1 is in the backup but $2 is not set: skipped" >&2; }
fail() { echo "restore: FAILED: $*" >&2; failed=1; }

if [ -f "$src/postgres.dump" ]; then
  if [ -z "$database_url" ]; then
    skip postgres.dump DATABASE_URL
  elif pg_restore --clean --if-exists --no-owner --single-transaction -d "$database_url" "$src/postgres.dump"; then
    echo "restore: postgres: done"
    restored=$((restored + 1))
  else
    fail "pg_restore into DATABASE_URL"
  fi
fi
if [ -f "$src/progress.sqlite" ]; then
  if [ -z "$sqlite_path" ]; then
    skip progress.sqlite SQLITE_PATH
  elif python3 "$helper" sqlite-restore "$src/progress.sqlite" "$sqlite_path"; then
    echo "restore: sqlite: $sqlite_path replaced"
    restored=$((restored + 1))
  else
    fail "SQLite restore into $sqlite_path"
  fi
fi
if [ -f "$src/redis-keys.jsonl" ]; then
  if [ -z "$redis_url" ]; then
    skip redis-keys.jsonl REDIS_URL
  elif out=$(python3 "$helper" redis-restore "$redis_url" "$src/redis-keys.jsonl"); then
    echo "restore: redis: $out"
    restored=$((restored + 1))
  else
    fail "Redis restore into REDIS_URL"
  fi
fi
if [ -f "$src/snapshot.json" ]; then
  if [ -z "$snapshot_path" ]; then
    skip snapshot.json SNAPSHOT_PATH
  elif mkdir -p "$(dirname "$snapshot_path")" && cp "$src/snapshot.json" "$snapshot_path.restore-tmp" \
    && mv "$snapshot_path.restore-tmp" "$snapshot_path"; then
    echo "restore: snapshot: $snapshot_path replaced (start the service to load it)"
    restored=$((restored + 1))
  else
    fail "copying the snapshot to $snapshot_path"
  fi
fi

[ "$failed" -eq 0 ] || exit 1
[ "$restored" -gt 0 ] || { echo "restore: nothing restored (no store of the backup is named)" >&2; exit 1; }
echo "restore: $restored store(s) restored from $src"
