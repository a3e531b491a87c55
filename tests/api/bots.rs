//! Computer opponents (API.md "Computer opponents"): through the core with a hand-moved clock
//! (their own time within the round), and through HTTP (a person and three bots to DONE).

use crate::helpers::{assert_problem, engine, spawn_app, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;
use word_bocce::clock::ManualClock;
use word_bocce::game::views::RoundView;
use word_bocce::game::{
    BotLevel, Match, MatchSettings, MoveInput, Name, RoundStatus, SettingsInput, Sign, JOKER,
};
use word_bocce::metrics::Metrics;
use word_bocce::play::matches::{Matches, Seeds};
use word_bocce::play::reads::MatchRead;
use word_bocce::store::memory::MemoryStore;
use word_bocce::store::MatchStore;
use word_bocce::tokens::hash_token;

fn core(clock: &Arc<ManualClock>) -> (Matches, Arc<MemoryStore>) {
    let engine = engine();
    let metrics = Arc::new(Metrics::new("test", engine.hnsw.search_seconds()));
    let store = Arc::new(MemoryStore::new(None).with_metrics(metrics.clone()));
    let matches = Matches {
        engine,
        store: store.clone(),
        clock: clock.clone(),
        metrics,
        defaults: MatchSettings::default(),
        seeds: Seeds::new(Some(23)),
        reads: Default::default(),
    };
    (matches, store)
}

/// The current round as a poller reads it.
fn round_view(read: &MatchRead) -> RoundView {
    serde_json::from_slice(&read.round().unwrap()).unwrap()
}

/// Every bot's planned move is legal from its own hand: a public card of the round and one of
/// its own word cards (never a JOKER, never another seat's card).
fn assert_bots_play_their_own_cards(m: &Match) {
    let round = m.current_round().unwrap();
    for p in m.players.iter().filter(|p| p.bot.is_some()) {
        let hand = &round.hands[&p.id];
        let Some(plan) = round.bots.get(&p.id) else {
            assert!(hand.iter().all(|c| c == JOKER), "{} has word cards", p.name);
            continue;
        };
        let mv = &plan.submitted.input;
        assert!(round.public_cards.contains(&mv.public_token), "{mv:?}");
        assert!(hand.contains(&mv.private_token), "{mv:?} not in {hand:?}");
        assert_ne!(mv.private_token, JOKER);
        assert!(mv.joker_override_token.is_none());
        let deadline = round.deadline_ts;
        let timeout = m.settings.timeout_secs;
        let start = deadline - timeout;
        assert!(
            plan.at >= start + 3 && plan.at <= start + (timeout * 6 / 10).max(3),
            "{} moves at {} in a round from {start} to {deadline}",
            p.name,
            plan.at
        );
    }
}

#[tokio::test]
async fn bots_move_at_their_own_time_hidden_until_resolve_and_at_once_when_everyone_moved() {
    let clock = ManualClock::at(1_900_000_000);
    let (matches, store) = core(&clock);
    let settings = SettingsInput {
        rounds: Some(2),
        timeout_secs: Some(100),
        wildcard_ratio: Some(0.0),
        ..Default::default()
    };
    let created = matches
        .create(Name::parse("Bots", "name").unwrap(), Some(&settings))
        .await
        .unwrap();
    let id = created.view.id.clone();
    let host = hash_token(&created.host_token);
    let ann = matches
        .join(&id, Name::parse("Ann", "player_name").unwrap())
        .await
        .unwrap();
    let ann_token = hash_token(&ann.player_token);
    for level in [BotLevel::Easy, BotLevel::Hard, BotLevel::Par] {
        let (view, seat) = matches.add_bot(&id, &host, level, None).await.unwrap();
        assert_eq!(seat.bot, level);
        assert_eq!(view.players.last().unwrap().bot, Some(level));
    }
    // Only the host seats bots.
    assert!(matches
        .add_bot(&id, &ann_token, BotLevel::Easy, None)
        .await
        .is_err());

    // Round 1: nobody has moved at the deal; the bots move at their own times, the person
    // has not, so the round stays open until she does.
    let round = matches.deal(&id, &host, true).await.unwrap();
    assert!(round.submitted.is_empty());
    let m = store.get(&id).await.unwrap().unwrap();
    assert_bots_play_their_own_cards(&m);
    assert_eq!(m.current_round().unwrap().bots.len(), 3);
    // Readers share one serialised view of a version until the clock alone changes it.
    let first = matches.read(&id).await.unwrap();
    clock.advance(2);
    let read = matches.read(&id).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &read),
        "the same version is served again"
    );
    let r = round_view(&read);
    assert!(r.submitted.is_empty(), "no bot moves before 3 s");
    let m = store.get(&id).await.unwrap().unwrap();
    let plans = &m.current_round().unwrap().bots;
    let first_bot = plans.values().map(|b| b.at).min().unwrap();
    clock.set(first_bot);
    let read = matches.read(&id).await.unwrap();
    assert!(
        read.version > first.version,
        "the bot's move was settled and stored"
    );
    let due = plans.values().filter(|b| b.at <= first_bot).count();
    assert_eq!(
        round_view(&read).submitted.len(),
        due,
        "the first bot has moved"
    );
    clock.set(1_900_000_061); // past every bot's time (at most 60 % of 100 s)
    let read = matches.read(&id).await.unwrap();
    let (m, r) = (matches.load(&id).await.unwrap(), round_view(&read));
    assert_eq!(r.submitted.len(), 3, "{:?}", r.submitted);
    assert_eq!(r.status, RoundStatus::Open);
    // Hidden until resolve: nothing of a bot's move is in what anyone may read.
    assert!(r.resolution.is_none());
    let text = serde_json::to_string(&m.view()).unwrap() + &serde_json::to_string(&r).unwrap();
    let (ann_view, _) = matches
        .player(&id, &ann_token, &ann.player.id)
        .await
        .unwrap();
    let text = text + &serde_json::to_string(&ann_view).unwrap();
    for plan in m.current_round().unwrap().bots.values() {
        assert!(!text.contains(&plan.submitted.input.private_token));
    }
    // Ann moves: the round resolves with four moves, sorted rank first.
    let card = ann_view.private_cards[0].token.clone();
    let mv = MoveInput {
        public_token: round.public_cards[0].token.clone(),
        public_sign: Sign::Plus,
        private_token: card,
        private_sign: Sign::Plus,
        joker_override_token: None,
    };
    matches
        .submit(&id, &ann_token, &round.id, mv.clone(), None)
        .await
        .unwrap();
    let r = round_view(&matches.read(&id).await.unwrap());
    let res = r.resolution.expect("resolved once everyone moved");
    assert_eq!(res.leaderboard.len(), 4);
    assert!(res
        .leaderboard
        .windows(2)
        .all(|w| (w[0].rank, -w[0].similarity) <= (w[1].rank, -w[1].similarity)));
    assert_eq!(res.best_moves.len(), 4);
    // A par bot plays par.
    let par_bot = &m.players[3];
    let par = res
        .best_moves
        .iter()
        .find(|p| p.player_id == par_bot.id)
        .unwrap();
    let played = res
        .leaderboard
        .iter()
        .find(|e| e.player_id == par_bot.id)
        .unwrap();
    assert_eq!(played.mv, par.mv);
    assert_eq!(played.rank, par.rank);

    // Round 2: Ann moves at once; the bots count as submitted then, and it resolves with no
    // clock moved.
    let round = matches.deal(&id, &host, false).await.unwrap();
    let m = store.get(&id).await.unwrap().unwrap();
    assert_bots_play_their_own_cards(&m);
    let (ann_view, _) = matches
        .player(&id, &ann_token, &ann.player.id)
        .await
        .unwrap();
    let mv = MoveInput {
        public_token: round.public_cards[1].token.clone(),
        private_token: ann_view.private_cards[0].token.clone(),
        ..mv
    };
    matches
        .submit(&id, &ann_token, &round.id, mv, None)
        .await
        .unwrap();
    let m = matches.load(&id).await.unwrap();
    assert_eq!(m.rounds[1].status, RoundStatus::Resolved);
    assert_eq!(m.rounds[1].moves.len(), 4);
    assert_eq!(m.status, word_bocce::game::MatchStatus::Done);
    // A finished match's views move, compressed, to the held results: every player's page
    // polls the result, and no poll reads the match again.
    assert_eq!(matches.reads.len(), 1, "the match in play was held");
    let first = matches.read(&id).await.unwrap();
    let done = round_view(&first);
    assert_eq!(done.status, RoundStatus::Resolved);
    assert!(matches.reads.is_empty(), "no longer among matches in play");
    assert_eq!(matches.reads.finished_len(), 1);
    let again = matches.read(&id).await.unwrap();
    assert!(
        again.held_bytes() < first.held_bytes(),
        "the second read is the held (compressed) views"
    );
    assert_eq!(again.round().unwrap(), first.round().unwrap());
    assert_eq!(again.view().unwrap(), first.view().unwrap());
    // Standings: four seats, 3 points shared out per round.
    let total: f64 = m.standings().iter().map(|s| s.points).sum();
    assert_eq!(total, 2.0 * 6.0);
}

