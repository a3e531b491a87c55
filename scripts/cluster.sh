#!/usr/bin/env bash
# Three instances of `word-bocce serve` behind nginx on loopback, for the through-nginx tests
# and load tests.
#
#   scripts/cluster.sh start          # instances + nginx (HTTPS, self-signed), waits until ready
#   scripts/cluster.sh status         # each process, and readiness through nginx
#   scripts/cluster.sh stop           # SIGTERM (graceful drain), nginx quit, Redis keys removed
#   scripts/cluster.sh check-config   # `nginx -t` on the production nginx/nginx.conf and on
#                                     # the loopback rendering (test certificate substituted)
#   scripts/cluster.sh certs DIR      # the same self-signed CA and certificate in DIR, also as
#                                     # fullchain.pem + privkey.pem (compose.yaml's TLS_DIR)
#
# Environment (defaults in brackets):
#   CLUSTER_DIR      run directory: certificates, rendered nginx config, logs, pids, cluster.env
#                    [$CARGO_TARGET_DIR/cluster]
#   WORD_BOCCE_BIN   the service binary [$CARGO_TARGET_DIR/release/word-bocce, built if missing]
#   INSTANCES        how many instances [3];  INSTANCE_BASE_PORT  first one's port [18101]
#   INSTANCE_PORTS   or the instances' ports, space-separated (overrides the two above)
#   HTTP_PORT / HTTPS_PORT   nginx on 127.0.0.1 [18180 / 18443]
#   REDIS_URL        the shared match store [redis://127.0.0.1:6379]; "off": each instance its
#                    own memory store (then a match lives on one instance only)
#   REDIS_KEY_PREFIX [wb:cluster:<random>:] — a fresh prefix per run; `stop` deletes its keys
#   EDGE_LIMITS      on | off: nginx's per-address limits (off for load tests) [on]
#   ACCESS_LOG       on | off: nginx access log in the run directory [on]
#   DATABASE_URL     puzzle progress; unset: SQLITE_PATH [$CLUSTER_DIR/progress.db]
#   RATE_LIMIT_ENABLED, RUST_LOG, …: passed to the instances as usual (TRUSTED_PROXIES is
#                    127.0.0.1, nginx's address; SNAPSHOT_PATH is off: Redis holds the matches)
#
# cluster.env in the run directory holds URL, HTTP_URL, CA_CERT, INSTANCE_URLS, INSTANCE_PIDS,
# NGINX_PID, REDIS_URL, REDIS_KEY_PREFIX for the tests and the load test to read.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
run=${CLUSTER_DIR:-$CARGO_TARGET_DIR/cluster}
mkdir -p "$run"
run=$(cd "$run" && pwd)
instances=${INSTANCES:-3}
base_port=${INSTANCE_BASE_PORT:-18101}
if [ -n "${INSTANCE_PORTS:-}" ]; then
  read -r -a ports <<< "$INSTANCE_PORTS"
else
  ports=(); for i in $(seq 0 $((instances - 1))); do ports+=($((base_port + i))); done
fi
http_port=${HTTP_PORT:-18180}
https_port=${HTTPS_PORT:-18443}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

die() { echo "cluster: $*" >&2; exit 1; }
# A pid of this cluster still running (a recycled pid of another program does not count).
alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2> /dev/null \
    && tr '\0' ' ' < "/proc/$1/cmdline" 2> /dev/null | grep -q -e word-bocce -e nginx
}

