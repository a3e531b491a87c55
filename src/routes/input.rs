//! Bodies and query strings, read with errors in words.
//!
//! A client that sends `{"topn": 1.5}` is told "`topn` must be a whole number between 1 and 100,
//! not the number 1.5", with `field: "topn"`, never the deserialiser's own sentence ("invalid type:
//! floating point `1.5`, expected i64 at line 1 column 36"). [`Json`] and [`Query`] replace
//! actix's extractors of the same names: they find the field at fault with
//! `serde_path_to_error`, and what the field expects from the OpenAPI document the service
//! serves (its type, range and allowed values), so an error says what the documentation says.
//!
//! Status codes as API.md's table has them: malformed JSON, a wrong type, a missing or unknown
//! field, an unknown enum value are 400 `bad_request`; a well-formed whole number out of the
//! range of the field's type (`limit=9223372036854775808`) is out of range like any other, 422
//! `invalid_input`.

use super::problem::{ApiError, Code};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::OnceLock;

/// A JSON body, parsed into `T` (size limit, content type and syntax as `json_config` says).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Json::<Value>::from_request(&req, payload);
        Box::pin(async move {
            let value = body.await?.into_inner();
            if !value.is_object() {
                let kind = match value {
                    Value::Array(_) => "a list",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                let detail = format!("the body must be a JSON object, not {kind}");
                return Err(ApiError::new(Code::BadRequest, detail).into());
            }
            serde_path_to_error::deserialize(value)
                .map(Json)
                .map_err(|e| explain(&req, Source::Body, e).into())
        })
    }
}

/// A query string, parsed into `T`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parse = form_urlencoded::parse(req.query_string().as_bytes());
        let parsed = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parse))
            .map(Query)
            .map_err(|e| explain(req, Source::Query, e).into());
        std::future::ready(parsed)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    Body,
    Query,
}

/// The problem document for input that did not parse.
fn explain<E: std::fmt::Display>(
    req: &HttpRequest,
    source: Source,
    err: serde_path_to_error::Error<E>,
) -> ApiError {
    let path: Vec<String> = err
        .path()
        .iter()
        .map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => format!("[{index}]"),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => "?".to_string(),
        })
        .collect();
    let schema = operation(req).and_then(|op| input_schema(op, source, &path));
    let (code, field, detail) = describe(source, &path, &err.inner().to_string(), schema);
    let e = ApiError::new(code, detail);
    match field {
        Some(f) => e.field(f),
        None => e,
    }
}

/// `a.b[0]` from the segments.
fn join(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() && !seg.starts_with('[') {
            out.push('.');
        }
        out.push_str(seg);
    }
    out
}

/// Code, field and sentence for the deserialiser's `message` about the input at `path`;
/// `schema` is the OpenAPI schema of that input when the document has one.
fn describe(
    source: Source,
    path: &[String],
    message: &str,
    schema: Option<&Value>,
) -> (Code, Option<String>, String) {
    let message = strip_position(message);
    let whole = match source {
        Source::Body => "the body",
        Source::Query => "the query string",
    };
    let here = join(path);
    let within = |name: &str| {
        if here.is_empty() {
            name.to_string()
        } else {
            format!("{here}.{name}")
        }
    };
    if let Some(name) = between(message, "missing field `", "`") {
        let field = within(name);
        return (
            Code::BadRequest,
            Some(field.clone()),
            format!("`{field}` is required"),
        );
    }
    if let Some(name) = between(message, "unknown field `", "`") {
        // The path already ends at the unknown key.
        let field = if path.last().is_some_and(|last| last == name) {
            here.clone()
        } else {
            within(name)
        };
        let known = message
            .split_once(", expected ")
            .map(|(_, rest)| listed(rest))
            .filter(|l| !l.is_empty())
            .map(|l| format!("; the fields here are {l}"))
            .unwrap_or_default();
        return (
            Code::BadRequest,
            Some(field.clone()),
            format!("`{field}` is not a field of {whole}{known}"),
        );
    }
    if here.is_empty() {
        // The whole input is at fault: the body is not an object.
        let kind = between(message, "invalid type: ", ",").unwrap_or("another value");
        return (
            Code::BadRequest,
            None,
            format!("{whole} must be a JSON object, not {}", article(kind)),
        );
    }
    let expected = schema
        .map(expectation)
        .unwrap_or_else(|| fallback_expectation(message));
    let out_of_range = is_out_of_range(message);
    let got = between(message, "invalid type: ", ",")
        .or_else(|| between(message, "invalid value: ", ","))
        .map(article)
        .or_else(|| between(message, "unknown variant `", "`").map(|v| format!("\"{v}\"")))
        .map(|k| format!(", not {k}"))
        .unwrap_or_default();
    let detail = if message.starts_with("must ") {
        // Our own deserialisers already speak the field's language.
        format!("`{here}` {message}")
    } else if out_of_range {
        format!("`{here}` must be {expected}")
    } else {
        format!("`{here}` must be {expected}{got}")
    };
    let code = if out_of_range {
        Code::InvalidInput
    } else {
        Code::BadRequest
    };
    (code, Some(here), detail)
}

