//! Input as centres have it: a UTF-8 byte-order mark, GBK/GB18030 files
//! from Windows and Excel, local times without an offset; and the sample
//! transcripts of `examples/`, inspected as the README describes them.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{json_lines, kefu, temp_dir};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The sample phone call, on one line, with its `started_at` replaced.
fn sample_call(started_at: &str) -> Value {
    let text = std::fs::read_to_string(examples().join("transcripts.jsonl")).expect("examples/transcripts.jsonl");
    let mut call: Value = serde_json::from_str(text.lines().next().expect("first line")).expect("json");
    call["started_at"] = Value::String(started_at.into());
    call
}

#[test]
fn a_byte_order_mark_does_not_shift_offsets() {
    // Lint: 这事儿 is 3 characters, so 不归我管 starts at 3, as without the mark.
    let out = kefu(&["lint", "--json"], "\u{feff}这事儿不归我管\n这事儿不归我管\n".as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs[0]["text"], "这事儿不归我管", "the mark is not part of the text");
    assert_eq!(recs[0]["violations"][0]["start"], 3);
    assert_eq!(recs[0]["violations"][0], recs[1]["violations"][0]);

    // Inspect: a JSON Lines file and a pretty-printed document, each with a mark.
    let dir = temp_dir("bom");
    let jsonl = dir.join("calls.jsonl");
    std::fs::write(&jsonl, format!("\u{feff}{}\n", sample_call("2026-11-23T10:05:12+08:00"))).expect("write");
    let pretty = dir.join("call.json");
    let mut doc = "\u{feff}".to_string();
    doc.push_str(&serde_json::to_string_pretty(&sample_call("2026-11-23T10:05:12+08:00")).expect("json"));
    std::fs::write(&pretty, doc).expect("write");
    for path in [&jsonl, &pretty] {
        let out = kefu(&["inspect", "--json", path.to_str().expect("path")], b"");
        let recs = json_lines(&out);
        assert_eq!(recs.len(), 1, "{}", stderr(&out));
        assert_eq!(recs[0]["score"], 100, "{} → {}; {}", path.display(), recs[0], stderr(&out));
        assert_eq!(out.status.code(), Some(0));
    }
    // On standard input too.
    let out = kefu(&["inspect", "--json", "-"], format!("\u{feff}{}\n", sample_call("2026-11-23T10:05:12+08:00")).as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A file read whole (an evaluation set) likewise.
    let eval = dir.join("lint.jsonl");
    std::fs::write(&eval, "\u{feff}{\"text\": \"这事儿不归我管\", \"violation\": true, \"categories\": [\"shirk\"]}\n").expect("write");
    let out = kefu(&["eval", "--lint", eval.to_str().expect("path"), "--json"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gbk_files_are_decoded_and_said_so() {
    let dir = temp_dir("gbk");
    // Lint from a file, as Notepad or Excel write it on Chinese Windows: GBK, CRLF.
    let file = dir.join("坐席话术.txt");
    std::fs::write(&file, gbk("ok\r\n这事儿不归我管，你找别的部门。\r\n您好，请问有什么可以帮到您？\r\n")).expect("write");
    let out = kefu(&["lint", "--json", file.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(1), "violations, no unreadable line: {}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1]["text"], "这事儿不归我管，你找别的部门。");
    assert_eq!(recs[1]["violations"][0]["rule"], "shirk.not_my_job");
    assert_eq!(recs[1]["violations"][0]["start"], 3);
    assert!(stderr(&out).contains("GB18030"), "said so: {}", stderr(&out));
    // On standard input too.
    let out = kefu(&["classify", "--json"], &gbk("冰箱不制冷了，派人来修一下\n"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["scenario"], "repair_request");

    // Transcripts exported from a Windows system in GB18030: JSON Lines and a document.
    let jsonl = dir.join("calls.jsonl");
    std::fs::write(&jsonl, gbk(&format!("{}\n", sample_call("2026-11-23T10:05:12+08:00")))).expect("write");
    let pretty = dir.join("call.json");
    std::fs::write(&pretty, gbk(&serde_json::to_string_pretty(&sample_call("2026-11-23T10:05:12+08:00")).expect("json"))).expect("write");
    for path in [&jsonl, &pretty] {
        let out = kefu(&["inspect", "--json", path.to_str().expect("path")], b"");
        let recs = json_lines(&out);
        assert_eq!(recs.len(), 1, "{}", stderr(&out));
        assert_eq!(recs[0]["score"], 100, "{}: {}", recs[0], stderr(&out));
        assert!(stderr(&out).contains("GB18030"), "{}", stderr(&out));
    }

    // Neither UTF-8 nor GB18030: a clear error naming the encodings and the fix, and the other lines still read.
    let bad = dir.join("bad.txt");
    let mut bytes = b"\xff\xfb\xfa broken\n".to_vec();
    bytes.extend_from_slice("我不知道\n".as_bytes());
    std::fs::write(&bad, bytes).expect("write");
    let out = kefu(&["lint", "--json", bad.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(2));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 2, "every line gets a record");
    let message = recs[0]["error"].as_str().expect("an error record");
    assert!(message.contains("UTF-8") && message.contains("GB18030") && message.contains("另存为"), "{message}");
    assert_eq!(recs[1]["violations"][0]["rule"], "shirk.dont_know");
    // A file read whole (an evaluation set) in GBK as well.
    let eval = dir.join("lint.jsonl");
    std::fs::write(&eval, gbk("{\"text\": \"这事儿不归我管\", \"violation\": true, \"categories\": [\"shirk\"]}\n")).expect("write");
    let out = kefu(&["eval", "--lint", eval.to_str().expect("path"), "--json"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["lint"]["examples"], 1, "{report}");
    assert!(stderr(&out).contains("GB18030"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn started_at_without_an_offset_is_taken_as_shanghai_time_and_said_so() {
    let dir = temp_dir("local-time");
    let file = dir.join("export.jsonl");
    let mut text = String::new();
    for (i, local) in ["2026-11-22 11:48:00", "2026-11-22T11:48:00"].iter().enumerate() {
        let mut call = sample_call(local);
        call["id"] = Value::String(format!("local-{i}"));
        text.push_str(&format!("{call}\n"));
    }
    std::fs::write(&file, text).expect("write");
    let out = kefu(&["inspect", "--json", file.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 2);
    for card in &recs {
        assert_eq!(card["started_at"], "2026-11-22T11:48:00+08:00", "{card}");
        assert!(card["warnings"][0].as_str().is_some_and(|w| w.contains("Asia/Shanghai")), "{card}");
    }
    let err = stderr(&out);
    assert_eq!(err.matches("Asia/Shanghai").count(), 1, "said once per file: {err}");
    assert!(err.contains("export.jsonl:1"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sample_transcripts_are_inspected_as_documented() {
    let jsonl = examples().join("transcripts.jsonl");
    let out = kefu(&["inspect", "--json", jsonl.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 2, "a phone call and a chat");
    let (call, chat) = (&recs[0], &recs[1]);
    assert_eq!((call["channel"].as_str(), chat["channel"].as_str()), (Some("phone"), Some("chat")));
    let result = |card: &Value, id: &str| card["checks"].as_array().and_then(|c| c.iter().find(|x| x["id"] == id)).map(|x| x["result"].clone());
    for card in [call, chat] {
        assert_eq!(card["score"], 100, "{card}");
        assert!(card.get("warnings").is_none(), "{card}");
    }
    // The call holds and comes back as the standards say; the chat is a complaint handled in full.
    assert_eq!(result(call, "wait.ask_before_hold"), Some("pass".into()));
    assert_eq!(result(call, "wait.thanks_after_hold"), Some("pass".into()));
    assert_eq!(result(call, "voice.speech_rate"), Some("pass".into()));
    assert_eq!(result(call, "closing.customer_hangs_up_first"), Some("pass".into()));
    assert_eq!(result(chat, "complaint.handling"), Some("pass".into()));
    assert_eq!(result(chat, "closing.rating_invite"), Some("pass".into()));
    // The same call as a pretty-printed JSON document gives the same scorecard.
    let pretty = examples().join("phone-call.json");
    let out = kefu(&["inspect", "--json", pretty.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(&json_lines(&out)[0], call);
}
