//! Input as centres have it, posted to the server: JSON Lines of
//! transcripts (each line one conversation, a bad line only its own error),
//! bodies starting with a UTF-8 byte-order mark, and `started_at` without
//! an offset (taken as Asia/Shanghai, and said so in the scorecard).

mod common;

use common::{call, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn post_raw(session: &common::Session, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = session.request(Method::POST, path).header("content-type", content_type).body(body).send().await.expect("request");
    let status = r.status();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn json_lines_are_stored_line_by_line_and_bad_lines_are_their_own_errors() {
    let server = TestServer::start("jsonl").await;
    let admin = server.admin().await;
    let mut missing_turns = call("c-3", "A1", "2026-03-02T09:20:00+08:00");
    missing_turns.as_object_mut().expect("object").remove("turns");
    // CRLF, a blank line, a line that is not JSON, one that is not a conversation.
    let body = format!(
        "{}\r\n\r\n{{\"id\": \"c-2\", broken\r\n{}\r\n{}\r\n",
        call("c-1", "A1", "2026-03-02T09:20:00+08:00"),
        missing_turns,
        call("c-4", "A1", "2026-03-02T10:20:00+08:00")
    );
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/x-ndjson", body.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["stored"].as_u64(), r["errors"].as_u64()), (Some(2), Some(2)), "{r}");
    let results = r["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "one result per non-empty line: {r}");
    assert_eq!(results[0]["conversation"]["id"], "c-1");
    assert_eq!(results[1]["index"], 1);
    assert_eq!(results[1]["status"], 400);
    assert_eq!(results[1]["code"], "invalid_json");
    assert!(results[1]["error"].as_str().is_some_and(|e| e.contains("第 3 行")), "the line is named: {r}");
    assert_eq!(results[2]["index"], 2);
    assert_eq!(results[2]["status"], 422);
    assert_eq!(results[2]["code"], "invalid_conversation");
    // Each error names the line it came from (blank lines counted), for the upload summary.
    assert_eq!((results[1]["line"].as_u64(), results[2]["line"].as_u64()), (Some(3), Some(4)), "{r}");
    assert_eq!(results[3]["conversation"]["id"], "c-4");
    let (_, found) = admin.get("/api/v1/conversations").await;
    assert_eq!(found["total"], 2, "{found}");

    // A part of a longer file (the console uploads JSON Lines in parts): lines are the file's.
    let part = format!("{}\nnot json\n", call("p-1", "A1", "2026-03-02T09:20:00+08:00"));
    let (status, r) = post_raw(&admin, "/api/v1/conversations?first_line=201", "application/x-ndjson", part.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["results"][1]["line"], 202, "{r}");
    assert!(r["results"][1]["error"].as_str().is_some_and(|e| e.contains("第 202 行")), "{r}");
    // The other names of the type, and a JSON body that is JSON Lines.
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/jsonl; charset=utf-8", format!("{}\n", call("c-5", "A1", "2026-03-02T11:20:00+08:00")).into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 1, "{r}");
    let two = format!("{}\n{}\n", call("c-6", "A1", "2026-03-02T11:20:00+08:00"), call("c-7", "A1", "2026-03-02T11:30:00+08:00"));
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/json", two.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 2, "{r}");
    // Inspecting without storing takes JSON Lines too: scorecards and error records in line order.
    let (status, r) = post_raw(&admin, "/api/v1/inspect", "application/x-ndjson", format!("{}\nnot json\n", call("c-8", "A1", "2026-03-02T11:20:00+08:00")).into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r[0]["id"], "c-8", "{r}");
    assert_eq!((r[1]["index"].as_u64(), r[1]["code"].as_str()), (Some(1), Some("invalid_json")), "{r}");
    // Malformed JSON that is not JSON Lines is still a 400; other types 415, naming both.
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/json", b"{\"id\": ".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "text/plain", two.into_bytes()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("application/x-ndjson")), "{r}");
    // The batch limit counts lines.
    let (status, _) = admin.call(Method::PUT, "/api/v1/settings/limits", Some(json!({"max_batch": 2}))).await;
    assert_eq!(status, StatusCode::OK);
    let three: String = (0..3).map(|i| format!("{}\n", call(&format!("m-{i}"), "A1", "2026-03-02T11:20:00+08:00"))).collect();
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/x-ndjson", three.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    server.stop().await;
}

#[tokio::test]
async fn a_byte_order_mark_before_a_json_body_is_dropped() {
    let server = TestServer::start("bom").await;
    let admin = server.admin().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(call("bom-1", "A1", "2026-03-02T09:20:00+08:00").to_string().as_bytes());
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/json", body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["id"], "bom-1");
    // Any JSON body: lint answers the offsets of the text without the mark.
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(json!({"text": "这事儿不归我管"}).to_string().as_bytes());
    let (status, r) = post_raw(&admin, "/api/v1/lint", "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["violations"][0]["start"], 3, "{r}");
    // JSON Lines with a mark.
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(format!("{}\n", call("bom-2", "A1", "2026-03-02T09:20:00+08:00")).as_bytes());
    let (status, r) = post_raw(&admin, "/api/v1/conversations", "application/x-ndjson", body).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 1, "{r}");
    server.stop().await;
}

#[tokio::test]
async fn started_at_without_an_offset_is_stored_as_shanghai_time() {
    let server = TestServer::start("local-time").await;
    let admin = server.admin().await;
    let (status, r) = admin.post("/api/v1/conversations", call("local-1", "A1", "2026-11-22 20:00:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["started_at"], "2026-11-22T20:00:00+08:00", "{r}");
    // The day is Shanghai's: read as UTC, 20:00 would be 04:00 of the 23rd in Shanghai.
    let (_, found) = admin.get("/api/v1/conversations?from=2026-11-22&to=2026-11-22").await;
    assert_eq!(found["total"], 1, "{found}");
    let (status, v) = admin.get("/api/v1/conversations/local-1").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["scorecard"]["warnings"][0].as_str().is_some_and(|w| w.contains("Asia/Shanghai") && w.contains("2026-11-22 20:00:00")), "said so: {v}");
    server.stop().await;
}

/// A workbook as a centre's system exports it: one row per turn, headed in
/// Chinese, the conversation's columns on its first row only; a title row
/// above the header; one conversation with a bad cell.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 8]; 7] = [
        ["会话编号", "渠道", "开始时间", "坐席编号", "说话人", "开始秒", "结束秒", "内容"],
        ["x-1", "电话", "2026-11-22 11:48:00", "A1", "坐席", "0", "4", "您好，工号0731，请问有什么可以帮您？"],
        ["", "", "", "", "客户", "5", "9", "我家冰箱不制冷了。"],
        ["", "", "", "", "坐席", "10", "15", "这事儿不归我管。"],
        ["x-2", "在线", "2026-11-22 12:00:00", "A1", "坐席", "0", "2", "您好"],
        ["", "", "", "", "机器人", "3", "4", "嗯"],
        ["x-3", "在线", "2026-11-22 12:10:00", "A1", "客户", "0", "2", "谢谢"],
    ];
    sheet.write_string(0, 0, "十一月通话导出").expect("title");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            // Seconds as numbers, as a spreadsheet holds them.
            match cell.parse::<f64>() {
                Ok(n) if (5..=6).contains(&c) => sheet.write_number(r, c, n).map(|_| ()),
                _ => sheet.write_string(r, c, *cell).map(|_| ()),
            }
            .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

#[tokio::test]
async fn a_spreadsheet_of_turns_is_stored_conversation_by_conversation() {
    let server = TestServer::start("xlsx").await;
    let admin = server.admin().await;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (status, r) = post_raw(&admin, "/api/v1/conversations", xlsx, workbook()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["stored"].as_u64(), r["errors"].as_u64()), (Some(2), Some(1)), "{r}");
    let results = r["results"].as_array().expect("results");
    assert_eq!(results[0]["conversation"]["id"], "x-1", "{r}");
    // The bad row is named by the sheet's row number (title and header above it).
    assert_eq!(results[1]["line"], 7, "{r}");
    assert!(results[1]["error"].as_str().is_some_and(|e| e.contains("第 8 行") && e.contains("说话人")), "{r}");
    let (_, view) = admin.get("/api/v1/conversations/x-1").await;
    assert_eq!(view["transcript"]["turns"].as_array().map(Vec::len), Some(3), "{view}");
    assert!(view["scorecard"]["checks"].as_array().is_some_and(|c| c.iter().any(|c| c["id"] == "language.forbidden" && c["result"] == "fail")), "{view}");
    // Not a workbook, or a sheet without the required columns: one clear error.
    let (status, r) = post_raw(&admin, "/api/v1/conversations", xlsx, b"PK not really".to_vec()).await;
    assert_eq!((status, r["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_spreadsheet")), "{r}");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "会话编号").expect("cell");
    let (status, r) = post_raw(&admin, "/api/v1/conversations", xlsx, book.save_to_buffer().expect("xlsx")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("渠道") && m.contains("说话人")), "{r}");
    server.stop().await;
}
