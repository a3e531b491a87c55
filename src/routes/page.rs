//! The page players play on: `/` and its assets under `/static/…`, compiled into the binary
//! (`web/` in the repository), so the binary is self-contained.
//!
//! Each asset is prepared once, as the routes are configured (while the service starts):
//! references between assets (`"/static/x.js"` in the HTML, `'./x.js'` in the modules) get `?v=<content hash>`, so a versioned URL never
//! changes meaning and is cached for a year (`immutable`); the page itself and unversioned URLs
//! are revalidated (`no-cache`) with a strong `ETag` (304 when unchanged). Bodies are gzipped
//! once and sent compressed to clients that accept gzip (`Vary: Accept-Encoding`); only these
//! routes are compressed, never the API's streams.

use crate::error::{ApiError, Code};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

/// The files, leaves first: an asset may refer only to assets listed before it.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../web/favicon.svg"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/style.css"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/api.js"),
    ),
    (
        "draw.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/draw.js"),
    ),
    (
        "ui.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/ui.js"),
    ),
    (
        "match.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/match.js"),
    ),
    (
        "puzzles.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/puzzles.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/app.js"),
    ),
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/index.html"),
    ),
];

/// One prepared asset.
pub struct Asset {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub gzip: Vec<u8>,
    /// The first 16 hex digits of the xxh3 of `body`.
    pub hash: String,
}

/// Every asset by name, prepared on first use.
pub fn assets() -> &'static HashMap<&'static str, Asset> {
    static PREPARED: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let mut done: HashMap<&'static str, Asset> = HashMap::new();
        for &(name, content_type, raw) in ASSETS {
            let mut text = String::from_utf8_lossy(raw).into_owned();
            for (&dep, asset) in &done {
                for (quote, prefix) in [('"', "/static/"), ('\'', "./")] {
                    let plain = format!("{quote}{prefix}{dep}{quote}");
                    let versioned = format!("{quote}{prefix}{dep}?v={}{quote}", asset.hash);
                    text = text.replace(&plain, &versioned);
                }
            }
            let body = text.into_bytes();
            let hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&body));
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&body).expect("writing to memory");
            let gzip = gz.finish().expect("writing to memory");
            done.insert(
                name,
                Asset {
                    content_type,
                    body,
                    gzip,
                    hash,
                },
            );
        }
        done
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Prepared (versioned, gzipped at the best level) while the service starts, so that the
    // first visitor's first paint does not wait for it.
    assets();
    cfg.service(web::resource("/").route(web::get().to(page)))
        .service(web::resource("/favicon.ico").route(web::get().to(favicon)))
        .service(web::resource("/static/{name}").route(web::get().to(static_file)));
}

/// Browsers ask for `/favicon.ico` on any page without an icon link (`/docs`, JSON documents).
async fn favicon(req: HttpRequest) -> HttpResponse {
    serve(&req, "favicon.svg")
}

async fn page(req: HttpRequest) -> HttpResponse {
    serve(&req, "index.html")
}

async fn static_file(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if name.as_str() == "index.html" || !assets().contains_key(name.as_str()) {
        return Err(ApiError::new(
            Code::NotFound,
            format!("no file '{}'", name.as_str()),
        ));
    }
    Ok(serve(&req, name.as_str()))
}

/// Whether the client takes gzip (`Accept-Encoding`, honouring `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn serve(req: &HttpRequest, name: &str) -> HttpResponse {
    let asset = &assets()[name];
    let gzip = accepts_gzip(req);
    let etag = format!("\"{}{}\"", asset.hash, if gzip { "-gz" } else { "" });
    // A URL carrying the current content hash never changes meaning.
    let versioned = req.query_string() == format!("v={}", asset.hash);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"));
    if fresh {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, asset.content_type));
    if gzip {
        res.insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(asset.gzip.clone())
    } else {
        res.body(asset.body.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_versioned_and_gzip_round_trips() {
        let a = assets();
        let html = String::from_utf8(a["index.html"].body.clone()).unwrap();
        let app = &a["app.js"];
        assert!(
            html.contains(&format!("/static/app.js?v={}", app.hash)),
            "{html}"
        );
        let app_js = String::from_utf8(app.body.clone()).unwrap();
        assert!(app_js.contains(&format!("./ui.js?v={}", a["ui.js"].hash)));
        for asset in a.values() {
            let mut out = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(asset.gzip.as_slice()),
                &mut out,
            )
            .unwrap();
            assert_eq!(out, asset.body);
            if asset.body.len() > 1024 {
                assert!(asset.gzip.len() < asset.body.len());
            }
        }
    }

    #[test]
    fn the_page_and_assets_stay_under_200_kb() {
        let total: usize = assets().values().map(|a| a.body.len()).sum();
        assert!(total < 200 * 1024, "{total} bytes");
    }
}
