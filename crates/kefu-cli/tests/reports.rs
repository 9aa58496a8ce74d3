//! `kefu inspect --report/--xlsx`: the HTML report and the workbook, read back
//! and checked; the HTML report also opened in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value};

mod common;
use common::{kefu, temp_dir};

fn qa_dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/qa_dev.jsonl")
}

/// A chat whose transcript carries markup (untrusted text) and a forbidden phrase.
fn hostile_chat() -> Value {
    json!({
        "id": "chat-<b>x</b>", "channel": "chat", "started_at": "2026-03-03T14:05:00+08:00",
        "agent": {"id": "A2001", "work_no": "2001", "name": "王<i>芳</i>"},
        "turns": [
            {"speaker": "agent", "start": 0.0, "text": "您好，华业在线客服，很高兴为您服务。"},
            {"speaker": "customer", "start": 5.0, "text": "<script>alert('x')</script>我的订单怎么还没到？"},
            {"speaker": "agent", "start": 9.0, "text": "这事儿不归我管，你找快递去。"},
            {"speaker": "agent", "start": 12.0, "text": "请问还有什么需要帮您的吗？感谢您的咨询，再见。"}
        ],
        "events": []
    })
}

fn input_file(dir: &Path) -> PathBuf {
    let mut text = std::fs::read_to_string(qa_dev()).expect("qa_dev.jsonl beside the repository");
    text.push_str(&hostile_chat().to_string());
    text.push('\n');
    text.push_str("{\"id\": \"broken\", \"turns\": [\n");
    let path = dir.join("calls.jsonl");
    std::fs::write(&path, text).expect("write input");
    path
}

fn report(name: &str) -> (PathBuf, PathBuf, usize) {
    let dir = temp_dir(name);
    let input = input_file(&dir);
    let (html, xlsx) = (dir.join("质检报告.html"), dir.join("质检.xlsx"));
    let out = kefu(
        &["inspect", "--report", html.to_str().expect("utf-8 path"), "--xlsx", xlsx.to_str().expect("utf-8 path"), input.to_str().expect("utf-8 path")],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "an unreadable record → exit 2; stderr: {}", String::from_utf8_lossy(&out.stderr));
    let conversations = std::fs::read_to_string(qa_dev()).expect("qa_dev").lines().filter(|l| !l.trim().is_empty()).count() + 1;
    (html, xlsx, conversations)
}

#[test]
fn html_report_is_self_contained_and_escapes_transcripts() {
    let (html, _, conversations) = report("html");
    let page = std::fs::read_to_string(&html).expect("report written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("质检报告"));
    assert!(page.contains(&format!("<div class=\"value\">{conversations}</div>")), "total conversations shown");
    // Charts are inline SVG: the histogram and the bars by check and by agent.
    assert!(page.contains("aria-label=\"得分分布直方图\""));
    assert!(page.matches("<svg class=\"chart\"").count() >= 3);
    // Nothing is fetched: no scripts, no external URLs besides the SVG namespace.
    assert!(!page.contains("<script"), "no script tag, the transcript's included");
    let external = page.replace("http://www.w3.org/2000/svg", "");
    assert!(!external.contains("http://") && !external.contains("https://"), "no external resources");
    // Untrusted text is escaped wherever it appears.
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("chat-&lt;b&gt;x&lt;/b&gt;") && !page.contains("<b>x</b>"));
    assert!(!page.contains("<i>芳</i>"));
    // The offending words are highlighted in the transcript.
    assert!(page.contains(">不归我管</mark>") || page.contains(">这事儿不归我管</mark>"), "forbidden phrase marked");
    assert!(page.contains("<mark"), "evidence highlighted");
    // Failures by check and by agent; the failing conversations; the unreadable record.
    for needle in ["language.forbidden", "closing.rating_invite", "A2001", "A0731", "dev-forbidden-3", "calls.jsonl", "无法读取的记录"] {
        assert!(page.contains(needle), "report mentions {needle}");
    }
}

