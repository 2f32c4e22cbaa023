//! Failed logins cost time: a growing delay per connection and per peer address.
//!
//! After a failed login the answer waits [`LoginLimits::delay_after`] the number of recent
//! failures (of the connection, or of its peer address, whichever is more): 100 ms after the
//! first, doubling to at most 5 s by default. Logins of one connection, and of one peer address,
//! take turns, so a peer gains nothing by sending many at once or over many connections; and a
//! peer that hangs up during its delay leaves the delay behind for its next attempt.
//!
//! A peer address's failures halve for every [`LoginLimits::half_life`] without one (a success
//! does not clear them, so a valid account cannot be used to wipe the count while guessing
//! another's password); a connection's are cleared by its successful login. At most
//! [`LoginLimits::max_peers`] addresses are remembered: peers are untrusted, so the table sheds
//! its oldest idle entries when full.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use netrpc::transport::Peer;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// How failed logins are slowed down. Build with struct update syntax from
/// [`DEFAULT`](Self::DEFAULT):
///
/// ```
/// use std::time::Duration;
/// use rpc_services::auth::LoginLimits;
///
/// let limits = LoginLimits { first_delay: Duration::from_millis(10), ..LoginLimits::DEFAULT };
/// assert_eq!(limits.delay_after(3), Duration::from_millis(40));
/// assert_eq!(LoginLimits::DEFAULT.delay_after(30), Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    /// The delay after the first failure; each further one doubles it.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// A peer address's failure count halves for every this long without a failure (zero:
    /// failures are forgotten at once, so only the per-connection count applies).
    pub half_life: Duration,
    /// The most peer addresses remembered at once (at least 1).
    pub max_peers: usize,
}

impl LoginLimits {
    /// 100 ms doubling to 5 s; failures halve every 60 s; 10,000 addresses.
    pub const DEFAULT: LoginLimits = LoginLimits {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(5),
        half_life: Duration::from_secs(60),
        max_peers: 10_000,
    };

    /// The delay before answering a failed login that makes `failures` recent failures:
    /// nothing for 0, `first_delay` for 1, doubling for each more, at most `max_delay`.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (failures - 1).min(31);
        self.first_delay
            .checked_mul(1u32 << doublings)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// `failures` after `elapsed` without a failure.
    fn decayed(&self, failures: u32, elapsed: Duration) -> u32 {
        if self.half_life.is_zero() {
            return 0;
        }
        let halvings = elapsed.as_nanos() / self.half_life.as_nanos();
        if halvings >= 32 {
            0
        } else {
            failures >> halvings
        }
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What failed logins are counted by: the peer's IP address (an IPv6 address by its /64
/// network, which one host usually has whole), the user id of a Unix socket peer, or else the
/// peer's address text (`mem://NAME` without the connection number, a Unix socket path).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PeerKey {
    /// An IP address (IPv6 masked to its /64).
    Ip(IpAddr),
    /// The user id of the process on the other end of a Unix socket.
    UnixUid(u32),
    /// The address text, when there is nothing better.
    Addr(String),
}

impl PeerKey {
    /// The key of `peer`.
    pub fn of(peer: &Peer) -> Self {
        if let Some(socket) = peer.socket_addr {
            return PeerKey::Ip(match socket.ip().to_canonical() {
                IpAddr::V6(v6) => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    IpAddr::V6(network.into())
                }
                v4 => v4,
            });
        }
        if let Some(cred) = peer.unix_cred {
            return PeerKey::UnixUid(cred.uid);
        }
        let addr = match peer.addr.rsplit_once('#') {
            Some((listener, n)) if peer.transport == "mem" && n.parse::<u64>().is_ok() => listener,
            _ => peer.addr.as_str(),
        };
        PeerKey::Addr(addr.to_owned())
    }
}

impl std::fmt::Display for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerKey::Ip(ip) => write!(f, "{ip}"),
            PeerKey::UnixUid(uid) => write!(f, "uid {uid}"),
            PeerKey::Addr(addr) => f.write_str(addr),
        }
    }
}

/// One remembered peer address.
struct PeerEntry {
    /// Failures as of `last_failure`.
    failures: u32,
    last_failure: Instant,
    /// No attempt is checked before this (the delay of the last failure).
    blocked_until: Instant,
    /// Last attempt, for eviction.
    last_seen: Instant,
    /// Attempts from this address take turns.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl PeerEntry {
    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            last_failure: now,
            blocked_until: now,
            last_seen: now,
            turn: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn failures(&self, limits: &LoginLimits, now: Instant) -> u32 {
        limits.decayed(
            self.failures,
            now.saturating_duration_since(self.last_failure),
        )
    }

