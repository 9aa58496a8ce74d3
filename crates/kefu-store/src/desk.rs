//! The service desk's tables: records (the forms of 02), their events
//! (forwarded, progress, replied, closed), obligations with deadlines,
//! notifications of warnings and escalations, per-team working hours and
//! imported holiday years. Every write is one transaction: a record and its
//! obligations are stored together or not at all.

use serde::Serialize;

use crate::user::User;
use crate::db::{params, Conn, DbResult, OptionalExt, Row};
use crate::clock::now;
use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub team: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub supervisor: String,
    pub department: String,
    pub urgent: bool,
    pub received_at: String,
    pub conversation_id: Option<String>,
    /// The form's own fields (customer, contact, address, description, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObligationRow {
    pub id: i64,
    pub record_id: i64,
    pub record_kind: String,
    pub kind: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub team: String,
    pub due_at: String,
    pub source: String,
    pub done_at: Option<String>,
    pub warned_at: Option<String>,
    pub escalated_at: Option<String>,
    /// Why the deadline is provisional (暂定: computed over a year without a
    /// holiday schedule; recomputed when the year is imported), or null.
    pub provisional: Option<String>,
    /// done | open | warning | breached (breached also when done late)
    pub state: String,
    #[serde(skip)]
    pub due_utc: i64,
    #[serde(skip)]
    pub warn_utc: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordEvent {
    pub id: i64,
    pub at: String,
    pub username: String,
    pub action: String,
    pub note: String,
}

/// Which notifications a user sees: their own; a supervisor also their
/// team's escalations; an admin all (?1 user id, ?2 team or NULL, ?3 all).
const NOTIFICATION_SCOPE: &str = "WHERE (?3 = 1 OR n.user_id = ?1 OR (CAST(?2 AS TEXT) IS NOT NULL AND n.team = ?2 AND n.kind = 'escalation'))";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub at: String,
    /// warning | escalation (deadlines) | appeal (a decision on one's appeal)
    pub kind: String,
    pub obligation_id: Option<i64>,
    pub message: String,
    /// Where it leads in the console (`#/conversation/…`), or empty.
    pub link: String,
    /// Whether the caller has read it.
    pub read: bool,
}

pub struct NewRecord<'a> {
    pub kind: &'a str,
    pub team: &'a str,
    pub owner_id: i64,
    pub supervisor: &'a str,
    pub department: &'a str,
    pub urgent: bool,
    pub received_at: &'a str,
    pub conversation_id: Option<&'a str>,
    pub fields: &'a serde_json::Value,
}

/// A phone call of a day, for the call log: its id, start, transcript
/// (JSON) and the records made from it as (kind, id, status).
pub struct DayCall {
    pub id: String,
    pub started_at: Option<String>,
    pub transcript: String,
    pub records: Vec<(String, i64, String)>,
}

pub struct NewObligation {
    pub kind: &'static str,
    pub due_at: String,
    pub due_utc: i64,
    pub warn_utc: i64,
    pub source: &'static str,
    pub provisional: Option<String>,
}

const RECORD_SELECT: &str = "SELECT r.id, r.kind, r.status, r.team, r.owner_id, u.display_name, r.supervisor, r.department, r.urgent, r.received_at, r.conversation_id, r.fields, r.created_at, r.updated_at FROM records r JOIN users u ON u.id = r.owner_id";

