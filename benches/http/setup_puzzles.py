#!/usr/bin/env python3
"""Prepare a puzzle-solve load test: every legal move of every puzzle without a wildcard (each
unordered pair of allowed cards, the four sign combinations) as lines of
`path<TAB>token<TAB>json body` for benches/http/solve.lua. With PLAYERS > 0, that many
profiles are created (POST /players) and the moves dealt to them in turn; their tokens are also
written to OUT_FILE.tokens (for verify_puzzles.py). Standard library only.

usage: setup_puzzles.py BASE_URL PLAYERS OUT_FILE
"""
import itertools
import json
import sys
import urllib.request

BASE, PLAYERS, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data, timeout=30) as r:
        return json.loads(r.read())


tokens = [call("POST", "/players", {"name": f"bench {i}"})["token"] for i in range(PLAYERS)]
lines = []
for summary in call("GET", "/puzzles"):
    p = call("GET", f"/puzzle/{summary['id']}")
    if p["has_wildcard"]:
        continue
    for a, b in itertools.combinations(p["allowed_cards"], 2):
        for sa, sb in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            body = {"public_token": a, "public_sign": sa, "private_token": b, "private_sign": sb}
            token = tokens[len(lines) % PLAYERS] if PLAYERS else "-"
            lines.append(f"/puzzle/{p['id']}/solve\t{token}\t{json.dumps(body)}")
with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
if PLAYERS:
    with open(OUT + ".tokens", "w") as f:
        f.write("\n".join(tokens) + "\n")
print(f"{len(lines)} moves written to {OUT}" + (f" for {PLAYERS} profiles" if PLAYERS else ""))
