# Sourced by scripts/backup.sh and scripts/restore.sh: which stores the service's settings name.
# Reads the environment, then CONFIG_FILE (NAME=value lines) for the names the environment leaves
# unset (an empty value means unset), and sets database_url (Postgres), sqlite_path,
# redis_url, redis_prefix and snapshot_path — each empty when that store is not in use, as the
# service reads them (DATABASE_URL=sqlite:PATH is SQLite; a Postgres URL wins over
# SQLITE_PATH; SQLITE_PATH=:memory: and SNAPSHOT_PATH=off keep nothing). `$1` names the caller
# in messages.
# shellcheck shell=bash disable=SC2034 # the variables are read by the scripts that source it
if [ -n "${CONFIG_FILE:-}" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '#'* | '') continue ;; esac
    name=${line%%=*} value=${line#*=}
    case $name in
      DATABASE_URL | SQLITE_PATH | REDIS_URL | REDIS_KEY_PREFIX | SNAPSHOT_PATH)
        if [ -z "${!name:-}" ] && [ -n "$value" ]; then export "$name=$value"; fi
        ;;
    esac
  done < "$CONFIG_FILE"
fi

database_url=${DATABASE_URL:-}
sqlite_path=${SQLITE_PATH:-}
case $database_url in
  postgres://* | postgresql://*) sqlite_path="" ;;
  sqlite:*) sqlite_path=${database_url#sqlite:} sqlite_path=${sqlite_path#//} database_url="" ;;
  "") ;;
  *) echo "$1: DATABASE_URL is neither postgres:// nor sqlite:" >&2; exit 2 ;;
esac
if [ "$sqlite_path" = ":memory:" ]; then sqlite_path=""; fi
redis_url=${REDIS_URL:-}
redis_prefix=${REDIS_KEY_PREFIX:-wb:}
snapshot_path=${SNAPSHOT_PATH:-}
if [ "$snapshot_path" = off ]; then snapshot_path=""; fi
