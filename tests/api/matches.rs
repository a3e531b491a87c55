use crate::helpers::{assert_problem, engine, spawn_app, spawn_with, test_settings, TestApp};
use serde_json::{json, Value};
use word_bocce::simd::exact_dot;

/// A legal move for a player: the first public card and their first word card (or a joker
/// with an allowed word), both signs +.
async fn legal_move(app: &TestApp, id: &str, round: &Value, token: &str, pid: &str) -> Value {
    let public = round["public_cards"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let hand = app.hand(id, token, pid).await;
    let (card, kind) = hand[0].clone();
    if kind == "JOKER" {
        json!({"public_token": public, "public_sign": "+", "private_token": "JOKER", "private_sign": "+", "joker_override_token": "music"})
    } else {
        json!({"public_token": public, "public_sign": "+", "private_token": card, "private_sign": "-"})
    }
}

/// The tier API.md names for a rank.
fn tier_of(rank: u64) -> &'static str {
    match rank {
        1 => "bacio",
        2..=10 => "close",
        11..=100 => "in_the_hunt",
        101..=1000 => "wide",
        _ => "long_way_off",
    }
}

fn submit_path(id: &str, round: &Value) -> String {
    format!("/match/{id}/round/{}/submit", round["id"].as_str().unwrap())
}

