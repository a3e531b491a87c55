//! `Application::build(settings)`: the server on a bound listener (tests bind port 0), the
//! snapshot timer, and graceful shutdown.

use crate::config::Settings;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::play::matches::{Matches, Seeds};
use crate::routes::{self, AppState};
use crate::store::idempotency::{IdempotencyStore, MemoryIdempotency, RedisIdempotency};
use crate::store::memory::{MemoryStore, Restored};
use crate::store::redis::RedisMatchStore;
use crate::store::{Lifetimes, MatchStore};
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
    pub restored: Restored,
}

impl Application {
    /// Load the engine, restore the store and bind `settings.bind:settings.port`.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let engine = Arc::new(Engine::load(&settings.engine)?);
        let app = Self::build_with_engine(settings, engine)?;
        crate::engine::release_freed_memory("startup");
        Ok(app)
    }

    /// Build around an already loaded engine (tests share one per binary); the puzzle
    /// catalogue is loaded from `settings.puzzles_dir`.
    pub fn build_with_engine(
        settings: Settings,
        engine: Arc<Engine>,
    ) -> anyhow::Result<Application> {
        Self::build_with_routes(settings, engine, |_| {})
    }

    /// Build with `extra` routes registered after the service's own (tests use it to add a
    /// route that fails, to see what a failure produces).
    pub fn build_with_routes(
        settings: Settings,
        engine: Arc<Engine>,
        extra: fn(&mut web::ServiceConfig),
    ) -> anyhow::Result<Application> {
        let puzzles = Arc::new(crate::puzzles::play::Puzzles::new(load_catalogue(
            &engine,
            &settings.puzzles_dir,
        )));
        Self::build_full(settings, engine, puzzles, crate::clock::system(), extra)
    }

    /// Build around a loaded engine and puzzle catalogue.
    pub fn build_with_puzzles(
        settings: Settings,
        engine: Arc<Engine>,
        puzzles: Arc<crate::puzzles::play::Puzzles>,
    ) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, engine, puzzles, crate::clock::system())
    }

    /// Build on a clock of the caller's (tests move a [`crate::clock::ManualClock`] across
    /// UTC midnight to play the daily puzzle on several days).
    pub fn build_with_clock(
        settings: Settings,
        engine: Arc<Engine>,
        puzzles: Arc<crate::puzzles::play::Puzzles>,
        clock: crate::clock::SharedClock,
    ) -> anyhow::Result<Application> {
        Self::build_full(settings, engine, puzzles, clock, |_| {})
    }

    fn build_full(
        settings: Settings,
        engine: Arc<Engine>,
        puzzles: Arc<crate::puzzles::play::Puzzles>,
        clock: crate::clock::SharedClock,
        extra: fn(&mut web::ServiceConfig),
    ) -> anyhow::Result<Application> {
        let progress = Arc::new(crate::store::progress::ProgressStore::open(
            &settings.progress,
        )?);
        // Migrate now; if the database is down, the first call that needs it tries again.
        let migrating = progress.clone();
        tokio::spawn(async move {
            if let Err(e) = migrating.migrate().await {
                tracing::error!(store = %migrating.label(), error = %e, "progress store not ready: puzzle progress answers 503 until it is");
            }
        });
        let metrics = Arc::new(Metrics::new(
            engine.emb.name(),
            engine.hnsw.search_seconds(),
        ));
        let Stores {
            matches: store,
            memory,
            restored,
            idempotency,
        } = Stores::open(&settings, &clock, &metrics)?;
        let listener = TcpListener::bind((settings.bind.as_str(), settings.port))
            .map_err(|e| anyhow::anyhow!("cannot bind {}:{}: {e}", settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        let matches = Matches {
            engine: engine.clone(),
            store: store.clone(),
            clock: clock.clone(),
            metrics: metrics.clone(),
            defaults: settings.match_defaults,
            seeds: Seeds::new(settings.rng_seed),
            reads: Default::default(),
        };
        let practice = crate::play::Practice::new(engine.clone());
        let state = web::Data::new(AppState {
            engine,
            store,
            matches,
            settings: settings.clone(),
            started: Instant::now(),
            clock,
            metrics,
            idempotency,
            shutdown: Default::default(),
            streams: routes::events::Streams::new(settings.store.sse_max_clients),
            puzzles,
            progress,
            practice,
        });
        let limit = settings.json_limit_bytes;
        let request_timeout = Duration::from_secs(settings.request_timeout_secs);
        let data = state.clone();
        let limits = routes::Limits::from_settings(&settings);
        let origins = settings.allowed_origins.clone();
        let sentry = settings.sentry.clone();
        let server = HttpServer::new(move || {
            let cors = routes::cors(&origins);
            App::new()
                .app_data(data.clone())
                .app_data(routes::json_config(limit))
                .app_data(routes::path_config())
                .app_data(routes::query_config())
                .configure(|cfg| routes::configure(cfg, &limits))
                .configure(extra)
                .wrap(actix_web::middleware::from_fn(move |req, next| {
                    routes::fallback::deadline(request_timeout, req, next)
                }))
                .wrap(actix_web::middleware::ErrorHandlers::new().handler(
                    actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                    routes::fallback::problem_for_bare_405,
                ))
                .wrap(actix_web::middleware::from_fn(
                    routes::fallback::head_as_get,
                ))
                .wrap(limits.class(routes::limits::Class::Default))
                .wrap(actix_web::middleware::Condition::new(
                    cors.is_some(),
                    cors.unwrap_or_default(),
                ))
                .wrap(routes::security_headers())
                .wrap(actix_web::middleware::from_fn(
                    crate::telemetry::echo_request_id,
                ))
                .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RootSpan>::new())
                .wrap(actix_web::middleware::from_fn(routes::meta::track))
                .wrap(actix_web::middleware::Condition::new(
                    sentry.dsn.is_some(),
                    crate::telemetry::sentry_middleware(&sentry),
                ))
                .default_service(web::to(routes::fallback::no_route))
        })
        .listen(listener)?
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(5))
        .keep_alive(Duration::from_secs(30))
        // A client's EOF ends its connection at once, even mid-response: an event stream (or a
        // slow request) whose client left is dropped then, not at its next write. No browser,
        // proxy or HTTP library half-closes to wait for an answer.
        .h1_allow_half_closed(false)
        .max_connections(10_000)
        .shutdown_timeout(settings.shutdown.timeout_secs)
        .disable_signals()
        .run();

        if let Some(store) = memory {
            spawn_sweeps(store.clone(), Duration::from_secs(SWEEP_EVERY_SECS));
            if settings.snapshot_path.is_some() {
                spawn_snapshots(store, Duration::from_secs(settings.snapshot_interval_secs));
            }
        }
        Ok(Application {
            port,
            server,
            state,
            restored,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shut down gracefully on SIGTERM or SIGINT (see [`crate::shutdown`]); a second signal
    /// stops at once. The binary calls this; tests use `state.shutdown.begin()` instead.
    pub fn handle_signals(&self) {
        let state = self.state.clone();
        let handle = self.server.handle();
        tokio::spawn(async move {
            let first = crate::shutdown::signal().await;
            tracing::info!(signal = first, "shutting down gracefully");
            state.shutdown.begin();
            let second = crate::shutdown::signal().await;
            tracing::warn!(signal = second, "second signal: stopping now");
            handle.stop(false).await;
        });
    }

    /// Serve until stopped: once shutdown begins (a signal, or `state.shutdown.begin()`),
    /// readiness turns 503 at once; after `SHUTDOWN_DELAY_SECS` the listener closes, event
    /// streams end, in-flight requests finish (within `SHUTDOWN_TIMEOUT_SECS`); then the
    /// snapshot is flushed.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let state = self.state.clone();
        let handle = self.server.handle();
        let watcher = state.clone();
        let driver = tokio::spawn(async move {
            crate::shutdown::Shutdown::reached(
                watcher.shutdown.watch(),
                crate::shutdown::Phase::Draining,
            )
            .await;
            let delay = watcher.settings.shutdown.delay_secs;
            tokio::time::sleep(Duration::from_secs(delay)).await;
            watcher.shutdown.stop();
            tracing::info!("stopped accepting; draining in-flight requests");
            handle.stop(true).await;
        });
        let served = self.server.await;
        driver.abort();
        served?;
        state.shutdown.stop();
        if state.settings.snapshot_path.is_some() {
            match state.store.flush().await {
                Ok(()) => tracing::info!("match snapshot flushed"),
                Err(e) => tracing::error!(error = %e, "final snapshot failed"),
            }
        }
        state.progress.close().await;
        Ok(())
    }
}

/// Where matches and idempotency records live: Redis when `REDIS_URL` is set (shared by every
/// instance), else in memory, restored from (and later written to) the snapshot.
struct Stores {
    matches: Arc<dyn MatchStore>,
    /// The in-memory store again, for its snapshots (none with Redis).
    memory: Option<Arc<MemoryStore>>,
    restored: Restored,
    idempotency: Arc<dyn IdempotencyStore>,
}

impl Stores {
    fn open(
        settings: &Settings,
        clock: &crate::clock::SharedClock,
        metrics: &Arc<Metrics>,
    ) -> anyhow::Result<Stores> {
        let stores = match &settings.store.redis_url {
            Some(_) => {
                let redis = Arc::new(RedisMatchStore::new(
                    &settings.store,
                    clock.clone(),
                    metrics.clone(),
                )?);
                redis.start_listener();
                Stores {
                    idempotency: Arc::new(RedisIdempotency::new(redis.conn())),
                    matches: redis,
                    memory: None,
                    restored: Restored::NoSnapshot,
                }
            }
            None => {
                let (m, restored) = MemoryStore::restore(settings.snapshot_path.clone());
                let m = Arc::new(
                    m.with_replay(settings.store.events_replay)
                        .with_metrics(metrics.clone())
                        .with_lifetimes(Lifetimes::from_settings(&settings.store), clock.clone()),
                );
                Stores {
                    matches: m.clone(),
                    memory: Some(m),
                    restored,
                    idempotency: Arc::new(MemoryIdempotency::default()),
                }
            }
        };
        Ok(stores)
    }
}

/// How often the in-memory store drops the matches whose time is up.
const SWEEP_EVERY_SECS: u64 = 15;

fn spawn_sweeps(store: Arc<MemoryStore>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let s = store.clone();
            match tokio::task::spawn_blocking(move || s.sweep()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(matches = n, "expired matches dropped"),
                Err(e) => tracing::error!(error = %e, "sweep task failed"),
            }
        }
    });
}

/// Write the in-memory store's snapshot every `every` (and `run_until_stopped` writes it once
/// more when the server stops).
fn spawn_snapshots(store: Arc<MemoryStore>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = store.clone();
            match tokio::task::spawn_blocking(move || s.write_snapshot()).await {
                Ok(Ok(n)) => tracing::debug!(matches = n, "snapshot written"),
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "snapshot failed"),
                Err(e) => tracing::error!(error = %e, "snapshot task failed"),
            }
        }
    });
}

/// Load and validate the puzzle catalogue (problems are logged as warnings naming the
/// puzzle, and those puzzles left out).
pub fn load_catalogue(engine: &Engine, dir: &std::path::Path) -> crate::puzzles::Catalogue {
    let catalogue = crate::puzzles::Catalogue::load(engine, dir);
    let s = catalogue.summary();
    tracing::info!(
        dir = %dir.display(),
        puzzles = s.puzzles,
        easy = s.easy,
        medium = s.medium,
        hard = s.hard,
        problems = s.problems,
        load_ms = s.load_ms as u64,
        "puzzle catalogue loaded"
    );
    catalogue
}
