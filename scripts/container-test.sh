#!/usr/bin/env bash
# The image (Dockerfile) and the stack (compose.yaml), built and run for real with podman:
#   bases    base images from Debian packages under the names the files use (nothing can be
#            pulled here): debian:bookworm-slim by `debootstrap --variant=minbase`; a look-alike
#            of rust:<rust-toolchain.toml's version>-slim-bookworm (the same debootstrap + gcc,
#            libc6-dev, ca-certificates + this machine's toolchain of that version, laid out as
#            the official image has it); and stand-ins for compose.yaml's redis, postgres and
#            nginx images built on that Debian from its packages (same commands, paths and
#            environment as far as compose.yaml uses them). Kept for later runs.
#   image    builds the image (crates from crates.io), checks its labels, user, health check
#   run      runs it alone: warm start, health check, a match played (create, join, start,
#            submit), a graceful stop (exit 0), and the match again from the data volume
#   compose  podman-compose up with a fresh .env (cp .env.example) and certificate; waits on
#            every service's own health check; plays a match through nginx (HTTPS) and reads it
#            on each instance directly; a profile's solve in the shared Postgres; rolls the
#            three instances one by one while a player keeps moving (no move may fail); down
#            and up again: matches and progress still there (the volumes); down -v
#
#   scripts/container-test.sh                   # every step, about 15-25 min the first time
#   scripts/container-test.sh run compose       # some steps (in this order)
#
# Needs root (debootstrap, rootful podman), podman, buildah, podman-compose, debootstrap,
# openssl, curl, python3 (apt-get install podman buildah podman-compose debootstrap).
# Not a step of scripts/test.sh: it takes minutes and root. Environment (defaults in brackets):
#   CONTAINER_TEST_DIR  logs, the compose project copy, debootstrap trees
#                       [$CARGO_TARGET_DIR/container-test]
#   DEBIAN_MIRROR       [the Debian mirror apt is configured with]
#   BUILD_NETWORK       default | host: the image build's network (crates.io) [default when a
#                       container reaches index.crates.io, else host]
#   BUILD_JOBS          cargo --jobs inside the build [$CARGO_BUILD_JOBS, else every core]
#   REBUILD_BASES=1     build the base images again even when they exist
#   CT_PORT             the lone container's port on 127.0.0.1 [18900]
#   HTTPS_PORT, HTTP_PORT, APP1_PORT..APP3_PORT   the stack's [18943, 18980, 18901..18903]
#   CT_KEEP=1           leave the lone container and the stack running at the end
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
dir=${CONTAINER_TEST_DIR:-$CARGO_TARGET_DIR/container-test}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
repo=$(pwd)
play=(python3 "$repo/scripts/container_test_play.py")

say() { echo "container-test: $*"; }
die() { echo "container-test: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and rootful podman)"
for tool in podman podman-compose debootstrap openssl curl python3; do
  command -v "$tool" > /dev/null || die "$tool is missing (apt-get install podman buildah podman-compose debootstrap)"
done

# The names the files use, and the toolchain the builder must have.
rust_image=$(sed -n 's/^ARG RUST_IMAGE=//p' Dockerfile)
runtime_image=$(sed -n 's/^ARG RUNTIME_IMAGE=//p' Dockerfile)
channel=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
case $rust_image in
  */rust:"$channel"-*) ;;
  *) die "Dockerfile's $rust_image is not rust-toolchain.toml's $channel" ;;
esac
compose_image() { sed -n "/^  $1:/,/^  [a-z]/s/^    image: //p" compose.yaml | head -n1; }
redis_image=$(compose_image redis)
postgres_image=$(compose_image postgres)
nginx_image=$(compose_image nginx)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
image=word-bocce:$version

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m=$(sed -n 's/^deb \(\[[^]]*\] \)\?\(\S*\) bookworm .*/\2/p' /etc/apt/sources.list 2> /dev/null | head -n1)
  [ -n "$m" ] || m=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u ~ /debian$/ { print u; exit }' \
    /etc/apt/sources.list.d/*.sources 2> /dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}

