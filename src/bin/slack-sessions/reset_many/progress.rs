//! The progress line (a terminal) or stderr lines (anything else) of a `reset-many` run.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::core;

/// What the run is doing, for the progress line (a terminal) or stderr lines (anything
/// else): done/total, rate, ETA, and what is being waited for.
pub(crate) struct Progress {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

struct State {
    total: usize,
    finished: usize,
    started: Instant,
    tty: bool,
    /// The user whose call is in flight, since when, and when a line about it was last said.
    calling: Option<(String, Instant, Instant)>,
    /// What is being waited for, until when.
    waiting: Option<(String, Instant)>,
}

/// A call with no answer for this long is said (and said again this often) on stderr
/// when stderr is not a terminal.
const SILENCE_NOTE: Duration = Duration::from_secs(10);

impl Progress {
    pub(crate) fn start(total: usize) -> Self {
        let tty = std::io::stderr().is_terminal();
        let state = Arc::new(Mutex::new(State {
            total,
            finished: 0,
            started: Instant::now(),
            tty,
            calling: None,
            waiting: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(250));
                        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                        s.tick();
                    }
                })
                .ok()
        };
        Progress {
            state,
            stop,
            ticker,
        }
    }

    pub(super) fn total(&self, total: usize) {
        self.with(|s| {
            s.total = total;
            s.started = Instant::now();
        });
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The client's `on_wait`: the wait shows in the progress line, or as a line.
    pub(crate) fn on_wait(&self) -> impl Fn(&slack_sessions::Wait<'_>) + Send + Sync + 'static {
        let state = self.state.clone();
        move |w| {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            let who = s
                .calling
                .as_ref()
                .map_or_else(String::new, |(u, _, _)| format!(" (user {u})"));
            let words = format!("{}{who}", core::wait_words(w));
            if !s.tty {
                core::say(&words);
            }
            s.waiting = Some((words, Instant::now() + w.delay));
            s.tick();
        }
    }

    pub(super) fn calling(&self, user: Option<&str>) {
        self.with(|s| {
            let now = Instant::now();
            s.calling = user.map(|u| (u.to_owned(), now, now));
            s.waiting = None;
        });
    }

    pub(super) fn finished(&self, n: usize) {
        self.with(|s| {
            s.finished = n;
            s.calling = None;
            s.waiting = None;
            s.tick();
        });
    }

    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.with(|s| {
            if s.tty {
                eprintln!();
            }
        });
    }
}

impl State {
    fn tick(&mut self) {
        let now = Instant::now();
        let status = match (&self.waiting, &mut self.calling) {
            (Some((words, until)), _) if *until > now => {
                format!("{words}: {} left", core::seconds(*until - now))
            }
            (_, Some((user, since, said))) if now - *since >= Duration::from_secs(2) => {
                let waited = now - *since;
                if !self.tty && now - *said >= SILENCE_NOTE {
                    *said = now;
                    core::say(&format!(
                        "{user}: still waiting for an answer from Slack after {}",
                        core::seconds(waited)
                    ));
                }
                format!("{user}: waiting for an answer ({})", core::seconds(waited))
            }
            _ => String::new(),
        };
        if self.tty {
            let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
            let per_second = self.finished as f64 / elapsed;
            let eta = if per_second > 0.0 {
                format!(
                    "ETA {:.0}s",
                    (self.total - self.finished) as f64 / per_second
                )
            } else {
                "ETA -".to_owned()
            };
            eprint!(
                "\r{}/{} done, {:.0}/min, {eta}{}{status}\x1b[K",
                self.finished,
                self.total,
                per_second * 60.0,
                if status.is_empty() { "" } else { "; " },
            );
        }
    }
}
