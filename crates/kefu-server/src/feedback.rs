//! The feedback loop of the semantic layer and the rules: an agent or a
//! supervisor marks a live-assist hit or a scorecard's evidence as a false
//! alarm, or a turn as a missed violation; each mark is stored with who and
//! when, listed for review, and exported as labelled JSON Lines in the lint
//! format that `kefu eval --lint` reads — so a centre's own data measures
//! (and later trains) its rulebook and model. Each mark records the rulebook
//! version and the model version it was made against.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::store::{now, Page, Paged, Store};
use crate::AppState;

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    username TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('false_alarm', 'missed')),
    text TEXT NOT NULL,
    rule TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    conversation_id TEXT,
    turn INTEGER,
    note TEXT NOT NULL DEFAULT '',
    rulebook_version INTEGER NOT NULL,
    model_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_team ON feedback(team, id);
"#;

#[derive(Debug, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Feedback> {
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
    pub fn add_feedback(&self, f: &NewFeedback, user: &crate::store::User, rulebook_version: i64, model_version: &str) -> crate::store::Result<Feedback> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO feedback (at, user_id, username, team, kind, text, rule, category, conversation_id, turn, note, rulebook_version, model_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![now(), user.id, user.username, user.team, f.kind, f.text, f.rule, f.category, f.conversation_id, f.turn, f.note, rulebook_version, model_version],
        )?;
        let id = conn.last_insert_rowid();
        Ok(conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], from_row)?)
    }

    /// Feedback newest first; `team` narrows to a team's, `user` to one person's.
    pub fn feedback(&self, team: Option<&str>, user: Option<i64>, page: Page) -> crate::store::Result<Paged<Feedback>> {
        let conn = self.conn();
        let filter = "WHERE (?1 IS NULL OR team = ?1) AND (?2 IS NULL OR user_id = ?2)";
        let total: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM feedback {filter}"), params![team, user], |r| r.get(0))?;
        let mut st = conn.prepare(&format!("{SELECT} {filter} ORDER BY id DESC LIMIT ?3 OFFSET ?4"))?;
        let items = st.query_map(params![team, user, i64::from(page.limit), i64::from(page.offset)], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Paged { total: total.max(0) as u64, items })
    }
}

#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = NewFeedback,
    responses((status = 201, body = Feedback), (status = 400, body = crate::error::ErrorBody)))]
/// Marks a hit as a false alarm or a turn as a missed violation (any role).
pub async fn create(auth: Auth, State(state): State<AppState>, ApiJson(f): ApiJson<NewFeedback>) -> Result<(StatusCode, Json<Feedback>), ApiError> {
    let bad = |field: &str, m: &str| ApiError::bad_request("invalid_field", m.to_string()).with_field(field);
    if f.kind != "false_alarm" && f.kind != "missed" {
        return Err(bad("kind", "kind 应为 false_alarm（误报）或 missed（漏报）"));
    }
    let chars = f.text.chars().count();
    if chars == 0 || chars > state.limits().max_text_chars {
        return Err(bad("text", "text 不能为空，也不能超过每段文字的字符上限"));
    }
    let current = state.current();
    let book = &current.engine.rulebook;
    if f.kind == "missed" && !book.categories.iter().any(|c| c.id == f.category) {
        return Err(bad("category", "漏报须写明类别（category），且为规则库中的类别"));
    }
    if !f.category.is_empty() && !book.categories.iter().any(|c| c.id == f.category) {
        return Err(bad("category", "category 不是规则库中的类别"));
    }
    if f.rule.chars().count() > 200 || f.note.chars().count() > 2_000 {
        return Err(bad("note", "rule 最多 200 字符，note 最多 2000 字"));
    }
    let model = current.engine.semantic().map(|l| l.agent.header.version.clone()).unwrap_or_default();
    let (store, user, version) = (state.store.clone(), auth.user.clone(), current.version);
    let saved = tokio::task::spawn_blocking(move || store.add_feedback(&f, &user, version, &model)).await??;
    tracing::info!(target: "kefu::audit", user = %auth.user.username, kind = %saved.kind, "feedback");
    Ok((StatusCode::CREATED, Json(saved)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedbackQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackQuery), responses((status = 200, body = Vec<Feedback>)))]
/// The marks for review: an agent's own, a supervisor's team's, all for admins (X-Total-Count).
pub async fn list(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<FeedbackQuery>) -> Result<Response, ApiError> {
    let page = crate::page::requested(q.limit, q.offset)?;
    // Agents see their own marks, supervisors their team's, admins all.
    let (team, user) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let list = tokio::task::spawn_blocking(move || store.feedback(team.as_deref(), user, page)).await??;
    Ok(crate::page::respond(list, page))
}

/// One exported line: the lint format of `kefu eval --lint`, with provenance.
#[derive(Serialize)]
struct Exported<'a> {
    text: &'a str,
    violation: bool,
    categories: Vec<&'a str>,
    source: &'static str,
    kind: &'a str,
    rule: &'a str,
    by: &'a str,
    at: &'a str,
    rulebook_version: i64,
    model_version: &'a str,
}

#[utoipa::path(get, path = "/api/v1/feedback/export.jsonl", tag = "feedback", responses((status = 200, description = "labelled JSON Lines (text, violation, categories) that kefu eval --lint reads")))]
/// The marks as labelled examples: a false alarm is a clean utterance, a
/// missed violation one of its category (supervisors: their team's; admins: all).
pub async fn export(auth: Auth, State(state): State<AppState>) -> Result<Response, ApiError> {
    auth.require(Role::Supervisor)?;
    let (team, user) = crate::desk::scope(&auth);
    let store = state.store.clone();
    let all = tokio::task::spawn_blocking(move || store.feedback(team.as_deref(), user, Page::ALL)).await??;
    let mut body = String::new();
    for f in &all.items {
        let line = Exported {
            text: &f.text,
            violation: f.kind == "missed",
            categories: if f.kind == "missed" { vec![f.category.as_str()] } else { Vec::new() },
            source: "feedback",
            kind: &f.kind,
            rule: &f.rule,
            by: &f.username,
            at: &f.at,
            rulebook_version: f.rulebook_version,
            model_version: &f.model_version,
        };
        body.push_str(&serde_json::to_string(&line).map_err(|e| ApiError::internal(e.to_string()))?);
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"feedback.jsonl\"")], body).into_response())
}
