//! Conversation inspection (质检): every call and chat scored against the
//! procedural rules of the standards, with evidence for each failed check.
//!
//! What the agent must say is found with the same matcher as the forbidden
//! phrases, through the rulebook's cues (`rulebook/inspection/cues.toml`);
//! which checks exist, their points and veto marks come from
//! `rulebook/inspection/checks.toml`.

use chrono::Timelike;

use crate::calendar::SHANGHAI;
use crate::conversation::moment;
use crate::limits::Limits;
use crate::matcher::{Matcher, Scratch};
use crate::normalize::{normalize_char, Norm};
use crate::pattern;
use crate::rulebook::{Check, Rulebook, CUE_IDS};
use crate::Engine;

pub use crate::conversation::{assumed_offset_warning, parse_started_at, score, score_by, Agent, ScoreMode, Channel, CheckResult, Conversation, Event, Evidence, InvalidConversation, Outcome, Party, Scorecard, StartedAt, Turn, MAX_ID_CHARS};

/// The cues compiled into one matcher.
#[derive(Debug)]
pub struct Inspector {
    matcher: Matcher,
    /// The checks written as data, by check id.
    custom: std::collections::HashMap<String, crate::custom_check::CustomCheck>,
    /// One automaton of every custom check's keywords, one RegexSet of their regular expressions.
    custom_keywords: Option<Matcher>,
    custom_regexes: Option<regex::RegexSet>,
    /// The `when` of each `[[scorecard]]`, compiled once (index-aligned with the rulebook's).
    scorecard_whens: Vec<crate::custom_check::When>,
}

/// Cue hits of one turn: for each cue (by its index in `CUE_IDS`), the first span.
#[derive(Debug, Clone, Default)]
struct TurnCues {
    spans: Vec<Option<(usize, usize)>>,
}

impl TurnCues {
    fn has(&self, cue: Cue) -> bool {
        self.spans.get(cue as usize).is_some_and(Option::is_some)
    }
}

/// The cues, in the order of `CUE_IDS`.
#[derive(Debug, Clone, Copy)]
enum Cue {
    Greeting,
    WorkNumber,
    ServiceName,
    LateApology,
    MorningGreeting,
    NoonGreeting,
    AfternoonGreeting,
    EveningGreeting,
    InterruptPolitely,
    Confirm,
    WaitRequest,
    ThanksForWaiting,
    Apology,
    Record,
    PromiseTime,
    AnythingElse,
    Thanks,
    Goodbye,
    RatingInvite,
    RedialRequest,
}

impl Inspector {
    pub fn new(book: &Rulebook) -> Result<Inspector, String> {
        let mut seqs = Vec::new();
        for cue in &book.cues {
            let Some(index) = CUE_IDS.iter().position(|c| *c == cue.id) else { continue };
            for p in &cue.patterns {
                for seq in pattern::compile(p).map_err(|e| format!("{}: {e}", cue.id))? {
                    seqs.push((index as u32, seq));
                }
            }
        }
        let mut custom = std::collections::HashMap::new();
        let (mut next, mut keyword_seqs, mut regex_sources) = (0u32, Vec::new(), Vec::new());
        for check in book.checks.iter().filter(|c| c.logic.is_some()) {
            let mut compiled = crate::custom_check::CustomCheck::compile(check.logic.as_deref(), &check.when, &check.conditions, &crate::rulebook::SCENARIO_IDS).map_err(|e| format!("{}: {}", check.id, e.join("；")))?;
            keyword_seqs.extend(compiled.keyword_sequences(&mut next));
            compiled.regex_sources(&mut regex_sources);
            custom.insert(check.id.clone(), compiled);
        }
        let custom_keywords = if keyword_seqs.is_empty() { None } else { Some(Matcher::new(keyword_seqs.iter().map(|(o, s)| (*o, s)))?) };
        let custom_regexes = if regex_sources.is_empty() {
            None
        } else {
            Some(regex::RegexSetBuilder::new(&regex_sources).size_limit(1 << 24).build().map_err(|e| format!("自定义检查项的正则表达式合在一起太大：{}", e.to_string().lines().last().unwrap_or("")))?)
        };
        let scorecard_whens = book.scorecards.iter().map(|c| c.when.compile().map_err(|e| format!("{}: {e}", c.id))).collect::<Result<_, _>>()?;
        Ok(Inspector { matcher: Matcher::new(seqs.iter().map(|(o, s)| (*o, s)))?, custom, custom_keywords, custom_regexes, scorecard_whens })
    }

