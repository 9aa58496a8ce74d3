//! Every inspection check, passing and failing, on the standards' own
//! examples; and the labelled qa_dev examples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kefu_core::inspect::{Agent, Channel, Conversation, Event, Outcome, Party, Scorecard, Turn};
use kefu_core::Engine;

fn engine() -> Engine {
    Engine::embedded().expect("default rulebook")
}

/// Turns as (speaker 'a' or 'c', start, end, text); chat turns ignore `end`.
fn conv(channel: Channel, turns: &[(char, f64, f64, &str)], events: Vec<Event>) -> Conversation {
    Conversation {
        id: "t".into(),
        channel,
        started_at: Some("2026-03-02T09:20:00+08:00".into()),
        agent: Agent { id: "A1024".into(), work_no: "1024".into(), name: "李娜".into() },
        rings: Some(2),
        turns: turns
            .iter()
            .map(|&(s, start, end, text)| Turn {
                speaker: if s == 'a' { Party::Agent } else { Party::Customer },
                start,
                end: (channel == Channel::Phone).then_some(end),
                text: text.into(),
            })
            .collect(),
        events,
        metadata: Default::default(),
    }
}

const OPENING: &str = "您好！华业售后，工号1024，请问有什么可以帮到您？";
const CLOSING_ASK: &str = "请问您还有其它问题吗？";
const FAREWELL: &str = "谢谢您的来电，再见！";

/// A well-handled repair call in the words of 03 §基本流程, timed at ~120 chars/min.
fn good_call() -> Vec<(char, f64, f64, &'static str)> {
    vec![
        ('a', 0.3, 12.3, OPENING),
        ('c', 13.0, 18.0, "我家冰箱不制冷了，你们能派人来修一下吗？"),
        ('a', 18.5, 29.0, "好的，您是说冰箱不制冷，需要上门维修，对吗？"),
        ('c', 29.5, 30.5, "对的。"),
        ('a', 31.0, 47.0, "您好，你的具体情况已记录，稍后安排专业人员电话给您，请问这个号码可以联系到您吗？"),
        ('c', 47.5, 48.5, "可以。"),
        ('a', 49.0, 54.0, CLOSING_ASK),
        ('c', 54.5, 55.5, "没有了。"),
        ('a', 56.0, 61.0, FAREWELL),
    ]
}

fn hangup(by: Party, at: f64) -> Event {
    Event::Hangup { at, by }
}

fn result(card: &Scorecard, id: &str) -> Outcome {
    card.checks.iter().find(|c| c.id == id).map(|c| c.result).unwrap_or_else(|| panic!("no check {id}"))
}

fn note(card: &Scorecard, id: &str) -> String {
    card.checks.iter().find(|c| c.id == id).map(|c| c.evidence.iter().map(|e| e.note.clone()).collect::<Vec<_>>().join(" | ")).unwrap_or_default()
}

fn failed(card: &Scorecard) -> BTreeSet<String> {
    card.failed().map(|c| c.id.clone()).collect()
}

#[test]
fn a_good_call_passes_everything() {
    let e = engine();
    let card = e.inspect(&conv(Channel::Phone, &good_call(), vec![hangup(Party::Customer, 62.0)]));
    assert!(failed(&card).is_empty(), "{:?}", card.failed().collect::<Vec<_>>());
    assert_eq!(card.score, 100);
}

#[test]
fn opening_greeting() {
    let e = engine();
    let mut turns = good_call();
    turns[0].3 = "喂，说吧。";
    let card = e.inspect(&conv(Channel::Phone, &turns, vec![]));
    assert_eq!(result(&card, "opening.greeting"), Outcome::Fail);
    assert!(note(&card, "opening.greeting").contains("问候语"));
    // 04 §4(1)'s greeting alone lacks the work number of 04 §二2.
    turns[0].3 = "您好，请问有什么可以帮您？";
    let card = e.inspect(&conv(Channel::Phone, &turns, vec![]));
    assert!(note(&card, "opening.greeting").contains("工号"));
    // The work number given by digits only also counts (02 §1 几号客服人员).
    turns[0].3 = "您好，旭日装饰客服中心1024号客服人员为您服务";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "opening.greeting"), Outcome::Pass);
    // Chat: 01 §一 daily opening passes; a bare 您好 lacks the service's name.
    let chat = |opening: &'static str| conv(Channel::Chat, &[('a', 0.0, 0.0, opening), ('c', 5.0, 0.0, "在吗")], vec![]);
    assert_eq!(result(&e.inspect(&chat("您好，欢迎访问网站，华业客服竭诚为您服务")), "opening.greeting"), Outcome::Pass);
    assert_eq!(result(&e.inspect(&chat("您好")), "opening.greeting"), Outcome::Fail);
}

