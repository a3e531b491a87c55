"""Load test of Word Bocce (API.md): match players, puzzle solvers, solo players (practice
courts and a match against computer opponents) and spectators.

Headless against the loopback cluster (scripts/load-test.sh does all of this, and samples the
instances' memory):

    scripts/cluster.sh start    # with RATE_LIMIT_ENABLED=false EDGE_LIMITS=off
    locust -f locustfile.py --headless --host https://127.0.0.1:18443 \
        -u 60 -r 10 -t 5m --csv target/load/run --only-summary

Every URL is reported under its template (`/match/[id]/round/[round]/submit`), never an id.
A domain 4xx the scenario provokes on purpose (a second, different move: 409
`already_submitted`; `next` after the last round: 409 `match_finished`; a card that is not
public: 422 `not_a_public_card`; a joker word too close to the target: 422
`joker_word_forbidden`; an unwanted puzzle card: 422 `not_an_allowed_card`) counts as a success
only when the status *and* the problem's `code` are the expected ones; anything else, 4xx or
5xx, is a failure with the code in its message.
"""

import json
import random
import time
from collections import deque

import gevent
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import insecure_ssl_context_factory

# Matches being played, for spectators to watch (one process: shared by its users).
LIVE_MATCHES = deque(maxlen=200)
# Events received by spectators, and streams followed (printed in the summary).
EVENTS_SEEN = [0, 0]
JOKER_WORDS = ["music", "river", "light", "money", "garden", "winter", "family", "engine", "market", "story"]
PLAYERS_PER_MATCH = 4
ROUNDS_PER_MATCH = 2


ADJECTIVES = ["Blue", "Quiet", "Brave", "Sunny", "Clever", "Gentle", "Swift", "Lucky", "Calm", "Bright"]
ANIMALS = ["Otter", "Heron", "Badger", "Lynx", "Robin", "Panda", "Falcon", "Beaver", "Koala", "Walrus"]


def solver_name():
    """A profile name from vetted words (random digits can spell something the filter refuses)."""
    return f"{random.choice(ADJECTIVES)} {random.choice(ANIMALS)}"


def think():
    """A moment between one player's action and the next (people do not click in bursts)."""
    gevent.sleep(random.uniform(0.05, 0.25))


def problem_code(resp):
    try:
        return json.loads(resp.content or b"{}").get("code")
    except ValueError:
        return None


