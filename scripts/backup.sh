#!/usr/bin/env bash
# Back up every store the environment names, into a dated directory under BACKUP_DIR, and
# keep 7 daily, 4 weekly and 12 monthly backups (docs/operations.md, "Backups").
#
#   DATABASE_URL=postgres://…  pg_dump -Fc                       → postgres.dump
#   SQLITE_PATH=FILE           sqlite3 online backup (safe while the service writes;
#     (or DATABASE_URL=sqlite:FILE; ignored when DATABASE_URL is postgres, as the service does)
#                                                                → progress.sqlite
#   REDIS_URL=redis://…        the keys under REDIS_KEY_PREFIX (default wb:), DUMP payloads with
#                              their expiry (what restore.sh replays)  → redis-keys.jsonl
#                              and the whole RDB (redis-cli --rdb; disaster recovery;
#                              REDIS_BACKUP_RDB=false skips it)      → redis.rdb
#   SNAPSHOT_PATH=FILE         the memory store's snapshot, copied (ignored with REDIS_URL, or
#                              `off`)                                → snapshot.json
# Settings are read from the environment, then from CONFIG_FILE (NAME=value lines, as the
# service reads them) for those the environment leaves unset.
#
# Each run writes BACKUP_DIR/daily/<UTC time, 2026-12-04T030000Z>/ (and a MANIFEST of sha256
# sums). The first backup of an ISO week is also hard-linked into weekly/, the first of a
# month into monthly/; then only the newest BACKUP_KEEP_DAILY (7), BACKUP_KEEP_WEEKLY (4) and
# BACKUP_KEEP_MONTHLY (12) of each are kept. A run that fails leaves <time>.incomplete/ (never
# promoted nor counted; the next good run removes it) and exits
# non-zero; so does a run with nothing to back up.
# BACKUP_NOW (a `date -d` time) stands in for the clock (the retention test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
helper=$here/backup_helper.py

# shellcheck source=scripts/backup-stores.sh
. "$here/backup-stores.sh" backup

backup_dir=${BACKUP_DIR:?BACKUP_DIR names where backups go}
keep_daily=${BACKUP_KEEP_DAILY:-7}
keep_weekly=${BACKUP_KEEP_WEEKLY:-4}
keep_monthly=${BACKUP_KEEP_MONTHLY:-12}
epoch=$(date -u -d "${BACKUP_NOW:-now}" +%s)
stamp=$(date -u -d "@$epoch" +%Y-%m-%dT%H%M%SZ)
stamp_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z$'

[ -n "$redis_url" ] && snapshot_path=""   # with Redis the service keeps no snapshot

if [ -z "$database_url$sqlite_path$redis_url$snapshot_path" ]; then
  echo "backup: nothing to back up: set DATABASE_URL or SQLITE_PATH, REDIS_URL or SNAPSHOT_PATH" >&2
  exit 2
fi
if [ -z "$database_url$sqlite_path" ]; then
  echo "backup: warning: neither DATABASE_URL nor SQLITE_PATH is set: puzzle progress is not backed up" >&2
fi

mkdir -p "$backup_dir/daily" "$backup_dir/weekly" "$backup_dir/monthly"
exec 9> "$backup_dir/.lock"
flock -n 9 || { echo "backup: another backup is running in $backup_dir" >&2; exit 1; }

work=$backup_dir/daily/$stamp.incomplete
final=$backup_dir/daily/$stamp
[ -e "$final" ] && { echo "backup: $final exists already" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
failed=0
fail() { echo "backup: FAILED: $*" >&2; failed=1; }
started=$(date +%s)

if [ -n "$database_url" ]; then
  if pg_dump -Fc -f "$work/postgres.dump" "$database_url"; then
    echo "backup: postgres: $(pg_restore -l "$work/postgres.dump" | grep -c ' TABLE DATA ') tables"
  else
    fail "pg_dump of DATABASE_URL"
  fi
fi
if [ -n "$sqlite_path" ]; then
  python3 "$helper" sqlite-backup "$sqlite_path" "$work/progress.sqlite" || fail "SQLite backup of $sqlite_path"
fi
if [ -n "$redis_url" ]; then
  if out=$(python3 "$helper" redis-dump "$redis_url" "$redis_prefix" "$work/redis-keys.jsonl"); then
    echo "backup: redis: $out under '$redis_prefix'"
  else
    fail "Redis keys under '$redis_prefix'"
  fi
  if [ "${REDIS_BACKUP_RDB:-true}" != false ]; then
    redis-cli -u "$redis_url" --no-auth-warning --rdb "$work/redis.rdb" > "$work/redis-rdb.log" 2>&1 \
      || { cat "$work/redis-rdb.log" >&2; fail "Redis RDB (redis-cli --rdb; REDIS_BACKUP_RDB=false skips it)"; }
    rm -f "$work/redis-rdb.log"
  fi
fi
if [ -n "$snapshot_path" ]; then
  # The service renames a finished snapshot over the old one: a copy is always of a whole one.
  if [ -f "$snapshot_path" ] && cp "$snapshot_path" "$work/snapshot.json.tmp" && mv "$work/snapshot.json.tmp" "$work/snapshot.json"; then
    :
  else
    fail "the memory snapshot $snapshot_path (none written yet?)"
  fi
fi

(cd "$work" && find . -maxdepth 1 -type f ! -name 'MANIFEST*' -printf '%P\n' | sort | xargs -r sha256sum > MANIFEST.tmp && mv MANIFEST.tmp MANIFEST)
sync -f "$work/MANIFEST" 2> /dev/null || sync
if [ "$failed" -ne 0 ]; then
  echo "backup: incomplete, left in $work" >&2
  exit 1
fi
mv "$work" "$final"
echo "backup: wrote $final in $(($(date +%s) - started)) s:"
(cd "$final" && find . -maxdepth 1 -type f -printf '  %P\t%s bytes\n' | sort)

# Promotion: the first backup of its ISO week / month is linked into weekly/ / monthly/.
period() { # KIND STAMP
  case $1 in
    weekly) date -u -d "${2:0:10}" +%G-W%V ;;
    monthly) echo "${2:0:7}" ;;
  esac
}
backups() { # DIR: the complete backups in it, oldest first
  find "$1" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | grep -E "$stamp_re" | sort || true
}
for kind in weekly monthly; do
  mine=$(period "$kind" "$stamp")
  have=""
  for b in $(backups "$backup_dir/$kind"); do
    [ "$(period "$kind" "$b")" = "$mine" ] && have=$b
  done
  if [ -z "$have" ]; then
    cp -al "$final" "$backup_dir/$kind/$stamp" 2> /dev/null || cp -a "$final" "$backup_dir/$kind/$stamp"
    echo "backup: the first of $mine: also $backup_dir/$kind/$stamp"
  fi
done

# Retention: the newest N of each kind.
prune() { # KIND KEEP
  local all n
  all=$(backups "$backup_dir/$1")
  n=$(printf '%s' "$all" | grep -c . || true)
  if [ "$n" -gt "$2" ]; then
    printf '%s\n' "$all" | head -n $((n - $2)) | while read -r old; do
      rm -rf "${backup_dir:?}/$1/$old"
      echo "backup: pruned $1/$old"
    done
  fi
}
# Failed runs before this one are superseded by it.
find "$backup_dir/daily" -mindepth 1 -maxdepth 1 -type d -name '*.incomplete' -printf '%f\n' | while read -r old; do
  rm -rf "${backup_dir:?}/daily/$old"
  echo "backup: removed the failed run daily/$old"
done
prune daily "$keep_daily"
prune weekly "$keep_weekly"
prune monthly "$keep_monthly"