#[test]
fn late_answer_apology() {
    let e = engine();
    let mut c = conv(Channel::Phone, &good_call(), vec![]);
    c.rings = Some(3);
    assert_eq!(result(&e.inspect(&c), "opening.late_answer_apology"), Outcome::NotApplicable);
    c.rings = Some(4);
    assert_eq!(result(&e.inspect(&c), "opening.late_answer_apology"), Outcome::Fail);
    c.turns[0].text = "对不起，让您久等了！华业售后，工号1024，请问有什么可以帮到您？".into();
    assert_eq!(result(&e.inspect(&c), "opening.late_answer_apology"), Outcome::Pass);
    // 02 §电话接听规范 2: after the rings the apology comes first and opens the call,
    // as in 03's own wording without 您好.
    assert_eq!(result(&e.inspect(&c), "opening.greeting"), Outcome::Pass, "{:?}", failed(&e.inspect(&c)));
    c.turns[0].text = "对不起，让您久等了，现在线路比较繁忙，工号1024，请问有什么可以帮到您？".into();
    assert_eq!(result(&e.inspect(&c), "opening.greeting"), Outcome::Pass);
    // On time, the apology alone is no greeting.
    c.rings = Some(2);
    assert_eq!(result(&e.inspect(&c), "opening.greeting"), Outcome::Fail);
}

#[test]
fn time_of_day_greeting() {
    let e = engine();
    let mut c = conv(Channel::Phone, &good_call(), vec![]);
    assert_eq!(result(&e.inspect(&c), "opening.time_of_day"), Outcome::NotApplicable);
    c.turns[0].text = "早上好！这里是贵宾服务专线，工号1024，请问有什么可以帮助您？".into();
    assert_eq!(result(&e.inspect(&c), "opening.time_of_day"), Outcome::Pass);
    c.started_at = Some("2026-03-02T14:05:00+08:00".into());
    let card = e.inspect(&c);
    assert_eq!(result(&card, "opening.time_of_day"), Outcome::Fail);
    assert!(note(&card, "opening.time_of_day").contains("14:05"));
    // 11:59:50 plus 20 s into the call is already afternoon in Shanghai; UTC input is converted.
    c.started_at = Some("2026-03-02T03:59:50Z".into());
    c.turns[0].start = 20.0;
    assert_eq!(result(&e.inspect(&c), "opening.time_of_day"), Outcome::Fail);
}

#[test]
fn forbidden_language_is_a_veto() {
    let e = engine();
    let mut turns = good_call();
    turns[4].3 = "急什么，师傅下午才有空。";
    let card = e.inspect(&conv(Channel::Phone, &turns, vec![]));
    assert_eq!(result(&card, "language.forbidden"), Outcome::Fail);
    assert!(card.vetoed);
    assert_eq!(card.score, 0);
    let ev = &card.checks.iter().find(|c| c.id == "language.forbidden").expect("check").evidence[0];
    assert_eq!((ev.turn, ev.start, ev.end, ev.text.as_str()), (4, 0, 3, "急什么"));
}

#[test]
fn no_interrupting() {
    let e = engine();
    let mut turns = good_call();
    // The agent starts at 15.0 while the customer speaks until 18.0.
    turns[2].1 = 15.0;
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "listen.no_interrupt"), Outcome::Fail);
    turns[2].3 = "对不起，打断一下，请听我说，您是说冰箱不制冷，对吗？";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "listen.no_interrupt"), Outcome::Pass);
    // Within the tolerance (0.5 s) is not an interruption.
    let mut turns = good_call();
    turns[2].1 = 17.8;
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "listen.no_interrupt"), Outcome::Pass);
}

#[test]
fn restating_key_information() {
    let e = engine();
    let mut turns = good_call();
    turns[2].3 = "好的。";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "confirm.restate"), Outcome::Fail);
    // An inquiry needs no restating.
    turns[1].3 = "你们营业时间是几点到几点？";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "confirm.restate"), Outcome::NotApplicable);
    // 04 §三2 1258: a message is read back with the call-back number.
    let msg = [
        ('a', 0.3, 5.0, "您好！请问有什么可以帮助您？"),
        ('c', 5.5, 9.0, "帮我留个言给机主，说我明天上午到。"),
        ('a', 9.5, 20.0, "好的，留言内容是您明天上午到，回电号码是13800000000，对吗？"),
    ];
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &msg, vec![])), "confirm.restate"), Outcome::Pass);
}