# debootstrap minbase of bookworm (+ packages) into $1, cleaned as the official images are:
# no package caches or lists, and no service started by a package's scripts.
debootstrap_tree() { # DIR [PACKAGES,…]
  local root=$1 include=${2:-}
  rm -rf "$root"
  debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$root" "$(mirror)" \
    > "$root.log" 2>&1 || { tail -n 20 "$root.log" >&2; die "debootstrap failed ($root.log)"; }
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
}

import_tree() { # DIR NAME [--change …]
  local root=$1 name=$2
  shift 2
  tar -C "$root" --numeric-owner -cf - . | podman import "$@" - "$name" > "$root.import.log" 2>&1 \
    || { cat "$root.import.log" >&2; die "podman import $name failed"; }
  rm -rf "$root"
}

have() { podman image exists "$1" && [ -z "${REBUILD_BASES:-}" ]; }

base_images() {
  local path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' t
  if have "$runtime_image"; then
    say "$runtime_image: present"
  else
    t=$(now)
    debootstrap_tree "$dir/rootfs-slim"
    import_tree "$dir/rootfs-slim" "$runtime_image" --change "$path_env" --change 'CMD ["bash"]'
    say "$runtime_image: debootstrap --variant=minbase from $(mirror), imported ($(since "$t") s)"
  fi
  runtime_setup

  if have "$rust_image"; then
    say "$rust_image: present"
  else
    t=$(now)
    local sysroot root=$dir/rootfs-rust triple=x86_64-unknown-linux-gnu
    sysroot=$(rustc +"$channel" --print sysroot) || die "no $channel toolchain here (rustup)"
    debootstrap_tree "$root" ca-certificates,gcc,libc6-dev
    # The certificate authorities this machine adds to Debian's (here: its egress proxy's, which
    # re-signs crates.io's certificate), so that cargo in the build reaches crates.io as cargo
    # on this machine does. (Then in the test image's CA bundle too, copied from the builder.)
    if compgen -G '/usr/local/share/ca-certificates/*.crt' > /dev/null; then
      cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
      chroot "$root" update-ca-certificates > /dev/null 2>&1
    fi
    # As rustup-init lays it out in the official image: RUSTUP_HOME=/usr/local/rustup,
    # CARGO_HOME=/usr/local/cargo, the proxies in /usr/local/cargo/bin.
    mkdir -p "$root/usr/local/rustup/toolchains/$channel-$triple" "$root/usr/local/cargo/bin"
    tar -C "$sysroot/" --exclude=./share/doc -cf - . | tar -C "$root/usr/local/rustup/toolchains/$channel-$triple" -xf -
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$channel-$triple" \
      > "$root/usr/local/rustup/settings.toml"
    cp "$(command -v rustup)" "$root/usr/local/cargo/bin/rustup"
    for proxy in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt rust-gdb rust-gdbgui rust-lldb; do
      ln -s rustup "$root/usr/local/cargo/bin/$proxy"
    done
    chmod -R a+w "$root/usr/local/rustup" "$root/usr/local/cargo"
    import_tree "$root" "$rust_image" --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
      --change 'ENV CARGO_HOME=/usr/local/cargo' --change "ENV RUST_VERSION=$channel" \
      --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]'
    say "$rust_image: look-alike from debootstrap + gcc + rustc $channel of this machine ($(since "$t") s)"
  fi

  # Stand-ins for the stack's images, from Debian's packages on the base above.
  local ctx=$dir/standins
  mkdir -p "$ctx"
  cat > "$ctx/redis.Containerfile" << EOF
FROM $runtime_image
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \\
  && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
CMD ["redis-server"]
EOF
  # The official image's interface as compose.yaml uses it: POSTGRES_PASSWORD, POSTGRES_USER,
  # POSTGRES_DB, the cluster in PGDATA, created on the first start, password logins over TCP.
  cat > "$ctx/postgres-entrypoint.sh" << 'EOF'
#!/bin/sh
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres} db=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp) && printf '%s\n' "$POSTGRES_PASSWORD" > "$pw" && chown postgres "$pw"
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pw"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  [ "$db" = postgres ] || echo "CREATE DATABASE \"$db\";" | as_pg postgres --single -D "$PGDATA" postgres > /dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
EOF
  cat > "$ctx/postgres.Containerfile" << EOF