    /// Nobody holds or waits for its turn.
    fn is_idle(&self) -> bool {
        Arc::strong_count(&self.turn) == 1
    }
}

/// The failures of peer addresses, shared by every connection of a server. Bounded by
/// [`LoginLimits::max_peers`].
pub struct LoginLimiter {
    limits: LoginLimits,
    peers: Mutex<HashMap<PeerKey, PeerEntry>>,
}

/// A peer address's turn to try a login: held from before the check until the answer.
pub(crate) struct PeerTurn {
    _turn: OwnedMutexGuard<()>,
}

impl LoginLimiter {
    /// An empty table with these limits.
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits: LoginLimits {
                max_peers: limits.max_peers.max(1),
                ..limits
            },
            peers: Mutex::new(HashMap::new()),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &LoginLimits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PeerKey, PeerEntry>> {
        self.peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for `key`'s turn, then for the delay of its last failure to pass (which its
    /// previous attempt may have left by hanging up).
    pub(crate) async fn turn(&self, key: &PeerKey) -> PeerTurn {
        let turn = {
            let mut peers = self.lock();
            let now = Instant::now();
            if !peers.contains_key(key) {
                self.make_room(&mut peers, now);
            }
            let entry = peers
                .entry(key.clone())
                .or_insert_with(|| PeerEntry::new(now));
            entry.last_seen = now;
            entry.turn.clone()
        };
        let turn = PeerTurn {
            _turn: turn.lock_owned().await,
        };
        let blocked_until = self.lock().get(key).map(|entry| entry.blocked_until);
        if let Some(until) = blocked_until {
            tokio::time::sleep_until(until).await;
        }
        turn
    }

    /// Counts a failure of `key` now, blocking its next attempt for `delay`; returns its
    /// recent failures, this one included.
    pub(crate) fn failed(&self, key: &PeerKey, delay_for: impl Fn(u32) -> Duration) -> u32 {
        let mut peers = self.lock();
        let now = Instant::now();
        if !peers.contains_key(key) {
            self.make_room(&mut peers, now);
        }
        let entry = peers
            .entry(key.clone())
            .or_insert_with(|| PeerEntry::new(now));
        let failures = entry.failures(&self.limits, now).saturating_add(1);
        entry.failures = failures;
        entry.last_failure = now;
        entry.last_seen = now;
        entry.blocked_until = now + delay_for(failures);
        failures
    }

    /// `key`'s recent failures.
    pub fn failures(&self, key: &PeerKey) -> u32 {
        let now = Instant::now();
        self.lock()
            .get(key)
            .map_or(0, |entry| entry.failures(&self.limits, now))
    }

    /// Addresses remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees at least one place when the table is full: first the idle entries with nothing
    /// left to remember, then the oldest idle half, then (every entry in use) the oldest ones.
    fn make_room(&self, peers: &mut HashMap<PeerKey, PeerEntry>, now: Instant) {
        let max = self.limits.max_peers;
        if peers.len() < max {
            return;
        }
        peers.retain(|_, entry| {
            !(entry.is_idle()
                && entry.failures(&self.limits, now) == 0
                && entry.blocked_until <= now)
        });
        if peers.len() < max {
            return;
        }
        let mut by_age: Vec<(bool, Instant, PeerKey)> = peers
            .iter()
            .map(|(key, entry)| (!entry.is_idle(), entry.last_seen, key.clone()))
            .collect();
        // Idle before busy, oldest first.
        by_age.sort_by_key(|(busy, last_seen, _)| (*busy, *last_seen));
        let target = max / 2;
        let excess = peers.len() - target;
        for (_, _, key) in by_age.into_iter().take(excess.max(1)) {
            peers.remove(&key);
        }
        tracing::debug!(
            remembered = peers.len(),
            max,
            "login limiter forgot its oldest peer addresses"
        );
    }
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter")
            .field("limits", &self.limits)
            .field("peers", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delay_doubles_to_its_cap() {
        let limits = LoginLimits::DEFAULT;
        let delays: Vec<_> = (0..9).map(|n| limits.delay_after(n)).collect();
        assert_eq!(
            delays,
            [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000].map(ms)
        );
        assert_eq!(limits.delay_after(u32::MAX), Duration::from_secs(5));
        let huge = LoginLimits {
            first_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..limits
        };
        assert_eq!(huge.delay_after(40), Duration::MAX);
    }

    #[test]
    fn failures_halve_with_time() {
        let limits = LoginLimits::DEFAULT;
        let minute = Duration::from_secs(60);
        assert_eq!(limits.decayed(8, Duration::ZERO), 8);
        assert_eq!(limits.decayed(8, minute - ms(1)), 8);
        assert_eq!(limits.decayed(8, minute), 4);
        assert_eq!(limits.decayed(8, 3 * minute), 1);
        assert_eq!(limits.decayed(8, 4 * minute), 0);
        assert_eq!(limits.decayed(u32::MAX, Duration::MAX), 0);
        let forget = LoginLimits {
            half_life: Duration::ZERO,
            ..limits
        };
        assert_eq!(forget.decayed(8, Duration::ZERO), 0);
    }

    #[test]
    fn peers_are_keyed_by_ip_network_uid_or_address() {
        let tcp =
            |addr: &str| PeerKey::of(&Peer::socket("tcp", addr.parse::<SocketAddr>().unwrap()));
        assert_eq!(tcp("127.0.0.1:1"), tcp("127.0.0.1:2"));
        assert_ne!(tcp("127.0.0.1:1"), tcp("127.0.0.2:1"));
        assert_eq!(tcp("[2001:db8::1]:1"), tcp("[2001:db8::ffff:2]:9"));
        assert_ne!(tcp("[2001:db8::1]:1"), tcp("[2001:db8:0:1::1]:1"));
        assert_eq!(tcp("[::ffff:10.0.0.1]:5"), tcp("10.0.0.1:6"));
        assert_eq!(tcp("10.0.0.1:6").to_string(), "10.0.0.1");

        let mem = |addr: &str| PeerKey::of(&Peer::new("mem", addr));
        assert_eq!(mem("mem://x#1"), mem("mem://x#2"));
        assert_eq!(mem("mem://x#1"), PeerKey::Addr("mem://x".into()));
        assert_ne!(mem("mem://x#1"), mem("mem://y#1"));
        let unix = Peer::new("unix", "@");
        assert_eq!(PeerKey::of(&unix), PeerKey::Addr("@".into()));
        let with_uid = Peer {
            unix_cred: Some(netrpc::transport::UnixCred {
                uid: 1000,
                gid: 1000,
                pid: None,
            }),
            ..unix
        };
        assert_eq!(PeerKey::of(&with_uid), PeerKey::UnixUid(1000));
    }

    fn key(n: usize) -> PeerKey {
        PeerKey::Addr(format!("peer-{n}"))
    }

    #[tokio::test(start_paused = true)]
    async fn failures_grow_and_block_the_next_attempt() {
        let limiter = LoginLimiter::new(LoginLimits::DEFAULT);
        let limits = *limiter.limits();
        let a = key(1);
        for expected in 1..=4 {
            let start = Instant::now();
            let turn = limiter.turn(&a).await;
            // Each attempt waits out the previous failure's delay (here nobody slept it).
            assert_eq!(
                Instant::now() - start,
                limits.delay_after(expected - 1),
                "attempt {expected}"
            );
            assert_eq!(limiter.failed(&a, |n| limits.delay_after(n)), expected);
            drop(turn);
        }
        assert_eq!(limiter.failures(&a), 4);
        assert_eq!(limiter.failures(&key(2)), 0);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(limiter.failures(&a), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_of_one_peer_take_turns() {
        let limiter = Arc::new(LoginLimiter::new(LoginLimits::DEFAULT));
        let first = limiter.turn(&key(1)).await;
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                let _turn = limiter.turn(&key(1)).await;
            }
        });
        // Another address is not held up.
        let _other = limiter.turn(&key(2)).await;
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn the_table_stays_bounded() {
        let limits = LoginLimits {
            max_peers: 8,
            ..LoginLimits::DEFAULT
        };
        let limiter = LoginLimiter::new(limits);
        for n in 0..100 {
            limiter.failed(&key(n), |_| Duration::ZERO);
            assert!(limiter.len() <= 8, "{} after {n}", limiter.len());
            tokio::time::advance(ms(1)).await;
        }
        // The newest are remembered, the oldest forgotten.
        assert_eq!(limiter.failures(&key(99)), 1);
        assert_eq!(limiter.failures(&key(0)), 0);

        // Entries in use are evicted last.
        let busy = limiter.turn(&key(1000)).await;
        limiter.failed(&key(1000), |_| Duration::ZERO);
        for n in 200..300 {
            limiter.failed(&key(n), |_| Duration::ZERO);
            tokio::time::advance(ms(1)).await;
        }
        assert!(limiter.len() <= 8);
        assert_eq!(limiter.failures(&key(1000)), 1, "an entry in use is kept");
        drop(busy);

        // Entries with nothing to remember go first.
        let limiter = LoginLimiter::new(LoginLimits {
            max_peers: 1,
            ..limits
        });
        drop(limiter.turn(&key(1)).await);
        limiter.failed(&key(2), |_| Duration::ZERO);
        assert_eq!(limiter.len(), 1);
        assert_eq!(limiter.failures(&key(2)), 1);
    }
}
