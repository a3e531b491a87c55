#!/usr/bin/env python3
"""Play every line of a solves file (from setup_puzzles.py) once, 16 at a time, anonymously:
the first pass that fills the service's score memo. Prints the count and the rate.

usage: warm_puzzles.py BASE_URL SOLVES_FILE
"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, FILE = sys.argv[1], sys.argv[2]


def play(line):
    path, _token, body = line.split("\t", 2)
    req = urllib.request.Request(BASE + path, data=body.encode(), method="POST")
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        json.loads(r.read())


lines = [l for l in open(FILE).read().splitlines() if l]
t = time.time()
with ThreadPoolExecutor(16) as pool:
    list(pool.map(play, lines))
secs = time.time() - t
print(f"first pass: {len(lines)} moves scored in {secs:.1f} s ({len(lines) / secs:.0f}/s)")
