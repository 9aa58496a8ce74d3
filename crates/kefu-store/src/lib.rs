//! kefu's storage layer. Everything the server keeps — accounts and
//! sessions, conversations and scorecards, appeals, rulebook versions and
//! the audit log, service-desk records and their deadlines, attendance,
//! feedback, settings — is read and written here, over embedded SQLite (the
//! default: nothing to install) or PostgreSQL (several instances on one
//! database). No HTTP: the server turns [`StoreError`] into answers.
//!
//! Each domain is a module adding its methods to [`Store`]; [`db`] is the
//! one place that knows the two backends apart.

pub mod db;
mod migrate;

pub mod accounts;
pub mod appeals;
pub mod attendance;
pub mod chat;
pub mod conversations;
pub mod desk;
pub mod feedback;
pub mod leases;
pub mod rulebook;
pub mod settings;

use db::{Db, DbError, DbErrorKind, Location, PgOptions};

pub use accounts::{NewUser, Role, TokenInfo, User, UserPatch};
pub use appeals::Appeal;
pub use conversations::{AgentScore, CategoryDay, CheckCount, ConversationRow, Report, Search, WriteScope};
pub use db::Dialect;
pub use migrate::latest_version as schema_version;
pub use rulebook::{AuditEntry, RulebookFiles, RulebookVersion};

#[derive(Debug)]
pub enum StoreError {
    NotFound(String),
    Conflict(String),
    Invalid(String),
    /// Outside the caller's scope (another team's conversation or agent).
    Forbidden(String),
    Db(DbError),
}

impl StoreError {
    /// The database cannot be reached or cannot take writes (disk full,
    /// read-only, server down): nothing was saved, later may work.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.kind == DbErrorKind::Unavailable)
    }

    /// A UNIQUE, CHECK or foreign-key constraint refused the write.
    pub fn is_constraint_violation(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.kind == DbErrorKind::Constraint)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(m) | StoreError::Conflict(m) | StoreError::Invalid(m) | StoreError::Forbidden(m) => f.write_str(m),
            StoreError::Db(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError::Db(e)
    }
}

impl db::FromDb for StoreError {
    fn as_db(&self) -> Option<&DbError> {
        match self {
            StoreError::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Invalid(format!("stored JSON is unreadable: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Now in Asia/Shanghai, as stored (RFC 3339 with milliseconds).
pub fn now() -> String {
    chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// A page of a list: at most `limit` items from `offset` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    /// Everything (the exports and the views of one record or conversation).
    pub const ALL: Page = Page { limit: u32::MAX, offset: 0 };
}

/// One page of a list and how many items the whole list has.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// The database and everything stored in it.
pub struct Store {
    db: Db,
    location: Location,
}

impl Store {
    /// Opens (creating if need be) the database at `location` and brings its schema up to date.
    pub fn open(location: &Location) -> Result<Store> {
        Self::open_with(location, &PgOptions::default())
    }

    pub fn open_with(location: &Location, pg: &PgOptions) -> Result<Store> {
        let db = Db::open_with(location, pg)?;
        migrate::migrate(&db)?;
        Ok(Store { db, location: location.clone() })
    }

    /// An embedded SQLite file.
    pub fn open_file(path: &std::path::Path) -> Result<Store> {
        Self::open(&Location::SqliteFile(path.to_path_buf()))
    }

    /// A SQLite database in memory (tests).
    pub fn in_memory() -> Result<Store> {
        Self::open(&Location::SqliteMemory)
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Writes one row, to find out whether the database still takes writes
    /// (`/healthz`); reads alone would say ok on a full disk.
    pub fn probe_write(&self) -> Result<()> {
        self.db.write(|c| {
            c.execute("INSERT INTO health (id, at) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at = excluded.at", [now()])?;
            Ok(())
        })
    }

    /// A consistent copy of the whole database at `dest` (SQLite; PostgreSQL has pg_dump).
    pub fn backup_to(&self, dest: &std::path::Path) -> Result<()> {
        Ok(self.db.backup_to(dest)?)
    }

    /// Counts for /metrics: conversations, pending appeals, users.
    pub fn counts(&self) -> Result<(i64, i64, i64)> {
        self.db.read(|c| {
            let conversations = c.query_row("SELECT COUNT(*) FROM conversations", (), |r| r.get(0))?;
            let appeals = c.query_row("SELECT COUNT(*) FROM appeals WHERE status = 'pending'", (), |r| r.get(0))?;
            let users = c.query_row("SELECT COUNT(*) FROM users", (), |r| r.get(0))?;
            Ok((conversations, appeals, users))
        })
    }

    /// The PostgreSQL URL, for a connection of its own (LISTEN); `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.db.postgres_url()
    }
}
