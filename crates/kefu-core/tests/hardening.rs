//! Hostile inputs: absurd times, huge texts, patterns written to blow up.
//! Each is refused with a reason naming the field, or handled in time and
//! memory proportional to its size; none panics.

use kefu_core::inspect::{Agent, Channel, Conversation, Event, Outcome, Party, Turn};
use kefu_core::limits::Limits;
use kefu_core::matcher::{Matcher, Scratch};
use kefu_core::pattern::compile;
use kefu_core::Engine;

fn engine() -> Engine {
    Engine::embedded().expect("default rulebook")
}

fn call(turns: Vec<Turn>, events: Vec<Event>) -> Conversation {
    Conversation {
        id: "h".into(),
        channel: Channel::Phone,
        started_at: Some("2026-03-02T09:20:00+08:00".into()),
        agent: Agent { id: "A1".into(), work_no: "1001".into(), name: "王芳".into() },
        rings: Some(2),
        turns,
        events,
        metadata: Default::default(),
    }
}

fn turn(speaker: Party, start: f64, end: Option<f64>, text: &str) -> Turn {
    Turn { speaker, start, end, text: text.into() }
}

fn greeting_call() -> Conversation {
    call(
        vec![
            turn(Party::Agent, 0.5, Some(4.0), "早上好，1001号为您服务"),
            turn(Party::Customer, 4.5, Some(6.0), "你好，我想问一下"),
        ],
        vec![],
    )
}

