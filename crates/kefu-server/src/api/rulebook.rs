//! The rulebook over HTTP: browse rules, view and edit rulebook files with
//! validation (the whole rulebook must compile and every example pass before
//! a change is accepted), versions, and the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_core::rulebook::Rule;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use kefu_store::{AuditEntry, RulebookVersion};
use crate::{build_engine, AppState, Current};

#[derive(Serialize, ToSchema)]
pub struct RuleSummary {
    pub id: String,
    pub category: String,
    pub category_name: String,
    pub severity: String,
    pub message: String,
    pub suggestion: String,
    pub source: String,
    pub file: String,
    pub line: usize,
    pub bad: Vec<String>,
    pub good: Vec<String>,
    pub patterns: Vec<String>,
    pub exceptions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RulebookSummary {
    pub version: i64,
    pub name: String,
    pub rulebook_version: String,
    pub categories: Vec<CategoryOut>,
    pub rules: Vec<RuleSummary>,
    pub scenarios: usize,
    pub phrases: usize,
    pub procedures: usize,
    /// Every procedure (ordered steps with timings) by id and name.
    pub procedure_list: Vec<ProcedureRef>,
    /// Every scenario's id and Chinese name (`other` included when the rulebook has it).
    pub scenario_list: Vec<ProcedureRef>,
    pub checks: usize,
    /// The inspection checks by id, with their names, points and veto marks.
    pub check_list: Vec<CheckRef>,
    pub files: Vec<String>,
    /// The semantic layer's model versions (agent, customer), empty when off.
    pub model_versions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckRef {
    pub id: String,
    pub name: String,
    pub points: u32,
    pub veto: bool,
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProcedureRef {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryOut {
    pub id: String,
    pub name: String,
    pub rules: usize,
}

fn summary(rule: &Rule, category_name: &str, file: &str, line: usize) -> RuleSummary {
    RuleSummary {
        id: rule.id.clone(),
        category: rule.category.clone(),
        category_name: category_name.to_string(),
        severity: rule.severity.as_str().to_string(),
        message: rule.message.clone(),
        suggestion: rule.suggestion.clone(),
        source: rule.source.clone(),
        file: file.to_string(),
        line,
        bad: rule.bad.clone(),
        good: rule.good.clone(),
        patterns: rule.patterns.clone(),
        exceptions: rule.exceptions.clone(),
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleFilter {
    /// Only this category (command, blame, shirk, …).
    pub category: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/rulebook", tag = "rulebook", params(RuleFilter), responses((status = 200, body = RulebookSummary)))]
/// The rulebook in use: categories and forbidden-phrase rules with their sources and examples.
pub async fn overview(_auth: Auth, State(state): State<AppState>, ApiQuery(f): ApiQuery<RuleFilter>) -> Json<RulebookSummary> {
    let current = state.current();
    let book = &current.engine.rulebook;
    let name_of = |id: &str| book.category(id).map_or(String::new(), |c| c.name.clone());
    let rules = book
        .rules
        .iter()
        .zip(&book.rule_origins)
        .filter(|(r, _)| f.category.as_deref().is_none_or(|c| r.category == c))
        .map(|(r, o)| summary(r, &name_of(&r.category), &o.file, o.line))
        .collect();
    Json(RulebookSummary {
        version: current.version,
        name: book.header.name.clone(),
        rulebook_version: book.header.version.clone(),
        model_versions: current.engine.semantic().map(|l| vec![l.agent.header.version.clone(), l.customer.header.version.clone()]).unwrap_or_default(),
        categories: book.categories.iter().map(|c| CategoryOut { id: c.id.clone(), name: c.name.clone(), rules: book.rules.iter().filter(|r| r.category == c.id).count() }).collect(),
        rules,
        scenarios: book.scenarios.len(),
        phrases: book.phrases.len(),
        procedures: book.procedures.len(),
        procedure_list: book.procedures.iter().map(|p| ProcedureRef { id: p.id.clone(), name: p.name.clone() }).collect(),
        scenario_list: book.scenarios.iter().map(|s| ProcedureRef { id: s.id.clone(), name: s.name.clone() }).collect(),
        checks: book.checks.len(),
        check_list: book.checks.iter().map(|c| CheckRef { id: c.id.clone(), name: c.name.clone(), points: c.points, veto: c.veto, source: c.source.clone() }).collect(),
        files: current.files.iter().map(|(p, _)| p.clone()).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/rulebook/rules/{id}", tag = "rulebook", params(("id" = String, Path)),
    responses((status = 200, body = RuleSummary), (status = 404, body = crate::error::ErrorBody)))]
/// One rule.
pub async fn rule(_auth: Auth, State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<RuleSummary>, ApiError> {
    let current = state.current();
    let book = &current.engine.rulebook;
    let (r, o) = book.rules.iter().zip(&book.rule_origins).find(|(r, _)| r.id == id).ok_or_else(|| ApiError::not_found(format!("规则 {id} 不存在")))?;
    let name = book.category(&r.category).map_or(String::new(), |c| c.name.clone());
    Ok(Json(summary(r, &name, &o.file, o.line)))
}

#[derive(Serialize, ToSchema)]
pub struct RulebookFile {
    pub version: i64,
    pub path: String,
    pub text: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// The file's path in the rulebook, e.g. `forbidden/shirk.toml`.
    pub path: String,
    /// An earlier version's text (default: the version in use).
    pub version: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/rulebook/file", tag = "rulebook", params(FileQuery),
    responses((status = 200, body = RulebookFile), (status = 404, body = crate::error::ErrorBody)))]
/// The TOML text of one rulebook file (supervisors and admins).
pub async fn file(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<FileQuery>) -> Result<Json<RulebookFile>, ApiError> {
    auth.require(Role::Supervisor)?;
    let current = state.current();
    let (version, files) = match q.version.filter(|v| *v != current.version) {
        None => (current.version, current.files.as_ref().clone()),
        Some(v) => {
            let store = state.store.clone();
            (v, tokio::task::spawn_blocking(move || store.rulebook_at(v)).await??.ok_or_else(|| ApiError::not_found(format!("没有规则库版本 v{v}")))?)
        }
    };
    let (path, text) = files.into_iter().find(|(p, _)| *p == q.path).ok_or_else(|| ApiError::not_found(format!("规则库 v{version} 中没有文件 {}", q.path)))?;
    Ok(Json(RulebookFile { version, path, text }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileEdit {
    pub path: String,
    /// The new TOML text of the file.
    pub text: String,
    /// The version this edit was made against; a stale edit is refused (409).
    pub base_version: i64,
    #[serde(default)]
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct EditResult {
    pub version: i64,
}

#[utoipa::path(put, path = "/api/v1/rulebook/file", tag = "rulebook", request_body = FileEdit,
    responses((status = 200, body = EditResult), (status = 409, body = crate::error::ErrorBody), (status = 422, description = "the rulebook would be invalid: file:line, rule id and what is wrong", body = crate::error::ErrorBody)))]
/// Replaces one rulebook file (admins). The whole rulebook is validated and
/// every example run; only then is it saved as a new version, put in use and
/// written to the audit log.
pub async fn edit(auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<FileEdit>) -> Result<Json<EditResult>, ApiError> {
    auth.require(Role::Admin)?;
    if !kefu_core::rulebook::is_rulebook_file(&req.path) || req.path.contains("..") {
        return Err(ApiError::bad_request("invalid_field", format!("{} 不是规则库文件（应为 .toml，不在 calendar/ 下）", req.path)));
    }
    let current = state.current();
    if req.base_version != current.version {
        return Err(ApiError::conflict(format!("规则库已更新到 v{}，请在最新版本上修改", current.version)));
    }
    let (files, old) = with_file(&current.files, &req.path, &req.text);
    if old == req.text {
        return Ok(Json(EditResult { version: current.version }));
    }
    let detail = format!("{}: {} → {} 字节{}", req.path, old.len(), req.text.len(), if req.comment.is_empty() { String::new() } else { format!("；{}", req.comment) });
    let comment = if req.comment.is_empty() { format!("修改 {}", req.path) } else { req.comment.clone() };
    let version = save_files(&state, &auth, files, comment, detail).await?;
    tracing::info!(target: "kefu::audit", user = %auth.user.username, version, path = %req.path, "rulebook updated");
    Ok(Json(EditResult { version }))
}

/// The rulebook's files with `path` replaced by `text` (added, in order, when
/// it is new), and the file's text before ("" for a new file).
pub(crate) fn with_file(files: &[(String, String)], path: &str, text: &str) -> (Vec<(String, String)>, String) {
    let mut files = files.to_vec();
    let old = match files.iter_mut().find(|(p, _)| p == path) {
        Some(slot) => std::mem::replace(&mut slot.1, text.to_string()),
        None => {
            files.push((path.to_string(), text.to_string()));
            files.sort();
            String::new()
        }
    };
    (files, old)
}

/// Validates a whole rulebook (every example run), saves it as a new
/// version with its audit entry and puts it in use: the one way every edit,
/// addition and rollback goes.
async fn save_files(state: &AppState, auth: &Auth, files: Vec<(String, String)>, comment: String, detail: String) -> Result<i64, ApiError> {
    let current = state.current();
    let calendar = current.engine.calendar.clone();
    let built = {
        let files = files.clone();
        state.run_heavy(move || build_engine(&files, &calendar, true)).await?
    };
    let engine = built.map_err(|errors| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rulebook", errors.join("\n")))?;
    let store = state.store.clone();
    let user = auth.user.clone();
    // The model versions in force go on the record with the edit.
    let models = engine.semantic().map(|l| format!("；模型 {} / {}", l.agent.header.version, l.customer.header.version)).unwrap_or_default();
    let detail = format!("{detail}{models}");
    let saved_files = files.clone();
    let version = tokio::task::spawn_blocking(move || store.save_rulebook(&saved_files, Some(&user), &comment, &detail)).await??;
    state.install(Current { engine: std::sync::Arc::new(engine), version, files: std::sync::Arc::new(files) });
    Ok(version)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Addition {
    /// patterns (禁用说法) | exceptions (例外说法) | bad (违规示例) | good (合规示例)
    pub field: String,
    pub text: String,
    /// The version this addition was made against; a stale one is refused (409).
    pub base_version: i64,
    #[serde(default)]
    pub comment: String,
    /// Only show what the file would become (nothing is saved).
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AdditionResult {
    /// The version saved (the current one for a dry run).
    pub version: i64,
    pub path: String,
    /// The file's text before and after, for the diff shown before saving.
    pub before: String,
    pub after: String,
    pub saved: bool,
}

#[utoipa::path(post, path = "/api/v1/rulebook/rules/{id}/additions", tag = "rulebook", params(("id" = String, Path)), request_body = Addition,
    responses((status = 200, body = AdditionResult), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
/// Adds one phrase or example to a rule from a form (admins): the file keeps
/// its layout; the whole rulebook is validated (the new example must hold)
/// before it is saved as a new version. `dry_run` shows the change first.
pub async fn add_to_rule(auth: Auth, State(state): State<AppState>, Path(id): Path<String>, ApiJson(req): ApiJson<Addition>) -> Result<Json<AdditionResult>, ApiError> {
    auth.require(Role::Admin)?;
    let current = state.current();
    if req.base_version != current.version {
        return Err(ApiError::conflict(format!("规则库已更新到 v{}，请在最新版本上修改", current.version)));
    }
    let book = &current.engine.rulebook;
    let (_, origin) = book.rules.iter().zip(&book.rule_origins).find(|(r, _)| r.id == id).ok_or_else(|| ApiError::not_found(format!("规则 {id} 不存在")))?;
    let path = origin.file.clone();
    let before = current.files.iter().find(|(p, _)| *p == path).map(|(_, t)| t.clone()).ok_or_else(|| ApiError::not_found(format!("规则库中没有文件 {path}")))?;
    let after = kefu_core::rulebook_edit::add_to_rule(&before, &id, &req.field, &req.text).map_err(|e| ApiError::invalid_field("invalid_addition", "text", e))?;
    if req.dry_run {
        return Ok(Json(AdditionResult { version: current.version, path, before, after, saved: false }));
    }
    let (files, _) = with_file(&current.files, &path, &after);
    let label = kefu_core::rulebook_edit::ADDABLE.iter().find(|(f, _)| *f == req.field).map_or("", |(_, l)| *l);
    // Said for people (the rule by its category's name); the id goes in the audit detail.
    let category = book.rules.iter().find(|r| r.id == id).and_then(|r| book.category(&r.category)).map_or_else(String::new, |c| c.name.clone());
    let comment = if req.comment.trim().is_empty() { format!("给{category}规则添加{label}：{}", req.text.trim()) } else { req.comment.trim().to_string() };
    let detail = format!("{path}: {id}.{} += {}", req.field, req.text.trim());
    let version = save_files(&state, &auth, files, comment, detail).await?;
    Ok(Json(AdditionResult { version, path, before, after, saved: true }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    /// The version in use when the rollback was asked for; a stale one is refused (409).
    pub base_version: i64,
    #[serde(default)]
    pub comment: String,
}

#[utoipa::path(post, path = "/api/v1/rulebook/versions/{version}/restore", tag = "rulebook", params(("version" = i64, Path)), request_body = Restore,
    responses((status = 200, body = EditResult), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
/// Rolls the rulebook back to an earlier version (admins): its files become
/// a new version (history is never rewritten), validated like any edit.
pub async fn restore(auth: Auth, State(state): State<AppState>, Path(version): Path<i64>, ApiJson(req): ApiJson<Restore>) -> Result<Json<EditResult>, ApiError> {
    auth.require(Role::Admin)?;
    let current = state.current();
    if req.base_version != current.version {
        return Err(ApiError::conflict(format!("规则库已更新到 v{}，请在最新版本上操作", current.version)));
    }
    let store = state.store.clone();
    let files = tokio::task::spawn_blocking(move || store.rulebook_at(version)).await??.ok_or_else(|| ApiError::not_found(format!("没有规则库版本 v{version}")))?;
    if files == *current.files {
        return Ok(Json(EditResult { version: current.version }));
    }
    let comment = if req.comment.trim().is_empty() { format!("回滚到 v{version}") } else { format!("回滚到 v{version}：{}", req.comment.trim()) };
    let saved = save_files(&state, &auth, files, comment, format!("restore of v{version}")).await?;
    Ok(Json(EditResult { version: saved }))
}

#[utoipa::path(get, path = "/api/v1/rulebook/versions", tag = "rulebook", responses((status = 200, body = Vec<RulebookVersion>)))]
/// Every saved version of the rulebook (supervisors and admins).
pub async fn versions(auth: Auth, State(state): State<AppState>) -> Result<Json<Vec<RulebookVersion>>, ApiError> {
    auth.require(Role::Supervisor)?;
    let store = state.store.clone();
    Ok(Json(tokio::task::spawn_blocking(move || store.rulebook_versions()).await??))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "rulebook", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>)))]
/// The audit log: who changed what, when (admins).
pub async fn audit(auth: Auth, State(state): State<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    auth.require(Role::Admin)?;
    let store = state.store.clone();
    let limit = q.limit.unwrap_or(200).clamp(1, 5_000);
    Ok(Json(tokio::task::spawn_blocking(move || store.audit_log(limit)).await??))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryRequest {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/rulebook/try", tag = "rulebook", request_body = TryRequest, responses((status = 200, body = TryResponse)))]
/// Tries a sentence against the live rulebook: as an agent's words (lint) and as a customer's (scenario).
pub async fn try_sentence(_auth: Auth, State(state): State<AppState>, ApiJson(req): ApiJson<TryRequest>) -> Result<Json<TryResponse>, ApiError> {
    let limits = state.limits();
    super::engine::check_text(&req.text, &limits)?;
    let engine = state.engine();
    let ctx = kefu_core::reply::ReplyContext::new(crate::clock::now_shanghai());
    let (violations, classified) = state
        .run_heavy(move || {
            let (violations, _) = super::engine::lint_text(&engine, &req.text, limits.max_hits_per_turn);
            (violations, super::engine::classify_text(&engine, &req.text, &ctx))
        })
        .await?;
    Ok(Json(TryResponse { violations, scenario: classified.scenario, confidence: classified.confidence, reply: classified.reply }))
}

#[derive(Serialize, ToSchema)]
pub struct TryResponse {
    pub violations: Vec<super::engine::ViolationOut>,
    pub scenario: String,
    pub confidence: f64,
    pub reply: Option<String>,
}
