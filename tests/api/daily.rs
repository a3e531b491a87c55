//! The daily puzzle across UTC days (an app on a `ManualClock`): the archive's bounds, streaks
//! and days played on Postgres and on an SQLite file, spoiler-free share lines for attempts
//! that did not pass and for give-ups, and the practice figures of a profile.
use crate::helpers::{
    assert_problem, puzzles, spawn_with, spawn_with_clock, test_settings, TestApp,
};
use crate::puzzles::{best_body, find_move, get_json, new_player, settings_with, solve, TestDb};
use serde_json::{json, Value};
use std::sync::Arc;
use word_bocce::clock::ManualClock;
use word_bocce::config::{ProgressSettings, Settings};
use word_bocce::puzzles::daily::{first_day, format_day};
use word_bocce::puzzles::LoadedPuzzle;
use word_bocce::store::progress::ProgressStore;

const DAY: u64 = 86_400;

/// Unix seconds of `secs` into the day `first_day() + offset`.
fn at(offset: i64, secs: u64) -> u64 {
    (first_day() + offset) as u64 * DAY + secs
}

/// The daily puzzle of the day `first_day() + offset`.
fn daily_of(offset: i64) -> LoadedPuzzle {
    puzzles()
        .catalogue()
        .daily_on(first_day() + offset)
        .expect("a catalogue")
        .clone()
}

/// Solve the daily puzzle of day `offset` with its best move (whatever day it is now).
async fn solve_daily(app: &TestApp, offset: i64, token: &str) -> Value {
    let p = daily_of(offset);
    solve(app, &p.id, Some(token), &best_body(&p)).await
}

async fn daily(app: &TestApp, query: &str) -> Value {
    get_json(app, &format!("/puzzles/daily{query}"), None).await
}

#[tokio::test]
async fn the_archive_serves_every_day_from_the_first_to_today() {
    let today = 10;
    let clock = ManualClock::at(at(today, 43_200));
    let app = spawn_with_clock(test_settings(), clock.clone()).await;
    let catalogue = puzzles();
    let catalogue = catalogue.catalogue();

    let now = daily(&app, "").await;
    assert_eq!(now["id"], daily_of(today).id.as_str());
    assert_eq!(now["date"], format_day(first_day() + today).as_str());
    assert_eq!(
        daily(&app, &format!("?date={}", format_day(first_day() + today))).await,
        now
    );
    // A past day whose puzzle is not today's: the date really chooses.
    let past = (0..today)
        .find(|&d| daily_of(d).id != daily_of(today).id)
        .expect("the rotation changes puzzle from day to day");
    let v = daily(&app, &format!("?date={}", format_day(first_day() + past))).await;
    assert_eq!(v["id"], daily_of(past).id.as_str());
    assert_ne!(v["id"], now["id"]);
    assert_eq!(v["date"], format_day(first_day() + past).as_str());
    assert!(v["allowed_cards"].is_array() && v.get("best_move").is_none());
    // The first day is in; the day before it, tomorrow and nonsense are not.
    let first = daily(&app, &format!("?date={}", format_day(first_day()))).await;
    assert_eq!(
        first["id"],
        catalogue.daily_on(first_day()).unwrap().id.as_str()
    );
    for date in [
        format_day(first_day() - 1),
        format_day(first_day() + today + 1),
        format_day(first_day() + today + 400),
        "2026-02-30".to_string(),
        "12/04/2026".to_string(),
        "today".to_string(),
        String::new(),
    ] {
        let v = assert_problem(
            app.get(&format!("/puzzles/daily?date={date}"), None).await,
            422,
            "invalid_input",
        )
        .await;
        assert_eq!(v["field"], "date", "{date}: {v}");
    }
    // Tomorrow comes out at midnight UTC, not a second before.
    let tomorrow = format!("?date={}", format_day(first_day() + today + 1));
    clock.set(at(today + 1, 0) - 1);
    assert_problem(
        app.get(&format!("/puzzles/daily{tomorrow}"), None).await,
        422,
        "invalid_input",
    )
    .await;
    clock.set(at(today + 1, 0));
    assert_eq!(
        daily(&app, &tomorrow).await["id"],
        daily_of(today + 1).id.as_str()
    );
    assert_eq!(daily(&app, "").await["id"], daily_of(today + 1).id.as_str());
}

