//! Settings kept as key → JSON text (SMTP, Chatwoot, limits, the centre),
//! and each team's working hours.

use crate::user::User;
use crate::db::OptionalExt;
use crate::error::Result;
use crate::store::Store;

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db.read(|c| Ok(c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?))
    }

    pub fn set_setting(&self, key: &str, value: &str, user: Option<&User>) -> Result<()> {
        self.db.write(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])?;
            // The value itself may hold secrets: the audit log says only what changed.
            crate::audit::audit_in(tx, user, "settings.update", key, "")
        })
    }

    pub fn team_hours(&self, team: &str) -> Result<Option<String>> {
        self.db.read(|c| Ok(c.query_row("SELECT periods FROM team_hours WHERE team = ?1", [team], |r| r.get(0)).optional()?))
    }

    pub fn set_team_hours(&self, team: &str, periods: &str, user: &User) -> Result<()> {
        self.db.write(|tx| {
            tx.execute("INSERT INTO team_hours (team, periods) VALUES (?1, ?2) ON CONFLICT (team) DO UPDATE SET periods = excluded.periods", [team, periods])?;
            crate::audit::audit_in(tx, Some(user), "team.hours", team, periods)
        })
    }
}
