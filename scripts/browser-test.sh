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

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
if [ ! -x "$CHROMIUM" ] && [ -x /usr/bin/google-chrome ] && ! grep -qi debian /etc/os-release; then
  CHROMIUM=/usr/bin/google-chrome   # GitHub's Ubuntu runners: chromium is a snap stub there
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (apt)"
  apt_install chromium fonts-dejavu-core
fi
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "installing node and npm (apt)"
  apt_install nodejs npm
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "playwright-core needs Node.js 20 or newer; this is $(node --version)" >&2
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