fn record_from(r: &Row) -> DbResult<RecordRow> {
    let fields: String = r.get(11)?;
    Ok(RecordRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        status: r.get(2)?,
        team: r.get(3)?,
        owner_id: r.get(4)?,
        owner_name: r.get(5)?,
        supervisor: r.get(6)?,
        department: r.get(7)?,
        urgent: r.get(8)?,
        received_at: r.get(9)?,
        conversation_id: r.get(10)?,
        fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

const OBLIGATION_SELECT: &str = "SELECT o.id, o.record_id, r.kind, o.kind, o.owner_id, u.display_name, r.team, o.due_at, o.source, o.done_at, o.warned_at, o.escalated_at, o.due_utc, o.warn_utc, o.provisional FROM obligations o JOIN records r ON r.id = o.record_id JOIN users u ON u.id = o.owner_id";

fn obligation_from(r: &Row) -> DbResult<ObligationRow> {
    Ok(ObligationRow {
        id: r.get(0)?,
        record_id: r.get(1)?,
        record_kind: r.get(2)?,
        kind: r.get(3)?,
        owner_id: r.get(4)?,
        owner_name: r.get(5)?,
        team: r.get(6)?,
        due_at: r.get(7)?,
        source: r.get(8)?,
        done_at: r.get(9)?,
        warned_at: r.get(10)?,
        escalated_at: r.get(11)?,
        provisional: r.get(14)?,
        state: String::new(),
        due_utc: r.get(12)?,
        warn_utc: r.get(13)?,
    })
}

/// The state of an obligation at `now_utc` (Unix seconds).
pub fn state_of(o: &ObligationRow, now_utc: i64) -> &'static str {
    let done_utc = o.done_at.as_deref().and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok()).map(|d| d.timestamp());
    match done_utc {
        Some(d) if d > o.due_utc => "breached",
        Some(_) => "done",
        None if now_utc > o.due_utc => "breached",
        None if now_utc >= o.warn_utc => "warning",
        None => "open",
    }
}

/// Which obligations a record event fulfils.
fn fulfilled_by(action: &str) -> &'static [&'static str] {
    match action {
        "forwarded" => &["forward", "record_after_urgent"],
        "replied" => &["reply", "walkin_reply", "task_reply"],
        "sent" => &["daily_log"],
        _ => &[],
    }
}

/// The daily call log an agent filed for a day, if any.
fn call_log_on(c: &Conn<'_>, owner_id: i64, day: &str) -> Result<Option<i64>> {
    let date = c.dialect().json_text("fields", "date");
    Ok(c.query_row(&format!("SELECT id FROM records WHERE kind = 'call_log' AND owner_id = ?1 AND {date} = ?2 LIMIT 1"), params![owner_id, day], |r| r.get(0))
        .optional()?)
}