#[tokio::test]
async fn the_host_resolving_early_counts_every_bot_and_deals_are_reproducible() {
    let clock = ManualClock::at(1_900_000_000);
    let (matches, store) = core(&clock);
    let mut plans = Vec::new();
    for _ in 0..2 {
        // Same seed base: the second match of each core has the same seed.
        let (matches, store) = core(&clock);
        let created = matches
            .create(Name::parse("Twice", "name").unwrap(), None)
            .await
            .unwrap();
        let id = created.view.id.clone();
        let host = hash_token(&created.host_token);
        for level in [BotLevel::Medium, BotLevel::Par] {
            matches.add_bot(&id, &host, level, None).await.unwrap();
        }
        let round = matches.deal(&id, &host, true).await.unwrap();
        // No person: the bots are everyone, so the round resolves at once.
        let m = matches.load(&id).await.unwrap();
        assert_eq!(m.rounds[0].status, RoundStatus::Resolved, "{round:?}");
        let stored = store.get(&id).await.unwrap().unwrap();
        // In seat order (player ids are random).
        let moves: Vec<MoveInput> = stored
            .players
            .iter()
            .map(|p| stored.rounds[0].moves[&p.id].input.clone())
            .collect();
        plans.push(moves);
    }
    assert_eq!(plans[0], plans[1], "the same seed deals the same bot moves");

    let created = matches
        .create(Name::parse("Early", "name").unwrap(), None)
        .await
        .unwrap();
    let id = created.view.id.clone();
    let host = hash_token(&created.host_token);
    matches
        .join(&id, Name::parse("Ann", "player_name").unwrap())
        .await
        .unwrap();
    matches
        .add_bot(
            &id,
            &host,
            BotLevel::Hard,
            Some(Name::parse("Hal", "name").unwrap()),
        )
        .await
        .unwrap();
    let round = matches.deal(&id, &host, true).await.unwrap();
    let res = matches.resolve(&id, &host, &round.id).await.unwrap();
    assert_eq!(
        res.leaderboard.len(),
        1,
        "the bot's move counts, Ann's is absent"
    );
    assert_eq!(res.leaderboard[0].player_name, "Hal");
    let m = store.get(&id).await.unwrap().unwrap();
    assert!(m.rounds[0].moves.len() == 1);
}

