//! The match contract (API.md "Matches").

use super::idempotency;
use super::input;
use super::limits::Class;
use super::problem::{ApiError, ProblemDoc};
use super::schemas;
use super::{bearer_hash, Limits, State};
use crate::game::views::{BotSeat, MatchView, PlayerView, ResolveView};
use crate::game::{BotLevel, GameError, MatchStatus, MoveInput, Name, SettingsInput, Sign, JOKER};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};

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
    .service(
        web::resource("/match/{id}/bots")
            .route(web::post().to(add_bot))
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
    #[schema(value_type = Option<schemas::SettingsInput>)]
    pub settings: Option<SettingsInput>,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Created {
    #[serde(rename = "match")]
    #[schema(value_type = schemas::MatchView)]
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
    #[schema(value_type = schemas::MatchView)]
    pub m: MatchView,
    #[schema(value_type = schemas::PlayerView)]
    pub player: PlayerView,
    pub player_token: String,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotBody {
    #[schema(value_type = schemas::BotLevel)]
    pub level: BotLevel,
    /// Same rules as a player's name; by default named after its level ("Hard bot").
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotAdded {
    #[serde(rename = "match")]
    #[schema(value_type = schemas::MatchView)]
    pub m: MatchView,
    #[schema(value_type = schemas::BotSeat)]
    pub player: BotSeat,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlayerResponse {
    #[schema(value_type = schemas::PlayerView)]
    pub player: PlayerView,
    #[schema(value_type = schemas::MatchStatus)]
    pub match_status: MatchStatus,
}

/// A sign as sent: `"+"`/`"-"` or `1`/`-1`; an unknown value is a 400 like any unknown enum
/// value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInput(pub Sign);

impl<'de> Deserialize<'de> for SignInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SignInput, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let parsed = match &v {
            serde_json::Value::String(s) if s == "+" || s == "-" => Sign::try_from(s.as_str()),
            serde_json::Value::Number(n) => n
                .as_i64()
                .and_then(|n| i8::try_from(n).ok())
                .ok_or_else(String::new)
                .and_then(Sign::try_from),
            _ => Err(String::new()),
        };
        parsed.map(SignInput).map_err(|_| {
            serde::de::Error::custom(format!("must be \"+\" or \"-\" (or 1 or -1), not {v}"))
        })
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    pub public_token: String,
    /// `"+"` or `"-"` (1 or -1 also accepted)
    #[schema(value_type = String, example = "+")]
    pub public_sign: SignInput,
    pub private_token: String,
    #[schema(value_type = String, example = "-")]
    pub private_sign: SignInput,
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

#[utoipa::path(post, path = "/match", tag = "matches", request_body = CreateBody,
    responses((status = 201, body = Created), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    state: State,
    req: HttpRequest,
    body: input::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    idempotency::run(&*state.idempotency, &req, "POST /match", &*body, || async {
        let name = Name::parse(&body.name, "name")?;
        let c = state.matches.create(name, body.settings.as_ref()).await?;
        Ok(Created {
            m: c.view,
            host_token: c.host_token,
        })
    })
    .await
}

#[utoipa::path(get, path = "/match/{id}", tag = "matches", params(("id" = String, Path)),
    responses((status = 200, body = schemas::MatchView), (status = 304), (status = 404, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn get_match(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let read = state.matches.read(&path).await?;
    versioned(&req, &read.etag, || read.view())
}

#[utoipa::path(post, path = "/match/{id}/join", tag = "matches", params(("id" = String, Path)), request_body = JoinBody,
    responses((status = 201, body = Joined), (status = 400, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn join(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: input::Json<JoinBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let scope = format!("POST /match/{id}/join");
    idempotency::run(&*state.idempotency, &req, &scope, &*body, || async {
        let name = Name::parse(&body.player_name, "player_name")?;
        let j = state.matches.join(&id, name).await?;
        Ok(Joined {
            m: j.view,
            player: j.player,
            player_token: j.player_token,
        })
    })
    .await
}

#[utoipa::path(post, path = "/match/{id}/bots", tag = "matches", params(("id" = String, Path)), request_body = BotBody, security(("bearer" = [])),
    responses((status = 201, body = BotAdded), (status = 400, body = ProblemDoc), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn add_bot(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: input::Json<BotBody>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let name = body
        .name
        .as_deref()
        .map(|n| Name::parse(n, "name"))
        .transpose()?;
    let (m, player) = state
        .matches
        .add_bot(&path, &token, body.level, name)
        .await?;
    Ok(HttpResponse::Created().json(BotAdded { m, player }))
}

#[utoipa::path(post, path = "/match/{id}/start", tag = "matches", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = schemas::RoundView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn start(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let view = state.matches.deal(&path, &token, true).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(get, path = "/match/{id}/round/current", tag = "matches", params(("id" = String, Path)),
    responses((status = 200, body = schemas::RoundView), (status = 304), (status = 404, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn current_round(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let read = state.matches.read(&path).await?;
    read.round_dealt()?;
    versioned(&req, &read.etag, || read.round())
}

/// A read of one version of a match: its already-serialised JSON with the version's `ETag`,
/// or 304 when the client holds that version.
fn versioned(
    req: &HttpRequest,
    etag: &str,
    json: impl FnOnce() -> Result<bytes::Bytes, GameError>,
) -> Result<HttpResponse, ApiError> {
    if super::none_match(req, etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(json()?))
}

#[utoipa::path(get, path = "/match/{id}/player/{player_id}", tag = "matches", params(("id" = String, Path), ("player_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = PlayerResponse), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn player(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, player_id) = path.into_inner();
    let (player, match_status) = state.matches.player(&id, &token, &player_id).await?;
    Ok(HttpResponse::Ok().json(PlayerResponse {
        player,
        match_status,
    }))
}

#[utoipa::path(post, path = "/match/{id}/round/{round_id}/submit", tag = "matches", params(("id" = String, Path), ("round_id" = String, Path)), security(("bearer" = [])),
    request_body = SubmitBody,
    responses((status = 200, body = schemas::MoveResult), (status = 400, body = ProblemDoc), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 413, body = ProblemDoc),
        (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn submit(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: input::Json<SubmitBody>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, round_id) = path.into_inner();
    let result = state
        .matches
        .submit(
            &id,
            &token,
            &round_id,
            body.normalise(),
            body.player_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(post, path = "/match/{id}/round/{round_id}/resolve", tag = "matches", params(("id" = String, Path), ("round_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = schemas::ResolveView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn resolve(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let (id, round_id) = path.into_inner();
    let view: ResolveView = state.matches.resolve(&id, &token, &round_id).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/match/{id}/round/next", tag = "matches", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = schemas::RoundView), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn next_round(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_hash(&req)?;
    let view = state.matches.deal(&path, &token, false).await?;
    Ok(HttpResponse::Ok().json(view))
}
