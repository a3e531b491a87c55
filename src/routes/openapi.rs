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
        super::matches::add_bot,
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
        super::practice::open,
        super::practice::throw,
        super::practice::score,
        super::feedback::post_feedback,
        super::feedback::list_feedback,
        super::visualize::visualize_word,
        super::visualize::visualize_move,
        super::visualize::visualize_post,
    ),
    modifiers(&Bearer, &Problems)
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

/// Errors as the service sends them: every 4xx and 5xx is a problem document
/// (`application/problem+json`, API.md "Errors"), and every operation that reads a body or a
/// query string may answer 400 `bad_request` for one that does not parse and 422
/// `invalid_input` for a value out of range (a whole number too large for any field, say).
struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let reads_input = op.request_body.is_some()
                    || op.parameters.iter().flatten().any(|p| {
                        matches!(p, RefOr::T(p)
                            if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                    });
                if reads_input {
                    for (status, why) in [
                        ("400", "the body or query string does not parse"),
                        ("422", "a value is out of its range or breaks a rule"),
                    ] {
                        if op.responses.responses.contains_key(status) {
                            continue;
                        }
                        let content = utoipa::openapi::Content::new(Some(RefOr::Ref(
                            utoipa::openapi::Ref::from_schema_name("Problem"),
                        )));
                        let response = ResponseBuilder::new()
                            .description(why)
                            .content("application/problem+json", content)
                            .build();
                        op.responses
                            .responses
                            .insert(status.into(), RefOr::T(response));
                    }
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let Some(json) = response.content.shift_remove("application/json") {
                        response
                            .content
                            .insert("application/problem+json".into(), json);
                    }
                }
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
