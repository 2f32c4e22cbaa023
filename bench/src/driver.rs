//! The closed loop: `in_flight` tasks per connection, each making a call, waiting for its reply
//! and calling again, for a timed window after a warm-up (or a fixed number of calls).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::measure::{CpuMark, Pid, new_histogram, record};

/// How long a loop runs.
#[derive(Clone, Copy, Debug)]
pub enum Window {
    /// Unmeasured calls for `warmup`, then calls measured for `measure`.
    Timed {
        /// Warm-up.
        warmup: Duration,
        /// Measured window.
        measure: Duration,
    },
    /// Every calling task makes this many calls, all measured.
    Count(u64),
}

impl Window {
    /// Calls per calling task in a count window whose load has `slots` calling tasks: about
    /// `total` calls in all, at least one per task.
    pub fn count_for(total: u64, slots: usize) -> Window {
        let slots = slots.max(1) as u64;
        Window::Count(total.div_ceil(slots).max(1))
    }
}

/// Calls are made but not counted.
pub const WARMUP: u8 = 0;
/// Calls are counted and timed.
pub const MEASURE: u8 = 1;
/// Calling tasks finish their call and stop.
pub const STOP: u8 = 2;

/// Where the loop is: warming up, measuring, stopping.
#[derive(Clone)]
pub struct Phase(Arc<AtomicU8>);

impl Default for Phase {
    fn default() -> Self {
        Self(Arc::new(AtomicU8::new(WARMUP)))
    }
}

impl Phase {
    /// The current phase.
    pub fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    /// Moves to `phase`.
    pub fn set(&self, phase: u8) {
        self.0.store(phase, Ordering::Relaxed);
    }
}

/// One call, made again and again by one calling task. Each task has its own caller (cloned
/// from its connection's).
pub trait Caller: Send + 'static {
    /// Makes one call and checks its reply.
    fn call(&mut self) -> impl Future<Output = Result<(), String>> + Send;
}

/// What one calling task (or all of them, merged) saw.
pub struct Tally {
    /// Calls measured (answered without error in the measured window).
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Latencies of the measured calls, in nanoseconds.
    pub histogram: Histogram<u64>,
}

impl Tally {
    /// Nothing yet.
    pub fn new() -> Self {
        Self {
            calls: 0,
            errors: 0,
            first_error: None,
            histogram: new_histogram(),
        }
    }

    /// Adds `other`'s figures.
    pub fn merge(&mut self, other: Tally) {
        self.calls += other.calls;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        let _ = self.histogram.add(&other.histogram);
    }

