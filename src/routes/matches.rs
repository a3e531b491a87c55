//! The match contract (API.md "Matches").

use super::idempotency;
use super::limits::Class;
use super::{bearer_hash, hash_token, new_id, new_token, now, token_matches, Limits, State};
use crate::error::{ApiError, Code, ProblemDoc};
use crate::game::matches::quoted;
use crate::game::matches::{
    clean_name, score, Match, MatchStatus, MatchView, MoveInput, MoveResult, Player, PlayerView,
    ResolveView, RoundView, SettingsInput, JOKER,
};
use crate::store::update_typed;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::atomic::Ordering;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    cfg.service(
        web::resource("/match")
            .route(web::post().to(create))
            .wrap(limits.class(Class::MatchCreate)),
    )
    .service(web::resource("/match/{id}").route(web::get().to(get_match)))
    .service(
        web::resource("/match/{id}/join")
            .route(web::post().to(join))
            .wrap(limits.class(Class::Join)),
    )
    .service(web::resource("/match/{id}/start").route(web::post().to(start)))
    .service(web::resource("/match/{id}/round/current").route(web::get().to(current_round)))
    .service(web::resource("/match/{id}/round/next").route(web::post().to(next_round)))
    .service(
        web::resource("/match/{id}/round/{round_id}/submit")
            .route(web::post().to(submit))
            .wrap(limits.class(Class::Submit)),
    )
    .service(web::resource("/match/{id}/round/{round_id}/resolve").route(web::post().to(resolve)))
    .service(web::resource("/match/{id}/player/{player_id}").route(web::get().to(player)));
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub name: String,
    #[serde(default)]
    pub settings: Option<SettingsInput>,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Created {
    #[serde(rename = "match")]
    pub m: MatchView,
    pub host_token: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    pub player_name: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Joined {
    #[serde(rename = "match")]
    pub m: MatchView,
    pub player: PlayerView,
    pub player_token: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlayerResponse {
    pub player: PlayerView,
    pub match_status: MatchStatus,
}

/// A sign as sent: `"+"`/`"-"` or `1`/`-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sign(pub i8);

impl<'de> Deserialize<'de> for Sign {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sign, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match &v {
            serde_json::Value::String(s) if s == "+" => Ok(Sign(1)),
            serde_json::Value::String(s) if s == "-" => Ok(Sign(-1)),
            serde_json::Value::Number(n) if n.as_i64() == Some(1) => Ok(Sign(1)),
            serde_json::Value::Number(n) if n.as_i64() == Some(-1) => Ok(Sign(-1)),
            _ => Err(serde::de::Error::custom(format!(
                "a sign is \"+\" or \"-\" (or 1 / -1), not {v}"
            ))),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    pub public_token: String,
    /// `"+"` or `"-"` (1 or -1 also accepted)
    #[schema(value_type = String, example = "+")]
    pub public_sign: Sign,
    pub private_token: String,
    #[schema(value_type = String, example = "-")]
    pub private_sign: Sign,
    #[serde(default)]
    pub joker_override_token: Option<String>,
    #[serde(default)]
    pub player_id: Option<String>,
}

impl SubmitBody {
    /// Words as players type them: trimmed, lower-cased; `JOKER` in any case.
    fn normalise(&self) -> MoveInput {
        let word = |s: &str| s.trim().to_lowercase();
        let private = word(&self.private_token);
        let is_joker = private == JOKER.to_lowercase();
        MoveInput {
            public_token: word(&self.public_token),
            public_sign: self.public_sign.0,
            private_token: if is_joker { JOKER.to_string() } else { private },
            private_sign: self.private_sign.0,
            joker_override_token: if is_joker {
                self.joker_override_token.as_deref().map(word)
            } else {
                None
            },
        }
    }
}

fn unknown_match(id: &str) -> ApiError {
    ApiError::new(Code::UnknownMatch, format!("no match '{}'", quoted(id)))
}

/// Load a match, resolving its round first if that is due (and storing that).
pub(crate) async fn load(state: &State, id: &str) -> Result<Match, ApiError> {
    let m = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| unknown_match(id))?;
    if m.due(now()) {
        return update_typed(state.store.as_ref(), id, |m| {
            m.settle(now());
            Ok(m.clone())
        })
        .await;
    }
    Ok(m)
}

fn require_host(m: &Match, token_hash: &str) -> Result<(), ApiError> {
    if token_matches(token_hash, &m.host_token_hash) {
        return Ok(());
    }
    if m.players
        .iter()
        .any(|p| token_matches(token_hash, &p.token_hash))
    {
        return Err(ApiError::new(Code::Forbidden, "only the host may do that"));
    }
    Err(ApiError::new(
        Code::InvalidToken,
        "that token is not valid for this match",
    ))
}

/// The player a token belongs to: 403 for the host's token, 401 for any other.
fn token_player<'a>(m: &'a Match, token_hash: &str) -> Result<&'a Player, ApiError> {
    if let Some(p) = m
        .players
        .iter()
        .find(|p| token_matches(token_hash, &p.token_hash))
    {
        return Ok(p);
    }
    if token_matches(token_hash, &m.host_token_hash) {
        return Err(ApiError::new(
            Code::Forbidden,
            "the host token is not a player's token: join as a player",
        ));
    }
    Err(ApiError::new(
        Code::InvalidToken,
        "that token is not valid for this match",
    ))
}

