//! `kefu serve`: one process with an embedded SQLite database, an HTTP API
//! under `/api/v1`, a WebSocket for live assist and a web console in Chinese.
//! The engine comes from kefu-core; this crate is the shell around it (HTTP,
//! SQL, sessions), and the core never knows about any of that.

pub mod api;
pub mod assist;
pub mod attendance;
pub mod auth;
pub mod centre;
pub mod chatwoot;
pub mod console;
pub mod desk;
pub mod error;
pub mod feedback;
pub mod limits;
pub mod listen;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod privacy;
pub mod request_id;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use kefu_core::calendar::HolidayCalendar;
use kefu_core::rulebook::Rulebook;
use kefu_core::Engine;

use crate::auth::Role;
use kefu_store::db::Location;
use kefu_store::{NewUser, Store};

use crate::limits::ServerLimits;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The data directory (created if missing); `None` keeps everything in memory.
    pub data: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://…`) instead of the SQLite file in `data`.
    pub database: Option<String>,
    /// Rulebook files to start from on first run (default: the embedded rulebook).
    pub rulebook_files: Option<Vec<(String, String)>>,
    pub calendar: Option<HolidayCalendar>,
    /// Password of the first admin (else one is generated and shown once).
    pub admin_password: Option<String>,
    /// Real time per rulebook second for live-assist timers (1.0 in production;
    /// tests shorten the standards' two minutes).
    pub timer_scale: f64,
    /// How often deadlines are checked for warnings and escalations.
    pub sweep_every: Duration,
    /// Bounds on slow and numerous clients.
    pub connections: listen::ConnectionLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: Some(PathBuf::from("kefu-data")),
            database: None,
            rulebook_files: None,
            calendar: None,
            admin_password: None,
            timer_scale: 1.0,
            sweep_every: Duration::from_secs(15),
            connections: listen::ConnectionLimits::default(),
        }
    }
}

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
    pub connections: listen::ConnectionLimits,
    limits: Arc<RwLock<ServerLimits>>,
    centre: Arc<RwLock<centre::CentreSettings>>,
    pub throttle: Arc<throttle::LoginThrottle>,
    /// CPU-heavy work (inspecting batches, rebuilding the engine) runs on the
    /// blocking pool, at most one task per core but one: the async workers
    /// stay free for live assist, log-ins and `/healthz` while a heavy batch runs.
    heavy: Arc<tokio::sync::Semaphore>,
    heavy_waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Password hashing is memory-hard (19 MiB each): only so many at once.
    hashing: Arc<tokio::sync::Semaphore>,
    /// The last probe of the database's writes (`/healthz`): when, and whether it worked.
    pub health: Arc<std::sync::Mutex<Option<(std::time::Instant, bool)>>>,
    /// Where the database lives (`None`: in memory), for the free-space check.
    pub data_dir: Option<PathBuf>,
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

/// What `serve` tells the person who started it.
pub struct Started {
    pub state: AppState,
    /// Set on the first run: the admin account and, when generated, its password.
    pub first_admin: Option<(String, Option<String>)>,
}

