//! The service's Prometheus metrics, kept with the `prometheus-client` library: one registry,
//! built once as a piece of application state, and exposed in the Prometheus text format
//! (`GET /metrics`). No match, player or word ever becomes a label: routes are their templates.
//!
//! Who reports what: the HTTP layer counts requests and their latency, the match and puzzle
//! handlers count what they did, the stores count rounds resolved and matches finished where
//! they commit them ([`Metrics::count_committed`]), and the HNSW index keeps its own search
//! latency histogram, which is registered here (the index knows nothing of the web framework or
//! of this registry). Process metrics (`process_*`) are read from `/proc` at each scrape.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Upper bounds (seconds) of the latency histograms.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StarsLabels {
    stars: u8,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The counters, read at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub matches_created: u64,
    pub players_joined: u64,
    pub rounds_dealt: u64,
    pub moves_scored: u64,
    pub moves_rejected: u64,
    pub puzzle_solves_by_stars: [u64; 4],
    pub rate_limited: u64,
}

/// Every metric the service exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily<RouteLabels>,
    pub matches_created: Counter,
    pub players_joined: Counter,
    pub rounds_dealt: Counter,
    /// The two series of `wordbocce_moves_total{outcome}`, resolved once (no label lookup per
    /// move).
    moves_scored: Counter,
    moves_rejected: Counter,
    rate_limited: Counter,
    /// `wordbocce_puzzle_solves_total{stars}` for 0–3 stars, resolved once.
    puzzle_solves: [Counter; 4],
    scoring: Histogram,
    rounds_resolved: Counter,
    matches_finished: Counter,
    snapshot_failures: Counter,
    active_matches: Gauge,
    event_streams: Gauge,
    uptime: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A registry for one service: `model` labels the build info, `index_search` is the
    /// index's own latency histogram. One function because it is one list: a registration
    /// per exported metric, in the order `GET /metrics` shows them.
    pub fn new(model: &str, index_search: Histogram) -> Metrics {
        let mut r = Registry::default();
        // The labelled series are resolved here, once: the counters kept below are clones of
        // the families' series (a clone shares its value), so counting a move or a solve takes
        // no label lookup.
        let moves: Family<OutcomeLabels, Counter> = Family::default();
        let outcome = |outcome| moves.get_or_create_owned(&OutcomeLabels { outcome });
        let (moves_scored, moves_rejected) = (outcome("scored"), outcome("rejected"));
        let solves: Family<StarsLabels, Counter> = Family::default();
        let puzzle_solves =
            [0u8, 1, 2, 3].map(|stars| solves.get_or_create_owned(&StarsLabels { stars }));
        let m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            durations: Family::new_with_constructor(latency_histogram),
            matches_created: Counter::default(),
            players_joined: Counter::default(),
            rounds_dealt: Counter::default(),
            moves_scored,
            moves_rejected,
            rate_limited: Counter::default(),
            puzzle_solves,
            scoring: latency_histogram(),
            rounds_resolved: Counter::default(),
            matches_finished: Counter::default(),
            snapshot_failures: Counter::default(),
            active_matches: Gauge::default(),
            event_streams: Gauge::default(),
            uptime: Gauge::default(),
        };
        r.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            m.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            m.durations.clone(),
        );
        r.register(
            "wordbocce_matches_created",
            "Matches created",
            m.matches_created.clone(),
        );
        r.register(
            "wordbocce_players_joined",
            "Players who joined a match",
            m.players_joined.clone(),
        );
        r.register(
            "wordbocce_rounds_dealt",
            "Rounds dealt",
            m.rounds_dealt.clone(),
        );
        r.register("wordbocce_moves", "Moves submitted, by outcome", moves);
        r.register(
            "wordbocce_puzzle_solves",
            "Puzzle solves scored, by stars earned",
            solves,
        );
        r.register(
            "wordbocce_rate_limited",
            "Requests refused by a rate limit",
            m.rate_limited.clone(),
        );
        r.register(
            "wordbocce_active_matches",
            "Matches held by the store",
            m.active_matches.clone(),
        );
        r.register(
            "wordbocce_move_scoring_seconds",
            "Time to score a move (exact rank, nearest word)",
            m.scoring.clone(),
        );
        r.register(
            "wordbocce_rounds_resolved",
            "Rounds resolved (by the host, the last move or the deadline)",
            m.rounds_resolved.clone(),
        );
        r.register(
            "wordbocce_matches_finished",
            "Matches played to the end",
            m.matches_finished.clone(),
        );
        r.register(
            "wordbocce_snapshot_failures",
            "Writes of the in-memory store's snapshot that failed",
            m.snapshot_failures.clone(),
        );
        r.register(
            "wordbocce_event_streams",
            "Open event streams (SSE) on this instance",
            m.event_streams.clone(),
        );
        r.register(
            "wordbocce_index_search_seconds",
            "HNSW search latency (nearest word, analogy, visualise)",
            index_search,
        );
        r.register(
            "wordbocce_uptime_seconds",
            "Seconds since the service started",
            m.uptime.clone(),
        );
        r.register(
            "wordbocce_build",
            "Build and model",
            Info::new(vec![
                ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
                ("model".to_string(), model.to_string()),
            ]),
        );
        r.register_collector(Box::new(ProcessCollector));
        Metrics { registry: r, ..m }
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, secs: f64) {
        if status == 429 {
            self.rate_limited.inc();
        }
        let route_labels = RouteLabels {
            method: method.to_string(),
            route: route.to_string(),
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: route_labels.method.clone(),
                route: route_labels.route.clone(),
                status,
            })
            .inc();
        self.durations.get_or_create(&route_labels).observe(secs);
    }

    /// How long scoring a move took (rank, nearest, contributions).
    pub fn observe_scoring(&self, secs: f64) {
        self.scoring.observe(secs);
    }

    pub fn move_scored(&self) {
        self.moves_scored.inc();
    }

    pub fn move_rejected(&self) {
        self.moves_rejected.inc();
    }

    pub fn puzzle_solved(&self, stars: u8) {
        self.puzzle_solves[stars.min(3) as usize].inc();
    }

    /// A write of the in-memory store's snapshot failed.
    pub fn snapshot_failed(&self) {
        self.snapshot_failures.inc();
    }

    /// Count the events a store has just committed.
    pub fn count_committed<'a>(&self, events: impl IntoIterator<Item = &'a str>) {
        for e in events {
            match e {
                "round_resolved" => self.rounds_resolved.inc(),
                "match_finished" => self.matches_finished.inc(),
                _ => 0,
            };
        }
    }

    /// The counters as numbers (the admin's stats).
    pub fn counts(&self) -> Counts {
        Counts {
            matches_created: self.matches_created.get(),
            players_joined: self.players_joined.get(),
            rounds_dealt: self.rounds_dealt.get(),
            moves_scored: self.moves_scored.get(),
            moves_rejected: self.moves_rejected.get(),
            puzzle_solves_by_stars: self.puzzle_solves.each_ref().map(Counter::get),
            rate_limited: self.rate_limited.get(),
        }
    }

    /// The exposition text; the gauges read at scrape time come from the caller.
    pub fn render(&self, active_matches: usize, open_streams: usize, uptime_secs: u64) -> String {
        self.active_matches.set(active_matches as i64);
        self.event_streams.set(open_streams as i64);
        self.uptime.set(uptime_secs as i64);
        let mut out = String::with_capacity(8192);
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }
}

