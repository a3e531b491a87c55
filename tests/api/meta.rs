use crate::helpers::{assert_problem, spawn_app};
use serde_json::{json, Value};

#[tokio::test]
async fn api_describes_the_model_and_index() {
    let app = spawn_app().await;
    let v: Value = app.get("/api", None).await.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["model"], "glove-6B-50d-100k");
    assert_eq!(v["dim"], 50);
    assert_eq!(v["vocab_size"], 100_000);
    assert_eq!(v["deck_size"], 10_000);
    assert_eq!(v["index"]["kind"], "hnsw");
    assert_eq!(v["index"]["m"], 16);
}

#[tokio::test]
async fn liveness_and_readiness() {
    let app = spawn_app().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status(), 200);
    for path in ["/readyz", "/health"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "healthy");
        assert_eq!(v["checks"]["match_store"], true);
        assert!(v["timestamp"].as_u64().unwrap() > 1_700_000_000);
    }
    // 503 while shutting down: tests/api/shutdown.rs (it keeps the listener open to see it).
}

#[tokio::test]
async fn unknown_routes_malformed_and_oversized_bodies_are_problems() {
    let app = spawn_app().await;
    assert_problem(app.get("/nope", None).await, 404, "not_found").await;
    let r = app
        .client
        .post(app.url("/match"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "bad_request").await;
    let r = app.post("/match", None, &json!({"name": 5})).await;
    assert_problem(r, 400, "bad_request").await;
    let big = "x".repeat(20 * 1024);
    let r = app.post("/match", None, &json!({"name": big})).await;
    assert_problem(r, 413, "payload_too_large").await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_docs_page_works_offline() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/health", "get"),
        ("/metrics", "get"),
        ("/match", "post"),
        ("/match/{id}", "get"),
        ("/match/{id}/join", "post"),
        ("/match/{id}/start", "post"),
        ("/match/{id}/round/current", "get"),
        ("/match/{id}/player/{player_id}", "get"),
        ("/match/{id}/round/{round_id}/submit", "post"),
        ("/match/{id}/round/{round_id}/resolve", "post"),
        ("/match/{id}/round/next", "post"),
        ("/analogy", "post"),
        ("/test/analogies", "get"),
        ("/match/{id}/events", "get"),
        ("/puzzles", "get"),
        ("/puzzles/daily", "get"),
        ("/puzzle/{id}", "get"),
        ("/puzzle/{id}/solve", "post"),
        ("/puzzle/{id}/give-up", "post"),
        ("/puzzle/{id}/leaderboard", "get"),
        ("/players", "post"),
        ("/players/me", "get"),
        ("/visualize/{word}", "get"),
        ("/visualize/move/{start}/{target}", "get"),
        ("/visualize", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "MatchView",
        "RoundView",
        "MoveResult",
        "SubmitBody",
        "Problem",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
    // Two leaderboards, two shapes: a round's (moves) and a puzzle's (stars). utoipa names a
    // schema after its type, so two types of one name would silently share one schema.
    let properties = |reference: &Value| -> Vec<String> {
        let name = reference.as_str().unwrap().rsplit('/').next().unwrap();
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}"))
            .keys()
            .cloned()
            .collect()
    };
    let round = properties(&schemas["ResolveView"]["properties"]["leaderboard"]["items"]["$ref"]);
    for field in ["player_id", "similarity", "rank", "nearest", "move"] {
        assert!(round.contains(&field.to_string()), "{round:?}");
    }
    let puzzle = properties(
        &paths["/puzzle/{id}/leaderboard"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["items"]["$ref"],
    );
    for field in ["player_name", "best_similarity", "stars", "solved_at"] {
        assert!(puzzle.contains(&field.to_string()), "{puzzle:?}");
    }
    // Every operation lists the errors every client can get from it: a body → 400 and 413,
    // a token → 401, an id in the path → 404 (a word in the path is 422
    // `word_not_in_vocabulary` instead).
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let listed = op["responses"].as_object().unwrap();
            let mut needed = Vec::new();
            if op.get("requestBody").is_some() {
                needed.extend(["400", "413"]);
            }
            if op.get("security").is_some() {
                needed.push("401");
            }
            if path.contains('{') && !path.starts_with("/visualize") {
                needed.push("404");
            }
            for status in needed {
                assert!(
                    listed.contains_key(status),
                    "{method} {path} lists no {status}"
                );
            }
        }
    }
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load from a CDN"
    );
}

