#!/usr/bin/env bash
# Our graph (hnsw_rs builds it, we freeze and search it) beside hnswlib's, on this machine, on the
# same model, the same move queries and the same parameters: cold build time on the same threads,
# then recall@10 against the exact top 10 and queries/s on one thread at each ef.
#
#   scripts/compare-hnswlib.sh                       # the committed 100k model
#   MODEL_PATH=models/glove-6B-50d-400k.wbm scripts/compare-hnswlib.sh   # after build-model.sh --full
#
# Settings: INDEX_M (16), INDEX_EF_CONSTRUCTION (100), EF (64,128,192,256), QUERIES (2000).
# hnswlib (0.8.0, from PyPI, built from source with the machine's C++ compiler) goes into a
# private virtualenv under ${WORK_DIR:-target/compare-hnswlib}; nothing of it is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${MODEL_PATH:-models/glove-6B-50d-100k.wbm}
m=${INDEX_M:-16}
efc=${INDEX_EF_CONSTRUCTION:-100}
ef=${EF:-64,128,192,256}
queries=${QUERIES:-2000}
work=${WORK_DIR:-target/compare-hnswlib}
mkdir -p "$work"

if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet 'numpy==2.2.6' 'hnswlib==0.8.0'
fi

cargo build --release --quiet --bin word-bocce
bin=${CARGO_TARGET_DIR:-target}/release/word-bocce

# An empty cache directory: ours builds its graph cold, as hnswlib does.
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
echo "== ours (hnsw_rs build + frozen graph), $(nproc) threads to build, one to search"
MODEL_PATH=$model INDEX_CACHE_DIR=$cache INDEX_M=$m INDEX_EF_CONSTRUCTION=$efc \
  "$bin" eval-index --queries "$queries" --ef "$ef" --dump "$work/dump" 2>/dev/null
echo
echo "== hnswlib, the same queries"
"$work/venv/bin/python" scripts/compare_hnswlib.py "$model" "$work/dump" \
  --m "$m" --ef-construction "$efc" --ef "$ef" --threads "$(nproc)"