fn rows(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(sheet).unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn workbook_has_the_same_tables_and_every_row() {
    let (_, xlsx, conversations) = report("xlsx");
    let mut book: Xlsx<_> = open_workbook(&xlsx).expect("a valid .xlsx");
    assert_eq!(book.sheet_names(), ["总览", "检查项", "坐席", "得分分布", "会话", "不通过明细", "错误"]);

    let summary = rows(&mut book, "总览");
    let value = |k: &str| summary.iter().find(|r| r[0] == k).map(|r| r[1].clone()).unwrap_or_else(|| panic!("总览 has {k}"));
    assert_eq!(value("会话数"), conversations.to_string());
    assert_eq!(value("无法读取的记录"), "1");

    let convs = rows(&mut book, "会话");
    assert_eq!(convs.len(), conversations + 1, "header + one row per conversation");
    let chat = convs.iter().find(|r| r[0] == "chat-<b>x</b>").expect("the chat is listed, its id verbatim");
    assert_eq!(chat[9], "0", "a forbidden phrase vetoes the score");
    assert!(chat[12].contains("language.forbidden"));

    let failures = rows(&mut book, "不通过明细");
    let forbidden = failures.iter().find(|r| r[0] == "chat-<b>x</b>" && r[2] == "language.forbidden").expect("evidence row");
    assert!(forbidden[9].contains("不归我管"), "the matched words: {forbidden:?}");
    assert_eq!(forbidden[6], "3", "turn number, counted from 1");

    let errors = rows(&mut book, "错误");
    assert_eq!(errors.len(), 2);
    assert!(errors[1][0].ends_with("calls.jsonl") && !errors[1][2].is_empty());

    let checks = rows(&mut book, "检查项");
    let forbidden = checks.iter().find(|r| r[0] == "language.forbidden").expect("check row");
    assert_eq!(forbidden[6], "3", "2 in qa_dev + the chat");
    let agents = rows(&mut book, "坐席");
    assert!(agents.iter().any(|r| r[0] == "A2001" && r[1] == "王<i>芳</i>"));
    let buckets = rows(&mut book, "得分分布");
    assert_eq!(buckets.len(), 12);
    let total: u64 = buckets[1..].iter().map(|r| r[1].parse::<u64>().expect("count")).sum();
    assert_eq!(total as usize, conversations);
}

/// The report in a real browser: Debian's headless Chromium through
/// playwright-core (tools/browser). The script fails unless the Chinese text
/// was drawn with a CJK font. Skipped where the browser is not installed,
/// unless KEFU_REQUIRE_BROWSER is set (as .ci/run does).
#[test]
fn html_report_renders_chinese_in_headless_chromium() {
    let Some(tools) = common::browser_tools() else { return };
    let (html, _, _) = report("browser");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let png = shots.join("inspect-report.png");
    let out = Command::new("node").arg(tools.join("report-screenshot.mjs")).arg(&html).arg(&png).output().expect("run node");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(result["title"], "质检报告");
    assert!(std::fs::metadata(&png).expect("screenshot").len() > 20_000);
}

/// Excel's serial number of a wall-clock time (days since 1899-12-30).
fn excel_serial(wall: &str) -> f64 {
    let t = chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%d %H:%M:%S").expect("wall-clock time");
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("epoch");
    (t - epoch).num_seconds() as f64 / 86_400.0
}

#[test]
fn workbook_times_are_date_time_cells_in_shanghai() {
    let dir = temp_dir("xlsx-times");
    // Started 01:20 UTC: 09:20 in Shanghai.
    let mut call = hostile_chat();
    call["id"] = json!("utc-call");
    call["started_at"] = json!("2026-03-02T01:20:30Z");
    let input = dir.join("calls.jsonl");
    std::fs::write(&input, format!("{call}\n")).expect("write input");
    let xlsx = dir.join("质检.xlsx");
    let out = kefu(&["inspect", "--xlsx", xlsx.to_str().expect("utf-8 path"), input.to_str().expect("utf-8 path")], b"");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let mut book: Xlsx<_> = open_workbook(&xlsx).expect("a valid .xlsx");
    let convs = book.worksheet_range("会话").expect("会话");
    assert_eq!(convs.get_value((0, 6)), Some(&Data::String("开始时间".into())));
    match convs.get_value((1, 6)) {
        Some(Data::DateTime(t)) => assert!((t.as_f64() - excel_serial("2026-03-02 09:20:30")).abs() < 1e-6, "09:20:30 in Shanghai, got {}", t.as_f64()),
        other => panic!("开始时间 is a date-time cell, got {other:?}"),
    }
    let summary = book.worksheet_range("总览").expect("总览");
    let generated = summary.rows().find(|r| r[0] == Data::String("生成时间".into())).map(|r| r[1].clone());
    assert!(matches!(generated, Some(Data::DateTime(_))), "生成时间 is a date-time cell: {generated:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
