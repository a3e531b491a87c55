//! `word-bocce`: serve (default), import-model, eval-index, check-puzzles, healthcheck.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use word_bocce::config::{EngineSettings, Settings};
use word_bocce::embeddings::import::{self, ImportOptions};
use word_bocce::engine::{resident_bytes, Engine};
use word_bocce::startup::Application;
use word_bocce::telemetry;

#[derive(Parser)]
#[command(
    name = "word-bocce",
    version,
    about = "Word Bocce: a game played in word-vector space"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default). Settings come from the environment.
    Serve,
    /// Convert word2vec binary, word2vec/GloVe text or .npy + word list into a model file.
    ImportModel {
        /// The source: .bin / .bin.gz (word2vec), .txt / .vec / .gz (text), or .npy.
        input: PathBuf,
        /// The word list (one per line) that goes with a .npy matrix.
        #[arg(long)]
        words: Option<PathBuf>,
        /// Keep the N most frequent words that pass the filters.
        #[arg(long)]
        top: Option<usize>,
        /// Keep only words of lowercase letters a-z.
        #[arg(long)]
        lowercase_alpha: bool,
        /// The model's name, stored in its header (e.g. glove-6B-50d-100k).
        #[arg(long)]
        name: String,
        /// Where to write the model file.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Measure the index: recall of HNSW against exact on seeded move queries, and the
    /// throughput of every path on one thread.
    EvalIndex {
        /// Number of move queries.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The ef values to try.
        #[arg(long, value_delimiter = ',', default_value = "16,32,64,128,256")]
        ef: Vec<usize>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also write the move queries and their exact top 10 to this directory (queries.f32,
        /// words.u32, truth.u32, little-endian), for `scripts/compare-hnswlib.sh`.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// Validate the puzzle catalogue against the model: one line per problem, a summary, and
    /// a non-zero exit status if there is any problem.
    CheckPuzzles {
        /// The catalogue directory (every *.json file in it).
        #[arg(long, env = "PUZZLES_DIR", default_value = word_bocce::puzzles::DEFAULT_DIR)]
        dir: PathBuf,
        /// Also print one line per puzzle (start, thresholds, best move).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Ask the instance serving on this host (BIND, PORT: the same settings as `serve`)
    /// whether it is alive: exit 0 when GET PATH answers 2xx within the timeout, else 1.
    /// For container health checks (no curl needed).
    Healthcheck {
        /// The path to ask: /healthz (the process serves: its model and index are loaded) or
        /// /readyz (it also reaches its match store and is not shutting down).
        #[arg(long, default_value = "/healthz")]
        path: String,
        /// Give up after this many milliseconds (connecting, asking and the answer's status
        /// line).
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck { path, timeout_ms }) = &cli.command {
        // One line on stdout or stderr (a container runtime keeps it as the check's output),
        // no log lines.
        match healthcheck(path, *timeout_ms) {
            Ok(said) => println!("{said}"),
            Err(e) => {
                eprintln!("unhealthy: {e:#}");
                std::process::exit(1);
            }
        }
        return;
    }
    if matches!(cli.command, None | Some(Command::Serve)) {
        // The service logs Bunyan JSON lines to stdout.
        let filter = telemetry::env_filter("info,hnsw_rs=warn");
        telemetry::init_subscriber(telemetry::get_subscriber(
            "word-bocce",
            filter,
            std::io::stdout,
        ));
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(telemetry::env_filter("info,hnsw_rs=warn"))
            .with_writer(std::io::stderr)
            .init();
    }
    if let Err(e) = run(cli) {
        tracing::error!(error = %format!("{e:#}"), "stopped");
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::CheckPuzzles { dir, verbose } => word_bocce::puzzles::check::run(&dir, verbose),
        Command::Healthcheck { .. } => unreachable!("answered in main"),
        Command::ImportModel {
            input,
            words,
            top,
            lowercase_alpha,
            name,
            out,
        } => {
            let t = Instant::now();
            let format = import::detect_format(&input, words.as_deref())?;
            let opts = ImportOptions {
                top_n: top,
                lowercase_alpha,
                progress: true,
            };
            let raw = import::read_source(&input, &format, &opts)?;
            let n = raw.words.len();
            word_bocce::embeddings::format::write_model(
                &out,
                &name,
                &raw.words,
                raw.dim,
                raw.vectors,
            )
            .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {} ({n} words x {} dims) in {:.1} s",
                out.display(),
                raw.dim,
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::EvalIndex {
            queries,
            seed,
            ef,
            json,
            dump,
        } => {
            let settings = EngineSettings::from_env()?;
            let engine = Engine::load(&settings)?;
            let rss = resident_bytes();
            let qs = word_bocce::eval::move_queries(&engine.emb, &engine.deck, queries, seed);
            if let Some(dir) = &dump {
                word_bocce::eval::dump_queries(&engine.exact, &qs, dir)
                    .with_context(|| format!("writing the queries to {}", dir.display()))?;
            }
            let report =
                word_bocce::eval::evaluate(&engine.exact, &engine.hnsw, &engine.deck, &qs, &ef);
            if json {
                let v = serde_json::json!({"load": engine.report, "resident_bytes": rss, "eval": report});
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            let r = &engine.report;
            println!(
                "model {} ({} words x {} dims), deck {}",
                r.model, r.words, r.dim, r.deck_size
            );
            println!(
                "load: model {} ms, quantised table {} ms, index {} ms ({})",
                r.model_ms, r.exact_ms, r.index_ms, r.index_origin
            );
            println!(
                "memory: graph + int8 rows {:.1} MB, scan tables (int8 blocks + 4-bit) {:.1} MB, resident {:.1} MB",
                r.index_bytes as f64 / 1e6,
                r.quantised_bytes as f64 / 1e6,
                rss.unwrap_or(0) as f64 / 1e6
            );
            println!(
                "{} move queries (start ± card ± card, seed {seed}), one thread",
                report.queries
            );
            println!("exact top-10: {:.0} queries/s", report.exact_top10_per_sec);
            println!(
                "exact rank: {:.0} moves/s with targets related to the start word (as dealt), {:.0} with random targets",
                report.rank_related_per_sec, report.rank_per_sec
            );
            println!(
                "{:>6} {:>8} {:>10} {:>11} {:>11}",
                "ef", "entry", "recall@1", "recall@10", "queries/s"
            );
            for row in &report.hnsw {
                println!(
                    "{:>6} {:>8} {:>10.4} {:>11.4} {:>11.0}",
                    row.ef,
                    if row.seeded { "seeds" } else { "top" },
                    row.recall_at_1,
                    row.recall_at_10,
                    row.queries_per_sec
                );
            }
            Ok(())
        }
    }
}

/// Where `serve` listens, read from the same layered settings, asked for `path`: what it
/// answered, or why it is not healthy.
fn healthcheck(path: &str, timeout_ms: u64) -> anyhow::Result<String> {
    anyhow::ensure!(path.starts_with('/'), "--path must start with /");
    let settings = Settings::from_env()?;
    let bind: std::net::IpAddr = settings.bind.parse()?;
    let addr = word_bocce::healthcheck::local_addr(bind, settings.port);
    let t = Instant::now();
    let timeout = std::time::Duration::from_millis(timeout_ms.max(1));
    let status = word_bocce::healthcheck::probe(addr, path, timeout)
        .with_context(|| format!("GET {path} on {addr}"))?;
    let ms = t.elapsed().as_millis();
    anyhow::ensure!(
        (200..300).contains(&status),
        "GET {path} on {addr} answered {status} ({ms} ms)"
    );
    Ok(format!("GET {path} on {addr} answered {status} ({ms} ms)"))
}

fn serve() -> anyhow::Result<()> {
    word_bocce::shutdown::exit_on_signal_during_startup();
    let settings = Settings::from_env()?;
    let _sentry = telemetry::init_sentry(&settings.sentry);
    if _sentry.is_some() {
        tracing::info!(environment = %settings.sentry.environment, release = %settings.sentry.release, "reporting errors to Sentry");
    }
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        let r = &app.state.engine.report;
        tracing::info!(
            port = app.port(),
            model = %r.model,
            words = r.words,
            index = %r.index_origin,
            restored = ?app.restored,
            resident_bytes = resident_bytes(),
            "serving"
        );
        app.handle_signals();
        app.run_until_stopped().await
    })
}
