#!/usr/bin/env bash
# The page in a real browser: Debian's headless Chromium driven by playwright-core (npm; no
# browser download) against the release binary. Installs what it needs when missing:
# the `chromium` package (apt) and tests/browser/node_modules (npm ci from the lockfile).
# Screenshots and figures: $CARGO_TARGET_DIR/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "node and npm are needed for the browser tests (apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund)
fi
if [ ! -x "$CARGO_TARGET_DIR/release/word-bocce" ]; then
  cargo build --release --bin word-bocce
fi
# (A relative CARGO_TARGET_DIR is resolved from the repository root by the test.)
cd tests/browser && npm test
