//! Leases: a job that must run exactly once across instances (the deadline
//! sweeper, the automatic daily-log mail, the retention job) runs on the
//! instance that holds its lease. A holder renews its lease while it lives;
//! when it dies the lease runs out and another instance takes it over. Time
//! is the database's clock, so instances whose clocks differ still agree.

use crate::db::params;
use crate::error::Result;
use crate::store::Store;

impl Store {
    /// Takes the lease `name` for `holder` for `ttl_ms`, or renews it if
    /// `holder` has it; `false` while another holder's lease runs.
    pub fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        self.db.write(|c| {
            let now = c.dialect().epoch_ms();
            let n = c.execute(
                &format!(
                    "INSERT INTO leases (name, holder, until_utc) VALUES (?1, ?2, {now} + ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_utc = excluded.until_utc
                     WHERE leases.holder = excluded.holder OR leases.until_utc < {now}"
                ),
                params![name, holder, ttl_ms],
            )?;
            Ok(n == 1)
        })
    }

    /// Gives the lease up (at a clean shutdown), so another instance need not wait for it to run out.
    pub fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", [name, holder])?;
            Ok(())
        })
    }

    /// Who holds the lease now, if anyone.
    pub fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            let now = c.dialect().epoch_ms();
            let holders: Vec<String> = c.query_map(&format!("SELECT holder FROM leases WHERE name = ?1 AND until_utc >= {now}"), [name], |r| r.get(0))?;
            Ok(holders.into_iter().next())
        })
    }
}
