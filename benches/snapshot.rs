//! The memory store's snapshot at 10,000 held matches: how long a write takes and how much
//! memory it takes while it runs (the peak resident memory above what the matches themselves
//! hold). Each match is a copy (new id) of one played through the `play` layer on the committed
//! model: 8 players, 5 rounds, every player moving every round.
//!
//!   cargo bench --bench snapshot                 # 10,000 matches
//!   SNAPSHOT_BENCH_MATCHES=50000 cargo bench --bench snapshot
//!
//! Linux only for the memory figures (VmRSS and VmHWM from /proc/self/status; the high-water
//! mark is reset through /proc/self/clear_refs before the write).

use std::sync::Arc;
use std::time::Instant;
use word_bocce::clock::ManualClock;
use word_bocce::config::EngineSettings;
use word_bocce::engine::Engine;
use word_bocce::game::{Match, MatchSettings, MoveInput, Name, SettingsInput, Sign, JOKER};
use word_bocce::metrics::Metrics;
use word_bocce::play::matches::{Matches, Seeds};
use word_bocce::store::memory::MemoryStore;
use word_bocce::store::MatchStore;
use word_bocce::tokens::hash_token;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One match of 8 players and 5 rounds, played to the end through the core.
async fn played(matches: &Matches) -> Match {
    let settings = SettingsInput {
        rounds: Some(5),
        max_players: Some(8),
        ..Default::default()
    };
    let created = matches
        .create(Name::parse("Bench", "name").unwrap(), Some(&settings))
        .await
        .unwrap();
    let id = created.view.id.clone();
    let host = hash_token(&created.host_token);
    let mut players = Vec::new();
    for i in 0..8 {
        let j = matches
            .join(&id, Name::parse(&format!("Player {i}"), "n").unwrap())
            .await
            .unwrap();
        players.push((hash_token(&j.player_token), j.player.id));
    }
    for r in 0..5 {
        let round = matches.deal(&id, &host, r == 0).await.unwrap();
        for (token, pid) in &players {
            let (view, _) = matches.player(&id, token, pid).await.unwrap();
            let card = &view.private_cards[0];
            let mv = MoveInput {
                public_token: round.public_cards[0].token.clone(),
                public_sign: Sign::Plus,
                private_token: card.token.clone(),
                private_sign: Sign::Minus,
                joker_override_token: (card.token == JOKER).then(|| "music".to_string()),
            };
            matches
                .submit(&id, token, &round.id, mv, None)
                .await
                .unwrap();
        }
    }
    Match::clone(&matches.load(&id).await.unwrap())
}

fn main() {
    let n: usize = std::env::var("SNAPSHOT_BENCH_MATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let engine = Arc::new(Engine::load(&EngineSettings::committed_model(&root)).unwrap());
    let metrics = Arc::new(Metrics::new("bench", engine.hnsw.search_seconds()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matches.json");
    let store = Arc::new(MemoryStore::new(Some(path.clone())));
    let matches = Matches {
        engine,
        store: store.clone(),
        clock: ManualClock::at(1_800_000_000),
        metrics,
        defaults: MatchSettings::default(),
        seeds: Seeds::new(Some(7)),
        reads: Default::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let one = played(&matches).await;
        let before = status_kb("VmRSS:");
        for i in 1..n {
            let mut m = one.clone();
            m.id = format!("{}-{i}", one.id);
            store.insert(m).await.unwrap();
        }
        let held = status_kb("VmRSS:");
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..5 {
            // Reset the high-water mark to the current resident memory.
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let base = status_kb("VmRSS:");
            let t = Instant::now();
            let written = store.write_snapshot().unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            peaks.push(status_kb("VmHWM:").saturating_sub(base));
            assert_eq!(written, n);
        }
        times.sort_by(f64::total_cmp);
        peaks.sort();
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "snapshot of {n} matches (8 players, 5 rounds): {:.1} MB file; held in memory \
             {:.1} MB ({:.1} KB a match)",
            size as f64 / 1e6,
            held.saturating_sub(before) as f64 / 1024.0,
            held.saturating_sub(before) as f64 / n as f64,
        );
        println!(
            "write: median {:.0} ms (min {:.0}, max {:.0}) over 5; peak memory above the held \
             matches during a write: median {} KB (max {} KB)",
            times[2], times[0], times[4], peaks[2], peaks[4]
        );
    });
}
