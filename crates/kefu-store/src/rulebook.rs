//! Rulebook versions (every edit is a new version, never an overwrite)
//! and the audit log of who changed what.

use serde::Serialize;

use crate::audit::audit_in;
use crate::clock::now;
use crate::db::{params, OptionalExt};
use crate::error::Result;
use crate::store::Store;
use crate::user::User;

/// A rulebook as `(path, TOML text)` pairs.
pub type RulebookFiles = Vec<(String, String)>;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RulebookVersion {
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: String,
    pub comment: String,
}

impl Store {
    pub fn latest_rulebook(&self) -> Result<Option<(i64, RulebookFiles)>> {
        let found: Option<(i64, String)> = self.db.read(|c| {
            c.query_row("SELECT version, files FROM rulebook_versions ORDER BY version DESC LIMIT 1", (), |r| Ok((r.get(0)?, r.get(1)?))).optional()
        })?;
        match found {
            None => Ok(None),
            Some((v, files)) => Ok(Some((v, serde_json::from_str(&files)?))),
        }
    }

    /// The files of one saved version, if it exists.
    pub fn rulebook_at(&self, version: i64) -> Result<Option<RulebookFiles>> {
        let found: Option<String> = self.db.read(|c| c.query_row("SELECT files FROM rulebook_versions WHERE version = ?1", [version], |r| r.get(0)).optional())?;
        match found {
            None => Ok(None),
            Some(files) => Ok(Some(serde_json::from_str(&files)?)),
        }
    }

    /// The newest rulebook version's number (0 before the first edit): cheap,
    /// for instances that poll whether another one changed the rulebook.
    pub fn rulebook_version(&self) -> Result<i64> {
        self.db.read(|c| Ok(c.query_row("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM rulebook_versions", (), |r| r.get(0))?))
    }

    /// Saves a new rulebook version (and its audit entry) in one transaction.
    pub fn save_rulebook(&self, files: &[(String, String)], user: Option<&User>, comment: &str, detail: &str) -> Result<i64> {
        let text = serde_json::to_string(files)?;
        self.db.write(|tx| {
            let version: i64 = tx.query_row(
                "INSERT INTO rulebook_versions (created_by, created_at, comment, files) VALUES (?1, ?2, ?3, ?4) RETURNING version",
                params![user.map(|u| u.id), now(), comment, text],
                |r| r.get(0),
            )?;
            audit_in(tx, user, "rulebook.update", &format!("rulebook v{version}"), detail)?;
            tx.notify_change("rulebook")?;
            Ok(version)
        })
    }

    pub fn rulebook_versions(&self) -> Result<Vec<RulebookVersion>> {
        self.db.read(|c| {
            Ok(c.query_map("SELECT version, created_by, created_at, comment FROM rulebook_versions ORDER BY version DESC", (), |r| {
                Ok(RulebookVersion { version: r.get(0)?, created_by: r.get(1)?, created_at: r.get(2)?, comment: r.get(3)? })
            })?)
        })
    }
}
