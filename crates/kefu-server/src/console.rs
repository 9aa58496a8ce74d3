//! The web console: static pages embedded in the binary, talking to the API.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

const INDEX: &str = include_str!("../console/index.html");
const APP_JS: &str = include_str!("../console/app.js");
const APP_CSS: &str = include_str!("../console/app.css");
/// Three conversations in the contract format, offered on the console's
/// upload page and empty state (as JSON Lines, and as the same turns in the
/// spreadsheet layout).
pub const SAMPLE_JSONL: &str = include_str!("../console/sample.jsonl");
const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2563eb"/><text x="16" y="23" font-size="18" text-anchor="middle" fill="#fff" font-family="sans-serif">客</text></svg>"##;

/// No inline scripts, nothing from elsewhere: untrusted transcript text can never run.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_SECURITY_POLICY, CSP),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (X_FRAME_OPTIONS, "DENY"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { asset(INDEX, "text/html; charset=utf-8") }))
        .route("/console/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/console/app.css", get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
        .route("/favicon.ico", get(|| async { asset(ICON, "image/svg+xml") }))
        .route("/console/sample.jsonl", get(|| async { download(SAMPLE_JSONL.as_bytes().to_vec(), "application/x-ndjson; charset=utf-8", "kefu-sample.jsonl") }))
        .route("/console/sample.xlsx", get(sample_xlsx))
}

fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = ([(CONTENT_TYPE, content_type), (X_CONTENT_TYPE_OPTIONS, "nosniff")], body).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The header of the spreadsheet layout (see `kefu_core::table_import`).
const SHEET_HEADER: [&str; 11] = ["会话编号", "渠道", "开始时间", "坐席编号", "工号", "坐席姓名", "响铃次数", "说话人", "开始秒", "结束秒", "内容"];

/// The sample's turns in the spreadsheet layout: one row per turn, the
/// conversation's columns on its first row.
async fn sample_xlsx() -> Response {
    match sample_workbook() {
        Ok(bytes) => download(bytes, crate::api::spreadsheet::XLSX, "kefu-sample.xlsx"),
        Err(e) => crate::error::ApiError::internal(format!("sample workbook: {e}")).into_response(),
    }
}

fn sample_workbook() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("会话")?;
    for (c, title) in SHEET_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *title)?;
    }
    let mut row = 1u32;
    for line in SAMPLE_JSONL.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(conv) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { String::new() } else { v.to_string() });
        let channel = if conv["channel"] == "phone" { "电话" } else { "在线" };
        let head = [text(&conv["id"]), channel.to_string(), text(&conv["started_at"]), text(&conv["agent"]["id"]), text(&conv["agent"]["work_no"]), text(&conv["agent"]["name"]), text(&conv["rings"])];
        for (i, turn) in conv["turns"].as_array().into_iter().flatten().enumerate() {
            if i == 0 {
                for (c, v) in head.iter().enumerate() {
                    sheet.write_string(row, c as u16, v)?;
                }
            }
            sheet.write_string(row, 7, if turn["speaker"] == "agent" { "坐席" } else { "客户" })?;
            for (c, key) in [(8u16, "start"), (9, "end")] {
                if let Some(n) = turn[key].as_f64() {
                    sheet.write_number(row, c, n)?;
                }
            }
            sheet.write_string(row, 10, text(&turn["text"]))?;
            row += 1;
        }
    }
    sheet.set_column_width(10, 60)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spreadsheet sample reads back as the JSON sample's conversations,
    /// turn for turn (events and holds have no column: JSON carries them).
    #[test]
    fn the_sample_workbook_reads_back_as_the_sample() {
        let bytes = sample_workbook().expect("workbook");
        let items = crate::api::spreadsheet::transcripts(&bytes).expect("read");
        let expected: Vec<serde_json::Value> = SAMPLE_JSONL.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        assert_eq!(items.len(), expected.len());
        for (item, want) in items.iter().zip(&expected) {
            let got = item.conversation.as_ref().expect("conversation");
            assert_eq!(got["id"], want["id"]);
            assert_eq!(got["channel"], want["channel"]);
            assert_eq!(got["agent"]["id"], want["agent"]["id"]);
            assert_eq!(got["turns"].as_array().map(Vec::len), want["turns"].as_array().map(Vec::len));
            for (g, w) in got["turns"].as_array().into_iter().flatten().zip(want["turns"].as_array().into_iter().flatten()) {
                assert_eq!((&g["speaker"], &g["text"], g["start"].as_f64()), (&w["speaker"], &w["text"], w["start"].as_f64()));
            }
        }
    }
}
