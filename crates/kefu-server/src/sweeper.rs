//! The background job of deadlines: every few seconds it marks the warnings
//! and escalations that are due (with their notifications) and sends the
//! daily call logs due at the close of work.

use crate::state::AppState;

/// Every `every`: marks warnings and escalations and records their notifications.
pub async fn run(state: AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
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
