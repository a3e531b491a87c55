//! Matches, played through a [`MatchStore`]: every change is one atomic update of one match
//! (on any instance, with the Redis store), rounds resolve lazily when due, and a deal runs off
//! the async workers from a copy of the match and is applied if the table did not change.

use super::reads::{MatchRead, Reads};
use super::PlayError;
use crate::clock::SharedClock;
use crate::engine::Engine;
use crate::game::rules::{require_host, require_player, score, token_player};
use crate::game::views::{BotSeat, MatchView, PlayerView, ResolveView, RoundView};
use crate::game::Name;
use crate::game::{
    BotLevel, GameError, Match, MatchSettings, MatchStatus, MoveInput, MoveResult, Player,
    SettingsInput,
};
use crate::metrics::Metrics;
use crate::store::{update_typed, Fetched, MatchStore, StoreError};
use crate::tokens::{hash_token, new_id, new_token};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where seeds of new matches come from: reproducible from a base seed, or random.
#[derive(Debug)]
pub struct Seeds {
    base: Option<u64>,
    counter: AtomicU64,
}

impl Seeds {
    pub fn new(base: Option<u64>) -> Seeds {
        Seeds {
            base,
            counter: AtomicU64::new(0),
        }
    }

    /// The next match's seed: reproducible from the base (`RNG_SEED`), else random.
    pub fn next(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        match self.base {
            Some(s) => s ^ (n + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            None => rand::random(),
        }
    }
}

/// A new match and the host's token (returned once, stored as its hash).
#[derive(Debug)]
pub struct Created {
    pub view: MatchView,
    pub host_token: String,
}

/// A new player and their token (returned once, stored as its hash).
#[derive(Debug)]
pub struct Joined {
    pub view: MatchView,
    pub player: PlayerView,
    pub player_token: String,
}

/// The matches of one service.
pub struct Matches {
    pub engine: Arc<Engine>,
    pub store: Arc<dyn MatchStore>,
    pub clock: SharedClock,
    pub metrics: Arc<Metrics>,
    pub defaults: MatchSettings,
    pub seeds: Seeds,
    /// The serialised views of recently read match versions ([`super::reads`]).
    pub reads: Reads,
}

impl Matches {
    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Create a match named `name` with `settings` over the defaults.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create(
        &self,
        name: Name,
        settings: Option<&SettingsInput>,
    ) -> Result<Created, PlayError> {
        let settings = match settings {
            Some(s) => s.resolve(&self.defaults)?,
            None => self.defaults,
        };
        let token = new_token();
        let m = Match::new(
            new_id("m"),
            name.into_string(),
            self.seeds.next(),
            settings,
            hash_token(&token),
            self.now(),
        );
        let view = m.view();
        self.store.insert(m).await?;
        self.metrics.matches_created.inc();
        Ok(Created {
            view,
            host_token: token,
        })
    }

