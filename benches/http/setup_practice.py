#!/usr/bin/env python3
"""Prepare a practice-throw load test: COURTS practice courts (POST /practice, seeded "bench N",
the three difficulties in turn) and every throw each allows (public card × private card × the
four signs), shuffled, as lines of `path<TAB>-<TAB>json body` for benches/http/solve.lua.
Standard library only.

usage: setup_practice.py BASE_URL COURTS OUT_FILE
"""
import json
import random
import sys
import urllib.request

BASE, COURTS, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("content-type", "application/json")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data, timeout=30) as r:
        return json.loads(r.read())


lines = []
for i in range(COURTS):
    court = call("POST", "/practice", {"difficulty": ["easy", "medium", "hard"][i % 3], "seed": f"bench {i}"})
    path = f"/practice/{court['court_id']}/throw"
    for p in court["public_cards"]:
        for q in court["private_cards"]:
            for sp, sq in (("+", "+"), ("+", "-"), ("-", "+"), ("-", "-")):
                body = {"public_token": p, "public_sign": sp, "private_token": q, "private_sign": sq}
                lines.append(f"{path}\t-\t{json.dumps(body)}")
random.Random(7).shuffle(lines)
with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