async fn me(app: &TestApp, token: &str) -> Value {
    get_json(app, "/players/me", Some(token)).await
}

fn streaks(me: &Value) -> (u64, u64, u64) {
    let n = |k: &str| me[k].as_u64().unwrap_or_else(|| panic!("{k} in {me}"));
    (n("streak"), n("best_streak"), n("days_played"))
}

/// Plays the daily puzzle over several UTC days on the store `settings` name.
async fn streak_scenario(settings: impl Fn() -> Settings) {
    let d = 20; // days after the first day of the rotation
    let clock = ManualClock::at(at(d, DAY - 60)); // 23:59 UTC
    let app = spawn_with_clock(settings(), clock.clone()).await;
    let ann = new_player(&app, "Ann").await;
    let bob = new_player(&app, "Bob").await;
    assert_eq!(streaks(&me(&app, &ann).await), (0, 0, 0));

    // Day d, one minute before midnight: Ann solves the daily puzzle.
    solve_daily(&app, d, &ann).await;
    assert_eq!(streaks(&me(&app, &ann).await), (1, 1, 1));

    // Across midnight: yesterday's solve still holds the streak, today's makes it 2. Day d's
    // puzzle solved on day d + 1 is no longer a daily solve.
    clock.set(at(d + 1, 30));
    assert_eq!(streaks(&me(&app, &ann).await), (1, 1, 1));
    solve_daily(&app, d, &ann).await;
    assert_eq!(
        streaks(&me(&app, &ann).await),
        (1, 1, 1),
        "not today's daily"
    );
    solve_daily(&app, d + 1, &ann).await;
    assert_eq!(streaks(&me(&app, &ann).await), (2, 2, 2));

    // Day d + 2: an attempt that does not pass is a day played, not a day of the streak.
    clock.set(at(d + 2, 3_600));
    let p = daily_of(d + 2);
    let (miss, _) = find_move(&p, |s| !p.passed(s));
    let v = solve(&app, &p.id, Some(&ann), &miss).await;
    assert_eq!(v["passed"], false);
    assert_eq!(streaks(&me(&app, &ann).await), (2, 2, 3));

    // Day d + 3 missed; on day d + 4 the streak is broken, the best is kept.
    clock.set(at(d + 4, 7_200));
    assert_eq!(streaks(&me(&app, &ann).await), (0, 2, 3));
    solve_daily(&app, d + 4, &ann).await;
    assert_eq!(streaks(&me(&app, &ann).await), (1, 2, 4));
    // Bob's days are his own.
    assert_eq!(streaks(&me(&app, &bob).await), (0, 0, 0));
    solve_daily(&app, d + 4, &bob).await;
    assert_eq!(streaks(&me(&app, &bob).await), (1, 1, 1));

    // A restart (another app on the same store) counts the same.
    let again = spawn_with_clock(settings(), clock.clone()).await;
    assert_eq!(streaks(&me(&again, &ann).await), (1, 2, 4));
}

#[tokio::test]
async fn streaks_across_utc_midnight_on_postgres() {
    let db = TestDb::create().await;
    let url = db.url.clone();
    streak_scenario(move || settings_with(ProgressSettings::postgres(url.clone()))).await;
}

#[tokio::test]
async fn streaks_across_utc_midnight_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("progress.db");
    streak_scenario(|| settings_with(ProgressSettings::sqlite(file.clone()))).await;
}

/// No word of the answer in a share line (unless the puzzle's name has it).
fn assert_spoiler_free(share: &str, p: &LoadedPuzzle) {
    let lower = share.to_lowercase();
    let name = p.name.to_lowercase();
    let mut answer = vec![
        &p.best_move.public_card,
        &p.best_move.private_card,
        &p.best_move.nearest,
    ];
    answer.extend(
        p.all_moves
            .iter()
            .flat_map(|m| [&m.public_card, &m.private_card]),
    );
    for w in answer {
        let leaks = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|token| token == w.as_str());
        assert!(
            !leaks || name.contains(w.as_str()),
            "'{w}' leaks in {share}"
        );
    }
    assert!(share.contains(&p.name), "{share}");
}

