//! The store: a database and its schema brought up to date; the domain
//! modules add their methods to [`Store`].

use crate::clock::now;
use crate::db::{Db, Location, DbOptions};
use crate::error::Result;
use crate::migrate;
use crate::db::Dialect;

/// The database and everything stored in it.
pub struct Store {
    pub(crate) db: Db,
    location: Location,
}

impl Store {
    /// Opens (creating if need be) the database at `location` and brings its schema up to date.
    pub fn open(location: &Location) -> Result<Store> {
        Self::open_with(location, &DbOptions::default())
    }

    pub fn open_with(location: &Location, pg: &DbOptions) -> Result<Store> {
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

    /// Runs maintenance SQL (bulk loads of the benchmark, ANALYZE) in one
    /// transaction. Not for anything a user controls.
    #[doc(hidden)]
    pub fn execute_maintenance(&self, sql: &str) -> Result<()> {
        Ok(self.db.write(|c| c.execute_batch(sql))?)
    }

    /// The PostgreSQL URL, for a connection of its own (LISTEN); `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.db.postgres_url()
    }
}
