//! Attendance (考勤, 02 §考勤): clock-ins (the first of a day counts) and
//! requests — advance notices, outings, make-up leave (调休), overtime — with
//! their approval.

use serde::Serialize;

use crate::user::User;
use crate::db::{params, DbResult, OptionalExt, Row};
use crate::clock::now;
use crate::error::{Result, StoreError};
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceRequest {
    pub id: i64,
    pub user_id: i64,
    /// notice | outing | makeup | overtime
    pub kind: String,
    pub day: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    pub requested_at: String,
    pub approved_by: Option<i64>,
    pub approved_at: Option<String>,
}

fn request_from(r: &Row) -> DbResult<AttendanceRequest> {
    let detail: String = r.get(4)?;
    Ok(AttendanceRequest {
        id: r.get(0)?,
        user_id: r.get(1)?,
        kind: r.get(2)?,
        day: r.get(3)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        requested_at: r.get(5)?,
        approved_by: r.get(6)?,
        approved_at: r.get(7)?,
    })
}

/// A request as a supervisor's list shows it: with whose it is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedRequest {
    #[serde(flatten)]
    pub request: AttendanceRequest,
    pub username: String,
    pub display_name: String,
    pub team: String,
}

/// A person's clock-ins of a month as `(day, HH:MM)`.
pub type ClockIns = Vec<(String, String)>;

const REQUEST_SELECT: &str = "SELECT id, user_id, kind, day, detail, requested_at, approved_by, approved_at FROM attendance_requests";

impl Store {
    /// Records a clock-in; `false` when the day already has one (the first counts).
    pub fn put_clock_in(&self, user_id: i64, day: &str, time: &str, by: i64) -> Result<bool> {
        self.db.write(|c| {
            let n = c.execute(
                "INSERT INTO clock_ins (user_id, day, time, recorded_by) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![user_id, day, time, by],
            )?;
            Ok(n == 1)
        })
    }

    pub fn add_attendance_request(&self, user_id: i64, kind: &str, day: &str, detail: &serde_json::Value) -> Result<AttendanceRequest> {
        let detail = detail.to_string();
        self.db.write(|c| {
            let id: i64 = c.query_row(
                "INSERT INTO attendance_requests (user_id, kind, day, detail, requested_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![user_id, kind, day, detail, now()],
                |r| r.get(0),
            )?;
            Ok(c.query_row(&format!("{REQUEST_SELECT} WHERE id = ?1"), [id], request_from)?)
        })
    }

    pub fn attendance_request(&self, id: i64) -> Result<Option<AttendanceRequest>> {
        self.db.read(|c| Ok(c.query_row(&format!("{REQUEST_SELECT} WHERE id = ?1"), [id], request_from).optional()?))
    }

    pub fn approve_attendance_request(&self, id: i64, by: &User) -> Result<AttendanceRequest> {
        self.db.write(|tx| {
            let n = tx.execute("UPDATE attendance_requests SET approved_by = ?1, approved_at = ?2 WHERE id = ?3 AND approved_at IS NULL", params![by.id, now(), id])?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("申请 {id} 不存在或已批准")));
            }
            crate::audit::audit_in(tx, Some(by), "attendance.approve", &format!("request {id}"), "")?;
            Ok(tx.query_row(&format!("{REQUEST_SELECT} WHERE id = ?1"), [id], request_from)?)
        })
    }

    /// A person's month (`YYYY-MM`): their clock-ins and their requests.
    pub fn attendance_month(&self, user_id: i64, month: &str) -> Result<(ClockIns, Vec<AttendanceRequest>)> {
        let prefix = format!("{month}-%");
        self.db.read(|c| {
            let clock = c.query_map("SELECT day, time FROM clock_ins WHERE user_id = ?1 AND day LIKE ?2 ORDER BY day", params![user_id, prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let requests = c.query_map(&format!("{REQUEST_SELECT} WHERE user_id = ?1 AND day LIKE ?2 ORDER BY day, id"), params![user_id, prefix], request_from)?;
            Ok((clock, requests))
        })
    }

    /// Requests newest first: a team's (`team`), one person's (`user_id`) or
    /// all; only those not yet approved when `pending`.
    pub fn attendance_requests(&self, team: Option<&str>, user_id: Option<i64>, pending: bool, page: crate::Page) -> Result<crate::Paged<ListedRequest>> {
        let filter = "FROM attendance_requests a JOIN users u ON u.id = a.user_id
             WHERE (CAST(?1 AS TEXT) IS NULL OR u.team = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR a.user_id = ?2) AND (?3 = 0 OR a.approved_at IS NULL)";
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) {filter}"), params![team, user_id, pending], |r| r.get(0))?;
            let items = c.query_map(
                &format!("SELECT a.id, a.user_id, a.kind, a.day, a.detail, a.requested_at, a.approved_by, a.approved_at, u.username, u.display_name, u.team {filter} ORDER BY a.id DESC LIMIT ?4 OFFSET ?5"),
                params![team, user_id, pending, page.limit, page.offset],
                |r| Ok(ListedRequest { request: request_from(r)?, username: r.get(8)?, display_name: r.get(9)?, team: r.get(10)? }),
            )?;
            Ok(crate::Paged { total: u64::try_from(total).unwrap_or(0), items })
        })
    }

    /// An active account by its username.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(self.credentials(username)?.map(|(u, _)| u))
    }
}
