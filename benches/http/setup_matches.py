#!/usr/bin/env python3
"""Prepare a submit load test: create matches, join players, start the rounds, and write one
fresh, legal move per player (a fifth of them played with a JOKER) as lines of
`path<TAB>token<TAB>json body` for benches/http/submit.lua. Standard library only.

usage: setup_matches.py BASE_URL MOVES OUT_FILE
"""
import http.client
import json
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

BASE, MOVES, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
PLAYERS = 32
JOKER_WORDS = ["music", "river", "light", "money", "garden", "winter", "family", "engine"]
# The rules' limit on a JOKER word's cosine to the target (API.md: joker_word_forbidden).
JOKER_MAX_COSINE = 0.85


# One kept-alive connection per set-up thread: a connection per call cost a fifth of the
# set-up's time (the rest is the service dealing the rounds).
URL = urllib.parse.urlsplit(BASE)
local = threading.local()


def call(method, path, body=None, token=None):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPConnection(URL.hostname, URL.port or 80, timeout=30)
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, URL.path.rstrip("/") + path, data, headers)
    r = conn.getresponse()
    text = r.read()
    if r.status not in (200, 201):
        raise RuntimeError(f"{method} {path}: {r.status} {text[:300]!r}")
    return json.loads(text)


def near_copy(a, b):
    """The rules' near-copy test (src/scoring.rs): one contains the other, or the first five
    letters agree."""
    return a in b or b in a or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def joker_words(rnd):
    """JOKER words the rules allow for this round whatever public card goes with them: not the
    target nor within cosine 0.85 of it, not a near-copy of the start word or a public card."""
    near = call("POST", "/analogy", {"positive": [rnd["target_word"]], "topn": 100, "exact": True})
    too_close = {r["word"] for r in near["results"] if r["similarity"] > JOKER_MAX_COSINE}
    taken = [rnd["start_word"], rnd["target_word"]] + [c["token"] for c in rnd["public_cards"]]
    return [w for w in JOKER_WORDS if w not in too_close and not any(near_copy(w, t) for t in taken)]


def one_match(m):
    settings = {"max_players": PLAYERS, "M_private": 5, "wildcard_ratio": 0.2, "timeout_secs": 3600, "rounds": 1}
    created = call("POST", "/match", {"name": "bench", "settings": settings})
    mid, host = created["match"]["id"], created["host_token"]
    players = []
    for p in range(PLAYERS):
        j = call("POST", f"/match/{mid}/join", {"player_name": f"p{p}"})
        players.append((j["player"]["id"], j["player_token"]))
    rnd = call("POST", f"/match/{mid}/start", {}, host)
    public = [c["token"] for c in rnd["public_cards"]]
    allowed = joker_words(rnd)
    lines = []
    for i, (pid, tok) in enumerate(players):
        hand = call("GET", f"/match/{mid}/player/{pid}", None, tok)["player"]["private_cards"]
        joker = [c for c in hand if c["type"] == "JOKER"]
        words = [c["token"] for c in hand if c["type"] != "JOKER"]
        mv = {"public_token": public[i % len(public)], "public_sign": "+" if i % 2 else "-", "private_sign": "+" if i % 3 else "-"}
        if i % 5 == 0 and joker and allowed:
            mv.update(private_token="JOKER", joker_override_token=allowed[i % len(allowed)])
        else:
            mv.update(private_token=words[i % len(words)])
        lines.append(f"/match/{mid}/round/{rnd['id']}/submit\t{tok}\t{json.dumps(mv)}")
    return mid, lines


matches = (MOVES + PLAYERS - 1) // PLAYERS
with ThreadPoolExecutor(8) as pool:
    results = list(pool.map(one_match, range(matches)))
with open(OUT, "w") as f:
    for _, lines in results:
        for line in lines:
            f.write(line + "\n")
with open(OUT + ".rounds", "w") as f:
    for mid, _ in results:
        f.write(f"/match/{mid}/round/current\n")
print(f"{matches} matches, {matches * PLAYERS} moves written to {OUT}")
