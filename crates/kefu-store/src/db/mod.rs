//! One way to talk SQL to either backend. The domain modules write each
//! statement once, in the subset both SQLite and PostgreSQL understand
//! (`?N` placeholders, `ON CONFLICT`, `RETURNING`, `CASE`, `COALESCE`, casts
//! to `BIGINT` / `DOUBLE PRECISION`), and read rows by column index as with
//! rusqlite. What the two spell differently is asked of [`Dialect`].
//!
//! Every unit of work is a transaction: [`Db::read`] on a reader (SQLite: a
//! pooled connection over WAL, so reads never wait behind the writer;
//! PostgreSQL: a read-only transaction), [`Db::write`] on the writer
//! (SQLite: one connection, `BEGIN IMMEDIATE`; PostgreSQL: a serializable
//! transaction, retried when the server asks for a retry). A closure that
//! returns an error rolls its transaction back: nothing half-written stays.

mod pg;
mod sqlite;

use std::cell::RefCell;
use std::fmt;

pub use pg::DbOptions;
pub(crate) use sqlite::error as sqlite_error;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What went wrong, in terms the layers above act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// A query that must return a row returned none.
    NoRows,
    /// A UNIQUE, CHECK or foreign-key constraint refused the write.
    Constraint,
    /// The database cannot be reached or cannot take writes (connection
    /// lost, server down, disk full, read-only file system). Nothing was
    /// saved; trying again later may succeed.
    Unavailable,
    /// The server aborted the transaction to keep concurrent writers
    /// serializable; [`Db::write`] retries these itself.
    Retry,
    /// A stored value has an unexpected type, or anything else.
    Other,
}

#[derive(Debug, Clone)]
pub struct DbError {
    pub kind: DbErrorKind,
    pub message: String,
}

impl DbError {
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> DbError {
        DbError { kind, message: message.into() }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

pub type DbResult<T> = std::result::Result<T, DbError>;

/// An error type a transaction's closure may return: it carries database
/// errors, and says whether it is one (so that a write the server asked to
/// retry is retried whatever the closure's own error type).
pub trait FromDb: From<DbError> {
    fn as_db(&self) -> Option<&DbError>;
}

impl FromDb for DbError {
    fn as_db(&self) -> Option<&DbError> {
        Some(self)
    }
}

/// Turns "no row" into `None`, as rusqlite's `OptionalExtension` does.
pub trait OptionalExt<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExt<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind == DbErrorKind::NoRows => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value that binds as a statement parameter.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// A column value read back into Rust.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for i32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| i32::try_from(i).ok())
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(r) => Some(*r),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A column index (only `usize`, so that `r.get(0)` infers it).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result, read by column index.
#[derive(Debug, Clone)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(values: Vec<Value>) -> Row {
        Row { values }
    }

    pub fn get<I: RowIndex, T: FromValue>(&self, i: I) -> DbResult<T> {
        let i = i.index();
        let v = self.values.get(i).ok_or_else(|| DbError::new(DbErrorKind::Other, format!("column {i} is not in the result")))?;
        T::from_value(v).ok_or_else(|| DbError::new(DbErrorKind::Other, format!("column {i} holds {v:?}, not a {}", std::any::type_name::<T>())))
    }
}

/// Statement parameters: `params![a, b]`, `[x]` of one type, or `()`.
pub trait Params {
    fn values(self) -> Vec<Value>;
}
impl Params for () {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn values(self) -> Vec<Value> {
        self
    }
}
impl Params for &[Value] {
    fn values(self) -> Vec<Value> {
        self.to_vec()
    }
}
impl<T: ToValue, const N: usize> Params for [T; N] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

/// `params![a, b, c]`: parameters of mixed types.
macro_rules! params {
    ($($v:expr),* $(,)?) => {
        vec![$($crate::db::ToValue::to_value(&$v)),*]
    };
}
pub(crate) use params;

/// Which SQL the backend speaks, for the few things the two spell differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The values of `expr` over a group joined by commas.
    pub fn group_concat(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("group_concat({expr}, ',')"),
            Dialect::Postgres => format!("string_agg({expr}, ',')"),
        }
    }

    /// The database's clock in milliseconds since 1970 (for leases: one clock for all instances).
    pub fn epoch_ms(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// A text field of a JSON object stored as text.
    pub fn json_text(self, column: &str, field: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.{field}')"),
            Dialect::Postgres => format!("(({column})::jsonb ->> '{field}')"),
        }
    }
}

enum Handle<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(RefCell<postgres::Transaction<'a>>),
}

/// A connection inside a transaction, handed to the closures of [`Db::read`] and [`Db::write`].
pub struct Conn<'a> {
    handle: Handle<'a>,
}