fn hold_call(before: &'static str, after: &'static str, seconds: f64) -> Conversation {
    let start = 35.0;
    conv(
        Channel::Phone,
        &[
            ('a', 0.3, 12.3, OPENING),
            ('c', 13.0, 16.0, "我想问一下我的订单什么时候发货。"),
            ('a', 16.5, 33.0, before),
            ('a', start + seconds + 0.5, start + seconds + 8.0, after),
            ('c', start + seconds + 8.5, start + seconds + 9.5, "好的。"),
            ('a', start + seconds + 10.0, start + seconds + 15.0, CLOSING_ASK),
            ('a', start + seconds + 16.0, start + seconds + 21.0, FAREWELL),
        ],
        vec![Event::Hold { start, end: start + seconds }],
    )
}

#[test]
fn holds() {
    let e = engine();
    let ask = "对不起，先生，我帮您查询一下，请您稍等片刻，好吗？谢谢！";
    let thanks = "先生，非常感谢您的耐心等待！您的订单明天发货。";
    let card = e.inspect(&hold_call(ask, thanks, 60.0));
    for id in ["wait.ask_before_hold", "wait.thanks_after_hold", "wait.long_hold_callback"] {
        assert_eq!(result(&card, id), Outcome::Pass, "{id}");
    }
    let card = e.inspect(&hold_call("好的，我查一下。", "您的订单明天发货。", 200.0));
    for id in ["wait.ask_before_hold", "wait.thanks_after_hold", "wait.long_hold_callback"] {
        assert_eq!(result(&card, id), Outcome::Fail, "{id}");
    }
    assert!(note(&card, "wait.long_hold_callback").contains("200"));
    // 03 示忙完毕's alternative: 对不起，让您久等了.
    let card = e.inspect(&hold_call(ask, "对不起，让您久等了，您的订单明天发货。", 60.0));
    assert_eq!(result(&card, "wait.thanks_after_hold"), Outcome::Pass);
    let card = e.inspect(&conv(Channel::Phone, &good_call(), vec![]));
    assert_eq!(result(&card, "wait.ask_before_hold"), Outcome::NotApplicable);
}

#[test]
fn complaint_handling() {
    let e = engine();
    let complaint = |reply: &'static str| {
        conv(
            Channel::Phone,
            &[
                ('a', 0.3, 12.3, OPENING),
                ('c', 13.0, 18.0, "你们的宽带又断了，这个月第三次了，我要投诉！"),
                ('a', 18.5, 60.0, reply),
                ('a', 61.0, 66.0, CLOSING_ASK),
                ('a', 67.0, 72.0, FAREWELL),
            ],
            vec![],
        )
    };
    // 01 §六 3 and 04 §三1(7).
    let full = "很抱歉，给您添麻烦了。您的投诉内容我们已做好了详细记录，会很快转发给相关部门，我们将在24小时内给您答复。";
    assert_eq!(result(&e.inspect(&complaint(full)), "complaint.handling"), Outcome::Pass);
    let card = e.inspect(&complaint("很抱歉，给您带来了不便。"));
    assert_eq!(result(&card, "complaint.handling"), Outcome::Fail);
    let n = note(&card, "complaint.handling");
    assert!(n.contains("说明已记录") && n.contains("承诺答复时间") && !n.contains("致歉"), "{n}");
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &good_call(), vec![])), "complaint.handling"), Outcome::NotApplicable);
}

#[test]
fn closings() {
    let e = engine();
    let mut turns = good_call();
    turns[6].3 = "好的。";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "closing.anything_else"), Outcome::Fail);
    let mut turns = good_call();
    turns[8].3 = "再见。";
    let card = e.inspect(&conv(Channel::Phone, &turns, vec![]));
    assert_eq!(result(&card, "closing.farewell"), Outcome::Fail);
    assert!(note(&card, "closing.farewell").contains("致谢"));
    // 02 §8's closing.
    turns[8].3 = "感谢您的来电，祝你生活愉快，再见。";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "closing.farewell"), Outcome::Pass);
    // Chat: 01 §二 closing with its rating invitation.
    let chat = |last: &'static str| conv(Channel::Chat, &[('a', 0.0, 0.0, "您好，欢迎访问网站，华业客服竭诚为您服务"), ('c', 3.0, 0.0, "好的谢谢"), ('a', 5.0, 0.0, last)], vec![]);
    let card = e.inspect(&chat("请问还有什么需要帮助的吗？请您稍后对我的服务进行评价，再见！"));
    assert_eq!(result(&card, "closing.rating_invite"), Outcome::Pass);
    assert_eq!(result(&e.inspect(&chat("感谢您的咨询，再见！")), "closing.rating_invite"), Outcome::Fail);
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &good_call(), vec![])), "closing.rating_invite"), Outcome::NotApplicable);
}

