//! The game played without HTTP: a match created, joined, dealt, played and resolved through
//! the `play` layer over the in-memory store, with a hand-moved clock for the deadline — what a
//! computer opponent or a practice court will call. Also checks that the use cases leave spans
//! behind (a slow request shows where its time went at `RUST_LOG=word_bocce=debug`).
//!
//! A test binary of its own: the span check installs a thread-scoped subscriber, and tracing
//! caches per callsite, process-wide, whether anyone listens. In the foundation binary, where
//! other tests' threads hit the same callsites (`score_move`) with no subscriber, that cache
//! made the check fail depending on timing.

use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;
use word_bocce::clock::ManualClock;
use word_bocce::config::EngineSettings;
use word_bocce::engine::Engine;
use word_bocce::game::{
    GameError, MatchSettings, MoveInput, Name, RoundStatus, SettingsInput, Sign, JOKER,
};
use word_bocce::metrics::Metrics;
use word_bocce::play::matches::{Matches, Seeds};
use word_bocce::play::PlayError;
use word_bocce::store::memory::MemoryStore;
use word_bocce::store::StoreError;
use word_bocce::tokens::hash_token;

fn crate_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The names of the spans opened while it runs.
#[derive(Clone, Default)]
struct SpanNames(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanNames {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push(attrs.metadata().name().to_string());
    }
}

#[test]
fn a_match_plays_to_the_end_through_the_core_with_a_moved_clock() {
    let engine = Arc::new(Engine::load(&EngineSettings::committed_model(&crate_path(""))).unwrap());
    let clock = ManualClock::at(1_800_000_000);
    let metrics = Arc::new(Metrics::new("test", engine.hnsw.search_seconds()));
    let store = Arc::new(MemoryStore::new(None).with_metrics(metrics.clone()));
    let matches = Matches {
        engine: engine.clone(),
        store,
        clock: clock.clone(),
        metrics: metrics.clone(),
        defaults: MatchSettings::default(),
        seeds: Seeds::new(Some(11)),
        reads: Default::default(),
    };
    let spans = SpanNames::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let settings = SettingsInput {
                rounds: Some(2),
                timeout_secs: Some(60),
                ..Default::default()
            };
            let created = matches
                .create(Name::parse("Core game", "name").unwrap(), Some(&settings))
                .await
                .unwrap();
            let id = created.view.id.clone();
            let host = hash_token(&created.host_token);
            let ann = matches
                .join(&id, Name::parse("Ann", "player_name").unwrap())
                .await
                .unwrap();
            let bob = matches
                .join(&id, Name::parse("Bob", "player_name").unwrap())
                .await
                .unwrap();
            let (ann_token, bob_token) =
                (hash_token(&ann.player_token), hash_token(&bob.player_token));

            // Only the host deals; a player's token is refused by the rules, not by HTTP.
            let refused = matches.deal(&id, &ann_token, true).await.unwrap_err();
            assert_eq!(refused, PlayError::Game(GameError::NotHost));
            let round = matches.deal(&id, &host, true).await.unwrap();
            assert_eq!((round.number, round.status), (1, RoundStatus::Open));

            // Ann plays a legal move from her own hand (a word card if she has one).
            let (view, _) = matches
                .player(&id, &ann_token, &ann.player.id)
                .await
                .unwrap();
            let card = view
                .private_cards
                .iter()
                .find(|c| c.kind != JOKER)
                .unwrap_or(&view.private_cards[0]);
            let mv = MoveInput {
                public_token: round.public_cards[0].token.clone(),
                public_sign: Sign::Plus,
                private_token: card.token.clone(),
                private_sign: Sign::Plus,
                joker_override_token: (card.token == JOKER).then(|| "music".to_string()),
            };
            let scored = matches
                .submit(&id, &ann_token, &round.id, mv.clone(), None)
                .await
                .unwrap();
            assert!(scored.rank >= 1 && scored.similarity.is_finite());
            // The same move again is the stored result; another is refused.
            let again = matches
                .submit(&id, &ann_token, &round.id, mv.clone(), None)
                .await
                .unwrap();
            assert_eq!(again, scored);
            let other = MoveInput {
                public_sign: Sign::Minus,
                ..mv.clone()
            };
            assert_eq!(
                matches
                    .submit(&id, &ann_token, &round.id, other, None)
                    .await
                    .unwrap_err(),
                PlayError::Game(GameError::AlreadySubmitted)
            );
            // A card Bob was not dealt is refused by the rules.
            let stolen = MoveInput {
                private_token: "zzzznotacard".into(),
                joker_override_token: None,
                ..mv.clone()
            };
            assert!(matches!(
                matches
                    .submit(&id, &bob_token, &round.id, stolen, None)
                    .await
                    .unwrap_err(),
                PlayError::Game(GameError::NotYourCard(_))
            ));

            // Bob never moves: the deadline passes on the hand-moved clock, and the next read
            // resolves the round (no sleeping).
            assert_eq!(
                matches.load(&id).await.unwrap().rounds[0].status,
                RoundStatus::Open
            );
            clock.advance(61);
            let m = matches.load(&id).await.unwrap();
            assert_eq!(m.rounds[0].status, RoundStatus::Resolved);
            assert_eq!(m.standings()[0].player_name, "Ann", "the only mover leads");
            assert_eq!(
                matches
                    .submit(&id, &bob_token, &round.id, mv.clone(), None)
                    .await
                    .unwrap_err(),
                PlayError::Game(GameError::RoundClosed)
            );

            // Round 2, resolved by the host; then the match is over.
            let r2 = matches.deal(&id, &host, false).await.unwrap();
            let resolution = matches.resolve(&id, &host, &r2.id).await.unwrap();
            assert!(resolution.leaderboard.is_empty() && resolution.best_moves.len() == 2);
            assert_eq!(
                matches.deal(&id, &host, false).await.unwrap_err(),
                PlayError::Game(GameError::MatchFinished)
            );
            assert_eq!(
                matches.load("m-nope").await.unwrap_err(),
                PlayError::Store(StoreError::NotFound("m-nope".into()))
            );
        })
    });
    let counts = metrics.counts();
    assert_eq!(
        (
            counts.matches_created,
            counts.rounds_dealt,
            counts.moves_scored
        ),
        (1, 2, 1)
    );
    let seen = spans.0.lock().unwrap().clone();
    for name in [
        "create",
        "join",
        "deal",
        "submit",
        "resolve",
        "store.update",
        "score_move",
    ] {
        assert!(
            seen.iter().any(|s| s == name),
            "no '{name}' span in {seen:?}"
        );
    }
}
