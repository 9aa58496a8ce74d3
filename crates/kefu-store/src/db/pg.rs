//! PostgreSQL through the `postgres` crate (the blocking client of
//! rust-postgres; kefu's storage calls already run on tokio's blocking pool)
//! and an r2d2 pool, which checks a connection before handing it out and
//! replaces broken ones — so an instance reconnects by itself after the
//! server restarts. Writes are SERIALIZABLE and retried on a serialization
//! failure: concurrent instances then behave as SQLite's single writer does.

use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type};
use postgres::{IsolationLevel, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use super::{DbError, DbErrorKind, DbResult, FromDb, Row, Value};

/// Pool sizes and time-outs.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// PostgreSQL connections per instance.
    pub pool_size: u32,
    /// How long a request waits for a connection (and a connection for the server).
    pub connect_timeout: Duration,
    /// SQLite read connections kept open beside the writer; 0 sends reads
    /// through the writer's connection (kefu before the read pool: kept to
    /// measure the difference).
    pub sqlite_readers: u32,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { pool_size: 16, connect_timeout: Duration::from_secs(5), sqlite_readers: 8 }
    }
}

/// A unit of work on a transaction: it hands the transaction back with its result (to commit or roll back).
pub type Work<'f, T, E> = dyn for<'t> FnMut(Transaction<'t>) -> (Result<T, E>, Transaction<'t>) + 'f;

pub struct PgDb {
    /// `None` only while being dropped.
    pool: Option<r2d2::Pool<PostgresConnectionManager<NoTls>>>,
    url: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        // The blocking client closes its connections by blocking on a runtime
        // of its own, which panics on an async runtime's thread — where the
        // last handle to a store may well be dropped. Closing happens on a
        // thread of its own instead.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new().name("kefu-pg-close".into()).spawn(move || drop(pool));
        }
    }
}

pub fn error(e: &postgres::Error) -> DbError {
    let kind = match e.code().map(postgres::error::SqlState::code) {
        Some(code) if code.starts_with("23") => DbErrorKind::Constraint,
        Some("40001" | "40P01") => DbErrorKind::Retry,
        Some(code) if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "25006" => DbErrorKind::Unavailable,
        Some(_) => DbErrorKind::Other,
        // No SQLSTATE: the connection itself failed (refused, reset, closed).
        None => DbErrorKind::Unavailable,
    };
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    DbError::new(kind, message)
}

fn pool_error(e: &r2d2::Error) -> DbError {
    DbError::new(DbErrorKind::Unavailable, format!("PostgreSQL 无法连接：{e}"))
}

/// A URL with its password replaced by `***`, for logs.
pub fn mask_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..].find(['/', '?']).map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    if let Some(i) = out.find("password=") {
        let end = out[i..].find(['&', ' ']).map_or(out.len(), |j| i + j);
        out.replace_range(i + "password=".len()..end, "***");
    }
    out
}

impl PgDb {
    pub fn open(url: &str, options: &DbOptions) -> DbResult<PgDb> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            DbError::new(DbErrorKind::Other, format!("数据库地址无法解析（{}）：{e}", mask_password(url)))
        })?;
        config.connect_timeout(options.connect_timeout);
        if config.get_application_name().is_none() {
            config.application_name("kefu");
        }
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            .build_unchecked(manager);
        Ok(PgDb { pool: Some(pool), url: url.to_string() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn connection(&self) -> DbResult<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        let pool = self.pool.as_ref().ok_or_else(|| DbError::new(DbErrorKind::Unavailable, "the database is being closed"))?;
        pool.get().map_err(|e| pool_error(&e))
    }

    pub fn read<T, E: FromDb>(&self, f: impl for<'t> FnOnce(Transaction<'t>) -> (Result<T, E>, Transaction<'t>)) -> Result<T, E> {
        let mut client = self.connection().map_err(E::from)?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| E::from(error(&e)))?;
        let (out, tx) = f(tx);
        // A read-only transaction has nothing to keep: ending it either way is the same.
        drop(tx.commit());
        out
    }

    pub fn write<T, E: FromDb>(&self, retries: usize, f: &mut Work<'_, T, E>) -> Result<T, E> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = self.connection().map_err(E::from)?;
            let tx = client.build_transaction().isolation_level(IsolationLevel::Serializable).start().map_err(|e| E::from(error(&e)))?;
            let (out, tx) = f(tx);
            let failure = match out {
                Ok(v) => match tx.commit() {
                    Ok(()) => return Ok(v),
                    Err(e) => E::from(error(&e)),
                },
                Err(e) => {
                    drop(tx);
                    e
                }
            };
            let retry = failure.as_db().is_some_and(|d| d.kind == DbErrorKind::Retry);
            if !retry || attempt > retries {
                return Err(failure);
            }
            // Back off, more each time and by a different amount per writer,
            // so that the writers that collided spread out.
            let jitter = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (std::thread::current().id(), attempt).hash(&mut h);
                h.finish() % 7
            };
            std::thread::sleep(Duration::from_millis((4u64 << attempt.min(5)) + jitter));
        }
    }
}

