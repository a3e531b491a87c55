//! Prometheus metrics in the text exposition format, kept with atomics and a small map (no
//! match, player or word ever becomes a label: routes are their templates).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds (seconds) of the latency histograms.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    const EMPTY: Histogram = Histogram {
        counts: [0; BUCKETS.len()],
        sum: 0.0,
        count: 0,
    };

    fn observe(&mut self, secs: f64) {
        for (c, b) in self.counts.iter_mut().zip(BUCKETS) {
            if secs <= b {
                *c += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (c, b) in self.counts.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Rounds resolved and matches finished, counted where a store commits the change (once per
/// change whichever instance makes it, whether a host, the last move or the deadline did it).
pub static ROUNDS_RESOLVED: AtomicU64 = AtomicU64::new(0);
pub static MATCHES_FINISHED: AtomicU64 = AtomicU64::new(0);
/// Latency of HNSW searches that answer players (nearest word, analogy, visualise).
static INDEX_SEARCH: Mutex<Histogram> = Mutex::new(Histogram::EMPTY);

/// Count the events a store has just committed.
pub fn count_committed<'a>(events: impl IntoIterator<Item = &'a str>) {
    for e in events {
        match e {
            "round_resolved" => ROUNDS_RESOLVED.fetch_add(1, Ordering::Relaxed),
            "match_finished" => MATCHES_FINISHED.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

pub fn observe_index_search(secs: f64) {
    if let Ok(mut h) = INDEX_SEARCH.lock() {
        h.observe(secs);
    }
}

/// The process-wide metrics above, and the open event streams of this instance.
pub fn render_process(open_streams: usize) -> String {
    let mut out = String::with_capacity(2048);
    for (name, help, v) in [
        (
            "wordbocce_rounds_resolved_total",
            "Rounds resolved (by the host, the last move or the deadline).",
            ROUNDS_RESOLVED.load(Ordering::Relaxed),
        ),
        (
            "wordbocce_matches_finished_total",
            "Matches played to the end.",
            MATCHES_FINISHED.load(Ordering::Relaxed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP wordbocce_event_streams Open event streams (SSE) on this instance.\n# TYPE wordbocce_event_streams gauge\nwordbocce_event_streams {open_streams}"
    );
    let _ = writeln!(
        out,
        "# HELP wordbocce_index_search_seconds HNSW search latency (nearest word, analogy, visualise).\n# TYPE wordbocce_index_search_seconds histogram"
    );
    if let Ok(h) = INDEX_SEARCH.lock() {
        h.render(&mut out, "wordbocce_index_search_seconds", "");
    }
    out
}

/// Every metric the service exports.
#[derive(Default)]
pub struct Metrics {
    /// (method, route template, status) → count.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route template) → latency.
    durations: Mutex<BTreeMap<(String, String), Histogram>>,
    pub matches_created: AtomicU64,
    pub players_joined: AtomicU64,
    pub rounds_dealt: AtomicU64,
    pub moves_scored: AtomicU64,
    pub moves_rejected: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Puzzle solves scored, by stars earned (0–3).
    pub puzzle_solves: [AtomicU64; 4],
    scoring: Mutex<Histogram>,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, secs: f64) {
        if status == 429 {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.durations.lock() {
            m.entry((method.to_string(), route.to_string()))
                .or_default()
                .observe(secs);
        }
    }

    /// How long scoring a move took (rank, nearest, contributions).
    pub fn observe_scoring(&self, secs: f64) {
        if let Ok(mut h) = self.scoring.lock() {
            h.observe(secs);
        }
    }

    /// The exposition text. `active_matches` and the build labels come from the caller.
    pub fn render(&self, active_matches: usize, model: &str, uptime_secs: u64) -> String {
        let mut out = String::with_capacity(8192);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        let _ = writeln!(
            out,
            "# HELP http_requests_total HTTP requests by method, route template and status."
        );
        let _ = writeln!(out, "# TYPE http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
        if let Ok(m) = self.durations.lock() {
            for ((method, route), h) in m.iter() {
                h.render(
                    &mut out,
                    "http_request_duration_seconds",
                    &format!("method=\"{method}\",route=\"{route}\""),
                );
            }
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "wordbocce_matches_created_total",
            "Matches created.",
            load(&self.matches_created),
        );
        counter(
            &mut out,
            "wordbocce_players_joined_total",
            "Players who joined a match.",
            load(&self.players_joined),
        );
        counter(
            &mut out,
            "wordbocce_rounds_dealt_total",
            "Rounds dealt.",
            load(&self.rounds_dealt),
        );
        let _ = writeln!(
            out,
            "# HELP wordbocce_moves_total Moves submitted, by outcome."
        );
        let _ = writeln!(out, "# TYPE wordbocce_moves_total counter");
        let _ = writeln!(
            out,
            "wordbocce_moves_total{{outcome=\"scored\"}} {}",
            load(&self.moves_scored)
        );
        let _ = writeln!(
            out,
            "wordbocce_moves_total{{outcome=\"rejected\"}} {}",
            load(&self.moves_rejected)
        );
        let _ = writeln!(
            out,
            "# HELP wordbocce_puzzle_solves_total Puzzle solves scored, by stars earned.\n# TYPE wordbocce_puzzle_solves_total counter"
        );
        for (stars, n) in self.puzzle_solves.iter().enumerate() {
            let _ = writeln!(
                out,
                "wordbocce_puzzle_solves_total{{stars=\"{stars}\"}} {}",
                load(n)
            );
        }
        counter(
            &mut out,
            "wordbocce_rate_limited_total",
            "Requests refused by a rate limit.",
            load(&self.rate_limited),
        );
        let _ = writeln!(
            out,
            "# HELP wordbocce_active_matches Matches held by the store."
        );
        let _ = writeln!(
            out,
            "# TYPE wordbocce_active_matches gauge\nwordbocce_active_matches {active_matches}"
        );
        let _ = writeln!(out, "# HELP wordbocce_move_scoring_seconds Time to score a move (exact rank, nearest word).");
        let _ = writeln!(out, "# TYPE wordbocce_move_scoring_seconds histogram");
        if let Ok(h) = self.scoring.lock() {
            h.render(&mut out, "wordbocce_move_scoring_seconds", "");
        }
        let _ = writeln!(
            out,
            "# HELP wordbocce_uptime_seconds Seconds since the service started."
        );
        let _ = writeln!(
            out,
            "# TYPE wordbocce_uptime_seconds gauge\nwordbocce_uptime_seconds {uptime_secs}"
        );
        let _ = writeln!(out, "# HELP wordbocce_build_info Build and model.");
        let _ = writeln!(out, "# TYPE wordbocce_build_info gauge");
        let _ = writeln!(
            out,
            "wordbocce_build_info{{version=\"{}\",model=\"{model}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// Count and time every request by its route template (`/match/{id}`, never the id).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let metrics = req
        .app_data::<web::Data<crate::routes::AppState>>()
        .map(|s| s.clone().into_inner());
    let res = next.call(req).await;
    if let Some(state) = metrics {
        // An error from a middleware (the request deadline's 408) is counted as the answer
        // it becomes.
        let status = match &res {
            Ok(r) => r.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        state.metrics.record_request(
            &method,
            &route,
            status.as_u16(),
            start.elapsed().as_secs_f64(),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record_request("GET", "/match/{id}", 200, 0.002);
        m.record_request("GET", "/match/{id}", 200, 0.2);
        m.record_request("POST", "/match", 429, 0.0001);
        let text = m.render(3, "glove", 10);
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/match/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/match/{id}\",le=\"0.0025\"} 1"));
        assert!(text.contains(
            "http_request_duration_seconds_count{method=\"GET\",route=\"/match/{id}\"} 2"
        ));
        assert!(text.contains("wordbocce_rate_limited_total 1"));
        assert!(text.contains("wordbocce_puzzle_solves_total{stars=\"3\"} 0"));
        assert!(text.contains("wordbocce_active_matches 3"));
        assert!(text.contains("model=\"glove\""));
    }
}
