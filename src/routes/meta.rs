//! `/api`, `/healthz`, `/readyz`, `/health`.

use super::State;
use crate::routes::problem::{ApiError, Code};
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api").route(web::get().to(api)))
        .service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)))
        .service(web::resource("/health").route(web::get().to(health)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        // Not a resource: without ADMIN_TOKEN it must look absent to every method (a 404, not a 405).
        .route("/admin/stats", web::get().to(admin_stats))
        // Serves the document at /openapi.json and the page (vendored: no CDN) at /docs/.
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", super::openapi::document()),
        )
        .service(web::resource("/docs").route(web::get().to(docs_redirect)));
}

#[utoipa::path(get, path = "/api", tag = "meta", responses((status = 200, description = "the model and index")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn api(state: State) -> HttpResponse {
    let e = &state.engine;
    let p = e.hnsw.params;
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "model": e.emb.name(),
        "dim": e.emb.dim(),
        "vocab_size": e.emb.len(),
        "deck_size": e.deck.len(),
        "index": {"kind": "hnsw", "m": p.m, "ef_construction": p.ef_construction, "ef_search": p.ef_search},
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "the process serves")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "meta", responses((status = 200, description = "ready to serve: `healthy`, or `degraded` when only the progress store, the puzzle catalogue or the snapshot write is failing"), (status = 503, description = "the model, index or match store is missing, or shutting down")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn readyz(state: State) -> HttpResponse {
    let store = state.store.healthy().await;
    let shutting_down = state.shutdown.phase() != crate::shutdown::Phase::Running;
    let engine = state.engine.health();
    let puzzles = !state.puzzles.catalogue().is_empty();
    let progress = state.progress.healthy().await;
    // `snapshot` only where there is one (the memory store with SNAPSHOT_PATH).
    let snapshot = state.store.snapshot_healthy();
    let mut checks = json!({"embeddings": engine.embeddings, "index": engine.index, "puzzles": puzzles,
                        "match_store": store, "progress_store": progress});
    if let Some(ok) = snapshot {
        checks["snapshot"] = json!(ok);
    }
    // Without the model, the index or the match store nothing works: take this instance out
    // of rotation (503). Without the progress store (or the catalogue) only puzzle progress is
    // lost — anonymous solves and matches still work, and every instance shares the same
    // database, so a 503 would turn a database blip into a total outage: report it as
    // "degraded" with 200, and let the checks say what is missing.
    // A failing snapshot write is the same: play goes on, but a restart would lose what
    // changed since the last good write — "degraded", counted in /metrics and logged as an error
    // (a Sentry report when Sentry is on) at each failed write.
    let serving = store && engine.embeddings && engine.index && !shutting_down;
    let all = serving && puzzles && progress && snapshot != Some(false);
    let body = json!({
        "status": if all { "healthy" } else { "degraded" },
        "checks": checks,
        "shutting_down": shutting_down,
        "timestamp": state.clock.now(),
    });
    if serving {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The same readiness answer under API.md's other name for it.
#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, description = "as /readyz"), (status = 503, description = "as /readyz")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn health(state: State) -> HttpResponse {
    readyz(state).await
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/docs/"))
        .finish()
}

#[utoipa::path(get, path = "/metrics", tag = "meta", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn metrics(state: State) -> HttpResponse {
    let active = state.store.count().await;
    let body = state.metrics.render(
        active,
        state.streams.open(),
        state.started.elapsed().as_secs(),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// The `/admin/*` gate: the bearer must be `ADMIN_TOKEN` (compared in constant time); 404
/// when it is unset, as if the route did not exist.
pub fn require_admin(state: &State, req: &actix_web::HttpRequest) -> Result<(), ApiError> {
    let Some(expected) = &state.settings.admin_token else {
        return Err(ApiError::new(Code::NotFound, "no such route"));
    };
    let given = super::bearer_hash(req)?;
    if !crate::tokens::token_matches(&given, &crate::tokens::hash_token(expected.expose())) {
        return Err(ApiError::new(
            Code::InvalidToken,
            "that is not the admin token",
        ));
    }
    Ok(())
}

/// Operator's view, behind `ADMIN_TOKEN`.
async fn admin_stats(state: State, req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    require_admin(&state, &req)?;
    let m = state.metrics.counts();
    let e = &state.engine;
    let p = e.hnsw.params;
    Ok(HttpResponse::Ok().json(json!({
        "active_matches": state.store.count().await,
        "matches_created": m.matches_created,
        "players_joined": m.players_joined,
        "rounds_dealt": m.rounds_dealt,
        "moves_scored": m.moves_scored,
        "moves_rejected": m.moves_rejected,
        "puzzle_solves": m.puzzle_solves_by_stars.iter().sum::<u64>(),
        "puzzle_solves_by_stars": m.puzzle_solves_by_stars,
        "puzzles": state.puzzles.catalogue().len(),
        "progress_store": state.progress.label(),
        "rate_limited": m.rate_limited,
        "uptime_secs": state.started.elapsed().as_secs(),
        "model": e.emb.name(),
        "vocab_size": e.emb.len(),
        "index": {"kind": "hnsw", "m": p.m, "ef_construction": p.ef_construction, "ef_search": p.ef_search,
                  "origin": e.report.index_origin, "bytes": e.report.index_bytes},
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

/// Count and time every request by its route template (`/match/{id}`, never the id).
pub async fn track(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody + 'static>,
    actix_web::Error,
> {
    let start = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let metrics = req.app_data::<State>().map(|s| s.metrics.clone());
    let res = next.call(req).await;
    if let Some(metrics) = metrics {
        // An error from a middleware (the request deadline's 408) is counted as the answer
        // it becomes.
        let status = match &res {
            Ok(r) => r.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        metrics.record_request(
            &method,
            &route,
            status.as_u16(),
            start.elapsed().as_secs_f64(),
        );
    }
    res
}
