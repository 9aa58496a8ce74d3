//! Checks written as data (issue 13): the example check of the issue end to
//! end through the engine, every operator with a conversation that makes its
//! condition true and one that does not, and the errors a QA author gets.

use kefu_core::calendar::HolidayCalendar;
use kefu_core::inspect::{Conversation, Outcome};
use kefu_core::rulebook::{embedded_files, Rulebook};
use kefu_core::Engine;
use serde_json::json;

/// The issue's example, word for word (also what the command-line and server tests add).
const BANK: &str = include_str!("../../../examples/checks/bank.toml");

fn engine_with(file: &str) -> Result<Engine, Vec<String>> {
    let mut files = embedded_files();
    files.push(("inspection/custom.toml".into(), file.into()));
    let book = Rulebook::from_files(&files).map_err(|e| e.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
    Engine::new(book, HolidayCalendar::embedded_default()).map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

fn call(turns: &[(&str, f64, f64, &str)], extra: serde_json::Value) -> Conversation {
    let mut v = json!({
        "id": "c1", "channel": "phone", "started_at": "2026-11-23T10:00:00+08:00", "agent": {"id": "A1", "work_no": "0731"},
        "turns": turns.iter().map(|(s, a, b, t)| json!({"speaker": s, "start": a, "end": b, "text": t})).collect::<Vec<_>>()
    });
    if let (Some(o), Some(x)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in x {
            o.insert(k.clone(), val.clone());
        }
    }
    Conversation::from_json(v).expect("a valid conversation")
}

fn result_of(engine: &Engine, conv: &Conversation, id: &str) -> (Outcome, Vec<String>) {
    let card = engine.inspect(conv);
    let c = card.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} on the scorecard"));
    (c.result, c.evidence.iter().map(|e| format!("{}#{}:{}", e.turn, e.text, e.note)).collect())
}

#[test]
fn the_issues_example_fails_without_verification_and_passes_with_it() {
    let engine = engine_with(BANK).expect("the example compiles");
    let without = call(
        &[
            ("agent", 0.0, 4.0, "您好，工号0731，请问有什么可以帮您？"),
            ("customer", 4.5, 8.0, "我想问一下我信用卡这个月的账单是多少"),
            ("agent", 8.5, 12.0, "好的，您这个月的账单是三千二百元。"),
        ],
        json!({}),
    );
    let (result, evidence) = result_of(&engine, &without, "bank.verify_identity");
    assert_eq!(result, Outcome::Fail, "{evidence:?}");
    assert!(evidence.iter().any(|e| e.starts_with("1#") && e.contains("条件 a")), "the inquiry is the evidence: {evidence:?}");
    let with = call(
        &[
            ("agent", 0.0, 4.0, "您好，工号0731，请问有什么可以帮您？"),
            ("customer", 4.5, 8.0, "我想问一下我信用卡这个月的账单是多少"),
            ("agent", 8.5, 12.0, "好的，先帮您核实一下您的身份，请报一下身份证后四位。"),
        ],
        json!({}),
    );
    assert_eq!(result_of(&engine, &with, "bank.verify_identity").0, Outcome::Pass);
    // Said too late (the fourth agent turn) is not said in the first three.
    let late = call(
        &[
            ("agent", 0.0, 4.0, "您好，工号0731，请问有什么可以帮您？"),
            ("customer", 4.5, 8.0, "我想问一下我信用卡这个月的账单是多少"),
            ("agent", 8.5, 10.0, "好的。"),
            ("agent", 10.5, 12.0, "请稍等。"),
            ("agent", 12.5, 16.0, "我核实一下您的身份。"),
        ],
        json!({}),
    );
    assert_eq!(result_of(&engine, &late, "bank.verify_identity").0, Outcome::Fail);
    // A chat is not a phone call: n/a.
    let mut chat = without.clone();
    chat.channel = kefu_core::inspect::Channel::Chat;
    assert_eq!(result_of(&engine, &chat, "bank.verify_identity").0, Outcome::NotApplicable);
}

/// One condition `a` with the operator's parameters; the check fails when it holds.
fn single(params: &str) -> String {
    format!("[[check]]\nid = \"t.one\"\nname = \"测试\"\npoints = 5\nsource = \"测试\"\nlogic = \"a\"\n[[check.condition]]\nid = \"a\"\n{params}\n")
}

#[test]
fn every_operator_holds_on_one_call_and_not_on_another() {
    let plain = call(
        &[
            ("agent", 0.0, 4.0, "您好，工号0731，请问有什么可以帮您？"),
            ("customer", 4.5, 8.0, "我想问一下宽带什么时候能装好"),
            ("agent", 8.5, 14.0, "好的，已经为您登记，师傅明天上午联系您。"),
            ("customer", 14.5, 15.5, "好的谢谢"),
            ("agent", 16.0, 19.0, "感谢您的来电，再见。"),
        ],
        json!({"rings": 2, "metadata": {"line": "standard"}}),
    );
    let busy = call(
        &[
            ("agent", 0.0, 4.0, "喂，什么事？"),
            ("customer", 4.5, 12.0, "我的订单号是 202611230001234 一直没发货，我要投诉，电话 138-1234-5678"),
            ("agent", 10.0, 14.0, "这事儿不归我管，你找售后去。"),
            ("agent", 60.0, 62.0, "你找售后去"),
            ("agent", 63.0, 64.0, "你找售后去"),
            ("customer", 64.5, 70.0, "退我 199 元，2026年11月20日买的"),
            ("customer", 71.0, 74.0, "你们这服务太差了，我要投诉你们！"),
        ],
        json!({"rings": 6, "metadata": {"line": "vip"}, "events": [{"type": "hold", "start": 20.0, "end": 58.0}, {"type": "hangup", "at": 400.0, "by": "agent"}]}),
    );
    let cases: &[(&str, &str)] = &[
        ("keywords", "operator = \"keywords\"\nspeaker = \"agent\"\nany = [\"不归我管\", \"找~2售后\"]"),
        ("keywords at_least", "operator = \"keywords\"\nany = [\"订单\", \"投诉\", \"发货\"]\nat_least = 3"),
        ("keywords all", "operator = \"keywords\"\nall = [\"订单\", \"投诉\"]"),
        ("similar", "operator = \"similar\"\nspeaker = \"agent\"\nexamples = [\"这个不归我管，你去找售后\"]\nthreshold = 0.5"),
        ("regex", "operator = \"regex\"\nspeaker = \"agent\"\npattern = \"^喂\"\nexclude = \"您好\""),
        ("forbidden", "operator = \"forbidden\"\ncategories = [\"shirk\"]"),
        ("scenario", "operator = \"scenario\"\nscenarios = [\"complaint\"]"),
        ("entity phone", "operator = \"entity\"\nkinds = [\"phone\"]"),
        ("entity order", "operator = \"entity\"\nkinds = [\"order\"]"),
        ("entity amount+date", "operator = \"entity\"\nkinds = [\"amount\", \"date\"]"),
        ("repeat", "operator = \"repeat\"\nspeaker = \"agent\"\ntimes = 2\nwithin_turns = 5"),
        ("silence", "operator = \"silence\"\nlonger_than = 30\nspeaker = \"agent\""),
        ("interrupt", "operator = \"interrupt\"\nlonger_than = 1"),
        ("speech_rate", "operator = \"speech_rate\"\nslower_than = 150"),
        ("hold", "operator = \"hold\"\nlonger_than = 30"),
        ("duration", "operator = \"duration\"\nlonger_than = 300"),
        ("rings", "operator = \"rings\"\nmore_than = 3"),
        ("meta", "operator = \"meta\"\nfield = \"line\"\nequals = \"vip\""),
    ];
    for (name, params) in cases {
        let engine = engine_with(&single(params)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let (on_busy, evidence) = result_of(&engine, &busy, "t.one");
        assert_eq!(on_busy, Outcome::Fail, "{name} holds on the busy call");
        assert!(!evidence.is_empty(), "{name} gives evidence");
        assert_eq!(result_of(&engine, &plain, "t.one").0, Outcome::Pass, "{name} does not hold on the plain call");
    }
}

#[test]
fn positions_choose_the_turns() {
    let conv = call(
        &[
            ("agent", 0.0, 3.0, "您好"),
            ("customer", 3.5, 6.0, "我要投诉"),
            ("agent", 6.5, 9.0, "非常抱歉给您带来不便"),
            ("customer", 9.5, 12.0, "嗯"),
            ("agent", 100.0, 103.0, "感谢来电再见"),
        ],
        json!({}),
    );
    let check = |position: &str, logic: &str| {
        let file = format!(
            "[[check]]\nid = \"t.pos\"\nname = \"测试\"\npoints = 5\nsource = \"测试\"\nlogic = \"{logic}\"\n[[check.condition]]\nid = \"c\"\noperator = \"scenario\"\nscenarios = [\"complaint\"]\n[[check.condition]]\nid = \"k\"\noperator = \"keywords\"\nspeaker = \"agent\"\nany = [\"抱歉\"]\nposition = {{ {position} }}\n"
        );
        result_of(&engine_with(&file).expect("compiles"), &conv, "t.pos").0
    };
    // An apology within 2 turns after the complaint: present, so `c && !k` passes.
    assert_eq!(check("after = \"c\", within_turns = 2", "c && !k"), Outcome::Pass);
    assert_eq!(check("last_turns = 1", "c && !k"), Outcome::Fail, "not in the last agent turn");
    assert_eq!(check("first_turns = 2", "c && !k"), Outcome::Pass);
    assert_eq!(check("within_seconds_of_start = 5", "c && !k"), Outcome::Fail);
    assert_eq!(check("within_seconds_of_end = 10", "c && !k"), Outcome::Fail);
}

#[test]
fn bad_checks_are_refused_with_file_line_and_a_reason() {
    let bad = |params: &str| engine_with(&single(params)).expect_err("refused").join("\n");
    let e = bad("operator = \"teleport\"");
    assert!(e.contains("inspection/custom.toml:") && e.contains("[t.one]") && e.contains("没有算子“teleport”"), "{e}");
    assert!(bad("operator = \"regex\"\npattern = \"(未闭合\"").contains("不是有效的正则表达式"));
    assert!(bad("operator = \"keywords\"\nany = [\"好\"]\nposition = { first_turns = -1 }").contains("应为正整数"));
    assert!(bad("operator = \"keywords\"\nany = [\"好\"]\nposition = { within_seconds_of_start = -3 }").contains("不小于 0"));
    assert!(bad("operator = \"scenario\"\nscenarios = [\"weather\"]").contains("没有场景“weather”"));
    assert!(bad("operator = \"keywords\"\nany = [\"好\"]\ncolour = \"red\"").contains("没有参数 colour"));
    assert!(bad("operator = \"hold\"").contains("须有 count_at_least 或 longer_than"));
    assert!(bad("operator = \"duration\"\nlonger_than = 10\nposition = { first_turns = 1 }").contains("不能加 position"));
    let e = engine_with(&single("operator = \"keywords\"\nany = [\"好\"]").replace("logic = \"a\"", "logic = \"a && b\"")).expect_err("refused").join("\n");
    assert!(e.contains("不存在的条件“b”"), "{e}");
    let e = engine_with(&single("operator = \"keywords\"\nany = [\"好\"]").replace("t.one", "opening.greeting")).expect_err("refused").join("\n");
    assert!(e.contains("不能用内置检查项的 id"), "{e}");
}

#[test]
fn a_scorecard_is_chosen_by_metadata_and_counts_by_its_mode() {
    let cards = format!(
        "{BANK}\n[[scorecard]]\nid = \"bank\"\nname = \"银行线评分表\"\nmode = \"deduction\"\nchecks = [\"opening.greeting\", \"language.forbidden\", \"bank.verify_identity\"]\nwhen = {{ line = [\"bank\", \"vip_bank\"] }}\n"
    );
    let engine = engine_with(&cards).expect("compiles");
    let turns: &[(&str, f64, f64, &str)] = &[
        ("agent", 0.0, 4.0, "您好，工号0731，请问有什么可以帮您？"),
        ("customer", 4.5, 8.0, "我想问一下我信用卡这个月的账单是多少"),
        ("agent", 8.5, 12.0, "好的，您这个月的账单是三千二百元。"),
    ];
    let bank = call(turns, json!({"metadata": {"line": "bank"}}));
    let card = engine.inspect(&bank);
    assert_eq!(card.scorecard, "bank");
    assert_eq!(card.mode, kefu_core::inspect::ScoreMode::Deduction);
    let ids: Vec<&str> = card.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["opening.greeting", "language.forbidden", "bank.verify_identity"], "only the scorecard's checks");
    assert_eq!(card.score, 90, "100 minus the 10 points of the failed identity check");
    // Other conversations: the default scorecard with every check, in percent.
    let plain = engine.inspect(&call(turns, json!({})));
    assert_eq!((plain.scorecard.as_str(), plain.mode), ("default", kefu_core::inspect::ScoreMode::Percent));
    assert!(plain.checks.len() >= 18);
    // By id, whatever the metadata; an unknown id is none.
    let limits = kefu_core::limits::Limits::default();
    assert_eq!(engine.inspect_with_scorecard(&call(turns, json!({})), &limits, "bank").map(|c| c.scorecard), Some("bank".to_string()));
    assert!(engine.inspect_with_scorecard(&bank, &limits, "nope").is_none());
    // An appeal's rescoring keeps the mode: the failed check overturned gives 100.
    let mut appealed = card.clone();
    if let Some(c) = appealed.checks.iter_mut().find(|c| c.id == "bank.verify_identity") {
        c.result = Outcome::Pass;
    }
    appealed.rescore();
    assert_eq!(appealed.score, 100);
    // A scorecard naming a check that does not exist is refused.
    let bad = engine_with(&cards.replace("\"bank.verify_identity\"]", "\"bank.nothing\"]")).expect_err("refused").join("\n");
    assert!(bad.contains("不存在的检查项 bank.nothing"), "{bad}");
}
