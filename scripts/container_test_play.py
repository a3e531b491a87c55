#!/usr/bin/env python3
"""The HTTP side of scripts/container-test.sh (standard library only).

  container_test_play.py alone BASE STATE            a match: create, join, start, one move
                                                     (it resolves the round); STATE keeps it
  container_test_play.py check-alone BASE STATE      the match and its move are still there
  container_test_play.py stack URL CA STATE INSTANCE...
                                                     through nginx (HTTPS, CA): a match of two
                                                     players, each move seen on every instance
                                                     directly; a profile's solve, its progress
                                                     on every instance (the shared Postgres)
  container_test_play.py check-stack URL CA STATE    the match and the progress are still there
  container_test_play.py keep-moving URL CA STOP OUT play moves through nginx until the file
                                                     STOP exists; exit 1 if any request failed
  container_test_play.py nginx-log                   nginx's JSON access log on stdin: the
                                                     requests it sent on to another instance
"""

import json
import os
import ssl
import sys
import time

import wb_http

CONTEXT = None


PACE = 0.0


def call(base, method, path, body=None, token=None, ok=(200, 201)):
    if PACE:
        time.sleep(PACE)
    return wb_http.call(base, method, path, body, token, ok, context=CONTEXT)


def new_match(base, players, rounds):
    settings = {"rounds": rounds, "timeout_secs": 3600, "wildcard_ratio": 0, "max_players": 4}
    created = call(base, "POST", "/match", {"name": "container test", "settings": settings})
    mid, host = created["match"]["id"], created["host_token"]
    seats = []
    for name in players:
        j = call(base, "POST", f"/match/{mid}/join", {"player_name": name})
        seats.append({"id": j["player"]["id"], "token": j["player_token"], "name": name})
    call(base, "POST", f"/match/{mid}/start", {}, token=host)
    return mid, host, seats


def move(base, mid, seat, i):
    """Seat `seat` throws the round's i-th public card and its first card; the move and its answer."""
    rnd = call(base, "GET", f"/match/{mid}/round/current")
    public = [c["token"] for c in rnd["public_cards"]]
    view = call(base, "GET", f"/match/{mid}/player/{seat['id']}", token=seat["token"])
    private = [c["token"] for c in view["player"]["private_cards"] if c["type"] != "JOKER"]
    m = {"public_token": public[i % len(public)], "public_sign": "+",
         "private_token": private[0], "private_sign": "-" if i % 2 else "+"}
    scored = call(base, "POST", f"/match/{mid}/round/{rnd['id']}/submit", m, token=seat["token"])
    return rnd, m, scored


def show(rnd, m, scored):
    return (f"{rnd['start_word']} {m['public_sign']} {m['public_token']} {m['private_sign']} "
            f"{m['private_token']} -> {rnd['target_word']}: similarity {scored['similarity']:.3f}, "
            f"rank #{scored['rank']} ({scored['tier']}), nearest {scored['nearest']}")


def leaderboard(base, mid):
    rnd = call(base, "GET", f"/match/{mid}/round/current")
    res = rnd.get("resolution")
    if rnd["status"] != "RESOLVED" or not res:
        raise RuntimeError(f"round {rnd['id']} of {mid} is {rnd['status']} on {base}")
    return {e["player_id"]: e["similarity"] for e in res["leaderboard"]}


def alone(base, state):
    mid, host, seats = new_match(base, ["Alice"], 2)
    rnd, m, scored = move(base, mid, seats[0], 0)
    print(f"container-test: move played on {base}: {show(rnd, m, scored)}")
    board = leaderboard(base, mid)
    assert board == {seats[0]["id"]: scored["similarity"]}, board
    json.dump({"match": mid, "player": seats[0]["id"], "similarity": scored["similarity"]},
              open(state, "w"))


def check_alone(base, state):
    s = json.load(open(state))
    board = leaderboard(base, s["match"])
    if board != {s["player"]: s["similarity"]}:
        raise SystemExit(f"match {s['match']} after the restart: {board}, expected {s}")


