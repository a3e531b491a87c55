//! The page and its assets: content types, caching (versioned URLs, ETags), gzip on the wire,
//! the CSP they run under (the page's inline stylesheet allowed by its hash), and that only these routes are compressed.

use crate::helpers::{assert_problem, spawn_app};
use base64::Engine;
use sha2::Digest;
use std::io::Read;

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("valid gzip");
    out
}

#[tokio::test]
async fn the_page_is_served_with_its_assets_versioned() {
    let app = spawn_app().await;
    let r = app.get("/", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    let csp = header(&r, "content-security-policy").to_string();
    for directive in [
        "script-src 'self';",
        "style-src 'self' 'sha256-",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let etag = header(&r, "etag").to_string();
    let html = r.text().await.unwrap();
    assert!(html.contains("<main id=\"app\">"));
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("style="), "no inline style attribute");
    // The stylesheet is inlined (no request before the first paint), and the page's policy
    // allows that one text by its hash; every other response allows no inline style at all.
    let (_, rest) = html.split_once("<style>").expect("the stylesheet inlined");
    let (css, _) = rest.split_once("</style>").unwrap();
    assert!(css.contains("body {"), "{css}");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
    assert!(
        csp.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "{csp}"
    );
    let api = app.get("/api", None).await;
    assert!(header(&api, "content-security-policy").contains("style-src 'self';"));
    // A 304 of the page carries the same policy: its headers update the cached page's.
    let r = app.get_with("/", "If-None-Match", &etag).await;
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "content-security-policy"), csp);

    // The page names two files, each versioned by content hash, served with its type, and
    // cached for a year under that URL.
    let mut total = html.len();
    for (name, ctype) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let start = html
            .find(&format!("/static/{name}?v="))
            .unwrap_or_else(|| panic!("{name} is not versioned in the page"));
        let url: String = html[start..].chars().take_while(|&c| c != '"').collect();
        let r = app.get(&url, None).await;
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(header(&r, "content-type"), ctype);
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        total += r.bytes().await.unwrap().len();
        // The same file under a stale or missing version is revalidated instead.
        let r = app.get(&format!("/static/{name}?v=0"), None).await;
        assert_eq!(header(&r, "cache-control"), "no-cache");
    }
    assert_eq!(html.matches("/static/").count(), 2, "{html}");
    assert!(total < 200 * 1024, "{total} bytes");

    // The modules arrive as one script, each in its own scope.
    let app_js = app.get("/static/app.js", None).await.text().await.unwrap();
    for module in [
        "ui.js",
        "api.js",
        "draw.js",
        "match.js",
        "puzzles.js",
        "app.js",
    ] {
        assert!(
            app_js.contains(&format!("modules['{module}'] = ")),
            "{module}"
        );
    }
    for gone in ["/static/match.js", "/static/style.css"] {
        assert_problem(app.get(gone, None).await, 404, "not_found").await;
    }
    let icon = app.get("/favicon.ico", None).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(header(&icon, "content-type"), "image/svg+xml");
    assert_problem(app.get("/static/nope.js", None).await, 404, "not_found").await;
    assert_problem(app.get("/static/index.html", None).await, 404, "not_found").await;
}

#[tokio::test]
async fn assets_revalidate_with_etags_and_go_gzipped() {
    let app = spawn_app().await;
    let plain = app.get("/static/app.js", None).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = header(&plain, "etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = plain.text().await.unwrap();

    let r = app.get_with("/static/app.js", "If-None-Match", &etag).await;
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), etag);

    let r = app
        .get_with("/static/app.js", "Accept-Encoding", "br, gzip;q=0.8")
        .await;
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert_eq!(header(&r, "vary"), "Accept-Encoding");
    assert_ne!(header(&r, "etag"), etag, "each encoding has its own tag");
    let gz = r.bytes().await.unwrap();
    assert!(gz.len() * 2 < body.len(), "{} vs {}", gz.len(), body.len());
    assert_eq!(gunzip(&gz), body);

    // gzip refused with q=0: sent as is.
    let r = app.get_with("/", "Accept-Encoding", "gzip;q=0").await;
    assert!(r.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn the_api_is_never_compressed_by_the_page_routes() {
    let app = spawn_app().await;
    for path in ["/metrics", "/api"] {
        let r = app.get_with(path, "Accept-Encoding", "gzip").await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().get("content-encoding").is_none(), "{path}");
    }
}
