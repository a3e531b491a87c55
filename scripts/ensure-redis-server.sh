#!/usr/bin/env bash
# The Redis tests start private `redis-server` processes (to stop, kill and restart them without
# touching the shared Redis): install the binary when it is missing. Its service is not started
# (a policy-rc.d forbids it during the install), so nothing else binds port 6379.
set -euo pipefail
command -v redis-server > /dev/null && exit 0
if ! command -v apt-get > /dev/null; then
  echo "redis-server is missing: install it (e.g. your package manager's redis-server)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" > /dev/null
  $sudo chmod +x "$policy"
  created=1
fi
trap '[ "$created" = 1 ] && $sudo rm -f "$policy"' EXIT
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server > /dev/null
command -v redis-server