/// The status of a record that is still open to changes: not found and
/// closed records are errors.
fn open_status(tx: &Conn<'_>, id: i64) -> Result<String> {
    let status: String = tx
        .query_row("SELECT status FROM records WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("记录 {id} 不存在")))?;
    if status == "closed" {
        return Err(StoreError::Conflict(format!("记录 {id} 已关闭，不能再更改")));
    }
    Ok(status)
}

fn record_by_id(c: &Conn<'_>, id: i64) -> DbResult<RecordRow> {
    c.query_row(&format!("{RECORD_SELECT} WHERE r.id = ?1"), [id], record_from)
}

impl Store {
    /// Stores a record, its obligations and its first event in one transaction.
    pub fn create_record(&self, r: &NewRecord<'_>, obligations: &[NewObligation], user: &User) -> Result<RecordRow> {
        let fields = r.fields.to_string();
        self.db.write(|tx| {
            if r.kind == "call_log" {
                let day = r.fields.get("date").and_then(serde_json::Value::as_str).unwrap_or("");
                if let Some(id) = call_log_on(tx, r.owner_id, day)? {
                    return Err(StoreError::Conflict(format!("{day} 的每日接听电话记录表已存在（#{id}），一天只填一张：请在原记录上修改")));
                }
            }
            let at = now();
            let id: i64 = tx.query_row(
                "INSERT INTO records (kind, team, owner_id, supervisor, department, urgent, received_at, conversation_id, fields, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id",
                params![r.kind, r.team, r.owner_id, r.supervisor, r.department, r.urgent, r.received_at, r.conversation_id, fields, at],
                |row| row.get(0),
            )?;
            for o in obligations {
                tx.execute(
                    "INSERT INTO obligations (record_id, kind, owner_id, due_at, due_utc, warn_utc, source, provisional) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![id, o.kind, r.owner_id, o.due_at, o.due_utc, o.warn_utc, o.source, o.provisional],
                )?;
            }
            tx.execute(
                "INSERT INTO record_events (record_id, at, user_id, username, action, note) VALUES (?1, ?2, ?3, ?4, 'created', '')",
                params![id, at, user.id, user.username],
            )?;
            Ok(record_by_id(tx, id)?)
        })
    }

    /// The phone calls of an agent on a day (Asia/Shanghai), oldest first:
    /// id, started_at and transcript, with the records made from each
    /// (kind, id, status) — what prefills the day's call log.
    pub fn calls_of_day(&self, agent: &str, day: &str) -> Result<Vec<DayCall>> {
        self.db.read(|c| {
            let calls = c.query_map(
                "SELECT id, started_at, transcript FROM conversations WHERE agent = ?1 AND day = ?2 AND channel = 'phone' ORDER BY started_at, id LIMIT 500",
                params![agent, day],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?)),
            )?;
            let mut out = Vec::with_capacity(calls.len());
            for (id, started_at, transcript) in calls {
                let records = c.query_map("SELECT kind, id, status FROM records WHERE conversation_id = ?1 ORDER BY id", [&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                out.push(DayCall { id, started_at, transcript, records });
            }
            Ok(out)
        })
    }

    /// Replaces a record's fields (an edit of the form), with an `edited`
    /// event, in one transaction; a closed record is not edited.
    pub fn update_record_fields(&self, id: i64, fields: &serde_json::Value, user: &User) -> Result<RecordRow> {
        let fields = fields.to_string();
        self.db.write(|tx| {
            open_status(tx, id)?;
            let at = now();
            tx.execute("UPDATE records SET fields = ?1, updated_at = ?2 WHERE id = ?3", params![fields, at, id])?;
            tx.execute(
                "INSERT INTO record_events (record_id, at, user_id, username, action, note) VALUES (?1, ?2, ?3, ?4, 'edited', '')",
                params![id, at, user.id, user.username],
            )?;
            Ok(record_by_id(tx, id)?)
        })
    }

    /// Hands a record (and its open deadlines) to another owner and/or names
    /// another supervisor; one `reassigned` event says who did it and what
    /// changed. `owner` None keeps the owner; `supervisor` None keeps theirs.
    pub fn reassign_record(&self, id: i64, owner: Option<&User>, supervisor: Option<&str>, note: &str, user: &User) -> Result<RecordRow> {
        self.db.write(|tx| {
            open_status(tx, id)?;
            let at = now();
            if let Some(o) = owner {
                tx.execute("UPDATE records SET owner_id = ?1, updated_at = ?2 WHERE id = ?3", params![o.id, at, id])?;
                tx.execute("UPDATE obligations SET owner_id = ?1 WHERE record_id = ?2 AND done_at IS NULL", params![o.id, id])?;
            }
            if let Some(s) = supervisor {
                tx.execute("UPDATE records SET supervisor = ?1, updated_at = ?2 WHERE id = ?3", params![s, at, id])?;
            }
            tx.execute(
                "INSERT INTO record_events (record_id, at, user_id, username, action, note) VALUES (?1, ?2, ?3, ?4, 'reassigned', ?5)",
                params![id, at, user.id, user.username, note],
            )?;
            crate::audit::audit_in(tx, Some(user), "record.reassign", &format!("record {id}"), note)?;
            Ok(record_by_id(tx, id)?)
        })
    }

    /// The daily call log an agent filed for a day, if any.
    pub fn call_log_of(&self, owner_id: i64, day: &str) -> Result<Option<i64>> {
        self.db.read(|c| call_log_on(c, owner_id, day))
    }

    /// Records with at least one provisional deadline (oldest first).
    pub fn records_with_provisional_deadlines(&self) -> Result<Vec<RecordRow>> {
        self.db.read(|c| {
            Ok(c.query_map(&format!("{RECORD_SELECT} WHERE r.id IN (SELECT record_id FROM obligations WHERE provisional IS NOT NULL) ORDER BY r.id"), (), record_from)?)
        })
    }

    /// Replaces the provisional deadlines of a record with those computed
    /// anew (matched by obligation kind), in one transaction; a deadline that
    /// moves loses its warning so that the sweeper warns again on the new
    /// time. Returns how many deadlines changed.
    pub fn reschedule_provisional(&self, record_id: i64, recomputed: &[NewObligation]) -> Result<usize> {
        self.db.write(|tx| {
            let mut changed = 0;
            for o in recomputed {
                changed += tx.execute(
                    "UPDATE obligations SET due_at = ?1, due_utc = ?2, warn_utc = ?3, provisional = ?4,
                         warned_at = CASE WHEN due_utc = ?2 THEN warned_at ELSE NULL END,
                         escalated_at = CASE WHEN due_utc = ?2 THEN escalated_at ELSE NULL END
                     WHERE record_id = ?5 AND kind = ?6 AND provisional IS NOT NULL",
                    params![o.due_at, o.due_utc, o.warn_utc, o.provisional, record_id, o.kind],
                )?;
            }
            Ok(changed)
        })
    }

    pub fn record(&self, id: i64) -> Result<Option<RecordRow>> {
        self.db.read(|c| Ok(record_by_id(c, id).optional()?))
    }

    /// Records, newest first; `team`/`owner` narrow to what the caller may see.
    pub fn records(&self, kind: Option<&str>, status: Option<&str>, team: Option<&str>, owner: Option<i64>, day: Option<&str>, page: Page) -> Result<Paged<RecordRow>> {
        let filter = "WHERE (CAST(?1 AS TEXT) IS NULL OR r.kind = ?1) AND (CAST(?2 AS TEXT) IS NULL OR r.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR r.team = ?3) AND (CAST(?4 AS BIGINT) IS NULL OR r.owner_id = ?4)
             AND (CAST(?5 AS TEXT) IS NULL OR substr(r.received_at, 1, 10) = ?5)";
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM records r {filter}"), params![kind, status, team, owner, day], |r| r.get(0))?;
            let items = c.query_map(
                &format!("{RECORD_SELECT} {filter} ORDER BY r.id DESC LIMIT ?6 OFFSET ?7"),
                params![kind, status, team, owner, day, page.limit, page.offset],
                record_from,
            )?;
            Ok(Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }

    pub fn record_events(&self, id: i64) -> Result<Vec<RecordEvent>> {
        self.db.read(|c| {
            Ok(c.query_map("SELECT id, at, username, action, note FROM record_events WHERE record_id = ?1 ORDER BY id", [id], |r| {
                Ok(RecordEvent { id: r.get(0)?, at: r.get(1)?, username: r.get(2)?, action: r.get(3)?, note: r.get(4)? })
            })?)
        })
    }

    /// Adds an event: `forwarded` fulfils the forward obligations, `replied`
    /// the reply ones, `sent` the daily log; `closed` only when nothing owed
    /// to the customer or the assigner is still open (回复制).
    pub fn record_event(&self, id: i64, action: &str, note: &str, user: &User) -> Result<RecordRow> {
        self.record_event_by(id, action, note, Some(user))
    }

    /// The same, done by kefu itself (the daily log sent at the close of work).
    pub fn record_event_system(&self, id: i64, action: &str, note: &str) -> Result<RecordRow> {
        self.record_event_by(id, action, note, None)
    }

    fn record_event_by(&self, id: i64, action: &str, note: &str, user: Option<&User>) -> Result<RecordRow> {
        self.db.write(|tx| {
            let status = open_status(tx, id)?;
            let at = now();
            if action == "closed" {
                let open: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM obligations WHERE record_id = ?1 AND done_at IS NULL AND kind IN ('reply', 'walkin_reply', 'task_reply', 'forward', 'record_after_urgent')",
                    [id],
                    |r| r.get(0),
                )?;
                if open > 0 {
                    return Err(StoreError::Conflict("还有未完成的回复或发送义务（回复制：完成后须先回复），不能关闭".into()));
                }
            }
            for kind in fulfilled_by(action) {
                tx.execute("UPDATE obligations SET done_at = ?1 WHERE record_id = ?2 AND kind = ?3 AND done_at IS NULL", params![at, id, kind])?;
            }
            let new_status = match action {
                "forwarded" if status == "open" => "forwarded",
                "replied" => "replied",
                "closed" => "closed",
                _ => status.as_str(),
            };
            tx.execute("UPDATE records SET status = ?1, updated_at = ?2 WHERE id = ?3", params![new_status, at, id])?;
            tx.execute(
                "INSERT INTO record_events (record_id, at, user_id, username, action, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, at, user.map(|u| u.id), user.map_or("kefu", |u| u.username.as_str()), action, note],
            )?;
            Ok(record_by_id(tx, id)?)
        })
    }

    /// Daily logs not yet sent whose deadline is before `before_utc`, and
    /// whose automatic sending has not already failed once.
    pub fn unsent_daily_logs(&self, before_utc: i64) -> Result<Vec<(i64, RecordRow)>> {
        self.db.read(|c| {
            let ids = c.query_map(
                "SELECT o.id, o.record_id FROM obligations o WHERE o.kind = 'daily_log' AND o.done_at IS NULL AND o.due_utc <= ?1
                 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.kind = 'mail_failed' AND n.obligation_id = o.id) ORDER BY o.id LIMIT 100",
                [before_utc],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?;
            let mut out = Vec::new();
            for (o, r) in ids {
                if let Some(row) = record_by_id(c, r).optional()? {
                    out.push((o, row));
                }
            }
            Ok(out)
        })
    }

    pub fn notify_once(&self, user_id: i64, team: &str, kind: &str, obligation_id: i64, message: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "INSERT INTO notifications (at, user_id, team, kind, obligation_id, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![now(), user_id, team, kind, obligation_id, message],
            )?;
            Ok(())
        })
    }

    /// Obligations (open ones first by deadline, then the rest newest first), with their state at `now_utc`.
    pub fn obligations(&self, record: Option<i64>, team: Option<&str>, owner: Option<i64>, only_open: bool, now_utc: i64) -> Result<Vec<ObligationRow>> {
        Ok(self.obligations_page(record, team, owner, only_open, now_utc, Page::ALL)?.items)
    }

    /// One page of obligations and their total.
    pub fn obligations_page(&self, record: Option<i64>, team: Option<&str>, owner: Option<i64>, only_open: bool, now_utc: i64, page: Page) -> Result<Paged<ObligationRow>> {
        let filter = "WHERE (CAST(?1 AS BIGINT) IS NULL OR o.record_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR r.team = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR o.owner_id = ?3) AND (?4 = 0 OR o.done_at IS NULL)";
        self.db.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM obligations o JOIN records r ON r.id = o.record_id {filter}"),
                params![record, team, owner, only_open],
                |r| r.get(0),
            )?;
            let mut items = c.query_map(
                &format!("{OBLIGATION_SELECT} {filter} ORDER BY CASE WHEN o.done_at IS NULL THEN 0 ELSE 1 END, o.due_utc, o.id LIMIT ?5 OFFSET ?6"),
                params![record, team, owner, only_open, page.limit, page.offset],
                obligation_from,
            )?;
            for o in &mut items {
                o.state = state_of(o, now_utc).to_string();
            }
            Ok(Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }

    /// Marks warnings and escalations due at `now_utc` and records a
    /// notification for each (once); returns the new notifications.
    pub fn sweep_obligations(&self, now_utc: i64) -> Result<Vec<(String, ObligationRow)>> {
        self.db.write(|tx| {
            let at = now();
            let due = tx.query_map(
                &format!("{OBLIGATION_SELECT} WHERE o.done_at IS NULL AND ((o.warned_at IS NULL AND o.warn_utc <= ?1) OR (o.escalated_at IS NULL AND o.due_utc < ?1)) ORDER BY o.id"),
                [now_utc],
                obligation_from,
            )?;
            let mut out = Vec::new();
            for mut o in due {
                let (kind, set) = if now_utc > o.due_utc {
                    // An escalation implies the warning.
                    ("escalation", "escalated_at = ?1, warned_at = COALESCE(warned_at, ?1)")
                } else {
                    ("warning", "warned_at = ?1")
                };
                tx.execute(&format!("UPDATE obligations SET {set} WHERE id = ?2"), params![at, o.id])?;
                let what = kefu_core::desk::ObligationKind::parse(&o.kind).map_or(o.kind.as_str(), |k| k.name());
                let message = if kind == "escalation" {
                    format!("已超时：{} 的记录 #{} 应于 {} 前完成（{what}）", o.owner_name, o.record_id, o.due_at)
                } else {
                    format!("即将到期：记录 #{} 应于 {} 前完成（{what}）", o.record_id, o.due_at)
                };
                tx.execute(
                    "INSERT INTO notifications (at, user_id, team, kind, obligation_id, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                    params![at, o.owner_id, o.team, kind, o.id, message],
                )?;
                o.state = state_of(&o, now_utc).to_string();
                out.push((kind.to_string(), o));
            }
            Ok(out)
        })
    }

    /// Notifications for a user: their own warnings, and for supervisors the escalations of their team.
    pub fn notifications(&self, user_id: i64, team: Option<&str>, all: bool, page: Page) -> Result<Paged<Notification>> {
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM notifications n {NOTIFICATION_SCOPE}"), params![user_id, team, all], |r| r.get(0))?;
            let items = c.query_map(
                &format!(
                    "SELECT n.id, n.at, n.kind, n.obligation_id, n.message, n.link, EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = ?1)
                     FROM notifications n {NOTIFICATION_SCOPE} ORDER BY n.id DESC LIMIT ?4 OFFSET ?5"
                ),
                params![user_id, team, all, page.limit, page.offset],
                |r| Ok(Notification { id: r.get(0)?, at: r.get(1)?, kind: r.get(2)?, obligation_id: r.get(3)?, message: r.get(4)?, link: r.get(5)?, read: r.get(6)? }),
            )?;
            Ok(Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }

    /// How many notifications in the caller's view they have not read (the bell's count).
    pub fn unread_notifications(&self, user_id: i64, team: Option<&str>, all: bool) -> Result<u64> {
        self.db.read(|c| {
            let n: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM notifications n {NOTIFICATION_SCOPE} AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = ?1)"),
                params![user_id, team, all],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Marks notifications in the caller's view read for them: the ones
    /// named, or all of them. The number newly marked.
    pub fn mark_notifications_read(&self, user_id: i64, team: Option<&str>, all: bool, ids: Option<&[i64]>) -> Result<u64> {
        let ids: Option<String> = ids.map(|ids| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        self.db.write(|c| {
            let only = match &ids {
                Some(list) if list.is_empty() => return Ok(0),
                // Numbers joined from i64s: nothing a caller typed reaches the SQL text.
                Some(list) => format!(" AND n.id IN ({list})"),
                None => String::new(),
            };
            let n = c.execute(
                &format!("INSERT INTO notification_reads (notification_id, user_id, at) SELECT n.id, ?1, ?4 FROM notifications n {NOTIFICATION_SCOPE}{only} ON CONFLICT DO NOTHING"),
                params![user_id, team, all, now()],
            )?;
            Ok(n as u64)
        })
    }

    /// A notification for one person about something that happened (an appeal decided).
    pub fn notify(&self, user_id: i64, team: &str, kind: &str, link: &str, message: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute("INSERT INTO notifications (at, user_id, team, kind, message, link) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", params![now(), user_id, team, kind, message, link])?;
            Ok(())
        })
    }

    // ——— holiday years ———

    pub fn calendar_years(&self) -> Result<Vec<(i32, String)>> {
        self.db.read(|c| Ok(c.query_map("SELECT year, text FROM calendar_years ORDER BY year", (), |r| Ok((r.get(0)?, r.get(1)?)))?))
    }

    pub fn import_calendar_year(&self, year: i32, text: &str, user: &User) -> Result<()> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO calendar_years (year, text, imported_by, imported_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (year) DO UPDATE SET text = excluded.text, imported_by = excluded.imported_by, imported_at = excluded.imported_at",
                params![year, text, user.id, now()],
            )?;
            crate::audit::audit_in(tx, Some(user), "calendar.import", &format!("{year}"), &format!("{} 字节", text.len()))?;
            tx.notify_change("calendar")?;
            Ok(())
        })
    }

    /// What identifies the imported holiday years as they stand (how many,
    /// and the last import): an instance whose engine was built on another
    /// fingerprint rebuilds it.
    pub fn calendar_fingerprint(&self) -> Result<String> {
        self.db.read(|c| {
            Ok(c.query_row("SELECT COUNT(*), MAX(imported_at) FROM calendar_years", (), |r| {
                Ok(format!("{}:{}", r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))
            })?)
        })
    }
}
