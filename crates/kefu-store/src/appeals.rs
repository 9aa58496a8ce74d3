//! Appeals against a check's result: filed by the agent, decided by a
//! supervisor; overturning passes the check and the score follows.

use kefu_core::inspect::{Outcome, Scorecard};
use serde::Serialize;

use crate::conversations::{row_from, row_select, ConversationRow};
use crate::db::{params, DbResult, OptionalExt, Row};
use crate::clock::now;
use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appeal {
    pub id: i64,
    pub conversation_id: String,
    pub check_id: String,
    pub filed_by: i64,
    pub filed_by_name: String,
    pub reason: String,
    /// pending | upheld | overturned
    pub status: String,
    pub decided_by: Option<i64>,
    pub comment: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

fn appeal_from_row(r: &Row) -> DbResult<Appeal> {
    Ok(Appeal {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        check_id: r.get(2)?,
        filed_by: r.get(3)?,
        filed_by_name: r.get(4)?,
        reason: r.get(5)?,
        status: r.get(6)?,
        decided_by: r.get(7)?,
        comment: r.get(8)?,
        created_at: r.get(9)?,
        decided_at: r.get(10)?,
    })
}

const APPEAL_SELECT: &str = "SELECT a.id, a.conversation_id, a.check_id, a.filed_by, u.display_name, a.reason, a.status, a.decided_by, a.comment, a.created_at, a.decided_at FROM appeals a JOIN users u ON u.id = a.filed_by";

impl Store {
    /// Files an appeal of a failed check. One at a time per check; after a
    /// decision a second needs new grounds: `new_grounds` set and a reason
    /// not given before.
    pub fn file_appeal(&self, conversation_id: &str, check_id: &str, user_id: i64, reason: &str, new_grounds: bool) -> Result<Appeal> {
        self.db.write(|tx| {
            let earlier: Vec<String> = tx.query_map(
                "SELECT reason FROM appeals WHERE conversation_id = ?1 AND check_id = ?2 AND status <> 'pending'",
                [conversation_id, check_id],
                |r| r.get(0),
            )?;
            if !earlier.is_empty() {
                if !new_grounds {
                    return Err(StoreError::Conflict(format!("检查项 {check_id} 已申诉并处理过；再次申诉须有新的理由或证据")));
                }
                let same = |a: &str, b: &str| a.split_whitespace().collect::<String>() == b.split_whitespace().collect::<String>();
                if earlier.iter().any(|e| same(e, reason)) {
                    return Err(StoreError::Invalid("再次申诉的理由与上次相同：请写明新的理由或证据".into()));
                }
            }
            let result: Option<String> =
                tx.query_row("SELECT result FROM check_results WHERE conversation_id = ?1 AND check_id = ?2", [conversation_id, check_id], |r| r.get(0)).optional()?;
            match result.as_deref() {
                None => return Err(StoreError::NotFound(format!("会话 {conversation_id} 没有检查项 {check_id}"))),
                Some("fail") => {}
                Some(_) => return Err(StoreError::Invalid(format!("检查项 {check_id} 未判为不通过，无需申诉"))),
            }
            let inserted = tx.query_row(
                "INSERT INTO appeals (conversation_id, check_id, filed_by, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![conversation_id, check_id, user_id, reason, now()],
                |r| r.get::<_, i64>(0),
            );
            let id = match inserted.map_err(StoreError::from) {
                Ok(id) => id,
                Err(e) if e.is_constraint_violation() => return Err(StoreError::Conflict(format!("检查项 {check_id} 已有待处理的申诉"))),
                Err(e) => return Err(e),
            };
            Ok(tx.query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)?)
        })
    }

    pub fn appeal(&self, id: i64) -> Result<Option<Appeal>> {
        self.db.read(|c| Ok(c.query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row).optional()?))
    }

    /// Appeals, newest first, one page of them and the total; `team`/`filed_by`
    /// restrict to what the caller may see.
    pub fn appeals(&self, status: Option<&str>, team: Option<&str>, filed_by: Option<i64>, conversation: Option<&str>, page: Page) -> Result<Paged<Appeal>> {
        let filter = "JOIN conversations c ON c.id = a.conversation_id
             WHERE (CAST(?1 AS TEXT) IS NULL OR a.status = ?1 OR (CAST(?1 AS TEXT) = 'decided' AND a.status <> 'pending')) AND (CAST(?2 AS TEXT) IS NULL OR c.team = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR a.filed_by = ?3) AND (CAST(?4 AS TEXT) IS NULL OR a.conversation_id = ?4)";
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM appeals a {filter}"), params![status, team, filed_by, conversation], |r| r.get(0))?;
            let items = c.query_map(
                &format!("{APPEAL_SELECT} {filter} ORDER BY a.id DESC LIMIT ?5 OFFSET ?6"),
                params![status, team, filed_by, conversation, page.limit, page.offset],
                appeal_from_row,
            )?;
            Ok(Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }

    /// Decides a pending appeal. Overturning turns the check into a pass and
    /// the score follows (recomputed from the scorecard's points and vetoes).
    pub fn decide_appeal(&self, id: i64, overturn: bool, user_id: i64, comment: &str) -> Result<(Appeal, ConversationRow)> {
        self.db.write(|tx| {
            let appeal = tx
                .query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("申诉 {id} 不存在")))?;
            if appeal.status != "pending" {
                return Err(StoreError::Conflict(format!("申诉 {id} 已处理（{}）", appeal.status)));
            }
            let status = if overturn { "overturned" } else { "upheld" };
            tx.execute("UPDATE appeals SET status = ?1, decided_by = ?2, comment = ?3, decided_at = ?4 WHERE id = ?5", params![status, user_id, comment, now(), id])?;
            if overturn {
                let text: String = tx.query_row("SELECT scorecard FROM conversations WHERE id = ?1", [&appeal.conversation_id], |r| r.get(0))?;
                let mut card: Scorecard = serde_json::from_str(&text)?;
                for c in card.checks.iter_mut().filter(|c| c.id == appeal.check_id) {
                    c.result = Outcome::Pass;
                }
                card.rescore();
                tx.execute(
                    "UPDATE conversations SET scorecard = ?1, score = ?2, vetoed = ?3 WHERE id = ?4",
                    params![serde_json::to_string(&card)?, card.score, card.vetoed, appeal.conversation_id],
                )?;
                tx.execute("UPDATE check_results SET result = 'pass' WHERE conversation_id = ?1 AND check_id = ?2", params![appeal.conversation_id, appeal.check_id])?;
                tx.execute("DELETE FROM failed_checks WHERE conversation_id = ?1 AND check_id = ?2", params![appeal.conversation_id, appeal.check_id])?;
            }
            let appeal = tx.query_row(&format!("{APPEAL_SELECT} WHERE a.id = ?1"), [id], appeal_from_row)?;
            let row = tx.query_row(&format!("{} WHERE c.id = ?1", row_select(tx.dialect())), [&appeal.conversation_id], row_from)?;
            Ok((appeal, row))
        })
    }
}
