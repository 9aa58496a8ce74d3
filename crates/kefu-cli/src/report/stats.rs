//! What the reports aggregate while conversations stream past. Everything
//! here is bounded: counters, one entry per check of the rulebook, at most
//! [`MAX_AGENTS`] agents, the first [`MAX_ERRORS`] error records and the
//! [`MAX_KEPT`] lowest-scoring failing conversations, each trimmed to a
//! budget of characters.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use kefu_core::inspect::{Channel, Conversation, Event, Evidence, Outcome, Party, Scorecard};
use kefu_core::rulebook::Rulebook;

/// Failing conversations kept for the detailed section of the HTML report.
pub const MAX_KEPT: usize = 200;
/// Error records kept for the HTML report (the workbook streams all of them).
pub const MAX_ERRORS: usize = 200;
/// Distinct agents tracked; any further agents are counted together.
pub const MAX_AGENTS: usize = 10_000;
/// Check ids not in the rulebook that are still tracked (scorecards made by another rulebook).
const MAX_EXTRA_CHECKS: usize = 64;

/// The bucket of agents beyond [`MAX_AGENTS`].
pub const OTHER_AGENTS: &str = "（其他坐席）";
/// The key of conversations without an agent id or work number.
pub const UNKNOWN_AGENT: &str = "（未注明坐席）";

/// Characters of one kept turn.
const TURN_CHARS: usize = 1_000;
/// Characters of turns without evidence kept per conversation.
const TRANSCRIPT_CHARS: usize = 20_000;
/// Evidence items kept per conversation.
const EVIDENCE_ITEMS: usize = 60;
/// Events (holds, hang-ups) kept per conversation.
const EVENTS: usize = 100;
const EVIDENCE_TEXT_CHARS: usize = 200;
const NOTE_CHARS: usize = 500;
const ID_CHARS: usize = 200;
const FILE_CHARS: usize = 500;
const MESSAGE_CHARS: usize = 1_000;
const AGENT_CHARS: usize = 64;

/// `s` cut to at most `max` characters (with an ellipsis when cut).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((byte, _)) => {
            let mut out = s[..byte].to_string();
            out.push('…');
            out
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckStat {
    pub id: String,
    pub name: String,
    pub points: u32,
    pub veto: bool,
    pub enabled: bool,
    /// Conversations where the check applied (passed or failed).
    pub applicable: u64,
    pub failed: u64,
}