def stack(url, state, instances):
    mid, host, seats = new_match(url, ["Alice", "Bob"], 3)
    rnd, m, first = move(url, mid, seats[0], 0)
    print(f"container-test: through nginx, Alice: {show(rnd, m, first)}")
    for base in instances:
        seen = call(base, "GET", f"/match/{mid}/round/current")
        if seen["submitted"] != [seats[0]["id"]] or seen["status"] != "OPEN":
            raise SystemExit(f"{base} shows round {seen['id']} {seen['status']}, submitted {seen['submitted']}")
    rnd, m, second = move(url, mid, seats[1], 1)
    print(f"container-test: through nginx, Bob: {show(rnd, m, second)}")
    expected = {seats[0]["id"]: first["similarity"], seats[1]["id"]: second["similarity"]}
    for base in instances:
        board = leaderboard(base, mid)
        if board != expected:
            raise SystemExit(f"{base}: leaderboard {board}, expected {expected}")
    print(f"container-test: Alice's move was on all {len(instances)} instances as soon as she made it; "
          "the resolved round (both moves, same scores) too")

    # Puzzle progress: a profile solves through nginx; every instance reads it from Postgres.
    token = call(url, "POST", "/players", {"name": "Carol"})["token"]
    puzzle = call(url, "GET", "/puzzles?difficulty=easy")
    pid = (puzzle["puzzles"] if isinstance(puzzle, dict) else puzzle)[0]["id"]
    p = call(url, "GET", f"/puzzle/{pid}")
    cards = [c["token"] if isinstance(c, dict) else c for c in p["allowed_cards"]]
    solved = call(url, "POST", f"/puzzle/{pid}/solve",
                  {"public_token": cards[0], "public_sign": 1, "private_token": cards[1], "private_sign": -1},
                  token=token)
    mine = [call(base, "GET", "/players/me", token=token) for base in instances]
    attempts = {base: me["attempts"] for base, me in zip(instances, mine)}
    if set(attempts.values()) != {1}:
        raise SystemExit(f"/players/me attempts per instance: {attempts}")
    print(f"container-test: Carol's solve of {pid} ({solved['stars']} stars) is in /players/me on every instance")
    json.dump({"match": mid, "expected": expected, "token": token,
               "me": {k: mine[0][k] for k in ("attempts", "total_stars")}}, open(state, "w"))


def check_stack(url, state):
    s = json.load(open(state))
    board = leaderboard(url, s["match"])
    if board != s["expected"]:
        raise SystemExit(f"match {s['match']}: {board}, expected {s['expected']}")
    me = call(url, "GET", "/players/me", token=s["token"])
    if {k: me[k] for k in s["me"]} != s["me"]:
        raise SystemExit(f"/players/me: {me}, expected {s['me']}")


def keep_moving(url, stop, out):
    """One player plays round after round (a move resolves it; the host deals the next) until
    STOP exists. Every request must succeed: no retries here. Paced under nginx's edge limit
    for one address (20 requests a second)."""
    global PACE
    PACE = 0.06
    counts = {"moves": 0, "other requests": 0, "failed": 0, "matches": 0}
    failures = []
    t0 = time.monotonic()
    while not os.path.exists(stop):
        try:
            mid, host, seats = new_match(url, ["Dora"], 50)
            counts["matches"] += 1
            counts["other requests"] += 3
            for n in range(50):
                if os.path.exists(stop):
                    break
                move(url, mid, seats[0], n)
                counts["moves"] += 1
                counts["other requests"] += 2
                if n + 1 < 50:
                    call(url, "POST", f"/match/{mid}/round/next", {}, token=host)
                    counts["other requests"] += 1
        except Exception as e:  # noqa: BLE001 — every failure is counted and shown
            counts["failed"] += 1
            failures.append(f"{time.monotonic() - t0:.1f} s: {e}")
            time.sleep(0.2)
    json.dump({"counts": counts, "failures": failures}, open(out, "w"), indent=1)
    for f in failures:
        print("failed:", f)
    print(f"{counts['moves']} moves in {counts['matches']} matches and {counts['other requests']} other "
          f"requests through nginx in {time.monotonic() - t0:.0f} s, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


def nginx_log(lines):
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    moved = [e for e in entries if "," in e["upstream"]]
    print(f"container-test: nginx meanwhile: {len(entries)} requests, {len(moved)} of them sent on "
          "to another instance")
    for e in moved[:5]:
        print(f"container-test:   {e['method']} {e['uri']}: tried {e['upstream']} "
              f"({e['upstream_status']}) -> {e['status']}")


def main(argv):
    global CONTEXT
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "alone":
        alone(argv[2], argv[3])
    elif cmd == "check-alone":
        check_alone(argv[2], argv[3])
    elif cmd == "nginx-log":
        nginx_log(sys.stdin)
    elif cmd in ("stack", "check-stack", "keep-moving"):
        CONTEXT = ssl.create_default_context(cafile=argv[3])
        if cmd == "stack":
            stack(argv[2], argv[4], argv[5:])
        elif cmd == "check-stack":
            check_stack(argv[2], argv[4])
        else:
            return keep_moving(argv[2], argv[4], argv[5])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