impl<'a> Conn<'a> {
    pub fn dialect(&self) -> Dialect {
        match self.handle {
            Handle::Sqlite(_) => Dialect::Sqlite,
            Handle::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> DbResult<usize> {
        let values = params.values();
        match &self.handle {
            Handle::Sqlite(c) => sqlite::execute(c, sql, &values),
            Handle::Postgres(tx) => pg::execute(&mut tx.borrow_mut(), sql, &values),
        }
    }

    /// Every row of a query, each mapped by `f`.
    pub fn query_map<T>(&self, sql: &str, params: impl Params, f: impl FnMut(&Row) -> DbResult<T>) -> DbResult<Vec<T>> {
        let values = params.values();
        let rows = match &self.handle {
            Handle::Sqlite(c) => sqlite::query(c, sql, &values)?,
            Handle::Postgres(tx) => pg::query(&mut tx.borrow_mut(), sql, &values)?,
        };
        rows.iter().map(f).collect()
    }

    /// The first row of a query mapped by `f`; [`DbErrorKind::NoRows`] when there is none.
    pub fn query_row<T>(&self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> DbResult<T>) -> DbResult<T> {
        let values = params.values();
        let rows = match &self.handle {
            Handle::Sqlite(c) => sqlite::query(c, sql, &values)?,
            Handle::Postgres(tx) => pg::query(&mut tx.borrow_mut(), sql, &values)?,
        };
        let first = rows.first().ok_or_else(|| DbError::new(DbErrorKind::NoRows, "the query returned no row"))?;
        f(first)
    }

    /// Tells the other instances on this database that `what` changed
    /// (PostgreSQL NOTIFY on the `kefu_changes` channel, delivered when this
    /// transaction commits). SQLite has no other instances to tell; they poll.
    pub fn notify_change(&self, what: &str) -> DbResult<()> {
        if self.dialect() == Dialect::Postgres {
            self.execute("SELECT pg_notify('kefu_changes', ?1)", [what])?;
        }
        Ok(())
    }

    /// Several statements without parameters (schema migrations).
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match &self.handle {
            Handle::Sqlite(c) => c.execute_batch(sql).map_err(sqlite::error),
            Handle::Postgres(tx) => tx.borrow_mut().batch_execute(sql).map_err(|e| pg::error(&e)),
        }
    }

    /// The SQLite connection itself, for what only SQLite has (its
    /// migrations of databases made before versioned migrations).
    pub(crate) fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.handle {
            Handle::Sqlite(c) => Some(c),
            Handle::Postgres(_) => None,
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An embedded SQLite file.
    SqliteFile(std::path::PathBuf),
    /// An embedded SQLite database in memory (tests).
    SqliteMemory,
    /// A PostgreSQL server: a `postgres://` URL or a key=value string.
    Postgres(String),
}

impl Location {
    /// `postgres://…` / `postgresql://…` is PostgreSQL; anything else a SQLite file path.
    pub fn parse(s: &str) -> Location {
        let lower = s.trim().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(s.trim().to_string())
        } else if s == ":memory:" {
            Location::SqliteMemory
        } else {
            Location::SqliteFile(std::path::PathBuf::from(s.strip_prefix("sqlite://").unwrap_or(s)))
        }
    }

    /// How the location is shown in logs and `/healthz`: the password of a URL is masked.
    pub fn display(&self) -> String {
        match self {
            Location::SqliteFile(p) => format!("sqlite:{}", p.display()),
            Location::SqliteMemory => "sqlite::memory:".to_string(),
            Location::Postgres(url) => pg::mask_password(url),
        }
    }
}

enum Backend {
    Sqlite(sqlite::SqliteDb),
    Postgres(pg::PgDb),
}

/// The database: a writer and readers over one of the two backends.
pub struct Db {
    backend: Backend,
}

/// The PostgreSQL channel of [`Conn::notify_change`].
pub const CHANGES_CHANNEL: &str = "kefu_changes";

/// How many times a write asked to retry (serialization failure) is run again.
const WRITE_RETRIES: usize = 16;

impl Db {
    pub fn open(location: &Location) -> DbResult<Db> {
        Self::open_with(location, &DbOptions::default())
    }

    pub fn open_with(location: &Location, pg: &DbOptions) -> DbResult<Db> {
        let backend = match location {
            Location::SqliteFile(p) => Backend::Sqlite(sqlite::SqliteDb::open(p, pg.sqlite_readers)?),
            Location::SqliteMemory => Backend::Sqlite(sqlite::SqliteDb::memory()?),
            Location::Postgres(url) => Backend::Postgres(pg::PgDb::open(url, pg)?),
        };
        Ok(Db { backend })
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` in a read transaction (a consistent snapshot).
    pub fn read<T, E: FromDb>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T, E>) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(db) => db.read(|c| f(&Conn { handle: Handle::Sqlite(c) })),
            Backend::Postgres(db) => db.read(|tx| {
                let conn = Conn { handle: Handle::Postgres(RefCell::new(tx)) };
                let out = f(&conn);
                let Handle::Postgres(tx) = conn.handle else { unreachable!("a PostgreSQL connection") };
                (out, tx.into_inner())
            }),
        }
    }

    /// Runs `f` in a write transaction, committed when `f` returns `Ok`.
    /// `f` may run more than once (PostgreSQL retries a serialization
    /// failure), so it must not have effects outside the database.
    pub fn write<T, E: FromDb>(&self, mut f: impl FnMut(&Conn<'_>) -> Result<T, E>) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(db) => db.write(|c| f(&Conn { handle: Handle::Sqlite(c) })),
            Backend::Postgres(db) => db.write(WRITE_RETRIES, &mut |tx| {
                let conn = Conn { handle: Handle::Postgres(RefCell::new(tx)) };
                let out = f(&conn);
                let Handle::Postgres(tx) = conn.handle else { unreachable!("a PostgreSQL connection") };
                (out, tx.into_inner())
            }),
        }
    }

    /// A copy of the whole database to `dest`, taken while it is in use
    /// (SQLite's online backup). PostgreSQL has `pg_dump` for this.
    pub fn backup_to(&self, dest: &std::path::Path) -> DbResult<()> {
        match &self.backend {
            Backend::Sqlite(db) => db.backup_to(dest),
            Backend::Postgres(_) => Err(DbError::new(
                DbErrorKind::Other,
                "PostgreSQL 数据库请用 pg_dump 备份（例如 pg_dump --format=custom --file=kefu.dump \"$KEFU_DATABASE_URL\"）",
            )),
        }
    }

    /// A connection to PostgreSQL outside any pool (LISTEN needs one of its own).
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Postgres(db) => Some(db.url()),
            Backend::Sqlite(_) => None,
        }
    }
}
