//! Feedback marks (a false alarm, a missed violation), each with who, when
//! and the rulebook and model versions it was made against.

use serde::{Deserialize, Serialize};

use crate::user::User;
use crate::db::{params, DbResult, Row};
use crate::clock::now;
use crate::error::Result;
use crate::page::{Page, Paged};
use crate::store::Store;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    /// false_alarm (a hit that is no violation) | missed (a violation nothing found)
    pub kind: String,
    /// The utterance.
    pub text: String,
    /// For a false alarm: the rule that fired (e.g. `blame.semantic`).
    #[serde(default)]
    pub rule: String,
    /// The category (required for a missed violation).
    #[serde(default)]
    pub category: String,
    pub conversation_id: Option<String>,
    pub turn: Option<u32>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feedback {
    pub id: i64,
    pub at: String,
    pub username: String,
    pub team: String,
    pub kind: String,
    pub text: String,
    pub rule: String,
    pub category: String,
    pub conversation_id: Option<String>,
    pub turn: Option<u32>,
    pub note: String,
    pub rulebook_version: i64,
    pub model_version: String,
}

const SELECT: &str = "SELECT id, at, username, team, kind, text, rule, category, conversation_id, turn, note, rulebook_version, model_version FROM feedback";

fn from_row(r: &Row) -> DbResult<Feedback> {
    Ok(Feedback {
        id: r.get(0)?,
        at: r.get(1)?,
        username: r.get(2)?,
        team: r.get(3)?,
        kind: r.get(4)?,
        text: r.get(5)?,
        rule: r.get(6)?,
        category: r.get(7)?,
        conversation_id: r.get(8)?,
        turn: r.get(9)?,
        note: r.get(10)?,
        rulebook_version: r.get(11)?,
        model_version: r.get(12)?,
    })
}

impl Store {
    pub fn add_feedback(&self, f: &NewFeedback, user: &User, rulebook_version: i64, model_version: &str) -> Result<Feedback> {
        self.db.write(|c| {
            let id: i64 = c.query_row(
                "INSERT INTO feedback (at, user_id, username, team, kind, text, rule, category, conversation_id, turn, note, rulebook_version, model_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
                params![now(), user.id, user.username, user.team, f.kind, f.text, f.rule, f.category, f.conversation_id, f.turn, f.note, rulebook_version, model_version],
                |r| r.get(0),
            )?;
            Ok(c.query_row(&format!("{SELECT} WHERE id = ?1"), [id], from_row)?)
        })
    }

    /// Feedback newest first; `team` narrows to a team's, `user` to one person's.
    pub fn feedback(&self, team: Option<&str>, user: Option<i64>, page: Page) -> Result<Paged<Feedback>> {
        let filter = "WHERE (CAST(?1 AS TEXT) IS NULL OR team = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR user_id = ?2)";
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM feedback {filter}"), params![team, user], |r| r.get(0))?;
            let items = c.query_map(&format!("{SELECT} {filter} ORDER BY id DESC LIMIT ?3 OFFSET ?4"), params![team, user, page.limit, page.offset], from_row)?;
            Ok(Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }
}
