//! The CLI contracts of issue 2, exercised through the real binary.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{json_lines, kefu, repo_rulebook, stdout, temp_dir};

#[test]
fn lint_json_contract_and_exit_codes() {
    let out = kefu(&["lint", "--json"], "您好，请问有什么可以帮到您？\n这事儿不归我管\n\n".as_bytes());
    assert_eq!(out.status.code(), Some(1), "violations found → exit 1");
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 3, "one record per input line, the empty one included");
    assert_eq!(recs[0]["line"], 1);
    assert_eq!(recs[0]["violations"].as_array().map(Vec::len), Some(0));
    let v = &recs[1]["violations"][0];
    for field in ["rule", "category", "severity", "start", "end", "matched", "message", "suggestion", "source"] {
        assert!(!v[field].is_null(), "violation field {field} present");
    }
    assert_eq!(v["category"], "shirk");
    let text = recs[1]["text"].as_str().expect("text");
    let chars: Vec<char> = text.chars().collect();
    let (s, e) = (v["start"].as_u64().expect("start") as usize, v["end"].as_u64().expect("end") as usize);
    assert_eq!(chars[s..e].iter().collect::<String>(), v["matched"].as_str().expect("matched"));
    assert_eq!(recs[2]["text"], "");

    let clean = kefu(&["lint", "--json", "-"], "好的，我马上帮您查，请稍等。\n".as_bytes());
    assert_eq!(clean.status.code(), Some(0));
}

#[test]
fn lint_spans_are_in_the_original_text() {
    let out = kefu(&["lint", "--json"], "您好 我*不*知*道 哦\n這是其它部門的問題\n".as_bytes());
    let recs = json_lines(&out);
    let v = &recs[0]["violations"][0];
    assert_eq!(v["matched"], "我*不*知*道");
    assert_eq!((v["start"].as_u64(), v["end"].as_u64()), (Some(3), Some(10)));
    assert_eq!(recs[1]["violations"][0]["category"], "shirk");
}