class Api:
    """Calls with the template name, and the statuses (and problem codes) that count as success."""

    def __init__(self, user):
        self.client = user.client

    def call(self, method, url, name, token=None, body=None, ok=(200,), expect=(), headers=None):
        """`ok`: success statuses; `expect`: (status, code) pairs provoked on purpose."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        kwargs = {"name": name, "headers": h, "catch_response": True}
        if body is not None:
            kwargs["json"] = body
        with self.client.request(method, url, **kwargs) as r:
            if r.status_code in ok:
                r.success()
                data = None
                if r.status_code != 304 and r.content:
                    try:
                        data = json.loads(r.content)
                    except ValueError:
                        r.failure("the answer is not JSON")
                return r.status_code, data
            code = problem_code(r)
            if (r.status_code, code) in expect:
                r.success()
            else:
                r.failure(f"{r.status_code} {code or (r.content or b'')[:120]!r}")
            return r.status_code, code


class MatchPlayers(FastHttpUser):
    """A table: the host creates a match, four players join, and they play it out — every
    player reads their cards and moves, the host resolves and deals the next round."""

    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.api = Api(self)

    @task
    def play_a_match(self):
        api = self.api
        settings = {"max_players": PLAYERS_PER_MATCH, "rounds": ROUNDS_PER_MATCH, "M_private": 3,
                    "N_public": 8, "wildcard_ratio": 0.34, "timeout_secs": 300}
        st, created = api.call("POST", "/match", "/match", body={"name": "load table", "settings": settings}, ok=(201,))
        if st != 201:
            return
        mid, host = created["match"]["id"], created["host_token"]
        players = []
        for i in range(PLAYERS_PER_MATCH):
            st, j = api.call("POST", f"/match/{mid}/join", "/match/[id]/join", body={"player_name": f"player {i}"}, ok=(201,))
            if st != 201:
                return
            players.append((j["player"]["id"], j["player_token"]))
            think()
        api.call("GET", f"/match/{mid}", "/match/[id]")
        st, rnd = api.call("POST", f"/match/{mid}/start", "/match/[id]/start", token=host)
        if st != 200:
            return
        LIVE_MATCHES.append(mid)
        for number in range(ROUNDS_PER_MATCH):
            self.play_round(mid, host, rnd, players)
            if number + 1 < ROUNDS_PER_MATCH:
                st, rnd = api.call("POST", f"/match/{mid}/round/next", "/match/[id]/round/next", token=host)
                if st != 200:
                    return
        # One more `next` than there are rounds: the intended 409.
        api.call("POST", f"/match/{mid}/round/next", "/match/[id]/round/next", token=host,
                 ok=(), expect=((409, "match_finished"),))
        api.call("GET", f"/match/{mid}", "/match/[id]")

    def play_round(self, mid, host, rnd, players):
        api = self.api
        rid = rnd["id"]
        public = [c["token"] for c in rnd["public_cards"]]
        submit = f"/match/{mid}/round/{rid}/submit"
        name = "/match/[id]/round/[round]/submit"
        for i, (pid, tok) in enumerate(players):
            think()
            st, me = api.call("GET", f"/match/{mid}/player/{pid}", "/match/[id]/player/[player]", token=tok)
            if st != 200:
                continue
            hand = me["player"]["private_cards"]
            card = random.choice(hand)
            mv = {"public_token": random.choice(public), "public_sign": random.choice("+-"),
                  "private_token": card["token"], "private_sign": random.choice("+-")}
            if card["type"] == "JOKER":
                mv["joker_override_token"] = random.choice(JOKER_WORDS)
            if i == 0:
                # A card that is not public: the intended 422.
                bad = dict(mv, public_token=card["token"] if card["type"] != "JOKER" else "zzzz")
                api.call("POST", submit, name, token=tok, body=bad, ok=(),
                         expect=((422, "not_a_public_card"), (422, "word_not_in_vocabulary")))
            st, _ = api.call("POST", submit, name, token=tok, body=mv,
                             expect=((422, "joker_word_forbidden"), (409, "round_closed")))
            if st == 422:
                # That joker word sits too close to the target: play a plain card instead.
                plain = [c for c in hand if c["type"] != "JOKER"]
                if plain:
                    mv = dict(mv, private_token=plain[0]["token"])
                    mv.pop("joker_override_token", None)
                    st, _ = api.call("POST", submit, name, token=tok, body=mv)
            if i == 1 and st == 200:
                # The same move again returns the stored result; another move is the intended 409.
                api.call("POST", submit, name, token=tok, body=mv)
                other = dict(mv, public_sign="-" if mv["public_sign"] == "+" else "+")
                api.call("POST", submit, name, token=tok, body=other, ok=(), expect=((409, "already_submitted"),))
        api.call("GET", f"/match/{mid}/round/current", "/match/[id]/round/current")
        # Everyone moved, so the round has resolved by itself; the host's resolve returns it.
        api.call("POST", f"/match/{mid}/round/{rid}/resolve", "/match/[id]/round/[round]/resolve", token=host)


class PuzzleSolvers(FastHttpUser):
    """A solver with a profile: browses the catalogue, solves puzzles, checks their progress."""

    weight = 3
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.api = Api(self)
        self.token = None
        self.puzzles = []
        st, me = self.api.call("POST", "/players", "/players", body={"name": solver_name()}, ok=(201,))
        if st == 201:
            self.token = me["token"]

    def puzzle_ids(self):
        if not self.puzzles:
            st, listed = self.api.call("GET", f"/puzzles?difficulty={random.choice(['easy', 'medium', 'hard'])}", "/puzzles?difficulty=[d]")
            if st == 200:
                self.puzzles = [p["id"] for p in listed]
        return self.puzzles

    @task(5)
    def solve(self):
        ids = self.puzzle_ids()
        if not ids:
            return
        pid = random.choice(ids)
        st, puzzle = self.api.call("GET", f"/puzzle/{pid}", "/puzzle/[id]")
        if st != 200:
            return
        cards = [c if isinstance(c, str) else c.get("token") or c.get("word") for c in puzzle["allowed_cards"]]
        cards = [c for c in cards if c and c != "WILDCARD"]
        if len(cards) < 2:
            return
        a, b = random.sample(cards, 2)
        body = {"public_token": a, "public_sign": random.choice([1, -1]), "private_token": b, "private_sign": random.choice([1, -1])}
        self.api.call("POST", f"/puzzle/{pid}/solve", "/puzzle/[id]/solve", token=self.token, body=body)
        if random.random() < 0.1:
            # A card the puzzle does not allow: the intended 422.
            bad = dict(body, private_token="xylophone" if "xylophone" not in cards else "zebra")
            self.api.call("POST", f"/puzzle/{pid}/solve", "/puzzle/[id]/solve", token=self.token, body=bad,
                          ok=(), expect=((422, "not_an_allowed_card"),))

    @task(1)
    def progress(self):
        if self.token:
            self.api.call("GET", "/players/me", "/players/me", token=self.token)

    @task(1)
    def daily_and_leaderboard(self):
        st, daily = self.api.call("GET", "/puzzles/daily", "/puzzles/daily")
        if st == 200:
            self.api.call("GET", f"/puzzle/{daily['id']}/leaderboard?limit=10", "/puzzle/[id]/leaderboard")


class SoloPlayers(FastHttpUser):
    """A player alone: court after court of practice (a few throws each, par shown after every
    one), now and then a free throw of their own words, and a match against three bots."""

    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.api = Api(self)

    @task(4)
    def practise(self):
        api = self.api
        body = {"difficulty": random.choice(["easy", "medium", "hard"])}
        if random.random() < 0.3:
            # A shared seed ("today's court"): the same court for everyone who names it.
            body["seed"] = f"court {random.randint(1, 20)}"
        st, court = api.call("POST", "/practice", "/practice", body=body, ok=(201,))
        if st != 201:
            return
        path = f"/practice/{court['court_id']}/throw"
        for _ in range(random.randint(2, 5)):
            mv = {"public_token": random.choice(court["public_cards"]), "public_sign": random.choice(["+", "-"]),
                  "private_token": random.choice(court["private_cards"]), "private_sign": random.choice(["+", "-"])}
            st, scored = api.call("POST", path, "/practice/[court]/throw", body=mv, ok=(200,),
                                  expect=((422, "invalid_move"),))
            if st == 200 and not (0 <= scored["of_par"] and "tier" in scored and "par" in scored):
                return
            think()
        if random.random() < 0.2:
            # A card that is not the court's: the intended 422.
            bad = {"public_token": court["private_cards"][0], "public_sign": "+",
                   "private_token": court["private_cards"][0], "private_sign": "+"}
            api.call("POST", path, "/practice/[court]/throw", body=bad, ok=(), expect=((422, "not_a_public_card"),))
        if random.random() < 0.3:
            words = [{"word": w, "sign": random.choice([1, -1])} for w in random.sample(court["public_cards"], 2)]
            api.call("POST", "/score", "/score", body={"start": court["start_word"], "target": court["target_word"],
                                                       "words": words}, expect=((422, "invalid_move"),))

    @task(1)
    def play_the_computer(self):
        api = self.api
        settings = {"rounds": 2, "max_players": 4, "timeout_secs": 300, "wildcard_ratio": 0}
        st, created = api.call("POST", "/match", "/match", body={"name": "me and the bots", "settings": settings}, ok=(201,))
        if st != 201:
            return
        mid, host = created["match"]["id"], created["host_token"]
        st, me = api.call("POST", f"/match/{mid}/join", "/match/[id]/join", body={"player_name": solver_name()}, ok=(201,))
        if st != 201:
            return
        pid, token = me["player"]["id"], me["player_token"]
        for level in random.sample(["easy", "medium", "hard", "par"], 3):
            st, _ = api.call("POST", f"/match/{mid}/bots", "/match/[id]/bots", token=host, body={"level": level}, ok=(201,))
            if st != 201:
                return
        st, rnd = api.call("POST", f"/match/{mid}/start", "/match/[id]/start", token=host)
        if st != 200:
            return
        for number in range(2):
            st, mine = api.call("GET", f"/match/{mid}/player/{pid}", "/match/[id]/player/[player]", token=token)
            if st != 200:
                return
            think()
            mv = {"public_token": random.choice(rnd["public_cards"])["token"], "public_sign": "+",
                  "private_token": mine["player"]["private_cards"][0]["token"], "private_sign": random.choice(["+", "-"])}
            api.call("POST", f"/match/{mid}/round/{rnd['id']}/submit", "/match/[id]/round/[round]/submit",
                     token=token, body=mv, expect=((422, "invalid_move"),))
            # Everyone else is a bot: the round has resolved with the last person's move.
            st, cur = api.call("GET", f"/match/{mid}/round/current", "/match/[id]/round/current")
            if st == 200 and cur["status"] != "RESOLVED":
                with self.client.get(f"/match/{mid}/round/current", name="bots resolve with the person's move",
                                     catch_response=True) as r:
                    r.failure(f"round {cur['number']} still {cur['status']} after the only person moved")
                return
            if number == 0:
                st, rnd = api.call("POST", f"/match/{mid}/round/next", "/match/[id]/round/next", token=host)
                if st != 200:
                    return


class Spectators(FastHttpUser):
    """Watches matches being played: polls the round with ETag revalidation (304 when nothing
    changed), and sometimes follows the live event stream for a few seconds."""

    weight = 2
    wait_time = between(1.0, 2.0)

    def on_start(self):
        self.api = Api(self)
        self.etags = {}

    def pick(self):
        return random.choice(LIVE_MATCHES) if LIVE_MATCHES else None

    @task(8)
    def poll_round(self):
        mid = self.pick()
        if not mid:
            return
        headers = {"If-None-Match": self.etags[mid]} if mid in self.etags else {}
        with self.client.get(f"/match/{mid}/round/current", name="/match/[id]/round/current (poll)",
                             headers=headers, catch_response=True) as r:
            if r.status_code in (200, 304):
                r.success()
                if r.headers.get("etag"):
                    self.etags[mid] = r.headers["etag"]
            else:
                r.failure(f"{r.status_code} {problem_code(r)}")
        if len(self.etags) > 50:
            self.etags.clear()

    @task(1)
    def follow_events(self):
        mid = self.pick()
        if mid:
            watch_events(self, f"/match/{mid}/events", seconds=random.uniform(3, 8))


def watch_events(user, path, seconds):
    """Open the event stream on a connection of its own, report the time to its headers as the
    request's response time, count the events that arrive in `seconds`, then hang up."""
    url = URL(user.host + path)
    # Unverified TLS, like FastHttpUser's own connections (the loopback cluster's CA is throw-away).
    client = HTTPClient.from_url(url, insecure=True, ssl_context_factory=insecure_ssl_context_factory,
                                 connection_timeout=5, network_timeout=seconds + 20)
    start = time.perf_counter()
    exc, length, received = None, 0, 0
    try:
        resp = client.get(url.request_uri, headers={"Accept": "text/event-stream"})
        elapsed = (time.perf_counter() - start) * 1000
        if resp.status_code != 200 or "text/event-stream" not in (resp.get("content-type") or ""):
            exc = RuntimeError(f"{resp.status_code} {resp.get('content-type')}")
        else:
            with gevent.Timeout(seconds, False):
                while True:
                    chunk = resp.read(4096)
                    if not chunk:
                        break
                    length += len(chunk)
                    received += chunk.count(b"\nevent:") + chunk.startswith(b"event:")
    except Exception as e:  # noqa: BLE001 — reported to locust as the request's failure
        elapsed, exc = (time.perf_counter() - start) * 1000, e
    finally:
        client.close()
    user.environment.events.request.fire(
        request_type="SSE", name="/match/[id]/events", response_time=elapsed, response_length=length,
        exception=exc, context={}, url=path)
    EVENTS_SEEN[0] += received
    EVENTS_SEEN[1] += exc is None


@events.quitting.add_listener
def _summary(environment, **_kw):
    s = environment.stats.total
    if s.num_requests:
        print(f"summary: {s.num_requests} requests, {s.num_failures} failures, {s.total_rps:.1f} req/s, "
              f"p50 {s.get_response_time_percentile(0.5):.0f} ms, p95 {s.get_response_time_percentile(0.95):.0f} ms, "
              f"p99 {s.get_response_time_percentile(0.99):.0f} ms; {EVENTS_SEEN[0]} live events over {EVENTS_SEEN[1]} streams")