    fn cues(&self, text: &str, scratch: &mut Scratch) -> TurnCues {
        let mut spans = vec![None; CUE_IDS.len()];
        for h in self.matcher.find(text, scratch) {
            let slot = &mut spans[h.owner as usize];
            if slot.is_none() {
                *slot = Some((h.start, h.end));
            }
        }
        TurnCues { spans }
    }

    /// Whether the cue `id` is found in `text` (for the rulebook's own examples).
    pub fn finds(&self, id: &str, text: &str) -> bool {
        let Some(index) = CUE_IDS.iter().position(|c| *c == id) else { return false };
        self.matcher.find(text, &mut Scratch::default()).iter().any(|h| h.owner as usize == index)
    }
}

const COMPLAINT_SCENARIOS: [&str; 2] = ["complaint", "complaint_staff"];
const REPORT_SCENARIOS: [&str; 4] = ["repair_request", "complaint", "complaint_staff", "leave_message"];

/// Everything the checks look at, computed once per conversation.
struct Prepared<'a> {
    conv: &'a Conversation,
    cues: Vec<TurnCues>,
    scenarios: Vec<&'a str>,
    agent_turns: Vec<usize>,
    customer_turns: Vec<usize>,
    silent: bool,
}

/// language.forbidden: every forbidden phrase in the agent's turns (`linted`,
/// per turn at most `max_hits_per_turn` and how many there were), at most
/// `max_hits_per_conversation` reported, with the total count of hits.
fn forbidden_language(p: &Prepared, limits: &Limits, linted: &[(Vec<crate::lint::Violation<'_>>, usize)]) -> (Outcome, Vec<Evidence>, usize) {
    let mut evidence = Vec::new();
    let mut total = 0;
    for &i in &p.agent_turns {
        let Some((violations, found)) = linted.get(i) else { continue };
        let room = limits.max_hits_per_turn.min(limits.max_hits_per_conversation.saturating_sub(evidence.len()));
        total += found;
        evidence.extend(violations.iter().take(room).map(|v| Evidence {
            turn: i,
            start: v.start,
            end: v.end,
            text: v.matched.clone(),
            note: format!("{} 建议：{}", v.message, v.suggestion),
            rule: Some(v.rule.to_string()),
        }));
    }
    let result = if total == 0 { Outcome::Pass } else { Outcome::Fail };
    (result, evidence, total)
}

/// A check written as data: n/a outside its `when`, failed when its logic holds.
fn run_custom(custom: &crate::custom_check::CustomCheck, p: &Prepared, forbidden: &dyn Fn(usize) -> Vec<(String, usize, usize)>, shared: &crate::custom_check::Shared) -> (Outcome, Vec<Evidence>, usize) {
    if !custom.applies(p.conv) {
        return (Outcome::NotApplicable, Vec::new(), 0);
    }
    let facts = crate::custom_check::Facts { conv: p.conv, scenarios: &p.scenarios, forbidden, shared };
    match custom.run(&facts) {
        None => (Outcome::Pass, Vec::new(), 0),
        Some(evidence) => {
            let total = evidence.len();
            (Outcome::Fail, evidence, total)
        }
    }
}

fn whole(conv: &Conversation, turn: usize, note: impl Into<String>) -> Evidence {
    let text = conv.turns.get(turn).map_or(String::new(), |t| t.text.clone());
    Evidence { turn, start: 0, end: text.chars().count(), text, note: note.into(), rule: None }
}

fn span(conv: &Conversation, turn: usize, (start, end): (usize, usize), note: impl Into<String>) -> Evidence {
    let text: String = conv.turns.get(turn).map_or(String::new(), |t| t.text.chars().skip(start).take(end.saturating_sub(start)).collect());
    Evidence { turn, start, end, text, note: note.into(), rule: None }
}

impl Engine {
    /// Inspects one (validated) conversation, reporting evidence within the
    /// default [`Limits`].
    pub fn inspect(&self, conv: &Conversation) -> Scorecard {
        self.inspect_with(conv, &Limits::default())
    }

    /// Inspects one (validated) conversation; each check reports at most
    /// `limits.max_hits_per_conversation` evidence items (and language.forbidden
    /// at most `max_hits_per_turn` per turn), saying when it left some out.
    pub fn inspect_with(&self, conv: &Conversation, limits: &Limits) -> Scorecard {
        // The first [[scorecard]] with a `when` that fits, else the default.
        let card = self
            .rulebook
            .scorecards
            .iter()
            .zip(&self.inspector.scorecard_whens)
            .find(|(c, w)| !c.when.is_empty() && w.fits(conv))
            .map_or(&self.rulebook.scorecard, |(c, _)| c);
        self.inspect_on(conv, limits, card)
    }

    /// Inspection under a scorecard named by id (`kefu inspect --scorecard`);
    /// `None` when the rulebook has no such scorecard.
    pub fn inspect_with_scorecard(&self, conv: &Conversation, limits: &Limits, id: &str) -> Option<Scorecard> {
        let card = self.rulebook.scorecard_by_id(id)?;
        Some(self.inspect_on(conv, limits, card))
    }

    fn inspect_on(&self, conv: &Conversation, limits: &Limits, card: &crate::rulebook::ScorecardSpec) -> Scorecard {
        let mut scratch = Scratch::default();
        let agent_turns: Vec<usize> =
            conv.turns.iter().enumerate().filter(|(_, t)| t.speaker == Party::Agent).map(|(i, _)| i).collect();
        let customer_turns: Vec<usize> = conv
            .turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == Party::Customer && !t.text.trim().is_empty())
            .map(|(i, _)| i)
            .collect();
        let cues = conv
            .turns
            .iter()
            .map(|t| if t.speaker == Party::Agent { self.inspector.cues(&t.text, &mut scratch) } else { TurnCues::default() })
            .collect();
        let scenarios = conv
            .turns
            .iter()
            .map(|t| if t.speaker == Party::Customer { self.classify_by_cues(&t.text, &mut scratch).scenario } else { "" })
            .collect();
        let silent = conv.channel == Channel::Phone && customer_turns.is_empty();
        let p = Prepared { conv, cues, scenarios, agent_turns, customer_turns, silent };

        // Each agent turn's forbidden phrases (at most max_hits_per_turn, and
        // how many there were), linted once per conversation on first use:
        // by language.forbidden and by every custom check that asks.
        let linted: std::cell::OnceCell<Vec<(Vec<crate::lint::Violation<'_>>, usize)>> = std::cell::OnceCell::new();
        let lint_agent_turns = || {
            linted.get_or_init(|| {
                let mut scratch = Scratch::default();
                conv.turns.iter().map(|t| if t.speaker == Party::Agent { self.lint_rules_capped(&t.text, limits.max_hits_per_turn, &mut scratch) } else { (Vec::new(), 0) }).collect()
            })
        };
        let forbidden = |turn: usize| -> Vec<(String, usize, usize)> {
            lint_agent_turns().get(turn).map(|(v, _)| v.iter().map(|v| (v.category.to_string(), v.start, v.end)).collect()).unwrap_or_default()
        };
        let shared = crate::custom_check::Shared::new(conv, self.inspector.custom_keywords.as_ref(), self.inspector.custom_regexes.as_ref());
        let mut checks = Vec::with_capacity(self.rulebook.checks.len());
        for check in self.rulebook.checks.iter().filter(|c| card.checks.is_empty() || card.checks.contains(&c.id)) {
            let (result, mut evidence, total) = if !check.enabled {
                (Outcome::NotApplicable, Vec::new(), 0)
            } else if check.id == "language.forbidden" {
                forbidden_language(&p, limits, lint_agent_turns())
            } else if let Some(custom) = self.inspector.custom.get(&check.id) {
                run_custom(custom, &p, &forbidden, &shared)
            } else {
                let (result, evidence) = self.run_check(check, &p);
                let total = evidence.len();
                (result, evidence, total)
            };
            evidence.truncate(limits.max_hits_per_conversation);
            let truncated = total > evidence.len();
            checks.push(CheckResult {
                id: check.id.clone(),
                result,
                points: check.points,
                veto: check.veto,
                evidence,
                truncated,
                evidence_total: truncated.then_some(total),
            });
        }
        let (score, vetoed) = score_by(card.mode, &checks);
        // The scorecard's started_at is RFC 3339, with the offset that was assumed if any.
        let started = conv.started_at.as_deref().map(|s| (s, parse_started_at(s)));
        let mut warnings = Vec::new();
        let started_at = started.map(|(original, parsed)| match parsed {
            Some(p) if p.assumed_offset => {
                warnings.push(assumed_offset_warning(original));
                p.at.to_rfc3339()
            }
            _ => original.to_string(),
        });
        Scorecard {
            id: conv.id.clone(),
            score,
            // Named when the rulebook has more than its default scorecard.
            scorecard: if self.rulebook.scorecards.is_empty() { String::new() } else { card.id.clone() },
            mode: card.mode,
            channel: conv.channel,
            agent: if conv.agent.id.is_empty() { conv.agent.work_no.clone() } else { conv.agent.id.clone() },
            started_at,
            vetoed,
            checks,
            warnings,
        }
    }

    /// language.forbidden: every forbidden phrase in the agent's turns, at most
    /// `max_hits_per_turn` per turn and `max_hits_per_conversation` in all
    /// reported, with the total count of hits.
    fn run_check(&self, check: &Check, p: &Prepared) -> (Outcome, Vec<Evidence>) {
        let conv = p.conv;
        let phone = conv.channel == Channel::Phone;
        let na = (Outcome::NotApplicable, Vec::new());
        let verdict = |evidence: Vec<Evidence>| if evidence.is_empty() { (Outcome::Pass, evidence) } else { (Outcome::Fail, evidence) };
        match check.id.as_str() {
            "opening.greeting" => {
                let Some(&first) = p.agent_turns.first() else { return na };
                if p.silent {
                    return na;
                }
                let cues = &p.cues[first];
                let mut missing = Vec::new();
                // Answered after more than three rings, the agent "先说'对不起，让您久等'"
                // (02 §电话接听规范 2; 03's own late openings have no 您好): that apology opens the call.
                let rings_limit = self.rulebook.number("rings_before_apology").unwrap_or(3.0);
                let late = phone && conv.rings.is_some_and(|r| f64::from(r) > rings_limit);
                if !(cues.has(Cue::Greeting) || late && cues.has(Cue::LateApology)) {
                    missing.push("问候语");
                }
                if phone {
                    let says_number = cues.has(Cue::WorkNumber)
                        || (!conv.agent.work_no.is_empty() && conv.turns[first].text.contains(&conv.agent.work_no));
                    if !says_number {
                        missing.push("工号");
                    }
                } else if !cues.has(Cue::ServiceName) {
                    missing.push("服务名称");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, first, format!("开场白缺少{}", missing.join("、")))])
                }
            }
            "opening.late_answer_apology" => {
                let limit = check.param("rings", 3.0);
                match (phone, conv.rings, p.agent_turns.first()) {
                    (true, Some(r), Some(&first)) if f64::from(r) > limit => {
                        if p.cues[first].has(Cue::LateApology) {
                            (Outcome::Pass, Vec::new())
                        } else {
                            verdict(vec![whole(conv, first, format!("铃响 {r} 声才接听，开场未致歉（对不起，让您久等了）"))])
                        }
                    }
                    _ => na,
                }
            }
            "opening.time_of_day" => {
                let Some(started) = conv.started() else { return na };
                let mut used = false;
                let mut evidence = Vec::new();
                for &i in &p.agent_turns {
                    let Some(at) = moment(started, conv.turns[i].start) else { continue };
                    let hour = at.with_timezone(&SHANGHAI).hour();
                    let checks: [(Cue, &str, fn(u32) -> bool); 4] = [
                        (Cue::MorningGreeting, "早上好只用于 0:00–12:00", |h| h < 12),
                        (Cue::NoonGreeting, "中午好用于 11:00–14:00", |h| (11..14).contains(&h)),
                        (Cue::AfternoonGreeting, "下午好用于 12:00–19:00", |h| (12..19).contains(&h)),
                        (Cue::EveningGreeting, "晚上好用于 17:00 以后", |h| !(5..17).contains(&h)),
                    ];
                    for (cue, rule, fits) in checks {
                        if let Some(s) = p.cues[i].spans[cue as usize] {
                            used = true;
                            if !fits(hour) {
                                evidence.push(span(conv, i, s, format!("当地时间 {:02}:{:02}，{rule}", hour, at.with_timezone(&SHANGHAI).minute())));
                            }
                        }
                    }
                }
                if used {
                    verdict(evidence)
                } else {
                    na
                }
            }
            "listen.no_interrupt" => {
                if !phone || p.customer_turns.is_empty() {
                    return na;
                }
                let tolerance = check.param("tolerance_seconds", 0.5);
                let mut evidence = Vec::new();
                for &a in &p.agent_turns {
                    let start = conv.turns[a].start;
                    let cut = p.customer_turns.iter().find(|&&c| {
                        let t = &conv.turns[c];
                        t.end.is_some_and(|end| t.start < start && start < end - tolerance)
                    });
                    if let Some(&c) = cut {
                        if !p.cues[a].has(Cue::InterruptPolitely) {
                            let end = conv.turns[c].end.unwrap_or(start);
                            evidence.push(whole(conv, a, format!("客户（第 {} 句）尚未说完（{:.1} 秒结束），坐席在 {:.1} 秒开口且未说“打断一下”", c + 1, end, start)));
                        }
                    }
                }
                verdict(evidence)
            }
            "confirm.restate" => {
                let Some(&report) = p.customer_turns.iter().find(|&&c| REPORT_SCENARIOS.contains(&p.scenarios[c])) else { return na };
                let confirmed = p.agent_turns.iter().any(|&a| a > report && p.cues[a].has(Cue::Confirm));
                if confirmed {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, report, format!("客户{}后，坐席未复述或核对关键信息", scenario_name(p.scenarios[report])))])
                }
            }
            "wait.ask_before_hold" | "wait.thanks_after_hold" | "wait.long_hold_callback" => {
                let holds: Vec<(f64, f64)> = conv
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Hold { start, end } => Some((*start, *end)),
                        _ => None,
                    })
                    .collect();
                if holds.is_empty() {
                    return na;
                }
                let mut evidence = Vec::new();
                for (start, end) in holds {
                    let before = p.agent_turns.iter().rev().find(|&&a| conv.turns[a].start <= start).copied();
                    let after = p.agent_turns.iter().find(|&&a| conv.turns[a].start >= end - 0.5).copied();
                    match check.id.as_str() {
                        "wait.ask_before_hold" => match before {
                            Some(a) if p.cues[a].has(Cue::WaitRequest) => {}
                            Some(a) => evidence.push(whole(conv, a, format!("{start:.1} 秒开始保持前，坐席未请客户稍等"))),
                            None => evidence.push(Evidence { turn: 0, start: 0, end: 0, text: String::new(), note: format!("{start:.1} 秒开始保持前，坐席没有说话"), rule: None }),
                        },
                        "wait.thanks_after_hold" => match after {
                            Some(a) if p.cues[a].has(Cue::ThanksForWaiting) => {}
                            Some(a) => evidence.push(whole(conv, a, format!("{end:.1} 秒结束保持后，坐席未感谢等待或致歉"))),
                            None => {}
                        },
                        _ => {
                            let max = check.param("max_seconds", 120.0);
                            if end - start > max {
                                let turn = before.unwrap_or(0);
                                evidence.push(Evidence {
                                    turn,
                                    start: 0,
                                    end: 0,
                                    text: String::new(),
                                    note: format!("保持 {:.0} 秒（{start:.1}–{end:.1} 秒），超过 {max:.0} 秒应改为记录联系方式、处理后回电", end - start),
                                    rule: None,
                                });
                            }
                        }
                    }
                }
                verdict(evidence)
            }
            "complaint.handling" => {
                let Some(&complaint) = p.customer_turns.iter().find(|&&c| COMPLAINT_SCENARIOS.contains(&p.scenarios[c])) else { return na };
                let later: Vec<usize> = p.agent_turns.iter().copied().filter(|&a| a > complaint).collect();
                let said = |cue: Cue| later.iter().any(|&a| p.cues[a].has(cue));
                let mut missing = Vec::new();
                if !said(Cue::Apology) {
                    missing.push("致歉");
                }
                if !said(Cue::Record) {
                    missing.push("说明已记录");
                }
                if !said(Cue::PromiseTime) {
                    missing.push("承诺答复时间");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, complaint, format!("客户投诉后，坐席未{}", missing.join("、")))])
                }
            }
            "closing.anything_else" => {
                if p.silent || p.agent_turns.is_empty() {
                    return na;
                }
                if p.agent_turns.iter().any(|&a| p.cues[a].has(Cue::AnythingElse)) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let last = *p.agent_turns.last().unwrap_or(&0);
                    verdict(vec![whole(conv, last, "结束前未询问客户是否还有其他需要")])
                }
            }
            "closing.farewell" => {
                if p.silent || p.agent_turns.is_empty() {
                    return na;
                }
                let closing: Vec<usize> = p.agent_turns.iter().rev().take(2).copied().collect();
                let thanks = closing.iter().any(|&a| p.cues[a].has(Cue::Thanks));
                let goodbye = closing.iter().any(|&a| p.cues[a].has(Cue::Goodbye));
                let mut missing = Vec::new();
                if !thanks {
                    missing.push("致谢");
                }
                if !goodbye {
                    missing.push("道别");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    verdict(vec![whole(conv, closing[0], format!("结束语缺少{}", missing.join("和")))])
                }
            }
            "closing.rating_invite" => {
                if phone || p.agent_turns.is_empty() {
                    return na;
                }
                if p.agent_turns.iter().any(|&a| p.cues[a].has(Cue::RatingInvite)) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let last = *p.agent_turns.last().unwrap_or(&0);
                    verdict(vec![whole(conv, last, "在线会话结束前未邀请客户评价")])
                }
            }
            "closing.customer_hangs_up_first" => {
                if !phone || p.silent {
                    return na;
                }
                let hangup = conv.events.iter().find_map(|e| match e {
                    Event::Hangup { at, by } => Some((*at, *by)),
                    _ => None,
                });
                match hangup {
                    None => na,
                    Some((_, Party::Customer)) => (Outcome::Pass, Vec::new()),
                    Some((at, Party::Agent)) => {
                        let last = *p.agent_turns.last().unwrap_or(&0);
                        verdict(vec![Evidence { turn: last, start: 0, end: 0, text: String::new(), note: format!("坐席在 {at:.1} 秒先挂断电话，应等客户先挂机"), rule: None }])
                    }
                }
            }
            "voice.speech_rate" => {
                if !phone {
                    return na;
                }
                let (mut chars, mut seconds) = (0usize, 0.0f64);
                for &a in &p.agent_turns {
                    let t = &conv.turns[a];
                    if let Some(end) = t.end {
                        chars += t.text.chars().filter(|&c| matches!(normalize_char(c), Norm::Keep(_))).count();
                        seconds += end - t.start;
                    }
                }
                if seconds < 3.0 {
                    return na;
                }
                let rate = chars as f64 * 60.0 / seconds;
                let target = check.param("chars_per_minute", 120.0);
                let tolerance = check.param("tolerance", 0.2);
                let (low, high) = (target * (1.0 - tolerance), target * (1.0 + tolerance));
                if (low..=high).contains(&rate) {
                    (Outcome::Pass, Vec::new())
                } else {
                    let turn = *p.agent_turns.first().unwrap_or(&0);
                    let how = if rate > high { "过快" } else { "过慢" };
                    verdict(vec![Evidence {
                        turn,
                        start: 0,
                        end: 0,
                        text: String::new(),
                        note: format!("语速{how}：{rate:.0} 字/分钟（{chars} 字，{seconds:.1} 秒），标准 {low:.0}–{high:.0}"),
                        rule: None,
                    }])
                }
            }
            "privacy.agent_name" => {
                let name = conv.agent.name.trim();
                if name.chars().count() < 2 {
                    return na;
                }
                let surname: String = name.chars().take(1).collect();
                let nickname = format!("小{surname}");
                let given: String = name.chars().skip(1).collect();
                let mut evidence = Vec::new();
                for &a in &p.agent_turns {
                    let text = &conv.turns[a].text;
                    let found = find_chars(text, name)
                        .map(|s| (s, "说出了本人姓名"))
                        .or_else(|| (given.chars().count() >= 2).then(|| find_chars(text, &given)).flatten().map(|s| (s, "说出了本人名字")))
                        .or_else(|| {
                            text.contains("我是").then(|| find_chars(text, &nickname)).flatten().map(|s| (s, "以“小+姓”自称"))
                        });
                    if let Some((s, note)) = found {
                        evidence.push(span(conv, a, s, format!("{note}：对外只报工号")));
                    }
                }
                verdict(evidence)
            }
            "silent_call.procedure" => {
                if !p.silent {
                    return na;
                }
                let pause = check.param("min_pause_seconds", 2.0);
                let turns = &p.agent_turns;
                let greeted = turns.first().is_some_and(|&a| p.cues[a].has(Cue::Greeting));
                let reprompted = turns.windows(2).any(|w| {
                    let prev = &conv.turns[w[0]];
                    let next = &conv.turns[w[1]];
                    next.start - prev.end.unwrap_or(prev.start) >= pause
                });
                let redial = turns.iter().position(|&a| p.cues[a].has(Cue::RedialRequest));
                let mut missing = Vec::new();
                if !greeted {
                    missing.push("问候");
                }
                if !reprompted {
                    missing.push("停顿后再次提示");
                }
                if redial.is_none() {
                    missing.push("请客户换电话再拨");
                }
                if missing.is_empty() {
                    (Outcome::Pass, Vec::new())
                } else {
                    let turn = turns.last().copied().unwrap_or(0);
                    verdict(vec![whole(conv, turn, format!("无声电话未按流程处理：缺少{}", missing.join("、")))])
                }
            }
            _ => na,
        }
    }
}

fn scenario_name(id: &str) -> &'static str {
    match id {
        "repair_request" => "报修",
        "leave_message" => "留言",
        _ => "投诉",
    }
}

/// Char span of `needle` in `text`.
fn find_chars(text: &str, needle: &str) -> Option<(usize, usize)> {
    let byte = text.find(needle)?;
    let start = text[..byte].chars().count();
    Some((start, start + needle.chars().count()))
}
