//! What is measured and how: CPU time and memory of a process from `/proc`, latency histograms.
//!
//! CPU time comes from `/proc/<pid>/stat` (user + system time of every thread, living or exited,
//! in clock ticks of 10 ms), so a window of a few seconds measures it to about 1 %. Memory is
//! `VmRSS` (resident now) and `VmHWM` (peak resident) from `/proc/<pid>/status`; the peak of
//! this process is reset before each workload by writing `5` to `/proc/self/clear_refs`.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/<pid>/stat` (100 on every
/// architecture Linux exposes to user space this way).
const TICKS_PER_SECOND: f64 = 100.0;

/// Which process to read: this one or a child server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pid {
    /// This process.
    SelfProcess,
    /// Another process.
    Other(u32),
}

impl Pid {
    fn proc_dir(self) -> String {
        match self {
            Pid::SelfProcess => "/proc/self".to_owned(),
            Pid::Other(pid) => format!("/proc/{pid}"),
        }
    }

    /// User plus system CPU time the process has used so far; `None` if it cannot be read
    /// (process gone, no `/proc`).
    pub fn cpu_time(self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("{}/stat", self.proc_dir())).ok()?;
        // The command name (field 2) is in parentheses and may hold spaces: split after it.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the name: state is field 3, utime field 14, stime field 15 (1-based).
        let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
        let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
        Some(Duration::from_secs_f64(
            (utime + stime) as f64 / TICKS_PER_SECOND,
        ))
    }

    fn status_kib(self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("{}/status", self.proc_dir())).ok()?;
        status.lines().find_map(|line| {
            let value = line.strip_prefix(key)?.strip_prefix(':')?;
            value.trim().trim_end_matches("kB").trim().parse().ok()
        })
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(self) -> Option<u64> {
        self.status_kib("VmRSS")
    }

    /// Peak resident memory, in KiB.
    pub fn peak_rss_kib(self) -> Option<u64> {
        self.status_kib("VmHWM")
    }
}

/// Resets this process's peak RSS (`VmHWM`) to its current RSS, so the next workload's peak is
/// its own. Best effort: ignored where the kernel does not allow it.
pub fn reset_own_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time used by one process between two moments.
#[derive(Clone, Copy, Debug)]
pub struct CpuMark {
    pid: Pid,
    at: Option<Duration>,
}

impl CpuMark {
    /// Marks `pid`'s CPU time now.
    pub fn now(pid: Pid) -> Self {
        Self {
            pid,
            at: pid.cpu_time(),
        }
    }

    /// CPU time used since the mark.
    pub fn elapsed(&self) -> Option<Duration> {
        let now = self.pid.cpu_time()?;
        Some(now.saturating_sub(self.at?))
    }
}

/// A latency histogram in nanoseconds, 3 significant digits, growing as needed.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

/// Records `took` in `histogram`, which grows to hold it (or, past what it can grow to, the
/// value saturates).
pub fn record(histogram: &mut Histogram<u64>, took: Duration) {
    let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
    if histogram.record(nanos).is_err() {
        histogram.saturating_record(nanos);
    }
}

/// Latency percentiles in microseconds.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
}

impl Percentiles {
    /// The percentiles of `histogram` (nanoseconds).
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let us = |nanos: u64| nanos as f64 / 1000.0;
        Self {
            p50_us: us(histogram.value_at_quantile(0.50)),
            p99_us: us(histogram.value_at_quantile(0.99)),
            p999_us: us(histogram.value_at_quantile(0.999)),
            max_us: us(histogram.max()),
        }
    }

    /// From nanosecond figures (what the Go client reports).
    pub fn from_nanos(p50: u64, p99: u64, p999: u64, max: u64) -> Self {
        let us = |nanos: u64| nanos as f64 / 1000.0;
        Self {
            p50_us: us(p50),
            p99_us: us(p99),
            p999_us: us(p999),
            max_us: us(max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        assert!(Pid::SelfProcess.cpu_time().is_some());
        assert!(Pid::SelfProcess.rss_kib().is_some_and(|kib| kib > 0));
        assert!(Pid::SelfProcess.peak_rss_kib().is_some_and(|kib| kib > 0));
    }

    #[test]
    fn percentiles_of_a_histogram() {
        let mut histogram = new_histogram();
        for micros in 1..=1000 {
            record(&mut histogram, Duration::from_micros(micros));
        }
        let p = Percentiles::of(&histogram);
        assert!((p.p50_us - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99_us - 990.0).abs() < 2.0, "{p:?}");
        assert!((p.max_us - 1000.0).abs() < 1.0, "{p:?}");
    }
}