#[tokio::test]
async fn a_three_player_match_plays_through_to_done() {
    let app = spawn_app().await;
    let (lobby, mut round) = app
        .started(3, json!({"rounds": 2, "wildcard_ratio": 0}))
        .await;
    let id = &lobby.id;
    for number in 1..=2 {
        assert_eq!(round["number"], number);
        assert_eq!(round["status"], "OPEN");
        assert_eq!(round["public_cards"].as_array().unwrap().len(), 10);
        for (token, pid) in &lobby.players {
            let mv = legal_move(&app, id, &round, token, pid).await;
            let r = app.post(&submit_path(id, &round), Some(token), &mv).await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
        // Everyone moved: the round resolved by itself; reading shows the resolution.
        let r: Value = app
            .get(&format!("/match/{id}/round/current"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "RESOLVED");
        let res = &r["resolution"];
        assert_eq!(res["leaderboard"].as_array().unwrap().len(), 3);
        assert_eq!(res["best_moves"].as_array().unwrap().len(), 3);
        // Rank first, a higher similarity breaking a tie of ranks; each with its rank's tier.
        let keys: Vec<(u64, f64)> = res["leaderboard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let rank = e["rank"].as_u64().unwrap();
                assert_eq!(e["tier"], tier_of(rank), "{e}");
                (rank, e["similarity"].as_f64().unwrap())
            })
            .collect();
        assert!(
            keys.windows(2)
                .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)),
            "{keys:?}"
        );
        // The host's resolve shows the same result.
        let rr = app
            .post(
                &format!("/match/{id}/round/{}/resolve", r["id"].as_str().unwrap()),
                Some(&lobby.host),
                &json!({}),
            )
            .await;
        assert_eq!(rr.status(), 200);
        let rv: Value = rr.json().await.unwrap();
        assert_eq!(rv["leaderboard"], res["leaderboard"]);
        if number < 2 {
            let n = app
                .post(
                    &format!("/match/{id}/round/next"),
                    Some(&lobby.host),
                    &json!({}),
                )
                .await;
            assert_eq!(n.status(), 200);
            round = n.json().await.unwrap();
        }
    }
    let m: Value = app
        .get(&format!("/match/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["status"], "DONE");
    let standings = m["standings"].as_array().unwrap();
    assert_eq!(standings.len(), 3);
    let points: f64 = standings
        .iter()
        .map(|s| s["points"].as_f64().unwrap())
        .sum();
    assert_eq!(
        points,
        2.0 * 3.0,
        "3 pairs per round, one point a pair, 2 rounds"
    );
    let r = app
        .post(
            &format!("/match/{id}/round/next"),
            Some(&lobby.host),
            &json!({}),
        )
        .await;
    assert_problem(r, 409, "match_finished").await;
}

#[tokio::test]
async fn every_match_4xx_has_its_code() {
    let app = spawn_app().await;
    // Settings and names.
    let r = app
        .post(
            "/match",
            None,
            &json!({"name": "x", "settings": {"N_public": 0}}),
        )
        .await;
    let v = assert_problem(r, 422, "invalid_settings").await;
    assert_eq!(v["field"], "settings.N_public");
    let r = app
        .post(
            "/match",
            None,
            &json!({"name": "x", "settings": {"difficulty": "brutal"}}),
        )
        .await;
    assert_problem(r, 400, "bad_request").await;
    let (id, host) = app
        .create_match(json!({"max_players": 2, "rounds": 1}))
        .await;
    let r = app
        .post(
            &format!("/match/{id}/join"),
            None,
            &json!({"player_name": "bad<name>"}),
        )
        .await;
    assert_problem(r, 422, "invalid_name").await;
    let r = app
        .post(
            &format!("/match/{id}/join"),
            None,
            &json!({"player_name": "fuck face"}),
        )
        .await;
    assert_problem(r, 422, "inappropriate_name").await;
    assert_problem(app.get("/match/nope", None).await, 404, "unknown_match").await;
    // Tokens and roles.
    let r = app
        .post(&format!("/match/{id}/start"), None, &json!({}))
        .await;
    assert_problem(r, 401, "missing_token").await;
    let r = app
        .post(
            &format!("/match/{id}/start"),
            Some("not-a-token"),
            &json!({}),
        )
        .await;
    assert_problem(r, 401, "invalid_token").await;
    let (t1, p1) = app.join(&id, "Ann").await;
    let (t2, p2) = app.join(&id, "Bob").await;
    let r = app
        .post(
            &format!("/match/{id}/join"),
            None,
            &json!({"player_name": "Cy"}),
        )
        .await;
    assert_problem(r, 409, "match_full").await;
    let r = app
        .post(&format!("/match/{id}/start"), Some(&t1), &json!({}))
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .get(&format!("/match/{id}/player/{p2}"), Some(&t1))
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .get(&format!("/match/{id}/player/p_nobody"), Some(&t1))
        .await;
    assert_problem(r, 404, "unknown_player").await;
    let r = app
        .get(&format!("/match/{id}/player/{p1}"), Some(&host))
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .post(&format!("/match/{id}/round/next"), Some(&host), &json!({}))
        .await;
    assert_problem(r, 409, "match_not_started").await;
    let r = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let round: Value = r.json().await.unwrap();
    let r = app
        .post(&format!("/match/{id}/start"), Some(&host), &json!({}))
        .await;
    assert_problem(r, 409, "match_already_started").await;
    let r = app
        .post(
            &format!("/match/{id}/join"),
            None,
            &json!({"player_name": "Dee"}),
        )
        .await;
    assert_problem(r, 409, "match_already_started").await;
    let r = app
        .post(&format!("/match/{id}/round/next"), Some(&host), &json!({}))
        .await;
    assert_problem(r, 409, "round_not_resolved").await;
    let r = app
        .post(
            &format!("/match/{id}/round/r9/resolve"),
            Some(&host),
            &json!({}),
        )
        .await;
    assert_problem(r, 404, "unknown_round").await;
    // Moves.
    let path = submit_path(&id, &round);
    let r = app
        .post(&path, Some(&host), &json!({"public_token": "x", "public_sign": "+", "private_token": "JOKER", "private_sign": "+"}))
        .await;
    assert_problem(r, 403, "forbidden").await;
    let hand = app.hand(&id, &t1, &p1).await;
    let public = round["public_cards"][0]["token"].as_str().unwrap();
    let mine = hand
        .iter()
        .find(|(_, k)| k == "PRIVATE")
        .map(|(t, _)| t.clone());
    let r = app
        .post(&path, Some(&t1), &json!({"public_token": "zebra", "public_sign": "+", "private_token": "JOKER", "private_sign": "+"}))
        .await;
    assert_problem(r, 422, "not_a_public_card").await;
    let r = app
        .post(&path, Some(&t1), &json!({"public_token": public, "public_sign": "+", "private_token": public, "private_sign": "+"}))
        .await;
    assert_problem(r, 422, "not_your_card").await;
    let r = app
        .post(&path, Some(&t1), &json!({"public_token": public, "public_sign": "*", "private_token": "JOKER", "private_sign": "+"}))
        .await;
    assert_problem(r, 400, "bad_request").await;
    let r = app
        .post(&path, Some(&t1), &json!({"public_token": public, "public_sign": "+", "private_token": "JOKER", "private_sign": "+", "player_id": p2}))
        .await;
    assert_problem(r, 403, "forbidden").await;
    // JOKER words: a_joker_word_is_refused_for_each_of_its_rules (this table has no JOKER).
    let card = mine.unwrap_or_else(|| "JOKER".into());
    let mv = json!({"public_token": public.to_uppercase(), "public_sign": "+", "private_token": card, "private_sign": "-", "joker_override_token": "music"});
    let first = app.post(&path, Some(&t1), &mv).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let again: Value = app.post(&path, Some(&t1), &mv).await.json().await.unwrap();
    assert_eq!(
        first, again,
        "an identical replay returns the stored result"
    );
    let mut other = mv.clone();
    other["public_sign"] = json!("-");
    assert_problem(
        app.post(&path, Some(&t1), &other).await,
        409,
        "already_submitted",
    )
    .await;
    // The host resolves early; later moves are too late.
    let rr = app
        .post(
            &format!(
                "/match/{id}/round/{}/resolve",
                round["id"].as_str().unwrap()
            ),
            Some(&host),
            &json!({}),
        )
        .await;
    assert_eq!(rr.status(), 200);
    let hand2 = app.hand(&id, &t2, &p2).await;
    let mv2 = json!({"public_token": public, "public_sign": "+", "private_token": hand2[0].0, "private_sign": "+", "joker_override_token": "music"});
    assert_problem(app.post(&path, Some(&t2), &mv2).await, 409, "round_closed").await;
}

#[tokio::test]
async fn nothing_leaks_before_resolve() {
    let app = spawn_app().await;
    let (lobby, round) = app.started(2, json!({"wildcard_ratio": 0})).await;
    let id = &lobby.id;
    let (t1, p1) = &lobby.players[0];
    let mv = legal_move(&app, id, &round, t1, p1).await;
    assert_eq!(
        app.post(&submit_path(id, &round), Some(t1), &mv)
            .await
            .status(),
        200
    );
    let hand1 = app.hand(id, t1, p1).await;
    for path in [format!("/match/{id}"), format!("/match/{id}/round/current")] {
        let body = app.get(&path, None).await.text().await.unwrap();
        for (card, _) in &hand1 {
            assert!(
                !body.contains(&format!("\"{card}\"")),
                "{path} shows a private card: {body}"
            );
        }
        assert!(
            !body.contains(t1.as_str()) && !body.contains(&lobby.host),
            "{path} shows a token"
        );
        assert!(
            !body.contains("nearest") && !body.contains("\"rank\""),
            "{path} shows a score: {body}"
        );
        assert!(
            !body.contains("resolution"),
            "{path} shows a resolution early"
        );
    }
    let v: Value = app
        .get(&format!("/match/{id}/round/current"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["submitted"], json!([p1]), "who moved is public, not what");
}

#[tokio::test]
async fn a_move_scores_as_the_reference_computes_it() {
    let app = spawn_app().await;
    let (lobby, round) = app.started(1, json!({"wildcard_ratio": 0})).await;
    let (t, p) = &lobby.players[0];
    let mv = legal_move(&app, &lobby.id, &round, t, p).await;
    let v: Value = app
        .post(&submit_path(&lobby.id, &round), Some(t), &mv)
        .await
        .json()
        .await
        .unwrap();
    let e = engine();
    let id = |w: &str| e.emb.id(w).unwrap();
    let start = id(round["start_word"].as_str().unwrap());
    let target = id(round["target_word"].as_str().unwrap());
    let public = id(mv["public_token"].as_str().unwrap());
    let private = id(mv["private_token"].as_str().unwrap());
    let terms = [(start, 1.0f64), (public, 1.0), (private, -1.0)];
    let mut sum = vec![0f64; e.emb.dim()];
    for (w, s) in terms {
        for (acc, x) in sum.iter_mut().zip(e.emb.vector(w)) {
            *acc += s * *x as f64;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    let ball: Vec<f32> = sum.iter().map(|x| (x / norm) as f32).collect();
    let sim = exact_dot(&ball, e.emb.vector(target));
    assert!((v["similarity"].as_f64().unwrap() - sim as f64).abs() < 1e-6);
    let t_sim = sim;
    let above = (0..e.emb.len() as u32)
        .filter(|&w| ![start, public, private, target].contains(&w))
        .filter(|&w| exact_dot(&ball, e.emb.vector(w)) > t_sim)
        .count();
    assert_eq!(v["rank"].as_u64().unwrap() as usize, above + 1);
    let shares: Vec<f64> = v["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["share"].as_f64().unwrap())
        .collect();
    assert_eq!(shares.len(), 3);
    assert_eq!(v["contributions"][0]["word"], round["start_word"]);
    assert!((shares.iter().sum::<f64>() - sim as f64).abs() < 1e-5);
    let nearest = v["nearest"].as_str().unwrap();
    for w in [
        &round["start_word"],
        &mv["public_token"],
        &mv["private_token"],
    ] {
        let w = w.as_str().unwrap();
        assert!(
            !word_bocce::scoring::near_copy(w, nearest) || nearest == round["target_word"],
            "{nearest} copies {w}"
        );
    }
    assert!(v["nearest_sim"].as_f64().unwrap() >= v["similarity"].as_f64().unwrap() - 1e-6);
}

#[tokio::test]
async fn thirty_two_players_submit_at_once_and_each_move_counts_once() {
    let app = spawn_app().await;
    let (lobby, round) = app
        .started(
            32,
            json!({"max_players": 32, "wildcard_ratio": 0, "N_public": 5}),
        )
        .await;
    let mut moves = Vec::new();
    for (t, p) in &lobby.players {
        moves.push((t.clone(), legal_move(&app, &lobby.id, &round, t, p).await));
    }
    let path = submit_path(&lobby.id, &round);
    let futures = moves.iter().map(|(t, mv)| app.post(&path, Some(t), mv));
    let results = futures::future::join_all(futures).await;
    assert!(results.iter().all(|r| r.status() == 200));
    let v: Value = app
        .get(&format!("/match/{}/round/current", lobby.id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["submitted"].as_array().unwrap().len(), 32);
    assert_eq!(v["status"], "RESOLVED");
    assert_eq!(v["resolution"]["leaderboard"].as_array().unwrap().len(), 32);
}

#[tokio::test]
async fn a_start_during_a_join_storm_deals_for_everyone_seated() {
    let app = spawn_app().await;
    // The largest deal (30 public cards, 10 private ones each) takes long enough for joins to
    // land while it is dealt: the start used to give up after three tries with a 409.
    let settings = json!({"max_players": 32, "N_public": 30, "M_private": 10});
    for _ in 0..3 {
        let (id, host) = app.create_match(settings.clone()).await;
        app.join(&id, "first").await;
        // Joins one after another while the host starts: they keep landing during the deal.
        let join_path = format!("/match/{id}/join");
        let joins = async {
            let mut out = Vec::new();
            for i in 0..30 {
                let body = json!({"player_name": format!("p{i}")});
                out.push(app.post(&join_path, None, &body).await);
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
            out
        };
        let start_path = format!("/match/{id}/start");
        let empty = json!({});
        let start = async {
            // Let a few joins land first, so that the deal starts mid-storm.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            app.post(&start_path, Some(&host), &empty).await
        };
        let (start, joins) = tokio::join!(start, joins);
        assert_eq!(start.status(), 200, "{}", start.text().await.unwrap());
        let seated = 1 + joins.iter().filter(|r| r.status() == 201).count();
        for r in joins {
            if r.status() != 201 {
                assert_problem(r, 409, "match_already_started").await;
            }
        }
        // Everyone seated was dealt a hand.
        let m: Value = app
            .get(&format!("/match/{id}"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(m["players"].as_array().unwrap().len(), seated, "{m}");
        let round: Value = app
            .get(&format!("/match/{id}/round/current"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(round["status"], "OPEN", "{round}");
    }
}

#[tokio::test]
async fn the_auth_scheme_is_case_insensitive_and_long_ids_are_not_echoed_whole() {
    let app = spawn_app().await;
    let (lobby, _) = app.started(1, json!({})).await;
    let (token, pid) = &lobby.players[0];
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let path = format!("/match/{}/player/{pid}", lobby.id);
        let r = app
            .get_with(&path, "authorization", &format!("{scheme} {token}"))
            .await;
        assert_eq!(r.status(), 200, "{scheme}");
    }
    let long = "m".repeat(5000);
    for path in [
        format!("/match/{long}"),
        format!("/match/{}/player/{long}", lobby.id),
        format!("/puzzle/{long}"),
    ] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(r.status(), 404, "{path}");
        let v: Value = r.json().await.unwrap();
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.len() < 100 && detail.contains("mmm…"), "{detail}");
    }
}

#[tokio::test]
async fn etag_answers_304_until_something_changes() {
    let app = spawn_app().await;
    let (lobby, round) = app.started(2, json!({"wildcard_ratio": 0})).await;
    let match_path = format!("/match/{}", lobby.id);
    let round_path = format!("/match/{}/round/current", lobby.id);
    for path in [&round_path, &match_path] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        // The tag itself, its weak form, one of a list, or `*` (RFC 9110: weak comparison).
        for asked in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".to_string(),
        ] {
            let r = app.get_with(path, "if-none-match", &asked).await;
            assert_eq!(r.status(), 304, "{path} {asked}");
            assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        }
    }
    let etag = app.get(&round_path, None).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let before: Value = app.get(&match_path, None).await.json().await.unwrap();
    assert_eq!(before["players"][0]["submitted_move"], false);
    let (t, p) = &lobby.players[0];
    let mv = legal_move(&app, &lobby.id, &round, t, p).await;
    app.post(&submit_path(&lobby.id, &round), Some(t), &mv)
        .await;
    // The move is a new version: both reads show it, under a new tag.
    let r = app.get_with(&round_path, "if-none-match", &etag).await;
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
    let now: Value = r.json().await.unwrap();
    assert_eq!(now["submitted"], json!([p]));
    let r = app.get_with(&match_path, "if-none-match", &etag).await;
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after["players"][0]["submitted_move"], true);
}

#[tokio::test]
async fn the_snapshot_is_written_and_restored_and_a_corrupt_one_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("matches.json");
    let mut settings = test_settings();
    settings.snapshot_path = Some(snap.clone());
    let app = spawn_with(settings.clone(), None).await;
    let (lobby, _round) = app.started(2, json!({})).await;
    app.app.store.flush().await.unwrap();
    assert!(snap.exists());
    // A new instance restores the match, tokens included.
    let app2 = spawn_with(settings.clone(), None).await;
    let m: Value = app2
        .get(&format!("/match/{}", lobby.id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["status"], "IN_PROGRESS");
    let (t, p) = &lobby.players[0];
    assert_eq!(app2.hand(&lobby.id, t, p).await.len(), 2);
    // A corrupt snapshot is set aside, not dropped silently.
    std::fs::write(&snap, b"{ this is not a snapshot").unwrap();
    let app3 = Application::build_with_engine(settings, engine()).unwrap();
    match &app3.restored {
        Restored::SetAside { moved_to, .. } => {
            assert!(moved_to.exists());
            assert_eq!(
                std::fs::read(moved_to).unwrap(),
                b"{ this is not a snapshot"
            );
        }
        other => panic!("expected the snapshot set aside, got {other:?}"),
    }
}

use word_bocce::startup::Application;
use word_bocce::store::memory::Restored;

#[tokio::test]
async fn a_failing_snapshot_write_shows_in_readiness_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the snapshot's directory should be: every write fails.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"in the way").unwrap();
    let mut settings = test_settings();
    settings.snapshot_path = Some(blocker.join("matches.json"));
    let app = spawn_with(settings, None).await;
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(
        ready["checks"]["snapshot"], true,
        "nothing has failed yet: {ready}"
    );
    assert!(app.app.store.flush().await.is_err());
    let r = app.get("/readyz", None).await;
    assert_eq!(
        r.status(),
        200,
        "play goes on: degraded, not out of rotation"
    );
    let ready: Value = r.json().await.unwrap();
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(ready["checks"]["snapshot"], false, "{ready}");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("\nwordbocce_snapshot_failures_total 1\n"),
        "{metrics}"
    );
    // The next good write clears it.
    std::fs::remove_file(&blocker).unwrap();
    app.app.store.flush().await.unwrap();
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["checks"]["snapshot"], true, "{ready}");
    // Without a snapshot file there is nothing to report.
    let ready: Value = spawn_app()
        .await
        .get("/readyz", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(ready["checks"].get("snapshot").is_none(), "{ready}");
}

#[tokio::test]
async fn a_joker_word_is_refused_for_each_of_its_rules() {
    let app = spawn_app().await;
    // Half the private cards are JOKERs: every hand holds one.
    let (lobby, round) = app
        .started(1, json!({"rounds": 1, "wildcard_ratio": 0.5}))
        .await;
    let (token, pid) = &lobby.players[0];
    let hand = app.hand(&lobby.id, token, pid).await;
    assert!(hand.iter().any(|(_, k)| k == "JOKER"), "{hand:?}");
    let path = submit_path(&lobby.id, &round);
    let public = round["public_cards"][0]["token"].as_str().unwrap();
    let start = round["start_word"].as_str().unwrap();
    let target = round["target_word"].as_str().unwrap();
    for (word, code) in [
        (target, "joker_word_forbidden"),
        (start, "joker_word_forbidden"),
        (public, "joker_word_forbidden"),
        ("qwzxv", "word_not_in_vocabulary"),
        ("shit", "joker_word_forbidden"),
        ("rock-n-roll", "joker_word_forbidden"),
    ] {
        let r = app
            .post(&path, Some(token), &json!({"public_token": public, "public_sign": "+", "private_token": "JOKER", "private_sign": "+", "joker_override_token": word}))
            .await;
        let v = assert_problem(r, 422, code).await;
        assert_eq!(v["field"], "joker_override_token", "{word}");
    }
    let r = app
        .post(&path, Some(token), &json!({"public_token": public, "public_sign": "+", "private_token": "JOKER", "private_sign": "+"}))
        .await;
    assert_problem(r, 422, "invalid_move").await;
    // A word of its own is played.
    let r = app
        .post(&path, Some(token), &json!({"public_token": public, "public_sign": "+", "private_token": "joker", "private_sign": "-", "joker_override_token": "Music"}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
