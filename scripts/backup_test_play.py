#!/usr/bin/env python3
"""The HTTP side of scripts/backup-test.sh (standard library only).

  backup_test_play.py play BASE STATE          play matches and solve puzzles; STATE keeps
                                               the ids and tokens
  backup_test_play.py observe BASE STATE OUT   what the service shows of them, as JSON
  backup_test_play.py compare BEFORE AFTER     exit 1 (and say where) if they differ
"""

import json
import sys

import wb_http


def call(base, method, path, body=None, token=None, ok=(200, 201)):
    try:
        return wb_http.call(base, method, path, body, token, ok)
    except RuntimeError as e:
        raise SystemExit(str(e)) from None


def play_match(base, name, players, rounds, finish_rounds, last_round_movers):
    """A match with `players`, playing `finish_rounds` rounds to the end and then having
    `last_round_movers` of them move in the next one (None: stay in the lobby)."""
    settings = {"rounds": rounds, "timeout_secs": 3600, "wildcard_ratio": 0, "max_players": 4}
    created = call(base, "POST", "/match", {"name": name, "settings": settings})
    mid, host = created["match"]["id"], created["host_token"]
    seats = []
    for p in players:
        j = call(base, "POST", f"/match/{mid}/join", {"player_name": p})
        seats.append({"id": j["player"]["id"], "token": j["player_token"]})
    if last_round_movers is not None:
        call(base, "POST", f"/match/{mid}/start", {}, token=host)

        def move_all(movers):
            rnd = call(base, "GET", f"/match/{mid}/round/current")
            public = [c["token"] for c in rnd["public_cards"]]
            for i, s in enumerate(movers):
                view = call(base, "GET", f"/match/{mid}/player/{s['id']}", token=s["token"])
                private = [c["token"] for c in view["player"]["private_cards"] if c["type"] != "JOKER"]
                move = {"public_token": public[i % len(public)], "public_sign": "+",
                        "private_token": private[0], "private_sign": "-" if i % 2 else "+"}
                call(base, "POST", f"/match/{mid}/round/{rnd['id']}/submit", move, token=s["token"])
            return rnd

        for n in range(finish_rounds):
            rnd = move_all(seats)
            call(base, "POST", f"/match/{mid}/round/{rnd['id']}/resolve", {}, token=host)
            if n + 1 < rounds:
                call(base, "POST", f"/match/{mid}/round/next", {}, token=host)
        if finish_rounds < rounds:
            move_all(seats[:last_round_movers])
    return {"id": mid, "host": host, "players": seats}


def play(base, state_path):
    matches = [
        play_match(base, "Finished", ["Alice", "Bob"], 1, 1, 0),
        play_match(base, "Two rounds in", ["Carol", "Dan", "Eve"], 3, 1, 1),
        play_match(base, "In the lobby", ["Frank"], 3, 0, None),
    ]
    puzzles = call(base, "GET", "/puzzles")
    profiles = []
    for who, n_puzzles, give_up in (("Grace", 3, None), ("Heidi", 2, 2), ("Ivan", 1, 0)):
        p = call(base, "POST", "/players", {"name": who})
        profiles.append({"id": p["player_id"], "token": p["token"]})
        for k, summary in enumerate(puzzles[:n_puzzles + (1 if give_up is not None else 0)]):
            pid = summary["id"]
            if give_up == k:
                call(base, "POST", f"/puzzle/{pid}/give-up", {}, token=p["token"])
                continue
            cards = call(base, "GET", f"/puzzle/{pid}")["allowed_cards"]
            # one attempt that most likely fails first, so attempts differ from passes
            call(base, "POST", f"/puzzle/{pid}/solve",
                 {"public_token": cards[-1], "public_sign": -1, "private_token": cards[-2],
                  "private_sign": -1}, token=p["token"])
            passed = False
            for a in cards:
                for b in cards:
                    if a == b:
                        continue
                    for sa, sb in ((1, 1), (1, -1), (-1, 1)):
                        r = call(base, "POST", f"/puzzle/{pid}/solve",
                                 {"public_token": a, "public_sign": sa, "private_token": b,
                                  "private_sign": sb}, token=p["token"])
                        if r["passed"]:
                            passed = True
                            break
                    if passed:
                        break
                if passed:
                    break
    state = {"matches": matches, "profiles": profiles,
             "puzzles": [p["id"] for p in puzzles[:4]]}
    with open(state_path, "w") as f:
        json.dump(state, f, indent=1)


def observe(base, state_path, out):
    with open(state_path) as f:
        state = json.load(f)
    seen = {"matches": {}, "profiles": {}, "leaderboards": {}}
    for m in state["matches"]:
        mid = m["id"]
        entry = {"match": call(base, "GET", f"/match/{mid}")}
        if entry["match"]["status"] != "LOBBY":
            entry["round"] = call(base, "GET", f"/match/{mid}/round/current")
        entry["players"] = [call(base, "GET", f"/match/{mid}/player/{s['id']}", token=s["token"])
                            for s in m["players"]]
        seen["matches"][mid] = entry
    for p in state["profiles"]:
        seen["profiles"][p["id"]] = call(base, "GET", "/players/me", token=p["token"])
    for pid in state["puzzles"]:
        seen["leaderboards"][pid] = call(base, "GET", f"/puzzle/{pid}/leaderboard?limit=100")
    with open(out, "w") as f:
        json.dump(seen, f, indent=1, sort_keys=True)
    attempts = sum(p["attempts"] for p in seen["profiles"].values())
    stars = sum(p["total_stars"] for p in seen["profiles"].values())
    statuses = ",".join(e["match"]["status"] for e in seen["matches"].values())
    print(f"{len(seen['matches'])} matches ({statuses}), "
          f"{sum(len(e['players']) for e in seen['matches'].values())} match players, "
          f"{len(seen['profiles'])} profiles, {attempts} attempts, {stars} stars, "
          f"{sum(len(b) for b in seen['leaderboards'].values())} leaderboard lines")


def diff(a, b, path="$"):
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only {'before' if k in a else 'after'}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items before, {len(b)} after"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} before, {b!r} after"]


def compare(before, after):
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    d = diff(a, b)
    for line in d[:50]:
        print("  differs: " + line)
    return 1 if d else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "play":
        play(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "observe":
        observe(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