fn is_text(ty: &Type) -> bool {
    matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN)
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut postgres::types::private::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ if is_text(ty) => i.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be bound to a {ty} parameter").into()),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                #[allow(clippy::cast_possible_truncation)]
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ if is_text(ty) => r.to_string().to_sql(ty, out),
                _ => Err(format!("a real number cannot be bound to a {ty} parameter").into()),
            },
            Value::Text(s) => match *ty {
                _ if is_text(ty) => s.to_sql(ty, out),
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                _ => Err(format!("text cannot be bound to a {ty} parameter").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// SQLite's `?N` and `?` placeholders as PostgreSQL's `$N` (outside quoted text).
pub fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    let mut next = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                }
                out.push('$');
                out.push_str(&digits);
            }
            _ => out.push(c),
        }
    }
    out
}

fn refs(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

pub fn execute(tx: &mut Transaction<'_>, sql: &str, values: &[Value]) -> DbResult<usize> {
    let n = tx.execute(placeholders(sql).as_str(), &refs(values)).map_err(|e| error(&e))?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub fn query(tx: &mut Transaction<'_>, sql: &str, values: &[Value]) -> DbResult<Vec<Row>> {
    let rows = tx.query(placeholders(sql).as_str(), &refs(values)).map_err(|e| error(&e))?;
    rows.iter().map(row_of).collect()
}

fn row_of(r: &postgres::Row) -> DbResult<Row> {
    let bad = |i: usize, e: postgres::Error| DbError::new(DbErrorKind::Other, format!("column {i}: {e}"));
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let v = match *column.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, Value::Int),
            Type::INT4 => r.try_get::<_, Option<i32>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Type::INT2 => r.try_get::<_, Option<i16>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Type::BOOL => r.try_get::<_, Option<bool>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, Value::Real),
            Type::FLOAT4 => r.try_get::<_, Option<f32>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, |v| Value::Real(f64::from(v))),
            ref ty if is_text(ty) => r.try_get::<_, Option<String>>(i).map_err(|e| bad(i, e))?.map_or(Value::Null, Value::Text),
            ref ty => return Err(DbError::new(DbErrorKind::Other, format!("column {i} ({}) has type {ty}: cast it to BIGINT, DOUBLE PRECISION or TEXT", column.name()))),
        };
        values.push(v);
    }
    Ok(Row::new(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(placeholders("SELECT a FROM t WHERE x = ?1 AND y = ?2 OR z = ?1"), "SELECT a FROM t WHERE x = $1 AND y = $2 OR z = $1");
        assert_eq!(placeholders("UPDATE t SET a = ? WHERE b = ?"), "UPDATE t SET a = $1 WHERE b = $2");
        assert_eq!(placeholders("SELECT '?1 and ?' , ?3"), "SELECT '?1 and ?' , $3");
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(mask_password("postgres://kefu:s3cret@db.example:5432/kefu"), "postgres://kefu:***@db.example:5432/kefu");
        assert_eq!(mask_password("postgres://kefu@/kefu?host=/tmp/x&password=abc"), "postgres://kefu@/kefu?host=/tmp/x&password=***");
        assert_eq!(mask_password("postgres://db/kefu"), "postgres://db/kefu");
    }
}
