//! Embedded SQLite: one writer connection behind a mutex (writes are
//! serialised, each `BEGIN IMMEDIATE`, synchronous=FULL so an acknowledged
//! write survives a crash) and a pool of read-only connections over WAL, so
//! that searches and reports read the last committed state without waiting
//! for the writer.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::{DbError, DbErrorKind, DbResult, FromDb, Row, Value};

/// How long a statement waits for a lock before it gives up.
const BUSY: Duration = Duration::from_secs(10);

pub struct SqliteDb {
    writer: Mutex<Connection>,
    /// `None` for a database in memory (and with no readers asked for): reads go through the writer.
    readers: Option<r2d2::Pool<SqliteConnectionManager>>,
    path: Option<PathBuf>,
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

pub fn error(e: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode::{CannotOpen, ConstraintViolation, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly, SystemIoFailure};
    let kind = match &e {
        rusqlite::Error::QueryReturnedNoRows => DbErrorKind::NoRows,
        rusqlite::Error::SqliteFailure(f, _) if f.code == ConstraintViolation => DbErrorKind::Constraint,
        rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, DiskFull | ReadOnly | CannotOpen | SystemIoFailure | DatabaseBusy | DatabaseLocked) => {
            DbErrorKind::Unavailable
        }
        _ => DbErrorKind::Other,
    };
    DbError::new(kind, e.to_string())
}

fn pool_error(e: &r2d2::Error) -> DbError {
    DbError::new(DbErrorKind::Unavailable, format!("no SQLite reader: {e}"))
}

fn setup(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY)
}

impl SqliteDb {
    pub fn open(path: &Path, readers: u32) -> DbResult<SqliteDb> {
        let writer = Connection::open(path).map_err(error)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(error)?;
        writer.pragma_update(None, "synchronous", "FULL").map_err(error)?;
        setup(&writer).map_err(error)?;
        let manager = SqliteConnectionManager::file(path).with_init(|c| {
            setup(c)?;
            // A reader never writes, whatever a caller asks of it.
            c.pragma_update(None, "query_only", "ON")
        });
        let readers = (readers > 0).then(|| r2d2::Pool::builder().max_size(readers).min_idle(Some(0)).connection_timeout(BUSY).build_unchecked(manager));
        Ok(SqliteDb { writer: Mutex::new(writer), readers, path: Some(path.to_path_buf()) })
    }

    pub fn memory() -> DbResult<SqliteDb> {
        let writer = Connection::open_in_memory().map_err(error)?;
        setup(&writer).map_err(error)?;
        Ok(SqliteDb { writer: Mutex::new(writer), readers: None, path: None })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (an unfinished transaction rolls back), so a poisoned lock is still usable.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn read<T, E: FromDb>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        match &self.readers {
            Some(pool) => {
                let mut conn = pool.get().map_err(|e| E::from(pool_error(&e)))?;
                let tx = conn.transaction().map_err(|e| E::from(error(e)))?;
                f(&tx)
            }
            None => {
                let conn = self.writer();
                let tx = conn.unchecked_transaction().map_err(|e| E::from(error(e)))?;
                f(&tx)
            }
        }
    }

    pub fn write<T, E: FromDb>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| E::from(error(e)))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| E::from(error(e)))?;
        Ok(out)
    }

    pub fn backup_to(&self, dest: &Path) -> DbResult<()> {
        let mut target = Connection::open(dest).map_err(error)?;
        let copy = |source: &Connection, target: &mut Connection| -> DbResult<()> {
            use rusqlite::backup::StepResult;
            let backup = rusqlite::backup::Backup::new(source, target).map_err(error)?;
            // All pages in one step (-1): a copy of one committed state, never
            // restarted by a write that lands meanwhile. A writer holding a
            // lock only delays it (bounded).
            for _ in 0..100 {
                match backup.step(-1).map_err(error)? {
                    StepResult::Done => return Ok(()),
                    StepResult::More | StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(50)),
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            Err(DbError::new(DbErrorKind::Unavailable, "the database stayed locked for 5 s; try again"))
        };
        match &self.path {
            Some(path) => {
                let source = Connection::open(path).map_err(error)?;
                setup(&source).map_err(error)?;
                copy(&source, &mut target)?;
            }
            None => copy(&self.writer(), &mut target)?,
        }
        // The copy is checked before anyone relies on it.
        let check: String = target.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(error)?;
        if check != "ok" {
            return Err(DbError::new(DbErrorKind::Other, format!("the copy fails its integrity check: {check}")));
        }
        Ok(())
    }
}

pub fn execute(c: &Connection, sql: &str, values: &[Value]) -> DbResult<usize> {
    let mut st = c.prepare_cached(sql).map_err(error)?;
    st.execute(rusqlite::params_from_iter(values.iter())).map_err(error)
}

pub fn query(c: &Connection, sql: &str, values: &[Value]) -> DbResult<Vec<Row>> {
    let mut st = c.prepare_cached(sql).map_err(error)?;
    let columns = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(values.iter())).map_err(error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(error)? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(match r.get_ref(i).map_err(error)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Int(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            });
        }
        out.push(Row::new(values));
    }
    Ok(out)
}