/// The token's player, who must be `player_id` (404 if there is no such player, 403 if it is
/// someone else).
fn require_player<'a>(
    m: &'a Match,
    token_hash: &str,
    player_id: &str,
) -> Result<&'a Player, ApiError> {
    let me = token_player(m, token_hash)?;
    if me.id == player_id {
        Ok(me)
    } else if m.player(player_id).is_none() {
        Err(ApiError::new(
            Code::UnknownPlayer,
            format!("no player '{}' in this match", quoted(player_id)),
        ))
    } else {
        Err(ApiError::new(
            Code::Forbidden,
            "that token belongs to another player",
        ))
    }
}

#[utoipa::path(post, path = "/match", tag = "matches", request_body = CreateBody,
    responses((status = 201, body = Created), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
async fn create(
    state: State,
    req: HttpRequest,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    idempotency::run(&state.idempotency, &req, "POST /match", &*body, || async {
        let name = clean_name(&body.name, "name")?;
        let settings = body
            .settings
            .clone()
            .unwrap_or_default()
            .resolve(&state.settings.match_defaults)?;
        let token = new_token();
        let m = Match::new(
            new_id("m"),
            name,
            state.next_seed(),
            settings,
            hash_token(&token),
            now(),
        );
        let view = m.view();
        state.store.insert(m).await?;
        state
            .metrics
            .matches_created
            .fetch_add(1, Ordering::Relaxed);
        Ok(Created {
            m: view,
            host_token: token,
        })
    })
    .await
}

#[utoipa::path(get, path = "/match/{id}", tag = "matches", params(("id" = String, Path)),
    responses((status = 200, body = MatchView), (status = 404, body = ProblemDoc)))]
async fn get_match(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let m = load(&state, &path).await?;
    Ok(HttpResponse::Ok().json(m.view()))
}

#[utoipa::path(post, path = "/match/{id}/join", tag = "matches", params(("id" = String, Path)), request_body = JoinBody,
    responses((status = 201, body = Joined), (status = 400, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
async fn join(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<JoinBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let scope = format!("POST /match/{id}/join");
    idempotency::run(&state.idempotency, &req, &scope, &*body, || async {
        let name = clean_name(&body.player_name, "player_name")?;
        let token = new_token();
        let player = Player {
            id: new_id("p"),
            name,
            token_hash: hash_token(&token),
        };
        let (view, pview): (MatchView, PlayerView) = update_typed(state.store.as_ref(), &id, |m| {
            m.join(player.clone(), now())?;
            let p = m.players.last().expect("just joined");
            Ok((m.view(), m.player_view(p)))
        })
        .await?;
        state.metrics.players_joined.fetch_add(1, Ordering::Relaxed);
        Ok(Joined {
            m: view,
            player: pview,
            player_token: token,
        })
    })
    .await
}

#[utoipa::path(post, path = "/match/{id}/start", tag = "matches", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RoundView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
async fn start(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    deal_round(state, req, path.into_inner(), true).await
}

#[utoipa::path(get, path = "/match/{id}/round/current", tag = "matches", params(("id" = String, Path)),
    responses((status = 200, body = RoundView), (status = 304), (status = 404, body = ProblemDoc)))]
async fn current_round(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let m = load(&state, &path).await?;
    let round = m.current_round().ok_or_else(|| {
        ApiError::new(
            Code::UnknownRound,
            "the match has no round yet: the host starts it",
        )
    })?;
    let etag = format!("\"{}-{}\"", m.id, m.version);
    let fresh = super::none_match(&req, &etag);
    if fresh {
        return Ok(HttpResponse::NotModified()
            .insert_header(("ETag", etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag))
        .json(m.round_view(round)))
}

#[utoipa::path(get, path = "/match/{id}/player/{player_id}", tag = "matches", params(("id" = String, Path), ("player_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = PlayerResponse), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
async fn player(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, player_id) = path.into_inner();
    let m = load(&state, &id).await?;
    let p = require_player(&m, &token, &player_id)?;
    Ok(HttpResponse::Ok().json(PlayerResponse {
        player: m.player_view(p),
        match_status: m.status,
    }))
}

