# Word Bocce — the service's image: `word-bocce serve` on 0.0.0.0:8000 as a non-root user, with
# the committed model, the puzzle catalogue and the model's frozen HNSW graph inside (built here,
# so a container starts warm). How to run it, alone or as the compose stack:
# docs/operations.md "Containers". Tested by scripts/container-test.sh.
#
#   docker build -t word-bocce --build-arg VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1) .
#   docker run --rm -p 8000:8000 word-bocce
#
# Build arguments: VERSION, REVISION, SOURCE (the OCI labels), BUILD_JOBS (cargo's --jobs; unset:
# every core), and the two base images below.

# The builder's Rust must be the toolchain rust-toolchain.toml pins (scripts/container-test.sh
# checks the two agree). rust-toolchain.toml itself is not copied in: the image's toolchain is
# the pinned one, and the file's extra components (rustfmt, clippy) would be downloaded for nothing.
ARG RUST_IMAGE=docker.io/library/rust:1.95.0-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
ARG BUILD_JOBS
WORKDIR /build

# 1. The dependencies, in a layer of their own: it is rebuilt only when Cargo.toml or Cargo.lock
#    change, not when the crate's code does. The crate's targets are empty stand-ins here (cargo
#    reads every target the manifest declares, the benches too).
COPY Cargo.toml Cargo.lock ./
RUN set -eu; \
    mkdir -p src benches; \
    echo 'fn main() {}' > src/main.rs; \
    : > src/lib.rs; \
    for bench in $(sed -n '/^\[\[bench\]\]/,/^name/s/^name = "\(.*\)"$/\1/p' Cargo.toml); do \
        echo 'fn main() {}' > "benches/$bench.rs"; \
    done; \
    cargo build --release --locked --bin word-bocce ${BUILD_JOBS:+--jobs "$BUILD_JOBS"}; \
    rm -rf src benches target/release/word-bocce* target/release/deps/word_bocce-* \
        target/release/deps/libword_bocce-* target/release/.fingerprint/word-bocce-*

# 2. The crate: what it compiles in (the page, the migrations, .env.example's list of settings).
#    Its debug line tables (the release profile keeps them: file and line in panics and Sentry
#    reports) are compressed, not stripped: 218 MB of binary become 68 MB, and backtraces still
#    read them.
COPY .env.example ./
COPY migrations migrations
COPY web web
COPY benches benches
COPY src src
RUN set -eu; \
    touch src/main.rs src/lib.rs; \
    cargo build --release --locked --bin word-bocce ${BUILD_JOBS:+--jobs "$BUILD_JOBS"}; \
    objcopy --compress-debug-sections=zlib target/release/word-bocce /usr/local/bin/word-bocce; \
    chmod 0755 /usr/local/bin/word-bocce

FROM ${RUNTIME_IMAGE} AS runtime

# The service's user (fixed ids, for volume ownership and runAsNonRoot), and its CA certificates
# (only Sentry's HTTPS reports need them) from the builder rather than from apt.
RUN groupadd --system --gid 10001 word-bocce \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin word-bocce
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt

WORKDIR /app
# Read-only for the service (owned by root): the model, the catalogue, the licenses.
COPY LICENSE ./
COPY models models
COPY puzzles puzzles
COPY --from=builder /usr/local/bin/word-bocce /usr/local/bin/word-bocce

# Settings (docs/operations.md "Configuration"; anything else from the environment or a
# CONFIG_FILE). /app/data holds the embedded stores (the SQLite progress file, the memory
# store's snapshot) when REDIS_URL and DATABASE_URL are not set: mount a volume there.
ENV BIND=0.0.0.0 \
    PORT=8000 \
    MODEL_PATH=/app/models/glove-6B-50d-100k.wbm \
    INDEX_CACHE_DIR=/app/models/cache \
    PUZZLES_DIR=/app/puzzles \
    SQLITE_PATH=/app/data/progress.db \
    SNAPSHOT_PATH=/app/data/matches.json

# check-puzzles validates the catalogue against the model, and on the way builds the model's
# HNSW graph and freezes it into INDEX_CACHE_DIR: every container maps it at start (a fraction
# of a second) instead of building it (about 30 s). Other INDEX_M / INDEX_EF_CONSTRUCTION
# values need a graph of their own: point INDEX_CACHE_DIR at a writable volume for those.
RUN word-bocce check-puzzles \
    && install -d -o word-bocce -g word-bocce -m 0750 /app/data

USER 10001:10001
EXPOSE 8000
# Liveness, not readiness (docs/operations.md "Containers"): /healthz answers once the model and
# index are loaded and the listener is bound. Exit 0/1; no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["word-bocce", "healthcheck"]
# SIGTERM drains: readiness 503, the listener closes, in-flight requests finish (within
# SHUTDOWN_TIMEOUT_SECS, 30 s): give `docker stop` more than that (compose.yaml: 45 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["word-bocce"]
CMD ["serve"]

# Last, so that a new revision of the same code rebuilds nothing above.
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="word-bocce" \
      org.opencontainers.image.description="Word Bocce: a multiplayer game played in word-vector space" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT AND PDDL-1.0"
