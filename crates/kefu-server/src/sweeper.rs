//! The background job of deadlines: every few seconds it marks the warnings
//! and escalations that are due (with their notifications) and sends the
//! daily call logs due at the close of work.
//!
//! Several instances may share one database; the job runs on the one that
//! holds the `sweeper` lease. The holder renews it every round; when it dies,
//! the lease runs out after three rounds and another instance takes over —
//! so the job runs once, never twice and never not at all.

use std::time::Duration;

use crate::state::AppState;

pub const LEASE: &str = "sweeper";

/// How long a lease outlives its last renewal: three rounds (at least 5 s).
pub fn lease_ttl(every: Duration) -> Duration {
    (every * 3).max(Duration::from_secs(5))
}

/// Every `every`: marks warnings and escalations and records their notifications.
pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ttl = i64::try_from(lease_ttl(every).as_millis()).unwrap_or(i64::MAX);
    loop {
        tick.tick().await;
        let (store, instance) = (state.store.clone(), state.instance.clone());
        match tokio::task::spawn_blocking(move || store.acquire_lease(LEASE, &instance, ttl)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => continue,
            Ok(Err(e)) => {
                tracing::warn!(target: "kefu::desk", error = %e, "sweeper lease not renewed; skipping this round");
                continue;
            }
            Err(e) => {
                tracing::error!(target: "kefu::desk", error = %e, "sweeper lease task");
                continue;
            }
        }
        state.metrics.sweeps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let store = state.store.clone();
        match tokio::task::spawn_blocking(move || store.sweep_obligations(chrono::Utc::now().timestamp())).await {
            Ok(Ok(found)) => {
                for (kind, o) in found {
                    tracing::info!(target: "kefu::desk", kind, obligation = o.id, record = o.record_id, due = %o.due_at, "deadline");
                }
            }
            Ok(Err(e)) => tracing::error!(target: "kefu::desk", error = ?e, "sweep failed"),
            Err(e) => tracing::error!(target: "kefu::desk", error = %e, "sweep task"),
        }
        crate::mail::send_due_logs(&state).await;
    }
}