FROM $runtime_image
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \\
  && apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
  && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  PGDATA=/var/lib/postgresql/data
STOPSIGNAL SIGINT
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
EOF
  cat > "$ctx/nginx.Containerfile" << EOF
FROM $runtime_image
RUN apt-get update && apt-get install -y --no-install-recommends nginx curl \\
  && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
  standin redis "$redis_image" "Debian's redis-server"
  standin postgres "$postgres_image" "Debian's postgresql-15"
  standin nginx "$nginx_image" "Debian's nginx and curl"
}

standin() { # NAME IMAGE WHAT: $dir/standins/NAME.Containerfile built as IMAGE, unless present
  local ctx=$dir/standins t
  if have "$2"; then say "$2: present"; return; fi
  t=$(now)
  podman build --pull=never -t "$2" -f "$ctx/$1.Containerfile" "$ctx" > "$ctx/$1.log" 2>&1 \
    || { tail -n 20 "$ctx/$1.log" >&2; die "the $1 stand-in did not build"; }
  say "$2: stand-in, $3 ($(since "$t") s)"
}

build_network() {
  case ${BUILD_NETWORK:-auto} in
    default | host) echo "$BUILD_NETWORK" ;;
    auto)
      if podman run --rm --pull=never "$rust_image" timeout 10 bash -c 'exec 3<> /dev/tcp/index.crates.io/443' 2> /dev/null; then
        echo default
      else
        echo host
      fi
      ;;
    *) die "BUILD_NETWORK must be default or host" ;;
  esac
}

build_image() {
  local net revision t size
  net=$(build_network)
  revision=$(git rev-parse HEAD 2> /dev/null || echo unknown)
  [ -z "$(git status --porcelain 2> /dev/null)" ] || revision=$revision-dirty
  say "building $image (crates.io over the $net network; log $dir/build.log)"
  t=$(now)
  # (podman build takes no --network=default: without the option it is the default network.
  # Buildah 1.28 takes a LABEL step from its cache when only the build arguments it expands
  # changed — Docker does not — so the three labels from arguments are also given as --label.)
  local netopt=() source
  [ "$net" = default ] || netopt=(--network="$net")
  source=${IMAGE_SOURCE:-$(git remote get-url origin 2> /dev/null || echo)}
  podman build --pull=never --format docker "${netopt[@]}" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source" \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.revision="$revision" \
    --label org.opencontainers.image.source="$source" \
    --build-arg BUILD_JOBS="${BUILD_JOBS:-${CARGO_BUILD_JOBS:-}}" \
    -t "$image" -t word-bocce:latest . > "$dir/build.log" 2>&1 \
    || { tail -n 30 "$dir/build.log" >&2; die "the image build failed ($dir/build.log)"; }
  size=$(podman image inspect --format '{{.Size}}' "$image")
  say "built $image in $(since "$t") s: $((size / 1000000)) MB"
  say "$(grep -c -- '--> Using cache' "$dir/build.log" || true) steps from the cache, $(grep -c 'STEP [0-9]' "$dir/build.log") in all"

  # What the image says of itself.
  local labels user hc
  labels=$(podman image inspect --format '{{json .Labels}}' "$image")
  for want in "\"org.opencontainers.image.version\":\"$version\"" '"org.opencontainers.image.licenses":"MIT AND PDDL-1.0"' \
    '"org.opencontainers.image.source":' "\"org.opencontainers.image.revision\":\"$revision\""; do
    grep -qF "$want" <<< "$labels" || die "label $want missing: $labels"
  done
  user=$(podman image inspect --format '{{.Config.User}}' "$image")
  [ "$user" = 10001:10001 ] || die "the image runs as '$user', not 10001:10001"
  hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image")
  grep -qF '"word-bocce","healthcheck"' <<< "$hc" || die "no HEALTHCHECK in the image: $hc"
  # (podman logs "unable to get systemd connection to add healthchecks" for every container of
  # an image with a HEALTHCHECK where systemd does not run, as here: harmless, hidden)
  podman run --rm --pull=never --entrypoint sh "$image" -c 'command -v curl wget' > /dev/null 2>&1 \
    && die "curl or wget in the image"
  [ "$(podman run --rm --pull=never "$image" --version 2> /dev/null)" = "word-bocce $version" ] || die "word-bocce --version"
  podman run --rm --pull=never --entrypoint sh "$image" -c \
    'ls /app/models/cache/*.idx && test ! -e /app/target && test ! -e /app/.git && test ! -e /app/.env' > /dev/null 2>&1 \
    || die "the image's /app is not as expected"
  say "labels $labels; user $user; HEALTHCHECK $hc; no curl; the frozen graph in /app/models/cache"
}