#[utoipa::path(post, path = "/match/{id}/round/{round_id}/submit", tag = "matches", params(("id" = String, Path), ("round_id" = String, Path)), security(("bearer" = [])),
    request_body = SubmitBody,
    responses((status = 200, body = MoveResult), (status = 400, body = ProblemDoc), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 413, body = ProblemDoc),
        (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
async fn submit(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<SubmitBody>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, round_id) = path.into_inner();
    let m = load(&state, &id).await?;
    let me = token_player(&m, &token)?.id.clone();
    if let Some(pid) = &body.player_id {
        if *pid != me {
            return Err(
                ApiError::new(Code::Forbidden, "player_id does not match your token")
                    .field("player_id"),
            );
        }
    }
    m.round(&round_id)?;
    let mv = body.normalise();
    // A replay of the stored move returns the stored result; another move conflicts.
    if let Some(prev) = m.stored_move(&round_id, &me) {
        if prev.input == mv {
            return Ok(HttpResponse::Ok().json(&prev.result));
        }
        return Err(ApiError::new(
            Code::AlreadySubmitted,
            "you have already moved this round",
        ));
    }
    let t = now();
    let checked = m.check_move(&state.engine, &round_id, &me, &mv, t);
    let (terms, target) = match checked {
        Ok(x) => x,
        Err(e) => {
            state.metrics.moves_rejected.fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
    };
    let clock = std::time::Instant::now();
    let result = score(&state.engine, &terms, target)?;
    state.metrics.observe_scoring(clock.elapsed().as_secs_f64());
    let stored: MoveResult = update_typed(state.store.as_ref(), &id, |m| {
        m.settle(now());
        m.record_move(&round_id, &me, mv.clone(), result.clone(), now())
    })
    .await?;
    state.metrics.moves_scored.fetch_add(1, Ordering::Relaxed);
    Ok(HttpResponse::Ok().json(stored))
}

#[utoipa::path(post, path = "/match/{id}/round/{round_id}/resolve", tag = "matches", params(("id" = String, Path), ("round_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ResolveView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
async fn resolve(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, round_id) = path.into_inner();
    let m = load(&state, &id).await?;
    require_host(&m, &token)?;
    m.round(&round_id)?;
    let view: ResolveView = update_typed(state.store.as_ref(), &id, |m| {
        m.settle(now());
        m.resolve(&round_id, now())?;
        let r = m.round(&round_id)?;
        m.resolve_view(r)
            .ok_or_else(|| ApiError::internal("a resolved round has no resolution"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/match/{id}/round/next", tag = "matches", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RoundView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
async fn next_round(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    deal_round(state, req, path.into_inner(), false).await
}

/// Deal round 1 (`starting`) or the next round, for the host. The deal searches the index and
/// takes milliseconds (tens at the largest settings), so it runs on a blocking thread from a
/// copy of the match, then is applied atomically; if a player joined meanwhile, it deals again
/// for the new table. Players only ever join, at most `max_players` of them, so this ends:
/// a start during a join storm is dealt for everyone seated when it lands, and a join after
/// it gets `match_already_started`.
async fn deal_round(
    state: State,
    req: HttpRequest,
    id: String,
    starting: bool,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let mut attempts = 0;
    loop {
        let m = load(&state, &id).await?;
        require_host(&m, &token)?;
        m.check_deal(starting)?;
        attempts += 1;
        if attempts > m.settings.max_players + 2 {
            return Err(ApiError::internal(
                "a deal could not be applied though no player joined",
            ));
        }
        let engine = state.engine.clone();
        let t = now();
        let round = web::block(move || m.deal_next_round(&engine, t))
            .await
            .map_err(ApiError::internal)??;
        let applied: Option<RoundView> = update_typed(state.store.as_ref(), &id, |m| {
            m.settle(now());
            if m.apply_round(round.clone(), starting, now())? {
                let r = m.current_round().expect("just dealt");
                Ok(Some(m.round_view(r)))
            } else {
                Ok(None)
            }
        })
        .await?;
        if let Some(view) = applied {
            state.metrics.rounds_dealt.fetch_add(1, Ordering::Relaxed);
            return Ok(HttpResponse::Ok().json(view));
        }
    }
}