/// A change that makes a transcript invalid, and the field it should name.
type Breakage = (Box<dyn Fn(&mut Conversation)>, &'static str);

#[test]
fn absurd_times_are_refused_naming_the_field() {
    let cases: Vec<Breakage> = vec![
        (Box::new(|c| c.turns[0].start = 1.8e19), "turns[0].start"),
        (Box::new(|c| c.turns[1].end = Some(f64::INFINITY)), "turns[1].end"),
        (Box::new(|c| c.turns[0].start = -3.0), "turns[0].start"),
        (Box::new(|c| c.turns[1].end = Some(86_400.5)), "turns[1].end"),
        (Box::new(|c| c.turns[1].end = Some(1.0)), "turns[1].end"),
        (Box::new(|c| c.started_at = Some("9999-12-31T23:59:59+00:00".into())), "started_at"),
        (Box::new(|c| c.started_at = Some("1900-01-01T00:00:00+08:00".into())), "started_at"),
        (Box::new(|c| c.rings = Some(u32::MAX)), "rings"),
        (Box::new(|c| c.events.push(Event::Hold { start: 10.0, end: 1e300 })), "events[0].end"),
        (Box::new(|c| c.events.push(Event::Hold { start: 10.0, end: 5.0 })), "events[0].end"),
        (Box::new(|c| c.events.push(Event::Hangup { at: f64::NAN, by: Party::Agent })), "events[0].at"),
        (Box::new(|c| c.agent.name = "名".repeat(300)), "agent.name"),
    ];
    for (mutate, field) in cases {
        let mut c = greeting_call();
        mutate(&mut c);
        let err = c.validate().expect_err(field);
        assert_eq!(err.field, field, "{err}");
        assert!(err.message.contains(field), "the message names the field: {err}");
    }
    assert!(greeting_call().validate().is_ok());
}

#[test]
fn inspecting_unvalidated_absurd_times_does_not_panic() {
    // The engine is meant for validated transcripts, but its time arithmetic
    // is checked all the same: these overflowed DateTime + TimeDelta before.
    let e = engine();
    for (start, started_at) in [(1.8e19, "2026-03-02T09:20:00+08:00"), (f64::MAX, "2026-03-02T09:20:00+08:00"), (1.0, "+262142-12-31T23:59:59+00:00"), (3600.0, "9999-12-31T23:59:59+00:00")] {
        let mut c = greeting_call();
        c.turns[0].start = start;
        c.started_at = Some(started_at.into());
        c.events = vec![Event::Hold { start: -1e308, end: f64::MAX }, Event::Hangup { at: f64::NAN, by: Party::Agent }];
        let card = e.inspect(&c);
        assert_eq!(card.checks.len(), e.rulebook.checks.len());
    }
}

#[test]
fn limits_on_turns_and_characters() {
    let limits = Limits { max_turns: 3, max_text_chars: 20, ..Limits::default() };
    let mut c = greeting_call();
    assert!(c.validate_with(&limits).is_ok());
    c.turns.push(turn(Party::Agent, 7.0, Some(8.0), "好的"));
    c.turns.push(turn(Party::Agent, 9.0, Some(10.0), "好的"));
    assert_eq!(c.validate_with(&limits).unwrap_err().field, "turns");
    let mut c = greeting_call();
    c.turns[1].text = "一".repeat(21);
    let err = c.validate_with(&limits).unwrap_err();
    assert_eq!(err.field, "turns[1].text");
    assert!(err.message.contains("20 个字符"), "{err}");
    // The default: 100,000 characters per turn.
    let mut c = greeting_call();
    c.turns[1].text = "好".repeat(100_001);
    assert_eq!(c.validate().unwrap_err().field, "turns[1].text");
}

#[test]
fn evidence_is_capped_and_says_so() {
    let e = engine();
    let phrase = "这事儿不归我管。";
    let mut c = greeting_call();
    c.turns.push(turn(Party::Agent, 7.0, Some(60.0), &phrase.repeat(5_000)));
    c.turns.push(turn(Party::Agent, 61.0, Some(90.0), &phrase.repeat(3)));
    let limits = Limits { max_hits_per_turn: 10, max_hits_per_conversation: 12, ..Limits::default() };
    let card = e.inspect_with(&c, &limits);
    let forbidden = card.checks.iter().find(|k| k.id == "language.forbidden").expect("check");
    assert_eq!(forbidden.result, Outcome::Fail);
    assert_eq!(forbidden.evidence.len(), 12, "10 from the long turn, 2 from the short one");
    assert!(forbidden.truncated);
    assert_eq!(forbidden.evidence_total, Some(5_003));
    assert!(forbidden.evidence.iter().take(10).all(|ev| ev.turn == 2) && forbidden.evidence[10].turn == 3);
    // Within the limits nothing is marked.
    let card = e.inspect(&greeting_call());
    assert!(card.checks.iter().all(|k| !k.truncated && k.evidence_total.is_none()));
}

#[test]
fn lint_capped_counts_everything_and_builds_only_what_is_asked() {
    let e = engine();
    let text = "不归我管，".repeat(1_000);
    let all = e.lint(&text);
    let (first, total) = e.lint_capped(&text, 5, &mut Scratch::default());
    assert_eq!(total, all.len());
    assert_eq!(first.as_slice(), &all[..5]);
    let (none, total) = e.lint_capped(&text, 0, &mut Scratch::default());
    assert!(none.is_empty() && total == all.len());
}

/// A sequence of `n` segments `ab~ab~…`: every `ab` of the text can stand in
/// every segment, so trying each combination would take about C(hits, n) steps.
#[test]
fn many_gapped_segments_match_in_polynomial_time() {
    for n in [10usize, 30, 60] {
        let pattern = vec!["ab"; n].join("~3") + "~3zz";
        let seqs = compile(&pattern).expect("compiles");
        let matcher = Matcher::new(seqs.iter().map(|s| (0u32, s))).expect("matcher");
        // 120 characters of ab with no zz: no match, and every path must be ruled out.
        let text = "ab".repeat(60);
        assert!(matcher.find(&text, &mut Scratch::default()).is_empty());
        // With the final zz there is a match.
        let text = format!("{}zz", "ab".repeat(n));
        assert_eq!(matcher.find(&text, &mut Scratch::default()).len(), 1, "n = {n}");
        // Near misses: one gap too wide somewhere in the middle.
        let text = format!("{}xxxx{}zz", "ab".repeat(n / 2), "ab".repeat(n / 2 - 1));
        assert!(matcher.find(&text, &mut Scratch::default()).is_empty(), "n = {n}");
    }
}

#[test]
fn long_lines_with_many_exceptions_and_quotes() {
    // Each 不知道 here is covered by an exception (您不知道…也没关系), and every
    // other one sits in quotes: resolving them must not compare every hit
    // with every other, and the answer must be the same as for one line.
    // The rules alone: the semantic layer judges utterances, not 1 MB lines.
    let e = engine().without_semantic();
    let unit = "您不知道型号也没关系，他说“不知道”就挂了，我不知道。";
    let one = e.lint(unit);
    let text = unit.repeat(20_000);
    let many = e.lint(&text);
    assert_eq!(many.len(), one.len() * 20_000);
    let width = unit.chars().count();
    for (i, v) in many.iter().enumerate().step_by(997) {
        let base = one[i % one.len()].clone();
        let shift = (i / one.len()) * width;
        assert_eq!((v.rule, v.start, v.end), (base.rule, base.start + shift, base.end + shift));
    }
    // Unclosed openers of one kind followed by closers of another: linear too.
    let tricky = format!("{}{}不归我管", "《".repeat(100_000), "”".repeat(100_000));
    assert_eq!(e.lint(&tricky).len(), 1);
}
