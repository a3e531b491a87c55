//! The page players play on: `/` and its assets under `/static/…`, compiled into the binary
//! (`web/` in the repository), so the binary is self-contained.
//!
//! Prepared once, as the routes are configured (while the service starts), so that a first
//! paint needs two requests, not eight:
//! - the ES modules (`web/*.js`) become one script, `app.js`, each module in its own function
//!   scope (see [`bundle`]): one request instead of six, and nothing to discover by import;
//! - `style.css` is inlined into the page as its one `<style>` element, and the page's
//!   Content-Security-Policy allows exactly that stylesheet by its SHA-256 (no
//!   `'unsafe-inline'`; every other response keeps `style-src 'self'`), so the first paint does
//!   not wait for a stylesheet request;
//! - references from the page (`"/static/app.js"`) get `?v=<content hash>`, so a versioned URL
//!   never changes meaning and is cached for a year (`immutable`); the page itself and
//!   unversioned URLs are revalidated (`no-cache`) with a strong `ETag` (304 when unchanged).
//!
//! Bodies are gzipped once and sent compressed to clients that accept gzip
//! (`Vary: Accept-Encoding`); only these routes are compressed, never the API's streams.

use crate::routes::problem::{ApiError, Code};
use crate::text::quoted;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use sha2::Digest;
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

/// The page's ES modules, leaves first: a module may import only modules listed before it.
const MODULES: &[(&str, &str)] = &[
    ("ui.js", include_str!("../../web/ui.js")),
    ("api.js", include_str!("../../web/api.js")),
    ("draw.js", include_str!("../../web/draw.js")),
    ("match.js", include_str!("../../web/match.js")),
    ("puzzles.js", include_str!("../../web/puzzles.js")),
    ("app.js", include_str!("../../web/app.js")),
];
const STYLE: &str = include_str!("../../web/style.css");
const PAGE: &str = include_str!("../../web/index.html");
const ICON: &str = include_str!("../../web/favicon.svg");
/// How `web/index.html` names its stylesheet; replaced by the stylesheet itself.
const STYLE_LINK: &str = r#"<link rel="stylesheet" href="/static/style.css">"#;

/// One prepared asset.
pub struct Asset {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub gzip: Vec<u8>,
    /// The first 16 hex digits of the xxh3 of `body`.
    pub hash: String,
    /// This response's own Content-Security-Policy, when it differs from the service's.
    pub csp: Option<String>,
}

impl Asset {
    fn new(content_type: &'static str, body: String, csp: Option<String>) -> Asset {
        let body = body.into_bytes();
        let hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&body));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&body).expect("writing to memory");
        let gzip = gz.finish().expect("writing to memory");
        Asset {
            content_type,
            body,
            gzip,
            hash,
            csp,
        }
    }
}

/// Every asset by name (`index.html` is `/`), prepared on first use.
pub fn assets() -> &'static HashMap<&'static str, Asset> {
    static PREPARED: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let icon = Asset::new("image/svg+xml", ICON.to_string(), None);
        let app = Asset::new("text/javascript; charset=utf-8", bundle(MODULES), None);
        assert!(
            PAGE.contains(STYLE_LINK),
            "web/index.html names its stylesheet"
        );
        // The browser hashes the element's text as parsed: newlines normalised to LF (a CRLF
        // checkout would otherwise block the stylesheet), and no `</` that could end it early.
        let style = STYLE.replace("\r\n", "\n").replace('\r', "\n");
        assert!(!style.contains("</"), "web/style.css contains '</'");
        let style_hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(style.as_bytes()));
        let mut html = PAGE.replace(STYLE_LINK, &format!("<style>{style}</style>"));
        for (name, asset) in [("app.js", &app), ("favicon.svg", &icon)] {
            let plain = format!("\"/static/{name}\"");
            assert!(html.contains(&plain), "web/index.html names {name}");
            html = html.replace(&plain, &format!("\"/static/{name}?v={}\"", asset.hash));
        }
        let csp = super::content_security_policy(Some(&style_hash));
        let page = Asset::new("text/html; charset=utf-8", html, Some(csp));
        HashMap::from([("favicon.svg", icon), ("app.js", app), ("index.html", page)])
    })
}

/// The modules as one script, each in its own function scope, in the order given:
/// `import { a, b as c } from './x.js';` becomes `const { a, b: c } = modules['x.js'];`, and an
/// exported declaration (`export function f`, `export async function`, `export const g`,
/// `export class K`) loses its `export` and joins the object its module returns. These are the
/// only module forms the page uses; any other stops the service at start-up with the reason
/// (the unit tests run this): `export default`, `export { … }`, `export let` (an importer would
/// not see a later assignment, as it would with a live ES binding), or an import of a module
/// not listed earlier.
fn bundle(modules: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "// Word Bocce's page: the modules of web/ bundled by the service (src/routes/page.rs).\n\
         const modules = {};\n",
    );
    let mut done: Vec<&str> = Vec::new();
    for &(name, source) in modules {
        let mut exported: Vec<String> = Vec::new();
        let mut body = String::new();
        let mut lines = source.lines();
        while let Some(line) = lines.next() {
            if line.starts_with("import ") {
                let mut statement = line.to_string();
                while !statement.trim_end().ends_with(';') {
                    let more = lines
                        .next()
                        .unwrap_or_else(|| panic!("{name}: an import without its ';'"));
                    statement.push(' ');
                    statement.push_str(more);
                }
                let (names, from) = parse_import(&statement).unwrap_or_else(|| {
                    panic!("{name}: an import the bundler does not take: {statement}")
                });
                assert!(
                    done.contains(&from.as_str()),
                    "{name} imports {from}, which is not listed before it"
                );
                body.push_str(&format!("const {{ {names} }} = modules['{from}'];\n"));
            } else if let Some(rest) = line.strip_prefix("export ") {
                let declared = ["async function ", "function ", "const ", "class "]
                    .iter()
                    .find_map(|kw| rest.strip_prefix(kw))
                    .unwrap_or_else(|| {
                        panic!("{name}: an export the bundler does not take: {line}")
                    });
                let ident: String = declared
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                assert!(
                    !ident.is_empty(),
                    "{name}: an export without a name: {line}"
                );
                exported.push(ident);
                body.push_str(rest);
                body.push('\n');
            } else {
                body.push_str(line);
                body.push('\n');
            }
        }
        out.push_str(&format!(
            "\n// web/{name}\nmodules['{name}'] = (() => {{\n{body}return {{ {} }};\n}})();\n",
            exported.join(", ")
        ));
        done.push(name);
    }
    out
}