wait_http() { # URL SECONDS [curl args…]: until it answers 200
  local url=$1 secs=$2
  shift 2
  for _ in $(seq 1 $((secs * 10))); do
    curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2> /dev/null && return 0
    sleep 0.1
  done
  return 1
}

run_alone() {
  local name=wb-ct-alone vol=wb-ct-alone-data port=${CT_PORT:-18900} t id status
  podman rm -f "$name" > /dev/null 2>&1 || true
  podman volume rm -f "$vol" > /dev/null 2>&1 || true
  start_alone() {
    podman run -d --pull=never --name "$name" -p "127.0.0.1:$port:8000" -v "$vol:/app/data" \
      -e RATE_LIMIT_ENABLED=false word-bocce:latest > /dev/null 2>&1
  }
  t=$(now)
  start_alone
  wait_http "http://127.0.0.1:$port/readyz" 120 || { podman logs "$name" | tail -n 20 >&2; die "the container did not become ready"; }
  say "container ready (/readyz 200) $(since "$t") s after podman run"
  podman logs "$name" 2>&1 | grep -o '"index":"[^"]*"' | head -n1 | grep -q 'mapped from /app/models/cache/' \
    || { podman logs "$name" | tail -n 5 >&2; die "the index was not mapped from the image's cache"; }
  podman healthcheck run "$name" > /dev/null || die "the image's HEALTHCHECK failed"
  [ "$(podman exec "$name" id -u)" = 10001 ] || die "the service is not uid 10001"
  say "warm start (graph mapped from /app/models/cache); HEALTHCHECK healthy; uid 10001"

  "${play[@]}" alone "http://127.0.0.1:$port" "$dir/alone.json"
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["match"])' "$dir/alone.json")

  t=$(now)
  podman stop -t 45 "$name" > /dev/null 2>&1
  status=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  [ "$status" = 0 ] || { podman logs "$name" | tail -n 5 >&2; die "podman stop: exit status $status"; }
  say "podman stop: drained and exited 0 in $(since "$t") s"
  podman run --rm --pull=never -v "$vol:/data" --entrypoint sh word-bocce:latest -c 'ls -ln /data' 2> /dev/null \
    | tail -n +2 | sed 's/^/container-test:   volume: /'
  podman rm "$name" > /dev/null 2>&1
  start_alone
  wait_http "http://127.0.0.1:$port/readyz" 120 || die "the second container did not become ready"
  "${play[@]}" check-alone "http://127.0.0.1:$port" "$dir/alone.json"
  say "a new container on the same volume restored match $id from the snapshot"
  if [ -z "${CT_KEEP:-}" ]; then
    podman rm -f "$name" > /dev/null 2>&1
    podman volume rm "$vol" > /dev/null
  fi
}

