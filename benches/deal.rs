//! The cost of dealing a round (`Match::deal_next_round`: the deal, every seat's par, the
//! computer opponents' moves), with and without bots, on the committed model.
//!
//! `cargo bench --bench deal` (add `-- --quick` for a short run). Issue 17's target: a match of
//! one person and three bots deals in at most twice the time of the same person alone, and in
//! about the time of four people (the bots' moves come from the order par is taken from).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use std::sync::OnceLock;
use word_bocce::config::EngineSettings;
use word_bocce::engine::Engine;
use word_bocce::game::{BotLevel, Match, MatchSettings, Player};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut settings = EngineSettings::from_env().expect("model settings");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        settings.model_path = root.join(&settings.model_path);
        settings.index_cache_dir = settings.index_cache_dir.map(|d| root.join(d));
        Engine::load(&settings).expect("load the model")
    })
}

/// A lobby of `people` people and the given bots.
fn table(people: usize, bots: &[BotLevel], seed: u64) -> Match {
    let mut m = Match::new(
        "m".into(),
        "bench".into(),
        seed,
        MatchSettings::default(),
        "h".into(),
        0,
    );
    for i in 0..people {
        m.players.make_mut().push(Player {
            id: format!("p{i}"),
            name: format!("P{i}"),
            token_hash: "t".into(),
            bot: None,
        });
    }
    for (i, &level) in bots.iter().enumerate() {
        m.players.make_mut().push(Player {
            id: format!("b{i}"),
            name: format!("B{i}"),
            token_hash: String::new(),
            bot: Some(level),
        });
    }
    m
}

fn deal(c: &mut Criterion) {
    let e = engine();
    let mut g = c.benchmark_group("deal_round");
    let three = [BotLevel::Easy, BotLevel::Hard, BotLevel::Par];
    for (name, people, bots) in [
        ("1_person", 1, &[][..]),
        ("1_person_3_bots", 1, &three[..]),
        ("4_people", 4, &[][..]),
    ] {
        g.bench_function(name, |b| {
            let mut seed = 0u64;
            b.iter(|| {
                seed += 1;
                let m = table(people, bots, seed);
                black_box(m.deal_next_round(e, 1_000).expect("a deal"))
            })
        });
    }
    g.finish();
    // The parts: the deal alone, and the ordering of one hand's moves (its batch ranks).
    let mut g = c.benchmark_group("deal_parts");
    let spec = word_bocce::game::deal::DealSpec {
        n_public: 10,
        m_private: 2,
        players: 1,
        wildcard_ratio: 0.0,
        difficulty: word_bocce::game::deal::Difficulty::Medium,
    };
    g.bench_function("deal_1_hand", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            black_box(word_bocce::game::deal::deal(e, &spec, seed).ok())
        })
    });
    let d = word_bocce::game::deal::deal(e, &spec, 1).expect("a deal");
    g.bench_function("order_1_hand", |b| {
        b.iter(|| {
            black_box(word_bocce::game::bots::order_hand(
                e,
                d.start,
                d.target,
                &d.public,
                &d.private[0],
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, deal);
criterion_main!(benches);
