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
    /// What is being waited for, since when, until when.
    waiting: Option<(String, Instant, Instant)>,
    /// When the progress line was last drawn (redraws are bounded in rate).
    drawn: Option<Instant>,
}

/// The progress line is redrawn at most this often (each redraw is a write to the
/// terminal; a run deciding thousands of users a second must not flood it).
const REDRAW_EVERY: Duration = Duration::from_millis(200);

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
            drawn: None,
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
            let now = Instant::now();
            s.waiting = Some((words.clone(), now, now + w.delay));
            if !s.tty {
                if s.total > 0 {
                    core::say(&format!(
                        "{words}; {} of {} done, {}",
                        s.finished,
                        s.total,
                        s.eta(now)
                    ));
                } else {
                    core::say(&words);
                }
            }
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
                // The last state is drawn, whatever the redraw bound skipped.
                s.drawn = None;
                s.tick();
                eprintln!();
            }
        });
    }
}

impl State {
    /// The time left, as of `now` (see [`eta_words`]).
    fn eta(&self, now: Instant) -> String {
        let (waited, wait_left) = match &self.waiting {
            Some((_, since, until)) if *until > now => {
                (now.saturating_duration_since(*since), *until - now)
            }
            _ => (Duration::ZERO, Duration::ZERO),
        };
        // The rate is the one observed before the wait in progress: counting that wait
        // in the elapsed time too would count it twice (once as the time left of it, once
        // as a slower rate for every user left).
        eta_words(
            self.total.saturating_sub(self.finished),
            self.finished,
            now.saturating_duration_since(self.started)
                .saturating_sub(waited),
            wait_left,
        )
    }

    fn tick(&mut self) {
        let now = Instant::now();
        let status = match (&self.waiting, &mut self.calling) {
            (Some((words, _, until)), _) if *until > now => {
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
            if self
                .drawn
                .is_some_and(|d| now.saturating_duration_since(d) < REDRAW_EVERY)
            {
                return;
            }
            self.drawn = Some(now);
            let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
            let per_second = self.finished as f64 / elapsed;
            let eta = self.eta(now);
            let line = format!(
                "{}/{} done, {:.0}/min, {eta}{}{status}",
                self.finished,
                self.total,
                per_second * 60.0,
                if status.is_empty() { "" } else { "; " },
            );
            // A line wider than the terminal wraps, and each redraw (\r) then leaves
            // the wrapped part behind: fit it in one row.
            eprint!("\r{}\x1b[K", fit(&line, terminal_width()));
        }
    }
}

/// The terminal's width for the progress line: `COLUMNS` when set (shells export it to
/// children when asked), else 80; one column is kept free so that the cursor never
/// wraps.
fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 20)
        .unwrap_or(80);
    columns - 1
}

/// `line` cut to `width` characters (control characters shown as `?`), ending in `…`
/// when cut.
fn fit(line: &str, width: usize) -> String {
    let clean: Vec<char> = line
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.len() <= width {
        return clean.into_iter().collect();
    }
    let mut cut: String = clean[..width.saturating_sub(1)].iter().collect();
    cut.push('…');
    cut
}

/// The time left, in words a responder can repeat: the wait in progress (known, from
/// Retry-After or the backoff) plus the users left at the rate observed so far (`done`
/// in `elapsed`, earlier waits included, the wait in progress not: the caller leaves it
/// out of `elapsed`, as it is counted in `wait_left`). Before any user is done the rate is unknown,
/// and only the wait is a known part of what is left.
fn eta_words(left: usize, done: usize, elapsed: Duration, wait_left: Duration) -> String {
    if left == 0 {
        return "ETA 0s".to_owned();
    }
    let elapsed = elapsed.as_secs_f64();
    if done == 0 || elapsed <= 0.0 {
        return if wait_left.is_zero() {
            "ETA - (no user done yet)".to_owned()
        } else {
            format!(
                "ETA more than {} (this wait, then {left} user(s) at a rate not known yet)",
                core::seconds(wait_left)
            )
        };
    }
    let per_second = done as f64 / elapsed;
    let secs = wait_left.as_secs_f64() + left as f64 / per_second;
    format!("ETA {}", core::seconds(Duration::from_secs_f64(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_counts_the_wait_in_progress_and_the_observed_rate() {
        let s = Duration::from_secs;
        // 5 of 10 done in 10 s (0.5 a second); a 60 s Retry-After running: 60 + 10.
        assert_eq!(eta_words(5, 5, s(10), s(60)), "ETA 70s");
        assert_eq!(eta_words(5, 5, s(10), Duration::ZERO), "ETA 10s");
        assert_eq!(eta_words(0, 10, s(10), s(60)), "ETA 0s");
        assert!(eta_words(10, 0, s(1), s(60)).starts_with("ETA more than 60s"));
        assert!(eta_words(10, 0, s(1), Duration::ZERO).starts_with("ETA -"));
    }

    #[test]
    fn a_wait_in_progress_is_counted_once() {
        // 5 of 10 done in 10 s, then an 8 s wait: at its start 8 + 10 s, near its end
        // 0.1 + 10 s (the tester saw 16 s there: the wait slowed the rate as well).
        let started = Instant::now();
        let mut state = State {
            total: 10,
            finished: 5,
            started,
            tty: false,
            calling: None,
            waiting: None,
            drawn: None,
        };
        let at = |secs: f64| started + Duration::from_secs_f64(secs);
        state.waiting = Some(("wait".into(), at(10.0), at(18.0)));
        assert_eq!(
            state.eta(at(10.0)),
            eta_words(5, 5, Duration::from_secs(10), Duration::from_secs(8))
        );
        let near_end = state.eta(at(17.9));
        assert_eq!(
            near_end,
            eta_words(5, 5, Duration::from_secs(10), Duration::from_millis(100))
        );
        assert_eq!(near_end, "ETA 10s", "{near_end}");
        // After the wait, it is an earlier wait: part of the observed rate.
        assert_eq!(
            state.eta(at(20.0)),
            eta_words(5, 5, Duration::from_secs(20), Duration::ZERO)
        );
    }

    #[test]
    fn the_progress_line_fits_the_terminal() {
        let long = "1/1000 done, 12/min, ETA 1h 23m; admin.users.session.reset rate limited (HTTP 429, Retry-After 60s) (user W0123456789); waiting 60s before attempt 5 (gives up on this call after 9m 50s more): 59.9s left";
        for width in [79, 39, 200] {
            let fitted = fit(long, width);
            assert!(fitted.chars().count() <= width, "{fitted}");
        }
        assert!(fit(long, 79).ends_with('…'));
        assert_eq!(fit("short", 79), "short");
        assert_eq!(fit("a\x1b[2Jb", 79), "a?[2Jb");
    }
}
