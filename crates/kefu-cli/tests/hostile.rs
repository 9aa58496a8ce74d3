//! Hostile records never take a batch with them: every record read gets a
//! scorecard or an error record, whatever its times or its line looks like,
//! with one worker or several.

use std::path::Path;

use serde_json::{json, Value};

mod common;
use common::{json_lines, kefu, temp_dir};

/// A short, well-formed phone call.
fn call(id: &str) -> Value {
    json!({
        "id": id,
        "channel": "phone",
        "started_at": "2026-03-02T09:00:00+08:00",
        "agent": {"id": "A1", "work_no": "1001"},
        "rings": 2,
        "turns": [
            {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "您好，1001号为您服务，请问有什么可以帮您？"},
            {"speaker": "customer", "start": 3.5, "end": 6.0, "text": "我想问一下营业时间"},
            {"speaker": "agent", "start": 6.5, "end": 10.0, "text": "每天九点到六点，请问还有什么需要帮助的吗？"},
            {"speaker": "agent", "start": 11.5, "end": 14.0, "text": "感谢您的来电，再见"}
        ],
        "events": [{"type": "hangup", "at": 15.0, "by": "customer"}]
    })
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path.display().to_string()
}

#[test]
fn three_hostile_transcripts_of_five_give_five_records_and_exit_2() {
    let mut huge_time = call("huge-time");
    huge_time["turns"][0]["start"] = json!(1.8e19);
    let mut reversed = call("reversed");
    reversed["turns"][1]["end"] = json!(1.0);
    let mut rings = call("rings");
    rings["rings"] = json!(4_000_000_000u64);
    let mut far_future = call("far-future");
    far_future["started_at"] = json!("9999-12-31T23:59:59+00:00");
    let dir = temp_dir("hostile-five");
    let lines: Vec<String> = [call("ok-1"), huge_time, reversed, rings, call("ok-2")].iter().map(Value::to_string).collect();
    let file = write_lines(&dir, "five.jsonl", &lines);
    for jobs in ["1", "2"] {
        let out = kefu(&["inspect", "--json", "--jobs", jobs, &file], b"");
        assert_eq!(out.status.code(), Some(2), "unreadable records → exit 2, never 101");
        let recs = json_lines(&out);
        assert_eq!(recs.len(), 5, "{recs:?}");
        assert_eq!(recs[0]["id"], "ok-1");
        assert_eq!(recs[4]["id"], "ok-2");
        for (rec, (line, field)) in recs[1..4].iter().zip([(2, "turns[0].start"), (3, "turns[1].end"), (4, "rings")]) {
            assert_eq!(rec["line"], line);
            assert!(rec["file"].as_str().is_some_and(|f| f.ends_with("five.jsonl")));
            let error = rec["error"].as_str().expect("error record");
            assert!(error.contains(field), "the error names {field}: {error}");
        }
    }
    let file = write_lines(&dir, "future.jsonl", &[far_future.to_string()]);
    let out = kefu(&["inspect", "--json", &file], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(json_lines(&out)[0]["error"].as_str().is_some_and(|e| e.contains("started_at")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_lines_in_json_lines_are_one_error_each() {
    let dir = temp_dir("hostile-jsonl");
    let mut lines: Vec<String> = (1..=11).map(|i| call(&format!("c{i}")).to_string()).collect();
    lines[4] = "{".into();
    lines[7] = "[1, 2, 3]".into();
    let file = write_lines(&dir, "eleven.jsonl", &lines);
    for jobs in ["1", "2"] {
        let out = kefu(&["inspect", "--json", "--jobs", jobs, &file], b"");
        assert_eq!(out.status.code(), Some(2));
        let recs = json_lines(&out);
        assert_eq!(recs.len(), 11, "{recs:?}");
        let errors: Vec<u64> = recs.iter().filter(|r| r.get("error").is_some()).filter_map(|r| r["line"].as_u64()).collect();
        assert_eq!(errors, vec![5, 8]);
        assert_eq!(recs.iter().filter(|r| r.get("score").is_some()).count(), 9);
        assert_eq!(recs[10]["id"], "c11");
    }
    // A broken first line that looks like the start of a document, then JSON Lines.
    let mut lines: Vec<String> = (1..=4).map(|i| call(&format!("d{i}")).to_string()).collect();
    lines[0] = "{".into();
    let file = write_lines(&dir, "first.jsonl", &lines);
    let recs = json_lines(&kefu(&["inspect", "--json", &file], b""));
    assert_eq!(recs.len(), 4, "{recs:?}");
    assert_eq!(recs[0]["line"], 1);
    assert!(recs[0]["error"].is_string());
    assert_eq!(recs[3]["id"], "d4");
    // A whole array on the first line is a JSON file on one line.
    let array = json!([call("e1"), call("e2")]).to_string();
    let file = write_lines(&dir, "array.json", &[array]);
    let recs = json_lines(&kefu(&["inspect", "--json", &file], b""));
    assert_eq!(recs.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(), vec![json!("e1"), json!("e2")]);
    let _ = std::fs::remove_dir_all(&dir);
}
