//! Observability: `/healthz`, `/metrics` in Prometheus text format, and one
//! structured log line per request (method, route, status, duration; never
//! bodies, cookies or tokens).

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the request-duration histogram.
pub(crate) const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Default)]
pub struct Metrics {
    pub(crate) requests_2xx: AtomicU64,
    pub(crate) requests_3xx: AtomicU64,
    pub(crate) requests_4xx: AtomicU64,
    pub(crate) requests_5xx: AtomicU64,
    /// Cumulative counts per bucket, then +Inf.
    pub(crate) duration_buckets: [AtomicU64; 13],
    /// Total request time in microseconds.
    pub(crate) duration_micros: AtomicU64,
    /// Rounds of the deadline sweeper this instance ran (it runs on the lease holder only).
    pub sweeps: AtomicU64,
    pub lint_checks: AtomicU64,
    pub lint_violations: AtomicU64,
    pub conversations_inspected: AtomicU64,
    pub assist_connections: AtomicU64,
    pub assist_messages: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_throttled: AtomicU64,
}

impl Metrics {
    pub(crate) fn observe(&self, status: u16, seconds: f64) {
        let counter = match status {
            200..=299 => &self.requests_2xx,
            300..=399 => &self.requests_3xx,
            400..=499 => &self.requests_4xx,
            _ => &self.requests_5xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let slot = BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(BUCKETS.len());
        self.duration_buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.duration_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

