//! The audit log: who changed what, written in the same transaction as the change.

use serde::Serialize;

use crate::clock::now;
use crate::db::{params, Conn};
use crate::error::Result;
use crate::store::Store;
use crate::user::User;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// An audit entry written in the caller's transaction (`None`: kefu itself).
pub(crate) fn audit_in(c: &Conn<'_>, user: Option<&User>, action: &str, target: &str, detail: &str) -> Result<()> {
    c.execute(
        "INSERT INTO audit (at, user_id, username, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now(), user.map(|u| u.id), user.map_or("system", |u| u.username.as_str()), action, target, detail],
    )?;
    Ok(())
}

impl Store {
    pub fn audit(&self, user: Option<&User>, action: &str, target: &str, detail: &str) -> Result<()> {
        self.db.write(|c| audit_in(c, user, action, target, detail))
    }

    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.db.read(|c| {
            Ok(c.query_map("SELECT id, at, user_id, username, action, target, detail FROM audit ORDER BY id DESC LIMIT ?1", [limit], |r| {
                Ok(AuditEntry { id: r.get(0)?, at: r.get(1)?, user_id: r.get(2)?, username: r.get(3)?, action: r.get(4)?, target: r.get(5)?, detail: r.get(6)? })
            })?)
        })
    }
}