    /// Seat a player named `name` in match `id` (lobby only, up to `max_players`).
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id))]
    pub async fn join(&self, id: &str, name: Name) -> Result<Joined, PlayError> {
        let token = new_token();
        let player = Player {
            id: new_id("p"),
            name: name.into_string(),
            token_hash: hash_token(&token),
            bot: None,
        };
        let now = self.now();
        let (view, pview): (MatchView, PlayerView) = update_typed(self.store.as_ref(), id, |m| {
            m.join(player.clone(), now)?;
            let p = m.players.last().expect("just joined");
            Ok((m.view(), m.player_view(p)))
        })
        .await?;
        self.metrics.players_joined.inc();
        Ok(Joined {
            view,
            player: pview,
            player_token: token,
        })
    }

    /// Seat a computer opponent of `level` in match `id` (the host; lobby only, up to
    /// `max_players`), named `name` or after its level.
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id, level = level.as_str()))]
    pub async fn add_bot(
        &self,
        id: &str,
        token_hash: &str,
        level: BotLevel,
        name: Option<Name>,
    ) -> Result<(MatchView, BotSeat), PlayError> {
        let player_id = new_id("p");
        let now = self.now();
        let added = update_typed(self.store.as_ref(), id, |m| {
            require_host(m, token_hash)?;
            let nth = 1 + m.players.iter().filter(|p| p.bot == Some(level)).count();
            let name = match &name {
                Some(n) => n.as_str().to_string(),
                None => level.default_name(nth),
            };
            let bot = Player {
                id: player_id.clone(),
                name: name.clone(),
                token_hash: String::new(),
                bot: Some(level),
            };
            m.join(bot, now)?;
            Ok((
                m.view(),
                BotSeat {
                    id: player_id.clone(),
                    name,
                    bot: level,
                },
            ))
        })
        .await?;
        self.metrics.players_joined.inc();
        Ok(added)
    }

    /// Match `id` (shared with the store: not a copy), its round resolved first if that is due
    /// (and stored).
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id))]
    pub async fn load(&self, id: &str) -> Result<Arc<Match>, PlayError> {
        let m = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        if m.due(self.now()) {
            return self.settled(id).await;
        }
        Ok(m)
    }

    /// Settle what is due in match `id` (stored) and return it.
    async fn settled(&self, id: &str) -> Result<Arc<Match>, PlayError> {
        let clock = self.clock.clone();
        Ok(update_typed(self.store.as_ref(), id, |m| {
            m.settle(clock.now());
            Ok(Arc::new(m.clone()))
        })
        .await?)
    }

    /// The views of match `id` as any reader sees it now (its round resolved first if that is
    /// due): shared by every read of the same version, serialised once.
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id))]
    pub async fn read(&self, id: &str) -> Result<Arc<MatchRead>, PlayError> {
        let held = self.reads.fresh(id, self.now());
        let m = match self
            .store
            .get_newer(id, held.as_ref().map(|r| r.version))
            .await?
        {
            Fetched::Unchanged => {
                return held.ok_or_else(|| {
                    GameError::Internal("a store found no change to a version not asked".into())
                        .into()
                })
            }
            Fetched::Missing => {
                self.reads.forget(id);
                return Err(StoreError::NotFound(id.to_string()).into());
            }
            Fetched::Changed(m) => m,
        };
        // A due round settles in the store's atomic update (which reads the match itself).
        let m = if m.due(self.now()) {
            self.settled(id).await?
        } else {
            m
        };
        self.reads.hold(&m)
    }

    /// What player `player_id` may see (their token's hash must be theirs).
    pub async fn player(
        &self,
        id: &str,
        token_hash: &str,
        player_id: &str,
    ) -> Result<(PlayerView, MatchStatus), PlayError> {
        let m = self.load(id).await?;
        let p = require_player(&m, token_hash, player_id)?;
        Ok((m.player_view(p), m.status))
    }

    /// Play a move for the token's player: checked against the round's rules and the player's
    /// cards, scored (exact rank over the whole vocabulary), recorded. The identical move again
    /// returns the stored result; `claimed_player`, when given, must be the token's player.
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id, round_id = %round_id))]
    pub async fn submit(
        &self,
        id: &str,
        token_hash: &str,
        round_id: &str,
        mv: MoveInput,
        claimed_player: Option<&str>,
    ) -> Result<MoveResult, PlayError> {
        let m = self.load(id).await?;
        let me = token_player(&m, token_hash)?.id.clone();
        if claimed_player.is_some_and(|pid| pid != me) {
            return Err(GameError::PlayerIdMismatch.into());
        }
        m.round(round_id)?;
        // A replay of the stored move returns the stored result; another move conflicts.
        if let Some(prev) = m.stored_move(round_id, &me) {
            if prev.input == mv {
                return Ok(prev.result.clone());
            }
            return Err(GameError::AlreadySubmitted.into());
        }
        let (terms, target) = match m.check_move(&self.engine, round_id, &me, &mv, self.now()) {
            Ok(x) => x,
            Err(e) => {
                self.metrics.move_rejected();
                return Err(e.into());
            }
        };
        let started = std::time::Instant::now();
        let result = score(&self.engine, &terms, target)?;
        self.metrics
            .observe_scoring(started.elapsed().as_secs_f64());
        let clock = self.clock.clone();
        let stored: MoveResult = update_typed(self.store.as_ref(), id, |m| {
            m.settle(clock.now());
            m.record_move(round_id, &me, mv.clone(), result.clone(), clock.now())
        })
        .await?;
        self.metrics.move_scored();
        Ok(stored)
    }

    /// Resolve round `round_id` now (the host).
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id, round_id = %round_id))]
    pub async fn resolve(
        &self,
        id: &str,
        token_hash: &str,
        round_id: &str,
    ) -> Result<ResolveView, PlayError> {
        let m = self.load(id).await?;
        require_host(&m, token_hash)?;
        m.round(round_id)?;
        let clock = self.clock.clone();
        Ok(update_typed(self.store.as_ref(), id, |m| {
            m.settle(clock.now());
            m.resolve(round_id, clock.now())?;
            let r = m.round(round_id)?;
            m.resolve_view(r)
                .ok_or_else(|| GameError::Internal("a resolved round has no resolution".into()))
        })
        .await?)
    }

    /// Deal round 1 (`starting`) or the next round, for the host. The deal searches the index
    /// and takes milliseconds (tens at the largest settings), so it runs on a blocking thread
    /// from a copy of the match, then is applied atomically; if a player joined meanwhile, it
    /// deals again for the new table. Players only ever join, at most `max_players` of them,
    /// so this ends: a start during a join storm is dealt for everyone seated when it lands,
    /// and a join after it gets `match_already_started`.
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %id, starting))]
    pub async fn deal(
        &self,
        id: &str,
        token_hash: &str,
        starting: bool,
    ) -> Result<RoundView, PlayError> {
        let mut attempts = 0;
        loop {
            let m = self.load(id).await?;
            require_host(&m, token_hash)?;
            m.check_deal(starting)?;
            attempts += 1;
            if attempts > m.settings.max_players + 2 {
                return Err(GameError::Internal(
                    "a deal could not be applied though no player joined".into(),
                )
                .into());
            }
            let engine = self.engine.clone();
            let now = self.now();
            let round = tokio::task::spawn_blocking(move || m.deal_next_round(&engine, now))
                .await
                .map_err(|e| GameError::Internal(format!("the deal stopped: {e}")))??;
            let clock = self.clock.clone();
            let applied: Option<RoundView> = update_typed(self.store.as_ref(), id, |m| {
                m.settle(clock.now());
                if m.apply_round(round.clone(), starting, clock.now())? {
                    let r = m.current_round().expect("just dealt");
                    Ok(Some(m.round_view(r)))
                } else {
                    Ok(None)
                }
            })
            .await?;
            if let Some(view) = applied {
                self.metrics.rounds_dealt.inc();
                return Ok(view);
            }
        }
    }
}
