//! Every workbook the server writes, read back: the records export and the
//! attendance report speak Chinese (the forms' labels, states, kinds) and
//! their times are Excel date-time cells in Asia/Shanghai, not text.

mod common;

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn workbook(session: &common::Session, path: &str) -> Xlsx<Cursor<Vec<u8>>> {
    let r = session.request(Method::GET, path).send().await.expect("export");
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let bytes = r.bytes().await.expect("bytes").to_vec();
    Xlsx::new(Cursor::new(bytes)).expect("a valid .xlsx")
}

/// Excel's serial number of a wall-clock time (days since 1899-12-30).
fn excel_serial(wall: &str) -> f64 {
    let t = chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%d %H:%M:%S").expect("wall-clock time");
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("epoch");
    (t - epoch).num_seconds() as f64 / 86_400.0
}

fn header(range: &Range<Data>) -> Vec<String> {
    range.rows().next().map(|r| r.iter().map(|c| c.to_string()).collect()).unwrap_or_default()
}

/// The cell under the header `name` in row `row` (1 = the first data row).
fn at<'a>(range: &'a Range<Data>, row: usize, name: &str) -> &'a Data {
    let col = header(range).iter().position(|h| h == name).unwrap_or_else(|| panic!("a column {name} in {:?}", header(range)));
    range.rows().nth(row).and_then(|r| r.get(col)).unwrap_or_else(|| panic!("row {row} of {name}"))
}

#[track_caller]
fn assert_time(cell: &Data, wall: &str) {
    match cell {
        Data::DateTime(t) => assert!((t.as_f64() - excel_serial(wall)).abs() < 1e-6, "expected {wall}, got serial {}", t.as_f64()),
        other => panic!("a date-time cell for {wall}, got {other:?}"),
    }
}

