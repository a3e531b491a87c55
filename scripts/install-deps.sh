#!/usr/bin/env bash
# Install what the cluster scripts, the through-nginx tests and the load test need, when it is
# missing: nginx and openssl (Debian packages) and, with --load, locust in a virtualenv pinned by
# scripts/requirements-load.txt. Idempotent and quick when everything is there.
#   scripts/install-deps.sh           # nginx + openssl
#   scripts/install-deps.sh --load    # also locust, in $LOAD_VENV (default $CARGO_TARGET_DIR/load-venv)
# Prints nothing when there is nothing to do. Needs root (or sudo) only when it installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl > /dev/null 2>&1 || missing+=(openssl)
if [ "${1:-}" = --load ]; then
  python3 -c 'import venv, ensurepip' > /dev/null 2>&1 || missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  # Only our own nginx runs (scripts/cluster.sh, as a non-system instance); the package's
  # service is not needed, and where policy-rc.d forbids starting services it stays down.
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  # Newer releases have no nginx-light: their plain nginx package is the small one.
  apt-cache show nginx-light > /dev/null 2>&1 || missing=("${missing[@]/nginx-light/nginx}")
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

if [ "${1:-}" = --load ]; then
  venv=${LOAD_VENV:-$CARGO_TARGET_DIR/load-venv}
  req=scripts/requirements-load.txt
  # The venv records the requirements it was built from: a changed pin reinstalls.
  if ! cmp -s "$req" "$venv/requirements-load.txt" 2> /dev/null; then
    echo "install-deps: locust into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/requirements-load.txt"
  fi
fi