/// serde_json's " at line 1 column 36", which means nothing to a client.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// "`a`, `b`, `c`" (or "one of `a`, `b`") as "a, b, c".
fn listed(s: &str) -> String {
    s.trim_start_matches("one of ").replace('`', "")
}

/// A whole number where one was expected, but out of what the field's type holds: a value out
/// of range (422), not a malformed one (400).
fn is_out_of_range(message: &str) -> bool {
    message.starts_with("number too large")
        || message.starts_with("number too small")
        || (message.starts_with("invalid value: integer") && expects_integer(message))
}

fn expects_integer(message: &str) -> bool {
    is_integer_type(message.split_once(", expected ").map_or("", |(_, e)| e))
}

/// Rust's integer type names, as serde says what it expected.
fn is_integer_type(expected: &str) -> bool {
    matches!(
        expected,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
    )
}

/// "floating point `1.5`" → "the number 1.5"; "a sequence" and the like read as they are.
fn article(kind: &str) -> String {
    if let Some(text) = kind.strip_prefix("string ") {
        return format!("the string {text}");
    }
    let value = between(kind, "`", "`");
    let name = kind.split(" `").next().unwrap_or(kind);
    let noun = match name {
        "floating point" | "integer" => "the number",
        "string" => "the string",
        "boolean" => "",
        "sequence" => return "a list".to_string(),
        "map" => return "an object".to_string(),
        "null" | "unit value" => return "null".to_string(),
        other => return other.to_string(),
    };
    match value {
        Some(v) if name == "string" => format!("{noun} \"{v}\""),
        Some(v) if noun.is_empty() => v.to_string(),
        Some(v) => format!("{noun} {v}"),
        None => name.to_string(),
    }
}

/// What a field expects, from the deserialiser's "expected …" when the document has no schema.
fn fallback_expectation(message: &str) -> String {
    let expected = message.split_once(", expected ").map_or("", |(_, e)| e);
    match expected {
        e if is_integer_type(e) => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" | "a borrowed string" => "a string".into(),
        "a sequence" => "a list".into(),
        e if e.starts_with("one of ") || message.starts_with("unknown variant") => {
            format!("one of {}", listed(e))
        }
        e if e.starts_with("struct ") || e == "a map" => "an object".into(),
        _ if message.starts_with("invalid digit")
            || message.starts_with("cannot parse integer") =>
        {
            "a whole number".into()
        }
        _ if message.starts_with("invalid float") => "a number".into(),
        _ if message.contains("`true` or `false`") => "true or false".into(),
        _ => "a value of another kind".into(),
    }
}

// ---- what the OpenAPI document says a field expects ----

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(super::openapi::document()).unwrap_or(Value::Null))
}

/// The document's operation for the route that matched `req`.
fn operation(req: &HttpRequest) -> Option<&'static Value> {
    let pattern = req.match_pattern()?;
    let method = req.method().as_str().to_ascii_lowercase();
    document().get("paths")?.get(pattern)?.get(method)
}

fn resolve(schema: &Value) -> &Value {
    let mut s = schema;
    for _ in 0..8 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => match r
                .strip_prefix("#/components/schemas/")
                .and_then(|name| document().pointer(&format!("/components/schemas/{name}")))
            {
                Some(target) => s = target,
                None => return s,
            },
            None => return s,
        }
    }
    s
}