#[tokio::test]
async fn the_records_export_has_the_forms_labels_chinese_states_and_date_time_cells() {
    let server = TestServer::start("export-records").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "li.na", "agent", "一组", "A1024").await;
    let repair = json!({
        "kind": "repair", "received_at": "2026-03-02T02:15:00Z", "supervisor": "wang.lead", "department": "维修部",
        "fields": {"customer": "王先生", "contact": "138-1234-5678", "address": "朝阳区XX小区3号楼", "description": "冰箱不制冷", "promised_reply_hours": 4}
    });
    let (status, r) = agent.post("/api/v1/records", repair).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let forwarded = r["record"]["id"].as_i64().expect("id");
    let (status, r) = agent.post(&format!("/api/v1/records/{forwarded}/events"), json!({"action": "forwarded", "note": "已发王主管"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, r) = agent.post("/api/v1/records", json!({"kind": "complaint", "received_at": "2026-03-03T10:05:00+08:00",
        "fields": {"customer": "赵女士", "contact": "13900001111", "description": "师傅迟到两小时", "about_staff": true}})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, r) = agent.post("/api/v1/records", json!({"kind": "task", "received_at": "2026-03-03T09:00:00+08:00",
        "fields": {"title": "回访王先生", "assigned_by": "王主管", "description": "确认冰箱已修好", "due": "2026-03-04T08:30:00Z"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");

    let mut book = workbook(&agent, "/api/v1/records/export.xlsx").await;
    assert_eq!(book.sheet_names(), ["客户报修记录表", "客户投诉处理通知单", "回复制任务"], "one sheet per form, named as in the standards");

    let repairs = book.worksheet_range("客户报修记录表").expect("repairs");
    let head = header(&repairs);
    for label in ["编号", "状态", "收到时间", "客户", "联系电话", "地址", "报修内容", "承诺回复（工作小时）"] {
        assert!(head.iter().any(|h| h == label), "header {label} in {head:?}");
    }
    for english in ["customer", "contact", "address", "description", "promised_reply_hours"] {
        assert!(!head.iter().any(|h| h == english), "no machine name {english} in {head:?}");
    }
    assert_eq!(at(&repairs, 1, "状态"), &Data::String("已发送主管".into()));
    assert_eq!(at(&repairs, 1, "地址"), &Data::String("朝阳区XX小区3号楼".into()));
    assert_eq!(at(&repairs, 1, "承诺回复（工作小时）"), &Data::Float(4.0), "a number stays a number");
    // Received 02:15 UTC: 10:15 in Shanghai.
    assert_time(at(&repairs, 1, "收到时间"), "2026-03-02 10:15:00");

    let complaints = book.worksheet_range("客户投诉处理通知单").expect("complaints");
    assert_eq!(at(&complaints, 1, "状态"), &Data::String("待处理".into()));
    assert_eq!(at(&complaints, 1, "投诉内容"), &Data::String("师傅迟到两小时".into()));
    assert_eq!(at(&complaints, 1, "投诉员工"), &Data::String("是".into()));
    assert_time(at(&complaints, 1, "收到时间"), "2026-03-03 10:05:00");

    let tasks = book.worksheet_range("回复制任务").expect("tasks");
    assert_eq!(at(&tasks, 1, "任务"), &Data::String("回访王先生".into()));
    assert_time(at(&tasks, 1, "回复期限"), "2026-03-04 16:30:00");

    // The daily call log: its date a date cell, each entry's time a date-time on that date.
    let (status, r) = agent.post("/api/v1/records", json!({"kind": "call_log", "received_at": "2026-03-02T08:30:00+08:00", "fields": {"date": "2026-03-02", "entries": [
        {"time": "09:12", "caller": "王先生", "contact": "13812345678", "summary": "冰箱不制冷，报修", "handling": "已登记报修，转维修部"}
    ]}})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let mut book = workbook(&agent, "/api/v1/records/export.xlsx?kind=call_log").await;
    let logs = book.worksheet_range("客服中心每日接听电话记录表").expect("call logs");
    assert_eq!(header(&logs), ["编号", "日期", "坐席", "时间", "来电人", "联系电话", "通话内容", "处理情况"]);
    assert_time(at(&logs, 1, "日期"), "2026-03-02 00:00:00");
    assert_time(at(&logs, 1, "时间"), "2026-03-02 09:12:00");
    assert_eq!(at(&logs, 1, "通话内容"), &Data::String("冰箱不制冷，报修".into()));
    server.stop().await;
}

#[tokio::test]
async fn the_attendance_workbook_has_date_cells_and_chinese_states() {
    let server = TestServer::start("export-attendance").await;
    let admin = server.admin().await;
    let agent = server.user(&admin, "zhou", "agent", "一组", "A3").await;
    let lead = server.user(&admin, "lead", "supervisor", "一组", "").await;
    for (d, t) in [("2026-03-02", "08:52"), ("2026-03-04", "09:17"), ("2026-03-10", "08:40")] {
        let (status, r) = lead.post("/api/v1/attendance/clock-in", json!({"user": "zhou", "day": d, "time": t})).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    // Out on 03-10 without approval.
    let (status, r) = agent.post("/api/v1/attendance/requests", json!({"kind": "outing", "day": "2026-03-10", "from": "14:00", "to": "15:00", "reason": "送资料", "registered": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");

    let mut book = workbook(&lead, "/api/v1/attendance/report.xlsx?month=2026-03&user=zhou").await;
    let days = book.worksheet_range("每日明细").expect("每日明细");
    assert_eq!(header(&days), ["日期", "打卡", "状态", "外出", "加班（小时）"]);
    assert_time(at(&days, 1, "日期"), "2026-03-02 00:00:00");
    assert_time(at(&days, 1, "打卡"), "2026-03-02 08:52:00");
    assert_eq!(at(&days, 1, "状态"), &Data::String("正常".into()));
    assert_eq!(at(&days, 3, "状态"), &Data::String("迟到 17 分钟".into()));
    let outing = days.rows().find(|r| matches!(&r[0], Data::DateTime(t) if (t.as_f64() - excel_serial("2026-03-10 00:00:00")).abs() < 1e-6)).expect("03-10");
    assert_eq!(outing[3], Data::String("未经批准（旷工）".into()), "{outing:?}");
    let summary = book.worksheet_range("汇总").expect("汇总");
    let late = summary.rows().find(|r| r[0] == Data::String("迟到（天）".into())).map(|r| r[1].clone());
    assert_eq!(late, Some(Data::Float(1.0)), "counts are numbers");
    server.stop().await;
}