impl CheckStat {
    pub fn fail_rate(&self) -> f64 {
        if self.applicable == 0 {
            0.0
        } else {
            self.failed as f64 / self.applicable as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AgentStat {
    pub id: String,
    /// The first personal name seen for this agent.
    pub name: String,
    pub conversations: u64,
    pub score_sum: u64,
    /// Conversations with at least one failed check.
    pub failing: u64,
    /// Failed checks over all conversations.
    pub failed_checks: u64,
    pub vetoed: u64,
}

impl AgentStat {
    pub fn mean(&self) -> f64 {
        if self.conversations == 0 {
            0.0
        } else {
            self.score_sum as f64 / self.conversations as f64
        }
    }
}

#[derive(Debug, Clone)]
pub struct ErrorRecord {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The labels of the score buckets: 0–9 … 90–99, 100.
pub fn bucket_label(i: usize) -> String {
    if i >= 10 {
        "100".into()
    } else {
        format!("{}–{}", i * 10, i * 10 + 9)
    }
}

pub struct Stats {
    pub rulebook: String,
    pub scorecard: String,
    pub conversations: u64,
    /// Conversations where every applicable check passed.
    pub passed: u64,
    pub failing: u64,
    pub vetoed: u64,
    pub errors: u64,
    pub error_records: Vec<ErrorRecord>,
    pub score_sum: u64,
    pub buckets: [u64; 11],
    pub phone: u64,
    pub chat: u64,
    pub checks: Vec<CheckStat>,
    /// How many of `checks` come from the rulebook.
    book_checks: usize,
    check_index: HashMap<String, usize>,
    pub agents: HashMap<String, AgentStat>,
    pub first_started: Option<DateTime<FixedOffset>>,
    pub last_started: Option<DateTime<FixedOffset>>,
}

impl Stats {
    pub fn new(book: &Rulebook) -> Stats {
        let checks: Vec<CheckStat> = book
            .checks
            .iter()
            .map(|c| CheckStat {
                id: c.id.clone(),
                name: c.name.clone(),
                points: c.points,
                veto: c.veto,
                enabled: c.enabled,
                applicable: 0,
                failed: 0,
            })
            .collect();
        let check_index = checks.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        let rulebook = [book.header.name.as_str(), book.header.version.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let scorecard = if book.scorecard.name.is_empty() { book.scorecard.id.clone() } else { book.scorecard.name.clone() };
        Stats {
            rulebook,
            scorecard,
            conversations: 0,
            passed: 0,
            failing: 0,
            vetoed: 0,
            errors: 0,
            error_records: Vec::new(),
            score_sum: 0,
            buckets: [0; 11],
            phone: 0,
            chat: 0,
            book_checks: checks.len(),
            checks,
            check_index,
            agents: HashMap::new(),
            first_started: None,
            last_started: None,
        }
    }

    pub fn mean_score(&self) -> f64 {
        if self.conversations == 0 {
            0.0
        } else {
            self.score_sum as f64 / self.conversations as f64
        }
    }

    pub fn pass_rate(&self) -> f64 {
        if self.conversations == 0 {
            0.0
        } else {
            self.passed as f64 / self.conversations as f64
        }
    }

    /// The index in `checks` of a check id (added when the rulebook lacks it, up to a bound).
    fn check_slot(&mut self, position: usize, id: &str) -> Option<usize> {
        if self.checks.get(position).is_some_and(|c| c.id == id) {
            return Some(position);
        }
        if let Some(&i) = self.check_index.get(id) {
            return Some(i);
        }
        if self.checks.len() >= self.book_checks + MAX_EXTRA_CHECKS {
            return None;
        }
        let id = clip(id, ID_CHARS);
        self.checks.push(CheckStat { id: id.clone(), name: String::new(), points: 0, veto: false, enabled: true, applicable: 0, failed: 0 });
        let i = self.checks.len() - 1;
        self.check_index.insert(id, i);
        Some(i)
    }

    /// The name of a check (empty when the rulebook does not have it).
    pub fn check_name(&self, id: &str) -> &str {
        self.check_index.get(id).and_then(|&i| self.checks.get(i)).map_or("", |c| c.name.as_str())
    }

    pub fn add(&mut self, conv: &Conversation, card: &Scorecard) {
        self.conversations += 1;
        self.score_sum += u64::from(card.score);
        self.buckets[(card.score.min(100) / 10) as usize] += 1;
        match card.channel {
            Channel::Phone => self.phone += 1,
            Channel::Chat => self.chat += 1,
        }
        let mut failed_checks = 0u64;
        for (position, check) in card.checks.iter().enumerate() {
            if check.result == Outcome::NotApplicable {
                continue;
            }
            let Some(slot) = self.check_slot(position, &check.id) else { continue };
            let stat = &mut self.checks[slot];
            stat.applicable += 1;
            if check.result == Outcome::Fail {
                stat.failed += 1;
                failed_checks += 1;
            }
        }
        if failed_checks == 0 {
            self.passed += 1;
        } else {
            self.failing += 1;
        }
        if card.vetoed {
            self.vetoed += 1;
        }
        if let Some(t) = card.started_at.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
            if self.first_started.is_none_or(|f| t < f) {
                self.first_started = Some(t);
            }
            if self.last_started.is_none_or(|l| t > l) {
                self.last_started = Some(t);
            }
        }

        let key = if card.agent.trim().is_empty() { UNKNOWN_AGENT.to_string() } else { clip(&card.agent, AGENT_CHARS) };
        let key = if self.agents.contains_key(&key) || self.agents.len() < MAX_AGENTS { key } else { OTHER_AGENTS.to_string() };
        let agent = self.agents.entry(key).or_insert_with_key(|k| AgentStat { id: k.clone(), ..AgentStat::default() });
        if agent.name.is_empty() && agent.id != OTHER_AGENTS {
            agent.name = clip(&conv.agent.name, AGENT_CHARS);
        }
        agent.conversations += 1;
        agent.score_sum += u64::from(card.score);
        agent.failed_checks += failed_checks;
        if failed_checks > 0 {
            agent.failing += 1;
        }
        if card.vetoed {
            agent.vetoed += 1;
        }
    }

    pub fn add_error(&mut self, file: &str, line: usize, message: &str) {
        self.errors += 1;
        if self.error_records.len() < MAX_ERRORS {
            self.error_records.push(ErrorRecord { file: clip(file, FILE_CHARS), line, message: clip(message, MESSAGE_CHARS) });
        }
    }

    /// Agents, lowest mean score first (ties: more failed checks first, then by id).
    pub fn agents_by_score(&self) -> Vec<&AgentStat> {
        let mut agents: Vec<&AgentStat> = self.agents.values().collect();
        agents.sort_by(|a, b| {
            a.mean()
                .partial_cmp(&b.mean())
                .unwrap_or(Ordering::Equal)
                .then(b.failed_checks.cmp(&a.failed_checks))
                .then_with(|| a.id.cmp(&b.id))
        });
        agents
    }

    /// Checks with their counts, most failures first (ties: rulebook order).
    pub fn checks_by_failures(&self) -> Vec<&CheckStat> {
        let mut checks: Vec<&CheckStat> = self.checks.iter().collect();
        checks.sort_by_key(|c| std::cmp::Reverse(c.failed));
        checks
    }
}

/// One kept turn of a failing conversation (`index`: its place in the transcript).
#[derive(Debug, Clone)]
pub struct KeptTurn {
    pub index: usize,
    pub speaker: Party,
    pub start: f64,
    pub end: Option<f64>,
    pub text: String,
    /// Characters of the original text (the kept text may be shorter).
    pub chars: usize,
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub struct FailedCheck {
    pub id: String,
    pub points: u32,
    pub veto: bool,
    pub evidence: Vec<Evidence>,
    /// Evidence items left out to stay within the budget.
    pub more: usize,
}

/// A failing conversation as kept for the report: trimmed to a budget.
#[derive(Debug, Clone)]
pub struct Failing {
    pub seq: u64,
    pub file: String,
    pub line: usize,
    pub id: String,
    pub agent: String,
    pub agent_name: String,
    pub channel: Channel,
    pub started_at: Option<String>,
    pub rings: Option<u32>,
    pub score: u32,
    pub vetoed: bool,
    pub turns: Vec<KeptTurn>,
    pub turns_total: usize,
    pub events: Vec<Event>,
    pub failed: Vec<FailedCheck>,
}

impl Failing {
    pub fn new(seq: u64, file: &str, line: usize, conv: &Conversation, card: &Scorecard) -> Failing {
        let mut budget = EVIDENCE_ITEMS;
        let mut failed = Vec::new();
        for c in card.failed() {
            let take = c.evidence.len().min(budget);
            budget -= take;
            let evidence = c
                .evidence
                .iter()
                .take(take)
                .map(|e| Evidence {
                    turn: e.turn,
                    start: e.start,
                    end: e.end,
                    text: clip(&e.text, EVIDENCE_TEXT_CHARS),
                    note: clip(&e.note, NOTE_CHARS),
                    rule: e.rule.clone(),
                })
                .collect();
            failed.push(FailedCheck {
                id: clip(&c.id, ID_CHARS),
                points: c.points,
                veto: c.veto,
                evidence,
                more: c.evidence.len() - take,
            });
        }
        let cited: HashSet<usize> = failed.iter().flat_map(|c| c.evidence.iter().map(|e| e.turn)).collect();
        let mut chars_left = TRANSCRIPT_CHARS;
        let mut turns = Vec::new();
        for (index, t) in conv.turns.iter().enumerate() {
            let chars = t.text.chars().count();
            let shown = chars.min(TURN_CHARS);
            if !cited.contains(&index) {
                if shown > chars_left {
                    continue;
                }
                chars_left -= shown;
            }
            let text: String = if chars > TURN_CHARS { t.text.chars().take(TURN_CHARS).collect() } else { t.text.clone() };
            turns.push(KeptTurn { index, speaker: t.speaker, start: t.start, end: t.end, text, chars, truncated: chars > TURN_CHARS });
        }
        let events = conv.events.iter().filter(|e| !matches!(e, Event::Other)).take(EVENTS).cloned().collect();
        Failing {
            seq,
            file: clip(file, FILE_CHARS),
            line,
            id: clip(&card.id, ID_CHARS),
            agent: clip(&card.agent, AGENT_CHARS),
            agent_name: clip(&conv.agent.name, AGENT_CHARS),
            channel: card.channel,
            started_at: card.started_at.as_deref().map(|s| clip(s, 64)),
            rings: conv.rings,
            score: card.score,
            vetoed: card.vetoed,
            turns,
            turns_total: conv.turns.len(),
            events,
            failed,
        }
    }
}

struct Entry(Box<Failing>);

impl Entry {
    fn key(&self) -> (u32, u64) {
        (self.0.score, self.0.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The `cap` lowest-scoring failing conversations (ties: the earliest read).
pub struct Kept {
    heap: BinaryHeap<Entry>,
    cap: usize,
}

impl Kept {
    pub fn new(cap: usize) -> Kept {
        Kept { heap: BinaryHeap::with_capacity(cap + 1), cap }
    }

    /// Whether a conversation with this score, read as number `seq`, would be kept.
    pub fn wants(&self, score: u32, seq: u64) -> bool {
        self.cap > 0 && (self.heap.len() < self.cap || self.heap.peek().is_some_and(|top| (score, seq) < top.key()))
    }

    pub fn push(&mut self, failing: Failing) {
        self.heap.push(Entry(Box::new(failing)));
        while self.heap.len() > self.cap {
            self.heap.pop();
        }
    }

    /// Lowest score first, then in reading order.
    pub fn into_sorted(self) -> Vec<Failing> {
        self.heap.into_sorted_vec().into_iter().map(|e| *e.0).collect()
    }
}