/// `import { a, b as c } from './x.js';` → (`a, b: c`, `x.js`).
fn parse_import(statement: &str) -> Option<(String, String)> {
    let rest = statement
        .strip_prefix("import")?
        .trim_start()
        .strip_prefix('{')?;
    let (names, rest) = rest.split_once('}')?;
    let rest = rest.trim_start().strip_prefix("from")?.trim();
    let path = rest.strip_suffix(';')?.trim();
    let quote = path.chars().next().filter(|q| *q == '\'' || *q == '"')?;
    let module = path
        .strip_prefix(quote)?
        .strip_suffix(quote)?
        .strip_prefix("./")?;
    let names: Vec<String> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| match n.split_once(" as ") {
            Some((from, to)) => format!("{}: {}", from.trim(), to.trim()),
            None => n.to_string(),
        })
        .collect();
    Some((names.join(", "), module.to_string()))
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
            format!("no file '{}'", quoted(name.as_str())),
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
    let fresh = super::none_match(req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"));
    // Also on a 304: its headers update the cached page's, and the cached page's inline
    // stylesheet needs this policy.
    if let Some(csp) = &asset.csp {
        res.insert_header((header::CONTENT_SECURITY_POLICY, csp.as_str()));
    }
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
    fn the_page_inlines_its_stylesheet_under_a_csp_hash_and_names_versioned_files() {
        let a = assets();
        let page = &a["index.html"];
        let html = String::from_utf8(page.body.clone()).unwrap();
        for name in ["app.js", "favicon.svg"] {
            let url = format!("\"/static/{name}?v={}\"", a[name].hash);
            assert!(html.contains(&url), "{url} in {html}");
        }
        assert!(!html.contains("style.css"), "the stylesheet is inlined");
        // The policy names exactly the text of the page's one <style> element.
        let (_, rest) = html.split_once("<style>").expect("an inline stylesheet");
        let (css, _) = rest.split_once("</style>").unwrap();
        assert_eq!(css, STYLE);
        assert!(!rest.contains("<style"), "one stylesheet");
        let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
        let csp = page.csp.as_deref().expect("the page's own policy");
        assert!(
            csp.contains(&format!("style-src 'self' 'sha256-{digest}';")),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(a["app.js"].csp.is_none() && a["favicon.svg"].csp.is_none());
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
    fn the_bundle_scopes_each_module_and_wires_imports_to_exports() {
        let js = bundle(&[
            (
                "a.js",
                "// a\nconst hidden = 1;\nexport function f() { return hidden; }\n\
                 export const g = 2;\nexport async function h() {}\nexport class K {}\n",
            ),
            (
                "b.js",
                "import { f, g as gee,\n  K } from './a.js';\nexport const x = f() + gee;\n",
            ),
        ]);
        assert!(js.contains("modules['a.js'] = (() => {\n// a\nconst hidden = 1;\nfunction f()"));
        assert!(js.contains("return { f, g, h, K };\n})();"), "{js}");
        assert!(js.contains("const { f, g: gee, K } = modules['a.js'];\nconst x = f() + gee;"));
        assert!(js.contains("return { x };"), "{js}");

        // The page's own modules: every one bundled once, in order, no module syntax left.
        let page = bundle(MODULES);
        let mut at = 0;
        for (name, _) in MODULES {
            let found = page.matches(&format!("modules['{name}'] = ")).count();
            assert_eq!(found, 1, "{name}");
            let here = page.find(&format!("modules['{name}'] = ")).unwrap();
            assert!(here > at, "{name} in order");
            at = here;
        }
        for line in page.lines() {
            assert!(
                !line.starts_with("import ") && !line.starts_with("export "),
                "{line}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "b.js imports c.js, which is not listed before it")]
    fn an_import_of_a_later_module_stops_the_bundle() {
        bundle(&[
            ("b.js", "import { y } from './c.js';\n"),
            ("c.js", "export const y = 1;\n"),
        ]);
    }

    #[test]
    fn an_unsupported_export_stops_the_bundle() {
        for source in [
            "const f = 1;\nexport default f;\n",
            "export let n = 1;\n",
            "export { f };\n",
        ] {
            let stopped = std::panic::catch_unwind(|| bundle(&[("a.js", source)]));
            let reason = stopped.expect_err(source);
            let reason = reason.downcast_ref::<String>().expect("a message");
            assert!(
                reason.contains("an export the bundler does not take"),
                "{reason}"
            );
        }
    }

    #[test]
    fn the_page_and_assets_stay_under_200_kb() {
        let total: usize = assets().values().map(|a| a.body.len()).sum();
        assert!(total < 200 * 1024, "{total} bytes");
    }
}
