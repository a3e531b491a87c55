//! Matches shared by the instances through Redis: concurrency, a killed instance, key TTLs and
//! events across instances.

use crate::harness::*;
use crate::{header, settings};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_players_submitting_at_once_are_each_recorded_once_with_a_ttl() {
    let c = Cluster::start(&[]);
    let (id, host, players) = lobby(&c, 4, 32, settings(32, 1)).await;
    let (round, rid) = start(&host, &id).await;
    let moves = join_all(
        players
            .iter()
            .enumerate()
            .map(|(i, (p, pid))| a_move(p, &id, pid, &round, i)),
    )
    .await;

    // Every player submits at the same moment, through nginx, spread over the 3 instances.
    let submit = format!("/match/{id}/round/{rid}/submit");
    let answers = join_all(
        players
            .iter()
            .zip(&moves)
            .map(|((p, _), mv)| p.post(&submit, mv)),
    )
    .await;
    let mut results = Vec::new();
    for r in answers {
        results.push(ok_json(r, StatusCode::OK).await);
    }

    // The round resolved by itself with every move once, each the one its player was told.
    let cur = ok_json(
        host.get(&format!("/match/{id}/round/current")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cur["status"], "RESOLVED", "{cur}");
    assert_eq!(cur["submitted"].as_array().unwrap().len(), 32);
    let board = ok_json(
        host.post(&format!("/match/{id}/round/{rid}/resolve"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let board = board["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 32);
    for ((_, pid), res) in players.iter().zip(&results) {
        let rows: Vec<_> = board.iter().filter(|e| e["player_id"] == *pid).collect();
        assert_eq!(rows.len(), 1, "{pid} once on the leaderboard");
        assert_eq!(rows[0]["similarity"], res["similarity"]);
    }
    let m = ok_json(host.get(&format!("/match/{id}")).await, StatusCode::OK).await;
    assert_eq!(m["players"].as_array().unwrap().len(), 32);

    // Replaying a move gives the stored result; another move conflicts.
    let (p0, _) = &players[0];
    let again = ok_json(p0.post(&submit, &moves[0]).await, StatusCode::OK).await;
    assert_eq!(again, results[0]);

    // Every Redis key of this match expires: it is finished (one round), so within
    // FINISHED_MATCH_TTL_SECS (1 h), not the 24 h of a match in play.
    assert_eq!(m["status"], "DONE", "{m}");
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let (mut cursor, mut keys) = (0u64, Vec::<String>::new());
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{}*{id}*", c.redis_prefix))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await
            .unwrap();
        keys.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert!(
        !keys.is_empty(),
        "the match is in Redis under {}",
        c.redis_prefix
    );
    for k in keys {
        let ttl: i64 = redis::cmd("TTL")
            .arg(&k)
            .query_async(&mut con)
            .await
            .unwrap();
        assert!(ttl > 3500 && ttl <= 3600, "{k}: TTL {ttl}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn play_goes_on_through_the_others_when_an_instance_is_killed() {
    let c = Cluster::start(&[]);
    let (id, host, players) = lobby(&c, 5, 6, settings(6, 2)).await;
    let (round, rid) = start(&host, &id).await;
    let submit = format!("/match/{id}/round/{rid}/submit");
    for (i, (p, pid)) in players.iter().enumerate().take(3) {
        let mv = a_move(p, &id, pid, &round, i).await;
        ok_json(p.post(&submit, &mv).await, StatusCode::OK).await;
    }

    // Three moves race the kill: one may be cut off inside the dying instance, and nginx
    // sends it on (a move is idempotent), so each is recorded once and every answer is a 200.
    let mut moves = Vec::new();
    for (i, (p, pid)) in players.iter().enumerate().skip(3).take(2) {
        moves.push((p, a_move(p, &id, pid, &round, i).await));
    }
    let racing = join_all(moves.iter().map(|(p, mv)| p.post(&submit, mv)));
    let (answers, ()) = tokio::join!(racing, async { c.kill9(1) });
    for r in answers {
        ok_json(r, StatusCode::OK).await;
    }

    // Then nothing fails: nginx sends everything to the two others.
    let (p, pid) = &players[5];
    let mv = a_move(p, &id, pid, &round, 5).await;
    ok_json(p.post(&submit, &mv).await, StatusCode::OK).await;
    let cur = ok_json(
        host.get(&format!("/match/{id}/round/current")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cur["status"], "RESOLVED");
    assert_eq!(cur["submitted"].as_array().unwrap().len(), 6);
    let next = ok_json(
        host.post(&format!("/match/{id}/round/next"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(next["number"], 2);
    for i in 0..20 {
        let r = players[i % 6].0.get(&format!("/match/{id}")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    for i in [0, 2] {
        let r = reqwest::get(format!("{}/readyz", c.instances[i]))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "instance {} still ready", i + 1);
    }
}

/// Read an event stream until an event of `name` arrives (or `secs` pass); the frames seen.
async fn wait_for_event(mut r: reqwest::Response, name: &str, secs: u64) -> (bool, String) {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                seen.push_str(&String::from_utf8_lossy(&bytes));
                if seen.contains(&format!("event: {name}")) {
                    return (true, seen);
                }
            }
            _ => return (false, seen),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_stream_on_one_instance_sees_a_move_made_through_another() {
    let c = Cluster::start(&[]);
    let (id, host, players) = lobby(&c, 6, 2, settings(2, 1)).await;
    let (round, rid) = start(&host, &id).await;
    let watcher = c.client(6, 99);
    // One stream straight on instance 1, one through nginx (unbuffered end to end).
    let direct = watcher
        .get(format!("{}/match/{id}/events", c.instances[0]))
        .send()
        .await
        .unwrap();
    let edge = watcher
        .get(format!("{}/match/{id}/events", c.url))
        .send()
        .await
        .unwrap();
    for r in [&direct, &edge] {
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header(r, "content-type").starts_with("text/event-stream"));
    }
    assert!(
        header(&edge, "content-encoding").is_empty(),
        "not compressed"
    );

    // The move goes straight to instance 2.
    let (p, pid) = &players[0];
    let mv = a_move(p, &id, pid, &round, 0).await;
    let r = p
        .client
        .post(format!("{}/match/{id}/round/{rid}/submit", c.instances[1]))
        .bearer_auth(p.token.as_ref().unwrap())
        .json(&mv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (a, seen_a) = wait_for_event(direct, "move_submitted", 10).await;
    assert!(
        a,
        "instance 1's stream saw the move made on instance 2: {seen_a}"
    );
    let (b, seen_b) = wait_for_event(edge, "move_submitted", 10).await;
    assert!(b, "the stream through nginx saw it too: {seen_b}");
    // A count only: the player's private card is in no event.
    let private = mv["private_token"].as_str().unwrap();
    assert!(
        !seen_a.contains(private) && !seen_b.contains(private),
        "{seen_a}"
    );
}
