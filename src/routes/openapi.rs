//! The OpenAPI document, generated from the handlers' annotations and the types they use.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Word Bocce", description = "A multiplayer game played in word-vector space. The contract: API.md."),
    paths(
        super::meta::api,
        super::meta::healthz,
        super::meta::readyz,
        super::meta::health,
        super::meta::metrics,
        super::matches::create,
        super::matches::get_match,
        super::matches::join,
        super::matches::start,
        super::matches::current_round,
        super::matches::player,
        super::matches::submit,
        super::matches::resolve,
        super::matches::next_round,
        super::events::events,
        super::words::analogy,
        super::words::test_analogies,
        super::puzzles::list,
        super::puzzles::daily,
        super::puzzles::get_puzzle,
        super::puzzles::solve,
        super::puzzles::give_up,
        super::puzzles::leaderboard,
        super::puzzles::create_player,
        super::puzzles::me,
        super::visualize::visualize_word,
        super::visualize::visualize_move,
        super::visualize::visualize_post,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
