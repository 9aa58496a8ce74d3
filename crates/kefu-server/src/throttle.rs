//! Log-in throttling (OWASP ASVS 2.2.1): after `login_max_failures` failed
//! attempts for one username, or from one address, within
//! `login_window_seconds`, further attempts are refused with 429 and
//! `Retry-After` until the oldest failure has left the window — whether the
//! username exists or not, and whether the password is right or not, so the
//! answer tells an attacker nothing. A successful log-in clears the
//! username's failures (not the address's: one person's success must not
//! unlock an address that is guessing at other accounts).
//!
//! The counts are kept in memory, per instance, with a bounded number of
//! keys; every failure and every refusal is audited in the database.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many usernames and this many addresses are tracked; beyond
/// that, keys whose failures have all expired are dropped first, then those
/// whose last failure is oldest.
const MAX_KEYS: usize = 50_000;

#[derive(Default)]
struct Failures {
    /// Times of the recent failures, oldest first (at most `max` kept).
    times: VecDeque<Instant>,
    /// A refusal since the last failure was already reported as the first.
    refused: bool,
}

impl Failures {
    fn prune(&mut self, now: Instant, window: Duration) {
        while self.times.front().is_some_and(|&t| now.duration_since(t) >= window) {
            self.times.pop_front();
        }
    }

    /// How long until an attempt is allowed again, if it is not now, and
    /// whether this is the first refusal of the blocked period.
    fn blocked_for(&mut self, now: Instant, window: Duration, max: usize) -> Option<(Duration, bool)> {
        self.prune(now, window);
        if self.times.len() < max {
            return None;
        }
        let first = !std::mem::replace(&mut self.refused, true);
        self.times.front().map(|&oldest| (window.saturating_sub(now.duration_since(oldest)), first))
    }

    fn record(&mut self, now: Instant, window: Duration, max: usize) {
        self.prune(now, window);
        self.refused = false;
        self.times.push_back(now);
        while self.times.len() > max {
            self.times.pop_front();
        }
    }
}

struct Table<K> {
    keys: HashMap<K, Failures>,
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    fn new() -> Self {
        Table { keys: HashMap::new() }
    }

    fn blocked_for(&mut self, key: &K, now: Instant, window: Duration, max: usize) -> Option<(Duration, bool)> {
        let wait = self.keys.get_mut(key)?.blocked_for(now, window, max);
        if self.keys.get(key).is_some_and(|f| f.times.is_empty()) {
            self.keys.remove(key);
        }
        wait
    }

    fn record(&mut self, key: K, now: Instant, window: Duration, max: usize) {
        if self.keys.len() >= MAX_KEYS && !self.keys.contains_key(&key) {
            self.evict(now, window);
        }
        self.keys.entry(key).or_default().record(now, window, max);
    }

    fn evict(&mut self, now: Instant, window: Duration) {
        self.keys.retain(|_, f| {
            f.prune(now, window);
            !f.times.is_empty()
        });
        if self.keys.len() >= MAX_KEYS {
            // Still full of live keys: drop the tenth whose last failure is oldest.
            let mut last: Vec<(Instant, K)> = self.keys.iter().filter_map(|(k, f)| f.times.back().map(|&t| (t, k.clone()))).collect();
            last.sort_by_key(|(t, _)| *t);
            for (_, k) in last.into_iter().take(MAX_KEYS / 10) {
                self.keys.remove(&k);
            }
        }
    }
}

pub struct LoginThrottle {
    by_user: Mutex<Table<String>>,
    by_address: Mutex<Table<IpAddr>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle { by_user: Mutex::new(Table::new()), by_address: Mutex::new(Table::new()) }
    }
}

/// Usernames are compared without case and surrounding spaces, so that
/// `Admin ` does not get a fresh allowance.
fn user_key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginThrottle {
    /// How long the caller must wait before an attempt for `username` from
    /// `address` is allowed, if it is refused now; and whether this is the
    /// first refusal of the blocked period (the one worth an audit entry).
    pub fn check(&self, username: &str, address: IpAddr, window: Duration, max: u32) -> Option<(Duration, bool)> {
        let now = Instant::now();
        let max = max as usize;
        let user = lock(&self.by_user).blocked_for(&user_key(username), now, window, max);
        let addr = lock(&self.by_address).blocked_for(&address, now, window, max);
        match (user, addr) {
            (Some((a, fa)), Some((b, fb))) => Some((a.max(b), fa || fb)),
            (one, other) => one.or(other),
        }
    }

    pub fn failed(&self, username: &str, address: IpAddr, window: Duration, max: u32) {
        let now = Instant::now();
        lock(&self.by_user).record(user_key(username), now, window, max as usize);
        lock(&self.by_address).record(address, now, window, max as usize);
    }

    pub fn succeeded(&self, username: &str) {
        lock(&self.by_user).keys.remove(&user_key(username));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The tables hold only counts: a panic elsewhere cannot leave them unusable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(900);

    #[test]
    fn the_eleventh_attempt_waits_and_success_clears_the_username() {
        let t = LoginThrottle::default();
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        for _ in 0..10 {
            assert!(t.check("zhang", a, WINDOW, 10).is_none());
            t.failed("zhang", a, WINDOW, 10);
        }
        let (wait, first) = t.check("Zhang ", b, WINDOW, 10).expect("the username is blocked from any address");
        assert!(wait <= WINDOW && wait > Duration::from_secs(890));
        assert!(first);
        assert!(!t.check("zhang", b, WINDOW, 10).expect("still blocked").1, "only the first refusal is the first");
        assert!(t.check("li", a, WINDOW, 10).is_some(), "the address is blocked for any username");
        assert!(t.check("li", b, WINDOW, 10).is_none());
        t.succeeded("zhang");
        assert!(t.check("zhang", b, WINDOW, 10).is_none());
        assert!(t.check("zhang", a, WINDOW, 10).is_some(), "the address still is");
    }

    #[test]
    fn failures_leave_the_window() {
        let t = LoginThrottle::default();
        let a: IpAddr = "::1".parse().expect("ip");
        let short = Duration::from_millis(30);
        for _ in 0..3 {
            t.failed("wang", a, short, 3);
        }
        assert!(t.check("wang", a, short, 3).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(t.check("wang", a, short, 3).is_none());
    }

    #[test]
    fn memory_is_bounded() {
        let mut table: Table<u32> = Table::new();
        let now = Instant::now();
        for k in 0..(MAX_KEYS as u32 + 10) {
            table.record(k, now, WINDOW, 10);
        }
        assert!(table.keys.len() <= MAX_KEYS);
    }
}