/// Opens (or creates) the database, loads the rulebook and makes sure an admin exists.
pub fn start(config: &Config) -> Result<Started, String> {
    let store = match (&config.database, &config.data) {
        (Some(url), _) => {
            let location = Location::parse(url);
            Store::open(&location).map_err(|e| match &e {
                e if e.is_unavailable() => format!("无法连接数据库 {}：{e}", location.display()),
                other => format!("无法打开数据库 {}：{other}", location.display()),
            })?
        }
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("无法创建数据目录 {}: {e}", dir.display()))?;
            let path = dir.join("kefu.sqlite3");
            Store::open_file(&path).map_err(|e| match &e {
                e if e.is_unavailable() => format!("无法打开数据库 {}：数据目录只读、磁盘已满或没有写权限（{e}）", path.display()),
                other => format!("无法打开数据库 {}：{other}", path.display()),
            })?
        }
        (None, None) => Store::in_memory().map_err(|e| format!("无法创建内存数据库: {e}"))?,
    };
    // The calendar: the configured (or embedded) years, and the years an administrator imported.
    let imported = store.calendar_years().map_err(|e| format!("无法读取节假日数据: {e:?}"))?;
    let calendar = match (&config.calendar, imported.is_empty()) {
        (Some(c), true) => c.clone(),
        (None, true) => HolidayCalendar::try_embedded_default().map_err(|e| e.to_string())?,
        (_, false) => HolidayCalendar::from_sources(&desk::calendar_sources(&imported)).map_err(|e| format!("导入的节假日数据无效: {e}"))?,
    };
    let (version, files) = match store.latest_rulebook().map_err(|e| format!("无法读取规则库版本: {e:?}"))? {
        Some(v) => v,
        None => {
            let files = config.rulebook_files.clone().unwrap_or_else(kefu_core::rulebook::embedded_files);
            let version = store.save_rulebook(&files, None, "初始规则库", "首次启动时载入").map_err(|e| format!("无法保存规则库: {e:?}"))?;
            (version, files)
        }
    };
    let engine = build_engine(&files, &calendar, false).map_err(|e| format!("规则库 v{version} 无效:\n{}", e.join("\n")))?;

    let mut first_admin = None;
    if store.user_count().map_err(|e| format!("{e:?}"))? == 0 {
        let (password, shown) = match &config.admin_password {
            Some(p) => (p.clone(), None),
            None => {
                let p = auth::generated_password().map_err(|e| e.message)?;
                (p.clone(), Some(p))
            }
        };
        auth::validate_password(&password, "admin").map_err(|e| format!("KEFU_ADMIN_PASSWORD: {}", e.message))?;
        let hash = auth::hash_password(&password).map_err(|e| e.message)?;
        store
            .create_user(&NewUser { username: "admin", display_name: "管理员", role: Role::Admin, team: "", agent_id: "", work_no: "", password_hash: &hash })
            .map_err(|e| format!("无法创建管理员: {e:?}"))?;
        first_admin = Some(("admin".to_string(), shown));
    }
    let limits = match store.setting(limits::SETTINGS_KEY).map_err(|e| format!("无法读取设置: {e:?}"))? {
        Some(raw) => match serde_json::from_str::<ServerLimits>(&raw) {
            Ok(l) if l.validate().is_ok() => l,
            _ => {
                tracing::warn!("stored limits are unreadable; using the defaults");
                ServerLimits::default()
            }
        },
        None => ServerLimits::default(),
    };
    let centre = match store.setting(centre::SETTINGS_KEY).map_err(|e| format!("无法读取设置: {e:?}"))? {
        Some(raw) => serde_json::from_str(&raw).unwrap_or_default(),
        None => centre::CentreSettings::default(),
    };
    let current = Current { engine: Arc::new(engine), version, files: Arc::new(files) };
    // A build that embeds more years than the last run settles the deadlines
    // that were provisional for them.
    match desk::recompute_provisional(&store, &current) {
        Ok(0) => {}
        Ok(n) => tracing::info!(target: "kefu::desk", recomputed = n, "provisional deadlines recomputed at start"),
        Err(e) => tracing::warn!(target: "kefu::desk", error = ?e, "provisional deadlines not recomputed at start"),
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let state = AppState {
        limits: Arc::new(RwLock::new(limits)),
        centre: Arc::new(RwLock::new(centre)),
        throttle: Arc::new(throttle::LoginThrottle::default()),
        heavy: Arc::new(tokio::sync::Semaphore::new(heavy_permits())),
        heavy_waiting: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        hashing: Arc::new(tokio::sync::Semaphore::new(cores.max(2))),
        health: Arc::new(std::sync::Mutex::new(None)),
        data_dir: config.data.clone(),
        store: Arc::new(store),
        current: Arc::new(RwLock::new(Arc::new(current))),
        metrics: Arc::new(metrics::Metrics::default()),
        timer_scale: if config.timer_scale > 0.0 { config.timer_scale } else { 1.0 },
        sweep_every: if config.sweep_every.is_zero() { Duration::from_secs(15) } else { config.sweep_every },
        connections: config.connections,
    };
    Ok(Started { state, first_admin })
}

/// Heavy tasks at once: one per core but one (at least one).
fn heavy_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).max(1)
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(console::routes())
        .route("/api/v1/assist", axum::routing::get(assist::upgrade))
        .route("/api/v1/openapi.json", axum::routing::get(openapi::document))
        .route("/healthz", axum::routing::get(metrics::healthz))
        .route("/metrics", axum::routing::get(metrics::prometheus))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn(request_id::middleware))
        // The settings' max_body_bytes applies to JSON bodies (ApiJson); this
        // is the ceiling for every other extractor.
        .layer(DefaultBodyLimit::max(limits::HARD_BODY_LIMIT))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight
/// (see [`listen::serve_connections`] for the bounds on slow clients).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let sweeper = tokio::spawn(desk::sweeper(state.clone(), state.sweep_every));
    let connections = state.connections;
    let app = router(state);
    let served = listen::serve_connections(listener, app, connections, shutdown).await;
    sweeper.abort();
    served
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
    // Give in-flight requests a moment; axum's graceful shutdown waits for them.
    tokio::time::sleep(Duration::from_millis(50)).await;
}
