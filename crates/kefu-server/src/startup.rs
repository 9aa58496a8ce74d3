//! Start-up: open (or create) the database, bring the rulebook and the
//! calendar in, make sure an admin exists, and build the shared state.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kefu_core::calendar::HolidayCalendar;
use kefu_store::db::Location;
use kefu_store::{NewUser, Role, Store};

use crate::state::{build_engine, heavy_permits, AppState, Current};
use crate::limits::ServerLimits;
use crate::{auth, centre, desk, limits, listen, metrics, throttle};

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
    /// How often the retention job runs (hourly).
    pub retention_every: Duration,
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
            retention_every: Duration::from_secs(3600),
            connections: listen::ConnectionLimits::default(),
        }
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
    let calendar_seen = store.calendar_fingerprint().map_err(|e| format!("无法读取节假日数据: {e}"))?;
    let imported = store.calendar_years().map_err(|e| format!("无法读取节假日数据: {e:?}"))?;
    let base_calendar = match &config.calendar {
        Some(c) => c.clone(),
        None => HolidayCalendar::try_embedded_default().map_err(|e| e.to_string())?,
    };
    let calendar = if imported.is_empty() {
        base_calendar.clone()
    } else {
        HolidayCalendar::from_sources(&desk::calendar_sources(&imported)).map_err(|e| format!("导入的节假日数据无效: {e}"))?
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
        match store.create_user(&NewUser { username: "admin", display_name: "管理员", role: Role::Admin, team: "", agent_id: "", work_no: "", password_hash: &hash }) {
            Ok(_) => first_admin = Some(("admin".to_string(), shown)),
            // Another instance starting on the same database made it a moment ago.
            Err(kefu_store::StoreError::Conflict(_)) => {}
            Err(e) => return Err(format!("无法创建管理员: {e}")),
        }
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
        data_dir: if config.database.is_some() { None } else { config.data.clone() },
        instance: instance_id(),
        base_calendar,
        calendar_seen: Arc::new(std::sync::Mutex::new(calendar_seen)),
        store: Arc::new(store),
        current: Arc::new(RwLock::new(Arc::new(current))),
        metrics: Arc::new(metrics::Metrics::default()),
        timer_scale: if config.timer_scale > 0.0 { config.timer_scale } else { 1.0 },
        retention_every: if config.retention_every.is_zero() { Duration::from_secs(3600) } else { config.retention_every },
        sweep_every: if config.sweep_every.is_zero() { Duration::from_secs(15) } else { config.sweep_every },
        connections: config.connections,
    };
    Ok(Started { state, first_admin })
}


/// A random id for this instance among those sharing the database.
fn instance_id() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No randomness: the process id and the time still tell instances apart.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        return format!("{}-{t:x}", std::process::id());
    }
    format!("{}-{}", hostname(), hex::encode(bytes))
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "kefu".to_string())
}
