//! Issue 13's example end to end on the command line: export the embedded
//! rulebook, add the bank's check as a file, validate it, and inspect a phone
//! inquiry with and without identity verification in the first three agent turns.

use serde_json::Value;

mod common;
use common::{json_lines, kefu, temp_dir};

/// The example (examples/checks/bank.toml).
const BANK: &str = include_str!("../../../examples/checks/bank.toml");

fn call(id: &str, third: &str) -> String {
    serde_json::json!({
        "id": id, "channel": "phone", "started_at": "2026-11-23T10:00:00+08:00", "agent": {"id": "A1", "work_no": "0731"},
        "turns": [
            {"speaker": "agent", "start": 0.0, "end": 4.0, "text": "您好，工号0731，请问有什么可以帮您？"},
            {"speaker": "customer", "start": 4.5, "end": 8.0, "text": "我想问一下我信用卡这个月的账单是多少"},
            {"speaker": "agent", "start": 8.5, "end": 14.0, "text": third}
        ]
    })
    .to_string()
}

#[test]
fn a_centres_own_check_from_export_to_inspection() {
    let root = temp_dir("custom-checks");
    let dir = root.join("rules");
    let out = kefu(&["rules", "export", dir.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("inspection/checks.toml").is_file() && dir.join("scenarios.toml").is_file());
    // A second export into the same (now full) directory is refused, nothing overwritten.
    let again = kefu(&["rules", "export", dir.to_str().expect("path")], b"");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("不为空"));

    std::fs::write(dir.join("inspection/bank.toml"), BANK).expect("write the check");
    let check = kefu(&["rules", "check", dir.to_str().expect("path")], b"");
    assert_eq!(check.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));

    let shown = kefu(&["rules", "show", "bank.verify_identity", "--json", "--rules", dir.to_str().expect("path")], b"");
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!((shown["logic"].as_str(), shown["condition"][1]["operator"].as_str()), (Some("a && !b"), Some("keywords")), "{shown}");
    let input = format!("{}\n{}\n", call("no-verify", "好的，您这个月的账单是三千二百元。"), call("verified", "好的，先帮您核实一下您的身份，请报一下身份证后四位。"));
    let out = kefu(&["inspect", "--json", "--rules", dir.to_str().expect("path"), "-"], input.as_bytes());
    let cards = json_lines(&out);
    let result = |card: &Value| card["checks"].as_array().and_then(|c| c.iter().find(|c| c["id"] == "bank.verify_identity")).cloned().expect("the custom check is on the scorecard");
    let failed = result(&cards[0]);
    assert_eq!(failed["result"], "fail", "{failed}");
    assert_eq!(failed["evidence"][0]["turn"], 1, "the inquiry is the evidence: {failed}");
    assert_eq!(result(&cards[1])["result"], "pass");
    // A scorecard by id: the default one named; an unknown one refused with the ones there are.
    let by_id = kefu(&["inspect", "--json", "--rules", dir.to_str().expect("path"), "--scorecard", "default", "-"], input.as_bytes());
    assert!(json_lines(&by_id).iter().all(|c| c["checks"].as_array().is_some_and(|c| c.len() == 18)), "the default card: every check");
    let unknown = kefu(&["inspect", "--rules", dir.to_str().expect("path"), "--scorecard", "gold", "-"], input.as_bytes());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("没有评分表 gold（规则库中有：default）"), "{}", String::from_utf8_lossy(&unknown.stderr));
    // Without the file, the embedded rulebook has no such check.
    let plain = json_lines(&kefu(&["inspect", "--json", "-"], input.as_bytes()));
    assert!(plain[0]["checks"].as_array().is_some_and(|c| c.iter().all(|c| c["id"] != "bank.verify_identity")));

    // A bad check: file:line and the reason, and nothing inspected.
    std::fs::write(dir.join("inspection/bank.toml"), BANK.replace("logic = \"a && !b\"", "logic = \"a && !c\"")).expect("write");
    let bad = kefu(&["rules", "check", dir.to_str().expect("path")], b"");
    let text = String::from_utf8_lossy(&bad.stderr).to_string() + &String::from_utf8_lossy(&bad.stdout);
    assert_ne!(bad.status.code(), Some(0));
    assert!(text.contains("inspection/bank.toml:1") && text.contains("不存在的条件“c”"), "{text}");
    let _ = std::fs::remove_dir_all(&root);
}