compose_stack() {
  local proj=$dir/compose p=wbct t
  local https=${HTTPS_PORT:-18943} http=${HTTP_PORT:-18980}
  local a1=${APP1_PORT:-18901} a2=${APP2_PORT:-18902} a3=${APP3_PORT:-18903}
  local subnet=${COMPOSE_SUBNET:-10.213.78.0/24} svc
  pc() { (cd "$proj" && podman-compose -p "$p" "$@"); }
  if [ -f "$proj/compose.yaml" ]; then pc down -v > /dev/null 2>&1 || true; fi
  podman network rm -f "${p}_default" > /dev/null 2>&1 || true
  # As an operator: the compose file and nginx/ in a directory, .env from .env.example with a
  # password (and this run's ports), a certificate. The image is the one built above.
  rm -rf "$proj" && mkdir -p "$proj"
  cp compose.yaml "$proj/"
  cp -r nginx "$proj/nginx"
  cp .env.example "$proj/.env"
  sed -i 's/^RATE_LIMIT_ENABLED=.*/RATE_LIMIT_ENABLED=false/' "$proj/.env"
  {
    echo "POSTGRES_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    echo "HTTPS_PORT=$https"
    echo "HTTP_PORT=$http"
    echo "APP1_PORT=$a1"
    echo "APP2_PORT=$a2"
    echo "APP3_PORT=$a3"
  } >> "$proj/.env"
  scripts/cluster.sh certs "$proj/tls" > /dev/null
  # podman-compose 1.0.3 ignores a network's ipam: the network it would create, made first
  # with compose.yaml's subnet (as docker compose does from the file).
  podman network create --subnet "$subnet" --label io.podman.compose.project=$p "${p}_default" > /dev/null

  local ca=$proj/tls/ca.crt url=https://127.0.0.1:$https
  local instances=("http://127.0.0.1:$a1" "http://127.0.0.1:$a2" "http://127.0.0.1:$a3")
  # podman-compose 1.0.3 starts in dependency order but does not wait on `condition:
  # service_healthy`, and podman runs health checks from systemd timers (none here): run every
  # service's own check (compose.yaml's) until it passes, then wait until every instance reads
  # itself healthy (Redis and Postgres reached) and nginx answers.
  up_and_healthy() {
    local svc u
    pc up -d >> "$dir/compose-up.log" 2>&1 || { tail -n 30 "$dir/compose-up.log" >&2; die "podman-compose up failed"; }
    for svc in redis postgres app1 app2 app3 nginx; do
      for _ in $(seq 1 240); do
        podman healthcheck run "${p}_${svc}_1" > /dev/null 2>&1 && break
        sleep 0.5
      done
      podman healthcheck run "${p}_${svc}_1" > /dev/null 2>&1 \
        || { podman logs "${p}_${svc}_1" 2>&1 | tail -n 20 >&2; die "$svc never passed its health check"; }
    done
    for u in "${instances[@]}"; do
      for _ in $(seq 1 100); do
        curl -fsS --max-time 2 "$u/readyz" 2> /dev/null | grep -q '"status":"healthy"' && break
        sleep 0.2
      done
      curl -fsS --max-time 2 "$u/readyz" | grep -q '"status":"healthy"' || die "$u/readyz is not healthy"
    done
    wait_http "$url/readyz" 30 --cacert "$ca" || die "nginx does not answer on $url"
  }
  t=$(now)
  : > "$dir/compose-up.log"
  up_and_healthy
  say "stack up, every health check passing and every instance ready $(since "$t") s after podman-compose up"
  podman exec "${p}_redis_1" redis-cli CONFIG GET appendonly | tr '\n' ' ' | grep -q 'appendonly yes' \
    || die "Redis is not appending"

  "${play[@]}" stack "$url" "$ca" "$dir/stack.json" "${instances[@]}"
  say "memory: $(podman stats --no-stream --format '{{.Name}} {{.MemUsage}}' "${p}_app1_1" "${p}_app2_1" \
    "${p}_app3_1" "${p}_redis_1" "${p}_postgres_1" "${p}_nginx_1" 2> /dev/null | tr '\n' ';' | sed 's/;$//; s/;/; /g')"

  # Roll: each instance recreated in turn (drained with SIGTERM, as `docker compose up -d
  # --no-deps` does for a new image), nginx reloaded once the new one is ready, while a player
  # keeps moving. (podman-compose 1.0.3's `up --no-deps --force-recreate app1` recreates app1's
  # dependencies too — Redis and Postgres — so the old container is stopped and removed here,
  # and `up -d app1` creates it again; the dependencies are left running.)
  rm -f "$dir/roll-stop"
  local roll_started
  roll_started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  "${play[@]}" keep-moving "$url" "$ca" "$dir/roll-stop" "$dir/roll.json" > "$dir/roll.log" 2>&1 &
  mover=$!
  # shellcheck disable=SC2064 # (the path now)
  trap "touch '$dir/roll-stop'" EXIT
  sleep 3
  local before after ip='{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'
  for svc in app1 app2 app3; do
    t=$(now)
    before=$(podman inspect --format "$ip" "${p}_${svc}_1")
    podman stop -t 45 "${p}_${svc}_1" > /dev/null 2>&1
    podman rm "${p}_${svc}_1" > /dev/null 2>&1
    pc up -d "$svc" >> "$dir/compose-up.log" 2>&1
    until podman exec "${p}_${svc}_1" word-bocce healthcheck --path /readyz > /dev/null 2>&1; do
      sleep 0.2
      awk -v a="$t" -v b="$(now)" 'BEGIN { exit !(b - a > 120) }' && die "$svc did not come back"
    done
    podman exec "${p}_nginx_1" nginx -c /etc/nginx/word-bocce/compose.conf -s reload 2> /dev/null
    after=$(podman inspect --format "$ip" "${p}_${svc}_1")
    say "rolled $svc: drained, recreated ($before -> $after), ready, nginx reloaded ($(since "$t") s)"
    sleep 2
  done
  touch "$dir/roll-stop"
  wait "$mover" || { cat "$dir/roll.log" >&2; die "moves failed during the roll"; }
  rm -f "$dir/roll-stop"
  say "during the roll: $(tail -n 1 "$dir/roll.log")"
  # What nginx did meanwhile: requests it had to send on to another instance (its access log's
  # "upstream" lists every address it tried).
  podman logs --since "$roll_started" "${p}_nginx_1" 2> /dev/null | "${play[@]}" nginx-log

  # The data lives in the volumes: down (containers gone), up, everything still there.
  pc down > /dev/null 2>&1
  up_and_healthy
  "${play[@]}" check-stack "$url" "$ca" "$dir/stack.json"
  say "after down and up: the match and the profile's progress are still there (volumes $(podman volume ls -q | grep "^${p}_" | tr '\n' ' '))"
  if [ -z "${CT_KEEP:-}" ]; then
    pc down -v > /dev/null 2>&1
    podman network rm -f "${p}_default" > /dev/null 2>&1 || true
    say "stack down, volumes removed"
  fi
}