#[test]
fn customer_hangs_up_first() {
    let e = engine();
    let c = |events| e.inspect(&conv(Channel::Phone, &good_call(), events));
    assert_eq!(result(&c(vec![hangup(Party::Customer, 62.0)]), "closing.customer_hangs_up_first"), Outcome::Pass);
    assert_eq!(result(&c(vec![hangup(Party::Agent, 62.0)]), "closing.customer_hangs_up_first"), Outcome::Fail);
    assert_eq!(result(&c(vec![]), "closing.customer_hangs_up_first"), Outcome::NotApplicable);
}

#[test]
fn speech_rate() {
    let e = engine();
    let card = e.inspect(&conv(Channel::Phone, &good_call(), vec![]));
    assert_eq!(result(&card, "voice.speech_rate"), Outcome::Pass);
    // The same words in a third of the time: ~360 chars per minute.
    let fast: Vec<_> = good_call().into_iter().map(|(s, a, b, t)| (s, a, if s == 'a' { a + (b - a) / 3.0 } else { b }, t)).collect();
    let card = e.inspect(&conv(Channel::Phone, &fast, vec![]));
    assert_eq!(result(&card, "voice.speech_rate"), Outcome::Fail);
    assert!(note(&card, "voice.speech_rate").contains("过快"));
    let slow: Vec<_> = good_call().into_iter().map(|(s, a, b, t)| (s, a, if s == 'a' { a + (b - a) * 2.0 } else { b }, t)).collect();
    assert!(note(&e.inspect(&conv(Channel::Phone, &slow, vec![])), "voice.speech_rate").contains("过慢"));
}

#[test]
fn agent_name_stays_private() {
    let e = engine();
    let mut turns = good_call();
    turns[0].3 = "您好，我是李娜，很高兴为您服务，工号1024。";
    let card = e.inspect(&conv(Channel::Phone, &turns, vec![]));
    assert_eq!(result(&card, "privacy.agent_name"), Outcome::Fail);
    let ev = &card.checks.iter().find(|c| c.id == "privacy.agent_name").expect("check").evidence[0];
    assert_eq!(ev.text, "李娜");
    // 05's example (我是客服专员小李) breaks 02 §1 (对外只报工作编号).
    turns[0].3 = "您好，很高兴为您服务！我是客服专员小李，请问有什么可以帮到您？";
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &turns, vec![])), "privacy.agent_name"), Outcome::Fail);
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &good_call(), vec![])), "privacy.agent_name"), Outcome::Pass);
}

#[test]
fn silent_call_procedure() {
    let e = engine();
    // 04 §三4(3), as in qa_dev.
    let steps = [
        ('a', 0.3, 5.8, "您好！请问有什么可以帮您？"),
        ('a', 11.4, 16.9, "您好！请问有什么可以帮您？"),
        ('a', 22.5, 34.5, "对不起，您的电话没有声音，请您换一部电话挂来，好吗？再见！"),
    ];
    let card = e.inspect(&conv(Channel::Phone, &steps, vec![hangup(Party::Agent, 40.0)]));
    assert_eq!(result(&card, "silent_call.procedure"), Outcome::Pass);
    for id in ["opening.greeting", "closing.farewell", "closing.anything_else", "closing.customer_hangs_up_first"] {
        assert_eq!(result(&card, id), Outcome::NotApplicable, "{id}");
    }
    // Hanging up after one greeting.
    let card = e.inspect(&conv(Channel::Phone, &steps[..1], vec![hangup(Party::Agent, 8.0)]));
    assert_eq!(result(&card, "silent_call.procedure"), Outcome::Fail);
    let n = note(&card, "silent_call.procedure");
    assert!(n.contains("再次提示") && n.contains("换电话再拨"), "{n}");
    // 03's version with a 3-second pause passes too.
    let steps03 = [
        ('a', 0.3, 3.0, "您好，您的电话已接通。"),
        ('a', 6.0, 11.0, "您好，您的电话已接通，请问您能听见我的声音吗？"),
        ('a', 14.0, 20.0, "对不起，听不到您的声音，请您换一部话机再拨，谢谢。"),
    ];
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &steps03, vec![])), "silent_call.procedure"), Outcome::Pass);
    assert_eq!(result(&e.inspect(&conv(Channel::Phone, &good_call(), vec![])), "silent_call.procedure"), Outcome::NotApplicable);
}