    /// Counts a failed call.
    pub fn fail(&mut self, error: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of a loop: merged tallies, the measured window's length, and CPU time used
/// during it by the client (this process) and the server.
pub struct LoopOutcome {
    /// Merged tallies.
    pub tally: Tally,
    /// The measured window.
    pub elapsed: Duration,
    /// CPU time of this process in the window.
    pub client_cpu: Option<Duration>,
    /// CPU time of the server process in the window (`None` for an in-process server).
    pub server_cpu: Option<Duration>,
}

/// Marks CPU time of this process and the server at the start of a measured window.
pub struct CpuWindow {
    client: CpuMark,
    server: Option<CpuMark>,
    start: Instant,
}

impl CpuWindow {
    /// Starts a window; `server` is the server's process, `None` when it runs in this one.
    pub fn start(server: Option<u32>) -> Self {
        Self {
            client: CpuMark::now(Pid::SelfProcess),
            server: server.map(|pid| CpuMark::now(Pid::Other(pid))),
            start: Instant::now(),
        }
    }

    /// Ends the window: `(elapsed, client CPU, server CPU)`.
    pub fn end(&self) -> (Duration, Option<Duration>, Option<Duration>) {
        (
            self.start.elapsed(),
            self.client.elapsed(),
            self.server.as_ref().and_then(CpuMark::elapsed),
        )
    }
}

/// Runs `callers` (one per calling task) in a closed loop over `window`. `server` is the
/// server's process id, if it has its own.
pub async fn closed_loop<C: Caller>(
    callers: Vec<C>,
    window: Window,
    server: Option<u32>,
) -> LoopOutcome {
    let phase = Phase::default();
    let limit = match window {
        Window::Count(n) => {
            phase.set(MEASURE);
            Some(n)
        }
        Window::Timed { .. } => None,
    };
    let mut cpu = None;
    if limit.is_some() {
        cpu = Some(CpuWindow::start(server));
    }
    let tasks: Vec<_> = callers
        .into_iter()
        .map(|caller| tokio::spawn(call_loop(caller, phase.clone(), limit)))
        .collect();
    finish(tasks, window, &phase, server, cpu, "calling").await
}

/// Runs the timed window over the started `tasks` (warm-up, then measure) or, for a counted
/// window, the CPU window `counted` started before them; then merges their tallies.
pub async fn finish(
    tasks: Vec<tokio::task::JoinHandle<Tally>>,
    window: Window,
    phase: &Phase,
    server: Option<u32>,
    counted: Option<CpuWindow>,
    what: &str,
) -> LoopOutcome {
    let mut measured = None;
    if let Window::Timed { warmup, measure } = window {
        tokio::time::sleep(warmup).await;
        let started = CpuWindow::start(server);
        phase.set(MEASURE);
        tokio::time::sleep(measure).await;
        phase.set(STOP);
        measured = Some(started.end());
    }
    let mut tally = Tally::new();
    for task in tasks {
        match task.await {
            Ok(t) => tally.merge(t),
            Err(err) => tally.fail(format!("{what} task failed: {err}")),
        }
    }
    let (elapsed, client_cpu, server_cpu) = match (measured, counted) {
        (Some(measured), _) => measured,
        (None, Some(cpu)) => cpu.end(),
        (None, None) => (Duration::ZERO, None, None),
    };
    LoopOutcome {
        tally,
        elapsed,
        client_cpu,
        server_cpu,
    }
}

async fn call_loop<C: Caller>(mut caller: C, phase: Phase, limit: Option<u64>) -> Tally {
    let mut tally = Tally::new();
    let mut made = 0u64;
    loop {
        if phase.get() == STOP || limit.is_some_and(|limit| made >= limit) {
            break;
        }
        made += 1;
        let start = Instant::now();
        let result = caller.call().await;
        let took = start.elapsed();
        match result {
            Ok(()) => {
                if phase.get() == MEASURE {
                    tally.calls += 1;
                    record(&mut tally.histogram, took);
                }
            }
            Err(err) => {
                // A failed call invalidates the figures; stop this task rather than spin.
                tally.fail(err);
                break;
            }
        }
    }
    tally
}

/// Checks a `HelloService.Hello` reply: `hello:` and the request.
pub fn check_reply(reply: &str, request_len: usize) -> Result<(), String> {
    if reply.len() == request_len + "hello:".len() && reply.starts_with("hello:") {
        Ok(())
    } else {
        Err(format!(
            "unexpected reply of {} bytes (want {})",
            reply.len(),
            request_len + 6
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting;

    impl Caller for Counting {
        async fn call(&mut self) -> Result<(), String> {
            tokio::task::yield_now().await;
            Ok(())
        }
    }

    struct Failing;

    impl Caller for Failing {
        async fn call(&mut self) -> Result<(), String> {
            Err("boom".into())
        }
    }

    #[tokio::test]
    async fn counts_calls_per_task() {
        let outcome = closed_loop(vec![Counting, Counting, Counting], Window::Count(7), None).await;
        assert_eq!(outcome.tally.calls, 21);
        assert_eq!(outcome.tally.histogram.len(), 21);
        assert_eq!(outcome.tally.errors, 0);
    }

    #[tokio::test]
    async fn a_failure_stops_its_task_and_is_reported() {
        let outcome = closed_loop(vec![Failing], Window::Count(5), None).await;
        assert_eq!(outcome.tally.calls, 0);
        assert_eq!(outcome.tally.errors, 1);
        assert_eq!(outcome.tally.first_error.as_deref(), Some("boom"));
    }

    #[test]
    fn count_windows() {
        assert!(matches!(Window::count_for(200, 256), Window::Count(1)));
        assert!(matches!(Window::count_for(200, 16), Window::Count(13)));
    }

    #[test]
    fn replies() {
        assert!(check_reply("hello:abc", 3).is_ok());
        assert!(check_reply("hello:ab", 3).is_err());
    }
}