async fn add_bot(app: &TestApp, id: &str, host: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/match/{id}/bots"), Some(host), &body)
        .await
}

/// A person and three bots play a match to DONE through HTTP, with no other client.
pub async fn person_and_three_bots_to_done(app: &TestApp, other: &TestApp) {
    let (id, host) = app
        .create_match(json!({"rounds": 2, "max_players": 4, "timeout_secs": 300}))
        .await;
    let (token, pid) = app.join(&id, "Ann").await;
    for level in ["easy", "medium", "par"] {
        let r = add_bot(app, &id, &host, json!({"level": level})).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["player"]["bot"], level);
        assert!(v.get("player_token").is_none());
    }
    let r = add_bot(app, &id, &host, json!({"level": "hard"})).await;
    assert_problem(r, 409, "match_full").await;
    let m: Value = app
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    let bots: Vec<&Value> = m["players"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("bot").is_some())
        .collect();
    assert_eq!(bots.len(), 3);
    assert!(
        m["players"][0].get("bot").is_none(),
        "a person has no bot field"
    );
    assert_eq!(bots[0]["name"], "Easy bot");

    let r = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    let mut round: Value = r.json().await.unwrap();
    for number in 1..=2 {
        // Played on the other instance (the same one in memory mode).
        let hand = other.hand(&id, &token, &pid).await;
        let mv = json!({"public_token": round["public_cards"][0]["token"], "public_sign": "+",
            "private_token": hand[0].0, "private_sign": "+"});
        let path = format!("/match/{id}/round/{}/submit", round["id"].as_str().unwrap());
        let r = other.post(&path, Some(&token), &mv).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let scored: Value = r.json().await.unwrap();
        assert!(scored["tier"].is_string());
        let r: Value = app
            .get(&format!("/match/{id}/round/current"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "RESOLVED", "round {number}: {r}");
        assert_eq!(r["resolution"]["leaderboard"].as_array().unwrap().len(), 4);
        if number < 2 {
            let n = app
                .post(&format!("/match/{id}/round/next"), Some(&host), &json!({}))
                .await;
            assert_eq!(n.status(), 200);
            round = n.json().await.unwrap();
        }
    }
    let m: Value = other
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["status"], "DONE");
    assert_eq!(m["standings"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_person_and_three_bots_play_to_done_over_http() {
    let app = spawn_app().await;
    person_and_three_bots_to_done(&app, &app).await;
}

#[tokio::test]
async fn seating_a_bot_follows_the_rules() {
    let app = spawn_app().await;
    let (id, host) = app.create_match(json!({"rounds": 1})).await;
    let (token, _) = app.join(&id, "Ann").await;
    let path = format!("/match/{id}/bots");
    let r = app.post(&path, None, &json!({"level": "easy"})).await;
    assert_problem(r, 401, "missing_token").await;
    let r = app
        .post(&path, Some(&token), &json!({"level": "easy"}))
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = add_bot(&app, &id, &host, json!({"level": "brutal"})).await;
    assert_problem(r, 400, "bad_request").await;
    let r = add_bot(
        &app,
        &id,
        &host,
        json!({"level": "easy", "name": "bad<name>"}),
    )
    .await;
    let v = assert_problem(r, 422, "invalid_name").await;
    assert_eq!(v["field"], "name");
    let r = add_bot(&app, "m-nope", &host, json!({"level": "easy"})).await;
    assert_problem(r, 404, "unknown_match").await;
    let r = add_bot(
        &app,
        &id,
        &host,
        json!({"level": "hard", "name": "Deep  Blue"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["player"]["name"], "Deep Blue");
    app.post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    let r = add_bot(&app, &id, &host, json!({"level": "easy"})).await;
    assert_problem(r, 409, "match_already_started").await;
}

#[tokio::test]
async fn bots_planned_moves_survive_a_snapshot_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings();
    settings.snapshot_path = Some(dir.path().join("matches.json"));
    let app = crate::helpers::spawn_with(settings.clone(), None).await;
    let (id, host) = app
        .create_match(json!({"rounds": 1, "timeout_secs": 600}))
        .await;
    let (token, pid) = app.join(&id, "Ann").await;
    for level in ["hard", "par"] {
        assert_eq!(
            add_bot(&app, &id, &host, json!({"level": level}))
                .await
                .status(),
            201
        );
    }
    let round: Value = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    app.app.store.flush().await.unwrap();
    // Another process restores the match: the bots' moves, chosen at the deal, still count.
    let again = crate::helpers::spawn_with(settings, None).await;
    let hand = again.hand(&id, &token, &pid).await;
    let mv = json!({"public_token": round["public_cards"][0]["token"], "public_sign": "+",
        "private_token": hand[0].0, "private_sign": "+"});
    let path = format!("/match/{id}/round/{}/submit", round["id"].as_str().unwrap());
    assert_eq!(again.post(&path, Some(&token), &mv).await.status(), 200);
    let r: Value = again
        .get(&format!("/match/{id}/round/current"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "RESOLVED");
    assert_eq!(r["resolution"]["leaderboard"].as_array().unwrap().len(), 3);
}