/// `process_*` metrics of this process, read from `/proc/self` at each scrape (Linux; nothing
/// elsewhere).
#[derive(Debug)]
struct ProcessCollector;

/// What `/proc/self` says about this process.
#[derive(Debug, Default, PartialEq)]
pub struct ProcessStats {
    pub resident_bytes: u64,
    pub virtual_bytes: u64,
    pub cpu_seconds: f64,
    pub open_fds: u64,
    pub threads: u64,
}

/// Read this process's figures (`None` where `/proc` is not there).
pub fn process_stats() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut s = parse_stat(&stat)?;
    s.open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some(s)
}

/// Fields of `/proc/self/stat` after the command name (which may hold spaces and parentheses).
fn parse_stat(stat: &str) -> Option<ProcessStats> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Counting from `state` (field 3 of proc(5)) at index 0.
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    // The kernel's clock ticks per second are 100 on every Linux this runs on.
    const TICKS: f64 = 100.0;
    const PAGE: u64 = 4096;
    Some(ProcessStats {
        cpu_seconds: (num(11)? + num(12)?) as f64 / TICKS,
        threads: num(17)?,
        virtual_bytes: num(20)?,
        resident_bytes: num(21)? * PAGE,
        open_fds: 0,
    })
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = process_stats() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        for (name, help, v) in [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                s.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                s.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                s.open_fds,
            ),
            ("process_threads", "Number of OS threads.", s.threads),
        ] {
            let g = ConstGauge::new(v as i64);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let index = latency_histogram();
        index.observe(0.0003);
        let m = Metrics::new("glove", index);
        m.record_request("GET", "/match/{id}", 200, 0.002);
        m.record_request("GET", "/match/{id}", 200, 0.2);
        m.record_request("POST", "/match", 429, 0.0001);
        m.count_committed(["round_resolved", "move_submitted", "round_resolved"]);
        m.move_scored();
        m.move_scored();
        m.puzzle_solved(7); // more than 3 stars counts as 3
        let text = m.render(3, 2, 10);
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"/match/{id}\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("http_request_duration_seconds_bucket{le=\"0.0025\",method=\"GET\",route=\"/match/{id}\"} 1")
            || text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/match/{id}\",le=\"0.0025\"} 1"), "{text}");
        assert!(text.contains(
            "http_request_duration_seconds_count{method=\"GET\",route=\"/match/{id}\"} 2"
        ));
        assert!(text.contains("wordbocce_rate_limited_total 1"));
        assert!(
            text.contains("wordbocce_puzzle_solves_total{stars=\"3\"} 1"),
            "{text}"
        );
        assert!(text.contains("wordbocce_puzzle_solves_total{stars=\"0\"} 0"));
        assert!(
            text.contains("wordbocce_moves_total{outcome=\"scored\"} 2"),
            "{text}"
        );
        assert!(text.contains("wordbocce_moves_total{outcome=\"rejected\"} 0"));
        assert!(text.contains("\nwordbocce_active_matches 3\n"));
        assert!(text.contains("\nwordbocce_event_streams 2\n"));
        assert!(text.contains("\nwordbocce_rounds_resolved_total 2\n"));
        assert!(
            text.contains("\nwordbocce_index_search_seconds_count 1\n"),
            "{text}"
        );
        assert!(text.contains("model=\"glove\""));
        assert!(text.contains("# TYPE wordbocce_build_info gauge"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new("a\"b", latency_histogram());
        m.record_request("GET", "/x\"y\\z\nw", 404, 0.001);
        let text = m.render(0, 0, 0);
        assert!(text.contains(r#"route="/x\"y\\z\nw""#), "{text}");
        assert!(text.contains(r#"model="a\"b""#), "{text}");
    }

    #[test]
    fn process_metrics_come_from_proc() {
        let text = Metrics::new("m", latency_histogram()).render(0, 0, 0);
        for name in [
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_cpu_seconds_total",
        ] {
            assert!(text.contains(&format!("\n{name} ")), "{name}: {text}");
        }
        let s = process_stats().expect("/proc on Linux");
        assert!(s.resident_bytes > 1 << 20 && s.open_fds >= 3, "{s:?}");
    }

    #[test]
    fn stat_lines_with_spaces_in_the_name_parse() {
        let line = "42 (word bocce) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1000 123456789 2048 18446744073709551615";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            (s.cpu_seconds, s.threads, s.virtual_bytes, s.resident_bytes),
            (3.0, 7, 123_456_789, 2048 * 4096)
        );
    }
}