#[tokio::test]
async fn unfinished_attempts_and_give_ups_have_a_spoiler_free_share_line() {
    let app = spawn_with(test_settings(), None).await;
    let p = crate::puzzles::plain_puzzle();
    let (miss, sim) = find_move(p, |s| !p.passed(s) && s > p.start_similarity);
    let token = new_player(&app, "Ann").await;
    let v = solve(&app, &p.id, Some(&token), &miss).await;
    let share = v["share_text"].as_str().unwrap();
    assert_spoiler_free(share, p);
    assert!(
        share.contains("not solved yet") && share.contains(&format!("{sim:.3}")),
        "{share}"
    );

    // After a give-up, with a token: the player's best so far, and that they gave up.
    let path = format!("/puzzle/{}/give-up", p.id);
    let r = app.post(&path, Some(&token), &json!({})).await;
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.unwrap();
    let share = g["share_text"].as_str().unwrap();
    assert_spoiler_free(share, p);
    let stars = p.stars(sim) as usize;
    let earned = "★".repeat(stars) + &"☆".repeat(3 - stars);
    assert!(
        share.contains("gave up") && share.contains(&earned),
        "{share}"
    );
    assert!(share.contains(&format!("{sim:.3}")), "{share}");
    // Anonymously: no similarity to show.
    let r = app.post(&path, None, &json!({})).await;
    let g: Value = r.json().await.unwrap();
    let share = g["share_text"].as_str().unwrap();
    assert_spoiler_free(share, p);
    assert!(
        share.contains("gave up") && share.contains("☆☆☆") && !share.contains("similarity"),
        "{share}"
    );
}

/// The practice figures, written by the store's method and read by `/players/me` and the
/// store.
async fn practice_scenario(app: &TestApp, store: &Arc<ProgressStore>) {
    let token = new_player(app, "Pia").await;
    let other = new_player(app, "Oto").await;
    let id = |me: &Value| me["player_id"].as_str().unwrap().to_string();
    let (pia, oto) = (id(&me(app, &token).await), id(&me(app, &other).await));
    assert_eq!(
        me(app, &token).await["practice"],
        json!({"courts": 0, "throws": 0, "best_of_par_mean": 0.0})
    );
    for (court, of_par) in [
        ("c1", 0.25),
        ("c1", 0.75),
        ("c1", 0.5),
        ("c2", 0.125),
        ("c3", 1.25),
    ] {
        store
            .record_practice_throw(&pia, court, of_par, 1_800_000_000_000)
            .await
            .unwrap();
    }
    store
        .record_practice_throw(&oto, "c1", 0.9, 1_800_000_000_000)
        .await
        .unwrap();
    let practice = &me(app, &token).await["practice"];
    assert_eq!(
        (&practice["courts"], &practice["throws"]),
        (&json!(3), &json!(5))
    );
    // Best per court: 0.75, 0.125, 1.25.
    let mean = practice["best_of_par_mean"].as_f64().unwrap();
    assert!(
        (mean - (0.75 + 0.125 + 1.25) / 3.0).abs() < 1e-9,
        "{practice}"
    );
    let (_, p) = store.stats(&oto, 0).await.unwrap();
    assert_eq!((p.courts, p.throws), (1, 1));
    assert!((p.best_of_par_mean - 0.9).abs() < 1e-9);
    assert!(store
        .record_practice_throw(&pia, "c4", f64::NAN, 1_800_000_000_000)
        .await
        .is_err());
    assert_eq!(
        store.stats(&pia, 0).await.unwrap().1.throws,
        5,
        "nothing written"
    );
}

#[tokio::test]
async fn practice_figures_on_postgres() {
    let db = TestDb::create().await;
    let app = spawn_with(
        settings_with(ProgressSettings::postgres(db.url.clone())),
        None,
    )
    .await;
    let store = app.app.progress.clone();
    practice_scenario(&app, &store).await;
}

#[tokio::test]
async fn practice_figures_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with(
        settings_with(ProgressSettings::sqlite(dir.path().join("p.db"))),
        None,
    )
    .await;
    let store = app.app.progress.clone();
    practice_scenario(&app, &store).await;
}
