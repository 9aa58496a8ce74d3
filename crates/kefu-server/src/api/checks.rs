//! The check editor's server side: a file of checks written as data is
//! validated as it is typed, and previewed on the last stored conversations
//! before it is saved (saving is the rulebook's file edit, a new version).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Auth, Role};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use kefu_core::inspect::Outcome;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    /// Where it would live, under `inspection/` (e.g. `inspection/bank.toml`).
    pub path: String,
    /// The file's TOML text.
    pub text: String,
    /// Preview: how many of the newest stored conversations (in the caller's scope) to run it on; default 200, at most 2,000.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckSummary {
    pub id: String,
    pub name: String,
    pub points: u32,
    pub veto: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Validation {
    pub ok: bool,
    /// `file:line: [id] what`, in Chinese.
    pub errors: Vec<String>,
    /// The file's checks, when it is valid.
    pub checks: Vec<CheckSummary>,
}

/// The rulebook in use with the checks file `path` replaced (or added) by `text`.
fn with_file(state: &AppState, path: &str, text: &str) -> Result<Vec<(String, String)>, ApiError> {
    if !path.starts_with("inspection/") || !path.ends_with(".toml") || path.contains("..") || path == "inspection/cues.toml" {
        return Err(ApiError::invalid_field("invalid_path", "path", "检查项文件应放在 inspection/ 下、以 .toml 结尾（cues.toml 除外）"));
    }
    Ok(super::rulebook::with_file(&state.current().files, path, text).0)
}

#[utoipa::path(post, path = "/api/v1/checks/validate", tag = "checks", request_body = CheckFile, responses((status = 200, body = Validation), (status = 403, body = crate::error::ErrorBody)))]
/// Validates a file of checks with the rulebook in use (supervisors and admins); nothing is saved.
pub async fn validate(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<CheckFile>) -> Result<Json<Validation>, ApiError> {
    auth.require(Role::Supervisor)?;
    let files = with_file(&state, &req.path, &req.text)?;
    let own = kefu_core::custom_check::ids_in_file(&req.text);
    let result = state.run_heavy(move || kefu_core::rulebook::Rulebook::from_files(&files)).await?;
    Ok(Json(match result {
        Ok(book) => Validation {
            ok: true,
            errors: Vec::new(),
            checks: book.checks.iter().filter(|c| own.contains(&c.id)).map(|c| CheckSummary { id: c.id.clone(), name: c.name.clone(), points: c.points, veto: c.veto }).collect(),
        },
        Err(errors) => Validation { ok: false, errors: errors.iter().map(ToString::to_string).collect(), checks: Vec::new() },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Example {
    pub conversation_id: String,
    pub agent: String,
    pub started_at: Option<String>,
    /// The evidence of a failure (turn, quoted text, note).
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<kefu_core::inspect::Evidence>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckPreview {
    pub id: String,
    pub name: String,
    pub fail: usize,
    pub pass: usize,
    pub not_applicable: usize,
    /// Up to five conversations of each outcome.
    pub failed: Vec<Example>,
    pub passed: Vec<Example>,
    pub not_applicable_examples: Vec<Example>,
}

#[derive(Serialize, ToSchema)]
pub struct Preview {
    /// How many stored conversations it ran on (the newest in the caller's scope).
    pub conversations: usize,
    pub checks: Vec<CheckPreview>,
}

#[utoipa::path(post, path = "/api/v1/checks/preview", tag = "checks", request_body = CheckFile,
    responses((status = 200, body = Preview), (status = 422, description = "the file does not validate (the errors)", body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Runs a file's checks over the newest stored conversations the caller may
/// see, before it is saved: how many would fail, pass or not apply, and five
/// examples of each with evidence (supervisors and admins; nothing is saved).
pub async fn preview(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<CheckFile>) -> Result<Json<Preview>, ApiError> {
    auth.require(Role::Supervisor)?;
    let limit = req.limit.unwrap_or(200).clamp(1, 2_000);
    let files = with_file(&state, &req.path, &req.text)?;
    let own = kefu_core::custom_check::ids_in_file(&req.text);
    let calendar = state.current().engine.calendar.clone();
    let engine = state
        .run_heavy(move || crate::state::build_engine(&files, &calendar, false))
        .await?
        .map_err(|errors| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_rulebook", errors.join("\n")))?;
    let search = super::conversations::scoped(&auth, super::conversations::SearchParams { limit: Some(limit), ..Default::default() })?;
    let Some(mut search) = search else { return Ok(Json(Preview { conversations: 0, checks: Vec::new() })) };
    search.limit = limit;
    let store = state.store.clone();
    let limits = state.limits().engine();
    let preview = state
        .run_heavy(move || {
            let (_, rows) = store.search(&search)?;
            let mut out: Vec<CheckPreview> = engine
                .rulebook
                .checks
                .iter()
                .filter(|c| own.contains(&c.id))
                .map(|c| CheckPreview { id: c.id.clone(), name: c.name.clone(), fail: 0, pass: 0, not_applicable: 0, failed: Vec::new(), passed: Vec::new(), not_applicable_examples: Vec::new() })
                .collect();
            let mut seen = 0;
            for row in rows {
                let Some((row, conv, _)) = store.conversation(&row.id)? else { continue };
                seen += 1;
                let card = engine.inspect_with(&conv, &limits);
                for p in &mut out {
                    let Some(result) = card.checks.iter().find(|c| c.id == p.id) else { continue };
                    let example = || Example { conversation_id: row.id.clone(), agent: row.agent.clone(), started_at: row.started_at.clone(), evidence: result.evidence.clone() };
                    let (count, examples) = match result.result {
                        Outcome::Fail => (&mut p.fail, &mut p.failed),
                        Outcome::Pass => (&mut p.pass, &mut p.passed),
                        Outcome::NotApplicable => (&mut p.not_applicable, &mut p.not_applicable_examples),
                    };
                    *count += 1;
                    if examples.len() < 5 {
                        examples.push(example());
                    }
                }
            }
            Ok::<_, kefu_store::StoreError>(Preview { conversations: seen, checks: out })
        })
        .await??;
    Ok(Json(preview))
}
