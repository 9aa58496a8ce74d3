//! Versioned schema migrations, applied at start for both backends. Each
//! migration is a SQL file per backend under `migrations/`; the versions
//! applied are kept in `schema_migrations`. On PostgreSQL an advisory lock
//! makes instances that start together apply each migration once.

use crate::db::{Conn, Db, DbError, DbErrorKind, DbResult, Dialect};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "leases_and_retention",
        sqlite: include_str!("../migrations/sqlite/0002_leases_and_retention.sql"),
        postgres: include_str!("../migrations/postgres/0002_leases_and_retention.sql"),
    },
    Migration {
        version: 3,
        name: "search_indexes",
        sqlite: include_str!("../migrations/sqlite/0003_search_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0003_search_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "notification_reads",
        sqlite: include_str!("../migrations/sqlite/0004_notification_reads.sql"),
        postgres: include_str!("../migrations/postgres/0004_notification_reads.sql"),
    },
];

/// The newest schema version this kefu knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Applies the migrations the database does not have yet; the versions applied.
pub fn migrate(db: &Db) -> DbResult<Vec<i64>> {
    db.write(|c: &Conn<'_>| {
        if c.dialect() == Dialect::Postgres {
            // Held to the end of this transaction: a second instance starting now waits here.
            c.execute("SELECT pg_advisory_xact_lock(7301001)", ())?;
        }
        c.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")?;
        let applied: Vec<i64> = c.query_map("SELECT version FROM schema_migrations ORDER BY version", (), |r| r.get(0))?;
        if let Some(newer) = applied.iter().find(|v| **v > latest_version()) {
            return Err(DbError::new(
                DbErrorKind::Other,
                format!("数据库的结构版本 {newer} 比本程序认识的 {} 新：它由更新版本的 kefu 建立，请用那个版本运行", latest_version()),
            ));
        }
        let mut done = Vec::new();
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            match c.dialect() {
                Dialect::Sqlite => c.execute_batch(m.sqlite)?,
                Dialect::Postgres => c.execute_batch(m.postgres)?,
            }
            if m.version == 1 {
                if let Some(conn) = c.sqlite() {
                    adopt_sqlite(conn).map_err(crate::db::sqlite_error)?;
                }
            }
            c.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)", crate::db::params![m.version, m.name, crate::clock::now()])?;
            tracing::info!(target: "kefu::store", version = m.version, name = m.name, "schema migration applied");
            done.push(m.version);
        }
        Ok(done)
    })
}

/// SQLite databases made by a kefu before versioned migrations may lack
/// columns added since (work numbers, token expiry, provisional deadlines);
/// they get them here. Agent ids and work numbers get a unique index each —
/// unless existing accounts already share one, which is logged (the
/// accounts API refuses new duplicates either way; an admin resolves the old ones).
fn adopt_sqlite(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let has = |table: &str, column: &str| -> rusqlite::Result<bool> {
        conn.query_row(&format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"), [column], |r| r.get::<_, i64>(0)).map(|n| n > 0)
    };
    if !has("users", "work_no")? {
        conn.execute("ALTER TABLE users ADD COLUMN work_no TEXT NOT NULL DEFAULT ''", [])?;
    }
    if !has("api_tokens", "expires_at")? {
        // Tokens made before tokens expired expire 90 days after this upgrade rather than never.
        let later = (chrono::Utc::now() + chrono::Duration::days(90))
            .with_timezone(&kefu_core::calendar::SHANGHAI)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        conn.execute("ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT ''", [])?;
        conn.execute("UPDATE api_tokens SET expires_at = ?1", [later])?;
    }
    if !has("obligations", "provisional")? {
        // Their deadlines were all computed on imported schedules: none is provisional.
        conn.execute("ALTER TABLE obligations ADD COLUMN provisional TEXT", [])?;
    }
    for column in ["agent_id", "work_no"] {
        let shared: Vec<String> = {
            let mut st = conn.prepare(&format!("SELECT {column} FROM users WHERE {column} != '' GROUP BY {column} HAVING COUNT(*) > 1"))?;
            let rows = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        if shared.is_empty() {
            conn.execute_batch(&format!("CREATE UNIQUE INDEX IF NOT EXISTS users_{column}_unique ON users({column}) WHERE {column} != ''"))?;
        } else {
            tracing::warn!(target: "kefu::store", column, shared = ?shared, "accounts share these ids; give each its own (no unique index until then)");
        }
    }
    Ok(())
}
