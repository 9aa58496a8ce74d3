//! Keeping this instance's engine in step with the database when another
//! instance changes the rulebook or imports a holiday year. On PostgreSQL the
//! change is announced (NOTIFY on `kefu_changes`, sent by the store in the
//! same transaction as the change) and heard here at once on a connection of
//! its own; a poll every few seconds catches anything said while that
//! connection was down. On SQLite only the poll runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kefu_core::calendar::HolidayCalendar;
use postgres::fallible_iterator::FallibleIterator;

use crate::desk::calendar_sources;
use crate::state::{build_engine, AppState, Current};

/// How often the database is asked whether anything changed, heard or not.
const POLL: Duration = Duration::from_secs(3);

/// Follows changes until `stop` is set.
pub async fn run(state: AppState, stop: Arc<AtomicBool>) {
    let (tx, mut heard) = tokio::sync::mpsc::channel::<()>(16);
    if let Some(url) = state.store.postgres_url().map(str::to_string) {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("kefu-listen".into())
            .spawn(move || listen(&url, &tx, &stop))
            .map_err(|e| tracing::error!(target: "kefu::follow", error = %e, "no listener thread; changes are polled"))
            .ok();
    }
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            _ = tick.tick() => {}
            _ = heard.recv() => {}
        }
        if let Err(e) = catch_up(&state).await {
            tracing::warn!(target: "kefu::follow", error = %e, "could not check for changes by other instances");
        }
    }
}

/// LISTEN on a dedicated connection, reconnecting by itself; every
/// notification wakes the follower.
fn listen(url: &str, wake: &tokio::sync::mpsc::Sender<()>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let client = postgres::Client::connect(url, postgres::NoTls).and_then(|mut c| {
            c.batch_execute(&format!("LISTEN {}", kefu_store::db::CHANGES_CHANNEL))?;
            Ok(c)
        });
        let mut client = match client {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(target: "kefu::follow", error = %e, "LISTEN connection failed; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        // Whatever changed while this connection was down is caught now.
        let _ = wake.try_send(());
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let next = client.notifications().timeout_iter(Duration::from_millis(500)).next();
            match next {
                Ok(Some(_)) => {
                    let _ = wake.try_send(());
                }
                Err(e) => {
                    tracing::debug!(target: "kefu::follow", error = %e, "LISTEN connection lost; reconnecting");
                    break;
                }
                Ok(None) => {
                    if client.is_closed() {
                        break;
                    }
                }
            }
        }
    }
}

/// Rebuilds the engine when the stored rulebook is newer than the one in
/// use, or the imported holiday years differ from those it was built with.
async fn catch_up(state: &AppState) -> Result<(), String> {
    let store = state.store.clone();
    let (version, calendar_now) = tokio::task::spawn_blocking(move || Ok::<_, kefu_store::StoreError>((store.rulebook_version()?, store.calendar_fingerprint()?)))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let current = state.current();
    let calendar_changed = *state.calendar_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) != calendar_now;
    if version <= current.version && !calendar_changed {
        return Ok(());
    }
    let store = state.store.clone();
    let base = state.base_calendar.clone();
    let (rebuilt, fingerprint) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let fingerprint = store.calendar_fingerprint().map_err(|e| e.to_string())?;
        let imported = store.calendar_years().map_err(|e| e.to_string())?;
        let calendar = if imported.is_empty() { base } else { HolidayCalendar::from_sources(&calendar_sources(&imported)).map_err(|e| e.to_string())? };
        let (version, files) = store.latest_rulebook().map_err(|e| e.to_string())?.ok_or("no rulebook is stored")?;
        let engine = build_engine(&files, &calendar, false).map_err(|e| e.join("\n"))?;
        Ok((Current { engine: Arc::new(engine), version, files: Arc::new(files) }, fingerprint))
    })
    .await
    .map_err(|e| e.to_string())??;
    // Another request of this instance may have installed something newer meanwhile.
    if rebuilt.version >= state.current().version {
        tracing::info!(target: "kefu::follow", version = rebuilt.version, "rulebook or calendar changed on another instance; engine rebuilt");
        state.install(rebuilt);
        *state.calendar_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = fingerprint;
    }
    Ok(())
}