#[test]
fn lint_human_output_underlines() {
    let out = kefu(&["lint"], "好的，我不知道。\n".as_bytes());
    let text = stdout(&out);
    assert!(text.contains("shirk.dont_know"), "{text}");
    // 好的， is 3 chars = 6 columns, then 我不知道 = 8 columns of carets.
    assert!(text.contains("|       ^^^^^^^^ 我不知道"), "{text}");
    assert!(text.contains("建议"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lint_count_fast_path() {
    let dir = temp_dir("count");
    let file = dir.join("in.txt");
    std::fs::write(&file, "我不知道\n您好\n真烦人\n谢谢您\n").expect("write");
    let out = kefu(&["lint", "--count", file.to_str().expect("path")], b"");
    assert_eq!(stdout(&out).trim(), "2");
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_never_panics_and_loses_nothing() {
    // Invalid UTF-8 on line 2, NUL bytes on line 3, an empty line 4.
    let mut input = Vec::new();
    input.extend_from_slice("我不知道\n".as_bytes());
    input.extend_from_slice(&[0xff, 0xfe, b'a', b'\n']);
    input.extend_from_slice("你好\0世界\n\n".as_bytes());
    let out = kefu(&["lint", "--json"], &input);
    assert_eq!(out.status.code(), Some(2), "unreadable line → exit 2");
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 4, "every line gets a record");
    assert!(recs[1]["error"].as_str().is_some_and(|e| e.contains("UTF-8")), "{:?}", recs[1]);
    assert_eq!(recs[2]["line"], 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("第 2 行"));

    // A 10 MB line.
    let mut big = "您好".repeat(5 * 1024 * 1024 / 6).into_bytes();
    big.extend_from_slice("我不知道\n".as_bytes());
    let out = kefu(&["lint", "--json"], &big);
    assert_eq!(out.status.code(), Some(1));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["violations"][0]["rule"], "shirk.dont_know");

    // A binary file: no panic, records or errors for every line, exit 2.
    let binary: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let out = kefu(&["lint", "--json"], &binary);
    assert_eq!(out.status.code(), Some(2));
    let lines = binary.iter().filter(|&&b| b == b'\n').count() + usize::from(binary.last() != Some(&b'\n'));
    assert_eq!(json_lines(&out).len(), lines);

    // A missing file.
    let out = kefu(&["lint", "/nonexistent/kefu-input.txt"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("文件不存在"));
}

#[test]
fn classify_contract() {
    let out = kefu(&["classify", "--json", "--at", "2026-03-02T10:00:00+08:00"], "谢谢\n你们电话太难打了\n".as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let recs = json_lines(&out);
    assert_eq!(recs[0]["scenario"], "thanks");
    assert!(recs[0]["confidence"].as_f64().is_some_and(|c| c > 0.0 && c <= 1.0));
    assert!(recs[0]["reply"].as_str().is_some_and(|r| r.contains("不客气")), "{:?}", recs[0]);
    assert_eq!(recs[1]["scenario"], "hard_to_reach");
    assert_eq!(recs[1]["line"], 2);
}

#[test]
fn reply_renders_for_the_moment() {
    let r = |args: &[&str]| {
        let out = kefu(args, b"");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_str(stdout(&out).trim()).expect("json");
        v["text"].as_str().expect("text").to_string()
    };
    let morning = r(&["reply", "--scenario", "opening", "--line", "vip", "--at", "2026-03-02T09:00:00+08:00", "--json"]);
    assert!(morning.starts_with("早上好"), "{morning}");
    let afternoon = r(&["reply", "--scenario", "opening", "--line", "vip", "--at", "2026-03-02T14:00:00+08:00", "--json"]);
    assert!(afternoon.starts_with("您好"), "{afternoon}");
    // 06:30 UTC is 14:30 in Shanghai.
    let utc = r(&["reply", "--scenario", "opening", "--line", "vip", "--at", "2026-03-02T06:30:00Z", "--json"]);
    assert!(utc.starts_with("您好"), "{utc}");
    // Spring Festival 2026 is 2026-02-17 (lunar calendar): chat opening says 新年好.
    let cny = r(&["reply", "--scenario", "opening", "--channel", "chat", "--at", "2026-02-17T10:00:00+08:00", "--json"]);
    assert!(cny.contains("新年好"), "{cny}");
    let national = r(&["reply", "--scenario", "opening", "--channel", "chat", "--at", "2026-10-02T10:00:00+08:00", "--json"]);
    assert!(national.contains("节日好"), "{national}");
    // Saturday farewell; a make-up Saturday (2026-02-14) is a workday.
    let saturday = r(&["reply", "--scenario", "closing", "--at", "2026-03-07T16:00:00+08:00", "--json"]);
    assert!(saturday.contains("周末愉快"), "{saturday}");
    let makeup = r(&["reply", "--scenario", "closing", "--at", "2026-02-14T16:00:00+08:00", "--json"]);
    assert!(!makeup.contains("周末愉快") && !makeup.contains("节日愉快"), "{makeup}");
    let holiday = r(&["reply", "--scenario", "closing", "--at", "2026-10-03T16:00:00+08:00", "--json"]);
    assert!(holiday.contains("节日愉快"), "{holiday}");
    let name = r(&["reply", "--scenario", "complaint", "--title", "先生", "--surname", "王", "--json", "--at", "2026-03-02T10:00:00+08:00"]);
    assert!(name.contains("王先生"), "{name}");

    let unknown = kefu(&["reply", "--scenario", "nope"], b"");
    assert_eq!(unknown.status.code(), Some(2));
    let no_year = kefu(&["reply", "--scenario", "closing", "--at", "2031-06-02T10:00:00+08:00"], b"");
    assert_eq!(no_year.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_year.stderr).contains("2031"));
}

#[test]
fn calendar_contract() {
    let day = |d: &str| {
        let out = kefu(&["calendar", "day", d, "--json"], b"");
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_str::<Value>(stdout(&out).trim()).expect("json")
    };
    let v = day("2026-02-14");
    assert_eq!((v["kind"].as_str(), v["makeup"].as_bool()), (Some("workday"), Some(true)));
    let v = day("2026-02-17");
    assert_eq!(v["kind"], "holiday");
    assert_eq!(v["festival"], "春节");
    assert_eq!(v["makeup"], false);
    let v = day("2026-03-07");
    assert_eq!((v["kind"].as_str(), v["festival"].is_null()), (Some("rest"), true));
    assert_eq!(day("2026-03-02")["kind"], "workday");

    let out = kefu(&["calendar", "day", "2027-01-04"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2027"));

    let due = |args: &[&str]| {
        let out = kefu(args, b"");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        stdout(&out).trim().to_string()
    };
    assert_eq!(due(&["calendar", "due", "--from", "2026-03-02T11:30:00+08:00", "--minutes", "45"]), "2026-03-02T12:15:00+08:00");
    // Lunch break 12:00–13:30 is not working time.
    assert_eq!(due(&["calendar", "due", "--from", "2026-03-02T11:30:00+08:00", "--working-hours", "1"]), "2026-03-02T14:00:00+08:00");
    // Friday 17:00 + 2 working hours → Monday 10:00.
    assert_eq!(due(&["calendar", "due", "--from", "2026-03-06T17:00:00+08:00", "--working-hours", "2"]), "2026-03-09T10:00:00+08:00");
    // 3 working days from Thursday 2026-09-30 across 国庆: Oct 8, 9, 10 (make-up Saturday).
    assert_eq!(due(&["calendar", "due", "--from", "2026-09-30T15:00:00+08:00", "--working-days", "3"]), "2026-10-10T18:00:00+08:00");
    let out = kefu(&["calendar", "due", "--from", "2026-12-31T17:00:00+08:00", "--working-days", "2"], b"");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(said.contains("2027") && said.contains("--provisional"), "names the year and the way out: {said}");
    // --provisional: weekends and statutory festival days, marked as a guess.
    let v: Value = serde_json::from_str(&due(&["calendar", "due", "--from", "2026-12-31T17:00:00+08:00", "--working-days", "2", "--provisional", "--json"])).expect("json");
    assert_eq!(v["due"], "2027-01-05T18:00:00+08:00", "元旦 and the weekend skipped: {v}");
    assert_eq!(v["provisional"], true);
    assert!(v["provisional_reason"].as_str().is_some_and(|r| r.contains("2027 年")));
    assert!(due(&["calendar", "due", "--from", "2026-12-31T17:00:00+08:00", "--working-days", "2", "--provisional"]).contains("暂定"));
    // Within a covered year --provisional changes nothing.
    let v: Value = serde_json::from_str(&due(&["calendar", "due", "--from", "2026-09-30T15:00:00+08:00", "--working-days", "3", "--provisional", "--json"])).expect("json");
    assert_eq!((v["due"].as_str(), v["provisional"].as_bool()), (Some("2026-10-10T18:00:00+08:00"), Some(false)));
}

#[test]
fn rules_list_show_check() {
    let out = kefu(&["rules", "list"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("shirk.dont_know"));
    let out = kefu(&["rules", "show", "shirk.dont_know", "--json"], b"");
    let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["category"], "shirk");
    assert!(v["source"].as_str().is_some_and(|s| s.contains("01-online-service-manual.md")));

    let out = kefu(&["rules", "check", repo_rulebook().to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    // A broken copy: an unknown category on a known line.
    let dir = temp_dir("broken");
    copy_dir(&repo_rulebook(), &dir);
    let file = dir.join("forbidden/shirk.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    let line = text.lines().position(|l| l.contains("id = \"shirk.busy\"")).expect("rule") + 1;
    std::fs::write(&file, text.replacen("category = \"shirk\"\nseverity = \"error\"\nmessage = \"推卸语：“我忙着呢”", "category = \"nonsense\"\nseverity = \"error\"\nmessage = \"推卸语：“我忙着呢”", 1)).expect("write");
    let out = kefu(&["rules", "check", dir.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("forbidden/shirk.toml:{}: [shirk.busy]", line - 1)) || err.contains(&format!("forbidden/shirk.toml:{line}: [shirk.busy]")), "{err}");

    // A TOML syntax error names its line.
    std::fs::write(dir.join("forbidden/broken.toml"), "[[rule]]\nid = \"x\n").expect("write");
    let out = kefu(&["rules", "check", dir.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("forbidden/broken.toml:2"));

    // --rules DIR loads another rulebook.
    let out = kefu(&["--rules", dir.to_str().expect("path"), "lint"], "我不知道\n".as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = entry.path();
        let target = to.join(entry.file_name());
        if p.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

#[test]
fn inspect_contract() {
    let qa = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/qa_dev.jsonl");
    let out = kefu(&["inspect", "--json", qa.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(1), "some checks fail → exit 1");
    let cards = json_lines(&out);
    assert_eq!(cards.len(), 8);
    assert_eq!(cards[0]["id"], "dev-ok-1");
    assert!(cards[0]["score"].as_u64().is_some());
    let checks = cards[0]["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 17);
    for c in checks {
        assert!(["pass", "fail", "n/a"].contains(&c["result"].as_str().expect("result")));
        assert!(c["evidence"].is_array());
    }
    let late = &cards[1]["checks"].as_array().expect("checks").iter().find(|c| c["id"] == "opening.late_answer_apology").expect("check")["evidence"][0];
    for field in ["turn", "start", "end", "text", "note"] {
        assert!(!late[field].is_null(), "evidence field {field}");
    }

    // Malformed input: an error record naming file and line; the rest still inspected; exit 2.
    let dir = temp_dir("inspect");
    let good = std::fs::read_to_string(&qa).expect("qa").lines().next().expect("line").to_string();
    std::fs::write(dir.join("a.jsonl"), format!("{good}\n{{\"id\":\"bad\",\"channel\":\"phone\"}}\nnot json\n{good}\n")).expect("write");
    // A pretty-printed single conversation in a .json file, found by walking the directory.
    let value: Value = serde_json::from_str(&good).expect("json");
    std::fs::write(dir.join("b.json"), serde_json::to_string_pretty(&value["conversation"]).expect("pretty")).expect("write");
    let out = kefu(&["inspect", "--json", dir.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(2));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 5, "every record read gets a scorecard or an error record");
    assert_eq!(recs[1]["line"], 2);
    assert!(recs[1]["file"].as_str().is_some_and(|f| f.ends_with("a.jsonl")));
    assert!(recs[1]["error"].as_str().is_some_and(|e| e.contains("turns")), "{:?}", recs[1]);
    assert_eq!(recs[2]["line"], 3);
    assert_eq!(recs[4]["id"], "dev-ok-1");

    // Standard input, one worker: same verdicts.
    let out = kefu(&["inspect", "--json", "--jobs", "1", "-"], format!("{good}\n").as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out)[0]["score"], 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lint_explains_a_semantic_hit_with_the_nearest_labelled_examples() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/corpus");
    let corpus = corpus.to_str().expect("path");
    let out = kefu(&["lint", "--json", "--explain", "--corpus", corpus], "这点小事也要专门打个电话过来问？\n".as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(stdout(&out).lines().next().expect("a record")).expect("json");
    let explained = v["explain"].as_array().expect("explain");
    assert!(!explained.is_empty(), "{v}");
    for e in explained {
        let hit = &v["violations"][e["violation"].as_u64().expect("index") as usize];
        assert!(hit["rule"].as_str().is_some_and(|r| r.ends_with(".semantic")));
        let nearest = e["nearest"].as_array().expect("nearest");
        assert!(!nearest.is_empty() && nearest.len() <= 3);
        assert!(nearest.iter().all(|n| n["text"].is_string() && n["similarity"].as_f64().is_some_and(|s| (0.0..=1.0).contains(&s))));
    }
    // Without the corpus: a clear error, exit 2.
    let out = kefu(&["lint", "--explain", "--corpus", "/nonexistent-corpus"], b"x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--corpus"));
}
