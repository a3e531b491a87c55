//! Graceful shutdown. On SIGTERM or SIGINT (or [`Shutdown::begin`]):
//! 1. *draining* at once: readiness answers 503 (`shutting_down: true`), so load balancers and
//!    orchestrators take the instance out; requests are still served for
//!    `SHUTDOWN_DELAY_SECS` (default 0), for balancers that only learn from readiness probes;
//! 2. *stopping*: the listener closes (new connections are refused, so nginx moves on to
//!    another instance), event streams get a final `shutdown` event and end, idle keep-alive
//!    connections close, in-flight requests finish — for at most `SHUTDOWN_TIMEOUT_SECS`
//!    (default 30), after which what is left is cut;
//! 3. the memory store's snapshot is written, and the process exits 0.
//!
//! A second signal while draining stops at once (in-flight requests are cut).
//!
//! Before the service listens for signals ([`signal`]), [`exit_on_signal_during_startup`]
//! makes SIGTERM and SIGINT end the process at once: nothing is served yet, and a container's
//! PID 1 ignores a signal it has no handler for, so a stop during startup (a cold build takes
//! minutes at 400k words) used to wait for the orchestrator's kill timeout.

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Running,
    Draining,
    Stopping,
}

/// The shutdown state every part of the service can watch.
pub struct Shutdown {
    tx: watch::Sender<Phase>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: watch::channel(Phase::Running).0,
        }
    }
}

impl Shutdown {
    pub fn phase(&self) -> Phase {
        *self.tx.borrow()
    }

    /// Start draining (a no-op if already shutting down).
    pub fn begin(&self) {
        self.advance(Phase::Draining);
    }

    /// Stop: streams end, the server stops accepting.
    pub fn stop(&self) {
        self.advance(Phase::Stopping);
    }

    fn advance(&self, to: Phase) {
        self.tx.send_if_modified(|p| {
            if *p < to {
                *p = to;
                true
            } else {
                false
            }
        });
    }

    pub fn watch(&self) -> watch::Receiver<Phase> {
        self.tx.subscribe()
    }

    /// Resolves once the phase is at least `phase`.
    pub async fn reached(mut rx: watch::Receiver<Phase>, phase: Phase) {
        let _ = rx.wait_for(|p| *p >= phase).await;
    }
}

/// The startup's signal actions, while they are registered.
#[cfg(unix)]
static STARTUP_ACTIONS: std::sync::Mutex<Vec<signal_hook_registry::SigId>> =
    std::sync::Mutex::new(Vec::new());

/// Until [`signal`] listens: SIGTERM or SIGINT ends the process at once, with status 128 + the
/// signal (as the default action would report it) and a line on stderr.
pub fn exit_on_signal_during_startup() {
    #[cfg(unix)]
    {
        let mut ids = STARTUP_ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
        for sig in [libc::SIGTERM, libc::SIGINT] {
            // SAFETY: the action only calls `write` and `_exit`, both async-signal-safe.
            let id = unsafe {
                signal_hook_registry::register(sig, move || {
                    let msg = b"word-bocce: stopped by a signal during startup\n";
                    libc::write(libc::STDERR_FILENO, msg.as_ptr().cast(), msg.len());
                    libc::_exit(128 + sig);
                })
            };
            match id {
                Ok(id) => ids.push(id),
                Err(e) => {
                    tracing::warn!(error = %e, signal = sig, "cannot stop on signals during startup")
                }
            }
        }
    }
}

/// The startup's actions end once the service's own listeners exist (so that no signal
/// finds neither).
#[cfg(unix)]
fn stop_exiting_on_signal() {
    let mut ids = STARTUP_ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
    for id in ids.drain(..) {
        signal_hook_registry::unregister(id);
    }
}

/// The next SIGTERM or SIGINT.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            _ => {
                tracing::error!("cannot listen for signals");
                return std::future::pending().await;
            }
        };
        stop_exiting_on_signal();
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_move_forward() {
        let s = Shutdown::default();
        assert_eq!(s.phase(), Phase::Running);
        s.stop();
        s.begin();
        assert_eq!(s.phase(), Phase::Stopping);
    }
}
