//! The scorecards of a search as an Excel workbook (the console's 导出
//! Excel): every row the caller's filters find, names not ids, a summary
//! sheet with the 合格率 at the centre's pass mark.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::conversations::{scoped, SearchParams};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use kefu_store::ConversationRow;

/// The most rows one export holds; a larger search says so instead of cutting silently.
pub const MAX_EXPORT_ROWS: u32 = 100_000;

#[utoipa::path(get, path = "/api/v1/conversations/export.xlsx", tag = "conversations", params(SearchParams),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 413, body = crate::error::ErrorBody)))]
/// Every scorecard the search finds (same filters and scope as the search; `limit`/`offset` ignored) as .xlsx.
pub async fn export(auth: Auth, State(state): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> Result<Response, ApiError> {
    let qa: crate::qa::QaSettings = state.json_setting(crate::qa::SETTINGS_KEY).await?;
    let rows = match scoped(&auth, p)? {
        None => Vec::new(),
        Some(mut search) => {
            search.limit = MAX_EXPORT_ROWS;
            search.offset = 0;
            let store = state.store.clone();
            let (total, rows) = tokio::task::spawn_blocking(move || store.search(&search)).await??;
            if total > u64::from(MAX_EXPORT_ROWS) {
                return Err(ApiError::too_large(format!("符合条件的会话有 {total} 个，一次最多导出 {MAX_EXPORT_ROWS} 个：请缩小日期范围或加筛选条件")));
            }
            rows
        }
    };
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    let agent_names: std::collections::HashMap<String, String> = users.into_iter().filter(|u| !u.agent_id.is_empty()).map(|u| (u.agent_id, u.display_name)).collect();
    let current = state.current();
    let check_name = |id: &str| current.engine.rulebook.checks.iter().find(|c| c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone());
    let bytes = workbook(&rows, qa.pass_mark, |a| agent_names.get(a).cloned().unwrap_or_else(|| a.to_string()), check_name).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, crate::api::spreadsheet::XLSX), (CONTENT_DISPOSITION, "attachment; filename=\"scorecards.xlsx\"")], bytes).into_response())
}

fn workbook(rows: &[ConversationRow], pass_mark: u32, agent_name: impl Fn(&str) -> String, check_name: impl Fn(&str) -> String) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#E8EEF8");
    let sheet = book.add_worksheet();
    sheet.set_name("评分卡")?;
    let columns = ["会话编号", "坐席", "坐席编号", "班组", "渠道", "开始时间", "得分", "原始得分", "一票否决", "合格", "不通过项"];
    for (c, title) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &header)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let started = r.started_at.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d %H:%M").to_string());
        sheet.write_string(row, 0, &r.id)?;
        sheet.write_string(row, 1, agent_name(&r.agent))?;
        sheet.write_string(row, 2, &r.agent)?;
        sheet.write_string(row, 3, &r.team)?;
        sheet.write_string(row, 4, if r.channel == "phone" { "电话" } else { "在线" })?;
        sheet.write_string(row, 5, started.unwrap_or_default())?;
        sheet.write_number(row, 6, f64::from(r.score))?;
        sheet.write_number(row, 7, f64::from(r.original_score))?;
        sheet.write_string(row, 8, if r.vetoed { "是" } else { "" })?;
        sheet.write_string(row, 9, if r.score >= pass_mark { "合格" } else { "不合格" })?;
        sheet.write_string(row, 10, r.failed.iter().map(|c| check_name(c)).collect::<Vec<_>>().join("、"))?;
    }
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(5, 17)?;
    sheet.set_column_width(10, 60)?;
    let summary = book.add_worksheet();
    summary.set_name("汇总")?;
    let passed = rows.iter().filter(|r| r.score >= pass_mark).count();
    let mean = if rows.is_empty() { 0.0 } else { rows.iter().map(|r| f64::from(r.score)).sum::<f64>() / rows.len() as f64 };
    for (i, (label, value)) in [("会话数", rows.len() as f64), ("平均分", (mean * 10.0).round() / 10.0), ("合格分数线", f64::from(pass_mark)), ("合格数", passed as f64)].iter().enumerate() {
        summary.write_string_with_format(i as u32, 0, *label, &header)?;
        summary.write_number(i as u32, 1, *value)?;
    }
    summary.write_string_with_format(4, 0, "合格率", &header)?;
    summary.write_string(4, 1, if rows.is_empty() { "—".to_string() } else { format!("{:.1}%", passed as f64 * 100.0 / rows.len() as f64) })?;
    summary.set_column_width(0, 14)?;
    book.save_to_buffer()
}