#[test]
fn scores_follow_the_scorecard() {
    let e = engine();
    let mut c = conv(Channel::Phone, &good_call(), vec![hangup(Party::Agent, 62.0)]);
    let card = e.inspect(&c);
    let applicable: u32 = card.checks.iter().filter(|c| c.result != Outcome::NotApplicable).map(|c| c.points).sum();
    let lost: u32 = card.failed().map(|c| c.points).sum();
    assert_eq!(card.score, ((applicable - lost) as f64 * 100.0 / applicable as f64).round() as u32);
    // Points and veto marks are data: make the hang-up a veto item.
    let mut book = e.rulebook.clone();
    if let Some(check) = book.checks.iter_mut().find(|c| c.id == "closing.customer_hangs_up_first") {
        check.veto = true;
    }
    let strict = Engine::new(book, e.calendar.clone()).expect("engine");
    assert_eq!(strict.inspect(&c).score, 0);
    c.events.clear();
    assert_eq!(strict.inspect(&c).score, 100);
}

#[test]
fn malformed_conversations_are_rejected_with_a_reason() {
    let mut c = conv(Channel::Phone, &good_call(), vec![]);
    c.turns[1].end = Some(1.0);
    assert!(c.validate().unwrap_err().message.contains("第 2 个 turn"));
    let mut c = conv(Channel::Phone, &good_call(), vec![Event::Hold { start: 10.0, end: 5.0 }]);
    assert!(c.validate().is_err());
    c.events.clear();
    c.started_at = Some("yesterday".into());
    assert_eq!(c.validate().unwrap_err().field, "started_at");
}

/// Local exports carry no offset: the time is taken as Asia/Shanghai, the
/// scorecard says so and carries the time with the offset it assumed.
#[test]
fn started_at_without_an_offset_is_shanghai_time_and_says_so() {
    let e = engine();
    let mut c = conv(Channel::Phone, &good_call(), vec![]);
    c.turns[0].text = "早上好！这里是贵宾服务专线，工号1024，请问有什么可以帮助您？".into();
    for local in ["2026-11-22 11:48:00", "2026-11-22T11:48:00", "2026-11-22 11:48", "2026/11/22 11:48:00", "2026-11-22 11:48:00.250"] {
        c.started_at = Some(local.into());
        assert_eq!(c.validate(), Ok(()), "{local}");
        let card = e.inspect(&c);
        assert!(card.started_at.as_deref().is_some_and(|s| s.starts_with("2026-11-22T11:48:00") && s.ends_with("+08:00")), "{local}: {:?}", card.started_at);
        let json = serde_json::to_value(&card).expect("json");
        let warnings = json["warnings"].as_array().cloned().unwrap_or_default();
        assert_eq!(warnings.len(), 1, "{local}: {json}");
        assert!(warnings[0].as_str().is_some_and(|w| w.contains(local) && w.contains("Asia/Shanghai")), "{warnings:?}");
        // 11:48 in Shanghai is before noon: 早上好 is right.
        assert_eq!(result(&card, "opening.time_of_day"), Outcome::Pass, "{local}");
    }
    // 12:48 local is afternoon: the greeting is wrong, by Shanghai time.
    c.started_at = Some("2026-11-22 12:48:00".into());
    assert_eq!(result(&e.inspect(&c), "opening.time_of_day"), Outcome::Fail);
    // With an offset nothing is assumed, and nothing is said.
    c.started_at = Some("2026-11-22T03:48:00Z".into());
    let card = e.inspect(&c);
    assert_eq!(card.started_at.as_deref(), Some("2026-11-22T03:48:00Z"));
    assert!(!serde_json::to_string(&card).expect("json").contains("warnings"), "no empty list in the output");
    // Still refused: not a time at all, a day without a time, a year out of range.
    for bad in ["yesterday", "2026-11-22", "1900-01-01 08:00:00", "2026-13-01 10:00:00"] {
        c.started_at = Some(bad.into());
        assert_eq!(c.validate().map_err(|e| e.field), Err("started_at".to_string()), "{bad}");
    }
}

fn shared() -> PathBuf {
    std::env::var_os("KEFU_SHARED").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

#[test]
fn qa_dev_examples_pass() {
    let path = shared().join("eval/qa_dev.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let e = engine();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let c: Conversation = serde_json::from_value(v["conversation"].clone()).expect("conversation");
        c.validate().expect("valid");
        let expected: BTreeSet<String> = serde_json::from_value(v["expect_failed"].clone()).expect("expect_failed");
        let card = e.inspect(&c);
        assert_eq!(failed(&card), expected, "{}: {:?}", c.id, card.failed().collect::<Vec<_>>());
        n += 1;
    }
    assert!(n >= 8);
}