#[tokio::test]
async fn request_ids_are_kept_or_made_and_returned() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42");
    let r = app.client.get(app.url("/nope")).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    let r = app
        .client
        .get(app.url("/api"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_never_by_id() {
    let app = spawn_app().await;
    let (id, _host) = app.create_match(json!({})).await;
    app.get(&format!("/match/{id}"), None).await;
    app.get("/match/nope", None).await;
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("http_requests_total{method=\"POST\",route=\"/match\",status=\"201\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("route=\"/match/{id}\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("route=\"/match/{id}\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("wordbocce_matches_created_total 1"));
    assert!(text.contains("wordbocce_active_matches 1"));
    assert!(text.contains("wordbocce_build_info{"));
    assert!(!text.contains(&id), "a match id leaked into a label");
}

/// The value of an unlabelled metric line.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_count_resolved_rounds_and_time_index_searches() {
    let app = spawn_app().await;
    let before = app.get("/metrics", None).await.text().await.unwrap();
    let (lobby, round) = app.started(2, json!({"rounds": 1})).await;
    let rid = round["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/match/{}/round/{rid}/resolve", lobby.id),
            Some(&lobby.host),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post(
            "/analogy",
            None,
            &json!({"positive": ["king", "woman"], "negative": ["man"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let after = app.get("/metrics", None).await.text().await.unwrap();
    // Process-wide counters: other tests add to them too, never subtract.
    for name in [
        "wordbocce_rounds_resolved_total",
        "wordbocce_index_search_seconds_count",
    ] {
        assert!(
            metric(&after, name) >= metric(&before, name) + 1.0,
            "{name} did not move"
        );
    }
    assert!(after.contains("wordbocce_event_streams "), "{after}");
}

/// A path of the document with its parameters filled in.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_a_405_problem_naming_the_ones_it_does() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let mut routes: Vec<(String, Vec<String>)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        // `/admin/*` looks absent without an admin token, to every method (below).
        .filter(|(path, _)| !path.starts_with("/admin/"))
        .map(|(path, item)| {
            let methods = ["get", "put", "post", "delete", "patch"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(str::to_uppercase)
                .collect();
            (path.clone(), methods)
        })
        .collect();
    // The routes outside the document: the page and its assets, the docs redirect.
    // (`/openapi.json` and `/docs/` belong to utoipa-swagger-ui, which guards GET on the
    // resource itself: another method finds no route there, a 404 problem, below.)
    for path in ["/", "/static/app.js", "/favicon.ico", "/docs"] {
        routes.push((path.into(), vec!["GET".into()]));
    }
    assert!(routes.len() > 30, "{routes:?}");
    for (template, methods) in routes {
        let wrong = ["POST", "DELETE", "PUT"]
            .into_iter()
            .find(|m| !methods.iter().any(|x| x == m))
            .unwrap();
        let url = app.url(&concrete(&template));
        let r = app
            .client
            .request(wrong.parse().unwrap(), &url)
            .send()
            .await
            .unwrap();
        let allow = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{wrong} {template}: no Allow header"));
        let mut expected = methods.clone();
        if methods.iter().any(|m| m == "GET") {
            expected.push("HEAD".into());
        }
        let mut got: Vec<&str> = allow.split(", ").collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{wrong} {template}");
        let body = assert_problem(r, 405, "method_not_allowed").await;
        assert!(body["detail"].as_str().unwrap().contains(&allow), "{body}");
    }
    // A path no route has is still a 404, whatever the method.
    // (/admin/stats and /admin/feedback look absent without an admin token, to every method.)
    for path in ["/nope", "/openapi.json", "/admin/stats", "/admin/feedback"] {
        let r = app.client.delete(app.url(path)).send().await.unwrap();
        assert_problem(r, 404, "not_found").await;
    }
}

#[tokio::test]
async fn head_answers_like_get_without_the_body_and_holds_no_event_stream() {
    let app = spawn_app().await;
    for path in ["/api", "/", "/puzzles"] {
        let get = app.get(path, None).await;
        assert_eq!(get.status(), 200);
        let len = get.bytes().await.unwrap().len();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        let declared: usize = head.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(declared, len, "HEAD {path}: the GET's length");
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path}: no body"
        );
    }
    let (id, _host) = app.create_match(json!({})).await;
    let head = app
        .client
        .head(app.url(&format!("/match/{id}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "text/event-stream");
    // The stream a GET would have opened is not left open for a HEAD.
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("\nwordbocce_event_streams 0\n"),
        "{}",
        metrics
            .lines()
            .find(|l| l.starts_with("wordbocce_event_streams"))
            .unwrap_or("")
    );
}
