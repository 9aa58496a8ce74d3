//! What every handler shares: the store, the engine in use (swapped whole
//! when the rulebook changes), the settings in force, the metrics, and the
//! bounds on heavy work.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kefu_core::calendar::HolidayCalendar;
use kefu_core::reply::ReplyContext;
use kefu_core::rulebook::Rulebook;
use kefu_core::Engine;
use kefu_store::{Store, User};

use crate::limits::ServerLimits;
use crate::{centre, error, listen, metrics, throttle};

/// The engine in use and the rulebook version it was built from.
pub struct Current {
    pub engine: Arc<Engine>,
    pub version: i64,
    pub files: Arc<Vec<(String, String)>>,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub current: Arc<RwLock<Arc<Current>>>,
    pub metrics: Arc<metrics::Metrics>,
    pub timer_scale: f64,
    pub sweep_every: Duration,
    /// How often the retention job deletes what its periods say.
    pub retention_every: Duration,
    pub connections: listen::ConnectionLimits,
    pub(crate) limits: Arc<RwLock<ServerLimits>>,
    pub(crate) centre: Arc<RwLock<centre::CentreSettings>>,
    pub throttle: Arc<throttle::LoginThrottle>,
    /// CPU-heavy work (inspecting batches, rebuilding the engine) runs on the
    /// blocking pool, at most one task per core but one: the async workers
    /// stay free for live assist, log-ins and `/healthz` while a heavy batch runs.
    pub(crate) heavy: Arc<tokio::sync::Semaphore>,
    pub(crate) heavy_waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Password hashing is memory-hard (19 MiB each): only so many at once.
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    /// The last probe of the database's writes (`/healthz`): when, and whether it worked.
    pub health: Arc<std::sync::Mutex<Option<(std::time::Instant, Health)>>>,
    /// Where the database lives (`None`: in memory), for the free-space check.
    pub data_dir: Option<PathBuf>,
    /// This instance among those sharing the database (random, per start): the holder of leases.
    pub instance: String,
    /// The calendar the engine starts from when no year was imported.
    pub base_calendar: HolidayCalendar,
    /// The imported holiday years the engine in use was built with (their fingerprint).
    pub calendar_seen: Arc<std::sync::Mutex<String>>,
}


/// The outcome of a probe of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// SQLite: the disk is full or read-only.
    NotWritable,
    /// PostgreSQL: the server cannot be reached.
    Unreachable,
}

/// How many heavy requests may wait for a turn, per permit, before the next one gets 503.
const HEAVY_QUEUE_PER_PERMIT: usize = 8;

impl AppState {
    /// The limits in force.
    pub fn limits(&self) -> ServerLimits {
        *self.limits.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_limits(&self, limits: ServerLimits) {
        *self.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
    }

    /// The centre's name setting.
    pub fn centre(&self) -> centre::CentreSettings {
        self.centre.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_centre(&self, centre: centre::CentreSettings) {
        *self.centre.write().unwrap_or_else(|p| p.into_inner()) = centre;
    }

    /// Runs CPU-heavy work on the blocking pool when a permit is free; with
    /// too many requests already waiting, answers 503 at once. The permit is
    /// held by the work itself, so a client that hangs up cannot free it early.
    pub async fn run_heavy<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, error::ApiError> {
        use std::sync::atomic::Ordering;
        let waiting = self.heavy_waiting.fetch_add(1, Ordering::SeqCst);
        let permits = heavy_permits();
        if waiting >= permits * HEAVY_QUEUE_PER_PERMIT {
            self.heavy_waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(error::ApiError::busy());
        }
        let permit = self.heavy.clone().acquire_owned().await;
        self.heavy_waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = permit.map_err(|e| error::ApiError::internal(format!("heavy work semaphore: {e}")))?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?)
    }

    /// Runs a password hash or verification, a few at a time.
    pub async fn run_hashing<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, error::ApiError> {
        let permit = self.hashing.clone().acquire_owned().await.map_err(|e| error::ApiError::internal(format!("hashing semaphore: {e}")))?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?)
    }

    pub fn current(&self) -> Arc<Current> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn engine(&self) -> Arc<Engine> {
        self.current().engine.clone()
    }

    /// A JSON setting of the settings table (its default when unset or unreadable).
    pub async fn json_setting<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T, error::ApiError> {
        let store = self.store.clone();
        let key = key.to_string();
        let raw = tokio::task::spawn_blocking(move || store.setting(&key)).await??;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default())
    }

    /// Saves a JSON setting (audited: who changed which key, never the value).
    pub async fn save_json_setting<T: serde::Serialize>(&self, user: &kefu_store::User, key: &str, value: &T) -> Result<(), error::ApiError> {
        let text = serde_json::to_string(value).map_err(|e| error::ApiError::internal(e.to_string()))?;
        let (store, user, key) = (self.store.clone(), user.clone(), key.to_string());
        tokio::task::spawn_blocking(move || store.set_setting(&key, &text, Some(&user))).await??;
        Ok(())
    }

    /// A reply context for `user` at `at`: the centre's name and the agent's
    /// own 工号 where they are set.
    pub fn reply_context(&self, user: &User, at: chrono::DateTime<chrono::FixedOffset>) -> ReplyContext {
        let mut ctx = ReplyContext::new(at);
        let centre = self.centre();
        if !centre.name.trim().is_empty() {
            ctx.company = Some(centre.name.trim().to_string());
        }
        if !user.work_no.is_empty() {
            ctx.work_no = Some(user.work_no.clone());
        }
        ctx
    }

    /// Swaps in a new engine (readers in flight keep the old one).
    pub fn install(&self, current: Current) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(current);
    }
}

/// Builds an engine from rulebook files, with errors as `file:line: [id] message`
/// lines. `strict` also requires every example of the rulebook to pass (as an
/// edit must); at start-up a stored version only has to compile, and failing
/// examples are logged.
pub fn build_engine(files: &[(String, String)], calendar: &HolidayCalendar, strict: bool) -> Result<Engine, Vec<String>> {
    let book = Rulebook::from_files(files).map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let engine = Engine::new(book, calendar.clone()).map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let failures: Vec<String> = engine.run_examples().iter().map(ToString::to_string).collect();
    if failures.is_empty() {
        Ok(engine)
    } else if strict {
        Err(failures)
    } else {
        for f in &failures {
            tracing::warn!(failure = %f, "rulebook example fails");
        }
        Ok(engine)
    }
}

/// Heavy tasks at once: one per core but one (at least one).
pub(crate) fn heavy_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).max(1)
}