# A CA and a server certificate for 127.0.0.1 / localhost (clients trust tls/ca.crt), in
# $run/tls or the directory given.
make_certs() {
  local d=${1:-$run/tls}
  [ -s "$d/server.crt" ] && [ -s "$d/ca.crt" ] && return
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=Word Bocce test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2> /dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2> /dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > "$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/server.ext" -out "$d/server.crt" 2> /dev/null
  chmod 600 "$d"/*.key
}

# nginx/ copied into the run directory (relative includes resolve there) with the loopback
# main file rendered from cluster.conf.in.
render_nginx() {
  local d=$run/nginx servers="" key log
  mkdir -p "$d/tmp"
  cp nginx/word-bocce.*.conf "$d/"
  # Started by root, nginx's workers run as nobody: let them reach their temporary files.
  if [ "$(id -u)" = 0 ]; then
    chmod 755 "$run" "$d"
    chown -R nobody "$d/tmp"
  fi
  for port in "${ports[@]}"; do
    servers+="        server 127.0.0.1:$port max_fails=2 fail_timeout=5s;"$'\n'
  done
  case "${EDGE_LIMITS:-on}" in
    on) key='$binary_remote_addr' ;;
    off) key='""' ;;
    *) die "EDGE_LIMITS must be on or off" ;;
  esac
  case "${ACCESS_LOG:-on}" in
    on) log="$d/access.log wb_json" ;;
    off) log=off ;;
    *) die "ACCESS_LOG must be on or off" ;;
  esac
  SERVERS=$servers awk -v run="$run" -v key="$key" -v alog="$log" -v http="$http_port" -v https="$https_port" '
    { gsub(/@RUN@/, run); gsub(/@LIMIT_KEY@/, key); gsub(/@ACCESS_LOG@/, alog);
      gsub(/@HTTP_PORT@/, http); gsub(/@HTTPS_PORT@/, https) }
    /@UPSTREAM_SERVERS@/ { printf "%s", ENVIRON["SERVERS"]; next }
    { print }' nginx/cluster.conf.in > "$d/nginx.conf"
}

nginx_t() { "$nginx_bin" -t -q -p "$1" -c "$2"; }

check_config() {
  [ -x "$nginx_bin" ] || die "nginx is not installed: run scripts/install-deps.sh"
  make_certs
  render_nginx
  nginx_t "$run/nginx" "$run/nginx/nginx.conf"
  echo "loopback config: ok ($run/nginx/nginx.conf)"
  # The production file as shipped, with only the certificate paths (and the log directory,
  # OCSP stapling: impossible on a self-signed certificate) pointed at test material.
  local p=$run/prod-check
  rm -rf "$p" && mkdir -p "$p/logs"
  cp nginx/*.conf "$p/"
  sed -i -e "s|/etc/ssl/word-bocce/fullchain.pem|$run/tls/server.crt|" \
    -e "s|/etc/ssl/word-bocce/privkey.pem|$run/tls/server.key|" \
    -e "s|/var/log/nginx/|$p/logs/|" -e "s|ssl_stapling\(_verify\)\? on;|ssl_stapling\1 off;|" \
    "$p/nginx.conf"
  grep -q www-data /etc/passwd || sed -i 's/^user www-data;/user nobody;/' "$p/nginx.conf"
  "$nginx_bin" -t -q -p "$p" -c "$p/nginx.conf" -g "pid $p/nginx.pid;"
  echo "production config: ok (nginx/nginx.conf)"
}

# The certificate for compose.yaml: under the names nginx's configurations give it.
certs() {
  local d=${1:-}
  [ -n "$d" ] || die "usage: $0 certs DIR"
  command -v openssl > /dev/null || die "openssl is not installed: run scripts/install-deps.sh"
  make_certs "$d"
  cp "$d/server.crt" "$d/fullchain.pem"
  cp "$d/server.key" "$d/privkey.pem"
  chmod 600 "$d/privkey.pem"
  echo "certs: $d/fullchain.pem and privkey.pem for localhost and 127.0.0.1; clients trust $d/ca.crt"
}

wait_ready() { # url, seconds, [curl args…]
  local url=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2> /dev/null && return 0
    sleep 0.2
  done
  return 1
}

start() {
  [ -x "$nginx_bin" ] || die "nginx is not installed: run scripts/install-deps.sh"
  if [ -f "$run/cluster.env" ]; then
    # shellcheck disable=SC1091 # (read in a subshell: a stale file must not set this run's variables)
    (. "$run/cluster.env"; for p in $INSTANCE_PIDS $NGINX_PID; do alive "$p" && exit 1; done; exit 0) \
      || die "already running in $run (scripts/cluster.sh stop first)"
  fi
  local bin=${WORD_BOCCE_BIN:-$CARGO_TARGET_DIR/release/word-bocce}
  if [ ! -x "$bin" ]; then
    cargo build --release --quiet --bin word-bocce
  fi
  make_certs
  render_nginx
  nginx_t "$run/nginx" "$run/nginx/nginx.conf"

  local redis_url=${REDIS_URL:-redis://127.0.0.1:6379} prefix
  prefix=${REDIS_KEY_PREFIX:-wb:cluster:$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'):}
  local pids="" urls=""
  local i=0
  for port in "${ports[@]}"; do
    i=$((i + 1))
    (
      if [ "$redis_url" = off ]; then unset REDIS_URL; else export REDIS_URL=$redis_url; fi
      export REDIS_KEY_PREFIX=$prefix
      export BIND=127.0.0.1 PORT=$port TRUSTED_PROXIES=127.0.0.1 SNAPSHOT_PATH=off
      export RUST_LOG=${RUST_LOG:-warn}
      # Puzzle progress: DATABASE_URL when given, else one SQLite file shared by the instances.
      [ -n "${DATABASE_URL:-}" ] || export SQLITE_PATH=${SQLITE_PATH:-$run/progress.db}
      exec "$bin" serve
    ) > "$run/instance-$i.log" 2>&1 &
    pids+="$! "
    urls+="http://127.0.0.1:$port "
  done
  "$nginx_bin" -p "$run/nginx" -c "$run/nginx/nginx.conf"
  local npid
  npid=$(cat "$run/nginx/nginx.pid")
  cat > "$run/cluster.env" << ENV
URL=https://127.0.0.1:$https_port
HTTP_URL=http://127.0.0.1:$http_port
CA_CERT=$run/tls/ca.crt
INSTANCE_URLS="${urls% }"
INSTANCE_PIDS="${pids% }"
NGINX_PID=$npid
REDIS_URL=$redis_url
REDIS_KEY_PREFIX=$prefix
RUN_DIR=$run
ENV
  for u in $urls; do
    wait_ready "$u/readyz" 60 || { tail -n 20 "$run"/instance-*.log >&2; stop; die "$u did not become ready"; }
  done
  wait_ready "https://127.0.0.1:$https_port/readyz" 10 --cacert "$run/tls/ca.crt" \
    || { tail -n 20 "$run/nginx/error.log" >&2; stop; die "nginx did not answer"; }
  echo "cluster: ${#ports[@]} instances ($urls) behind https://127.0.0.1:$https_port (run dir $run)"
}

status() {
  [ -f "$run/cluster.env" ] || die "not started ($run/cluster.env missing)"
  . "$run/cluster.env"
  local ok=0 i=1
  for p in $INSTANCE_PIDS; do
    if alive "$p"; then echo "instance $i: pid $p running"; else echo "instance $i: pid $p gone"; ok=1; fi
    i=$((i + 1))
  done
  if alive "$NGINX_PID"; then echo "nginx: pid $NGINX_PID running"; else echo "nginx: gone"; ok=1; fi
  curl -sS --max-time 3 --cacert "$CA_CERT" "$URL/readyz" || ok=1
  echo
  return $ok
}

stop() {
  [ -f "$run/cluster.env" ] || return 0
  . "$run/cluster.env"
  alive "$NGINX_PID" && kill -QUIT "$NGINX_PID"
  for p in $INSTANCE_PIDS; do alive "$p" && kill -TERM "$p"; done
  for _ in $(seq 1 150); do
    local any=0
    for p in $INSTANCE_PIDS $NGINX_PID; do alive "$p" && any=1; done
    [ $any = 0 ] && break
    sleep 0.2
  done
  for p in $INSTANCE_PIDS $NGINX_PID; do alive "$p" && kill -KILL "$p"; done
  # This run's keys only (never a flush: the Redis is shared).
  if [ "$REDIS_URL" != off ] && [ -z "${KEEP_REDIS_KEYS:-}" ] && command -v redis-cli > /dev/null; then
    redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_KEY_PREFIX}*" 2> /dev/null \
      | xargs -r -n 500 redis-cli -u "$REDIS_URL" del > /dev/null 2>&1 || true
  fi
  rm -f "$run/cluster.env"
  echo "cluster: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  check-config) check_config ;;
  certs) certs "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|check-config|certs DIR" >&2; exit 2 ;;
esac
