"""hnswlib on the queries `word-bocce eval-index --dump DIR` wrote: build time, recall@10, queries/s.

Reads the model file itself (the vectors our graph was built from) and the dump (the same move
queries, their own words to leave out, their exact top 10), builds an hnswlib index with the same
M, ef_construction and threads, and answers every query on one thread at each ef.

    python3 scripts/compare_hnswlib.py MODEL DUMP_DIR --m 16 --ef-construction 100 --ef 64,128
"""

import argparse
import struct
import time

import hnswlib
import numpy as np


def load_model(path):
    """The vectors of a Word Bocce model file (header: dim at 16, count at 24, offset at 48)."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:8] != b"WBOCCEMD":
        raise SystemExit(f"{path}: not a Word Bocce model file")
    dim = struct.unpack_from("<I", head, 16)[0]
    count = struct.unpack_from("<Q", head, 24)[0]
    offset = struct.unpack_from("<Q", head, 48)[0]
    vectors = np.fromfile(path, dtype="<f4", count=count * dim, offset=offset)
    return vectors.reshape(count, dim)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("dump")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=100)
    p.add_argument("--ef", default="64,128,192,256")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    vectors = load_model(args.model)
    n, dim = vectors.shape
    queries = np.fromfile(f"{args.dump}/queries.f32", dtype="<f4").reshape(-1, dim)
    words = np.fromfile(f"{args.dump}/words.u32", dtype="<u4").reshape(-1, 3)
    truth = np.fromfile(f"{args.dump}/truth.u32", dtype="<u4").reshape(-1, 10)
    if not len(queries) == len(words) == len(truth):
        raise SystemExit("the dump's files disagree on the number of queries")

    index = hnswlib.Index(space="ip", dim=dim)
    index.init_index(max_elements=n, ef_construction=args.ef_construction, M=args.m, random_seed=42)
    index.set_num_threads(args.threads)
    t = time.perf_counter()
    index.add_items(vectors, np.arange(n))
    build = time.perf_counter() - t
    print(f"hnswlib M {args.m}, ef_construction {args.ef_construction}, "
          f"{args.threads} threads: built {n} words in {build:.1f} s")

    index.set_num_threads(1)
    print(f"{'ef':>6} {'recall@10':>11} {'queries/s':>11}")
    for ef in (int(e) for e in args.ef.split(",")):
        index.set_ef(max(ef, 13))
        t = time.perf_counter()
        # Three more than 10, so that leaving out the move's own words still leaves 10.
        labels, _ = index.knn_query(queries, k=13)
        qps = len(queries) / (time.perf_counter() - t)
        hit = 0
        for got, own, want in zip(labels, words, truth):
            top = [g for g in got if g not in own][:10]
            hit += len(set(top) & set(want.tolist()))
        print(f"{ef:>6} {hit / truth.size:>11.4f} {qps:>11.0f}")


if __name__ == "__main__":
    main()
