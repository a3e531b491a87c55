#!/usr/bin/env python3
"""After a token-solve load test: add up the attempts every bench profile has stored
(GET /players/me) and print the total.

usage: verify_puzzles.py BASE_URL TOKENS_FILE
"""
import json
import sys
import urllib.request

BASE, TOKENS = sys.argv[1], sys.argv[2]
total = 0
for token in open(TOKENS).read().split():
    req = urllib.request.Request(BASE + "/players/me")
    req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        total += json.loads(r.read())["attempts"]
print(total)