/// `Option<T>`'s schema (`oneOf: [null, T]`) as T's.
fn non_null(schema: &'static Value) -> &'static Value {
    let s = resolve(schema);
    if let Some(Value::Array(alternatives)) = s.get("oneOf").or_else(|| s.get("anyOf")) {
        if let Some(one) = alternatives
            .iter()
            .map(resolve)
            .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
        {
            return one;
        }
    }
    s
}

fn input_schema(op: &'static Value, source: Source, path: &[String]) -> Option<&'static Value> {
    let (first, rest) = path.split_first()?;
    let mut schema = match source {
        Source::Query => op
            .get("parameters")?
            .as_array()?
            .iter()
            .find(|p| {
                p.get("in").and_then(Value::as_str) == Some("query")
                    && p.get("name").and_then(Value::as_str) == Some(first)
            })?
            .get("schema")?,
        Source::Body => non_null(op.pointer("/requestBody/content/application~1json/schema")?)
            .get("properties")?
            .get(first)?,
    };
    for seg in rest {
        let s = non_null(schema);
        schema = if seg.starts_with('[') {
            s.get("items")?
        } else {
            s.get("properties")?.get(seg)?
        };
    }
    Some(non_null(schema))
}

/// "a whole number between 1 and 100", "one of easy, medium, hard", "a list of strings"…
fn expectation(schema: &Value) -> String {
    if let Some(Value::Array(values)) = schema.get("enum") {
        let names: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => "",
    };
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let range = match (bound("minimum"), bound("maximum")) {
        (Some(lo), Some(hi)) => format!(" between {lo} and {hi}"),
        (Some(lo), None) => format!(" of at least {lo}"),
        (None, Some(hi)) => format!(" of at most {hi}"),
        (None, None) => String::new(),
    };
    match kind {
        "integer" => format!("a whole number{range}"),
        "number" => format!("a number{range}"),
        "boolean" => "true or false".into(),
        "string" => match schema.get("maxLength").and_then(Value::as_u64) {
            Some(n) => format!("a string of at most {n} characters"),
            None => "a string".into(),
        },
        "array" => {
            let of = schema
                .get("items")
                .map(|i| expectation(resolve(i)))
                .filter(|e| e == "a string")
                .map_or(String::new(), |_| " of strings".into());
            format!("a list{of}")
        }
        "object" => "an object".into(),
        _ => "a value of another kind".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_wrong_type_names_the_field_and_its_range_never_the_parser() {
        let schema = json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": 100});
        let (code, field, detail) = describe(
            Source::Body,
            &path(&["topn"]),
            "invalid type: floating point `1.5`, expected i64 at line 1 column 36",
            Some(&schema),
        );
        assert_eq!(code, Code::BadRequest);
        assert_eq!(field.as_deref(), Some("topn"));
        assert_eq!(
            detail,
            "`topn` must be a whole number between 1 and 100, not the number 1.5"
        );
    }

    #[test]
    fn an_integer_too_large_for_its_type_is_out_of_range() {
        let schema = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 100});
        let (code, field, detail) = describe(
            Source::Query,
            &path(&["limit"]),
            "number too large to fit in target type",
            Some(&schema),
        );
        assert_eq!(code, Code::InvalidInput);
        assert_eq!(field.as_deref(), Some("limit"));
        assert_eq!(detail, "`limit` must be a whole number between 1 and 100");
    }

    #[test]
    fn missing_and_unknown_fields_are_named_with_their_parents() {
        let (code, field, detail) = describe(
            Source::Body,
            &path(&["settings"]),
            "missing field `x`",
            None,
        );
        assert_eq!(
            (code, field.as_deref(), detail.as_str()),
            (
                Code::BadRequest,
                Some("settings.x"),
                "`settings.x` is required"
            )
        );
        let (_, field, detail) = describe(
            Source::Body,
            &[],
            "unknown field `colour`, expected `name` or `settings`",
            None,
        );
        assert_eq!(field.as_deref(), Some("colour"));
        assert_eq!(
            detail,
            "`colour` is not a field of the body; the fields here are name or settings"
        );
    }

    #[test]
    fn without_a_schema_the_expected_type_is_still_in_words() {
        let (_, _, detail) = describe(
            Source::Body,
            &path(&["positive", "[0]"]),
            "invalid type: integer `3`, expected a string",
            None,
        );
        assert_eq!(detail, "`positive[0]` must be a string, not the number 3");
        let (_, _, detail) = describe(
            Source::Query,
            &path(&["difficulty"]),
            "unknown variant `extreme`, expected one of `easy`, `medium`, `hard`",
            None,
        );
        assert_eq!(
            detail,
            "`difficulty` must be one of easy, medium, hard, not \"extreme\""
        );
    }
}