# Containers must start here. Podman's defaults ask for what some machines refuse (seen here, in a
# VM without CAP_SYS_RESOURCE and with cgroups v1 + a v2 hierarchy holding a controller): crun
# stops with "cgroups in hybrid mode not supported", and every runtime with "setrlimit
# RLIMIT_NOFILE/NPROC: Operation not permitted" (podman raises both limits above what the
# process may). Then runc and the limits this shell has, in a containers.conf of this run
# (CONTAINERS_CONF: podman, its builds and podman-compose all read it).
runtime_setup() {
  local probe=(podman run --rm --pull=never "$runtime_image" true) err nofile nproc
  [ -z "${runtime_ready:-}" ] || return 0
  podman image exists "$runtime_image" || return 0 # the bases step makes it; asked again after
  runtime_ready=1
  [ -z "${CONTAINERS_CONF:-}" ] || { say "CONTAINERS_CONF=$CONTAINERS_CONF (given)"; return 0; }
  err=$("${probe[@]}" 2>&1) && return 0
  nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
    "$nofile" "$nofile" "$nproc" "$nproc" > "$dir/containers.conf"
  export CONTAINERS_CONF=$dir/containers.conf
  "${probe[@]}" > /dev/null 2>&1 || die "containers do not start here: $err"
  say "podman's defaults fail here ($(tail -n 1 <<< "$err")): using runc, nofile=$nofile, nproc=$nproc ($CONTAINERS_CONF)"
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(bases image run compose)
started=$(now)
runtime_setup
for step in "${steps[@]}"; do
  case $step in
    bases) base_images ;;
    image) build_image ;;
    run) run_alone ;;
    compose) compose_stack ;;
    *) die "unknown step $step (bases, image, run, compose)" ;;
  esac
done
say "passed: ${steps[*]} ($(since "$started") s)"
