//! Checks that QA teams write themselves, as data: a `[[check]]` with a
//! `logic` over named conditions, each an operator with its parameters
//! (`rulebook/inspection/*.toml`; the operators and their parameters are in
//! `operators.rs`, the README has the reference). The check FAILS when its
//! logic is true. Each condition records the turns it matched, and a failed
//! check's evidence is those turns with their spans.
//!
//! ```toml
//! [[check]]
//! id = "bank.verify_identity"
//! name = "办理业务前核实身份"
//! points = 10
//! source = "本中心质检细则 2026 第 3 条"
//! logic = "a && !b"
//! [check.when]
//! channel = "phone"
//! [[check.condition]]
//! id = "a"
//! operator = "scenario"
//! scenarios = ["inquiry", "complaint"]
//! [[check.condition]]
//! id = "b"
//! operator = "keywords"
//! speaker = "agent"
//! any = ["核实一下您的身份", "验证一下您的身份"]
//! position = { first_turns = 3 }
//! ```

pub mod logic;
pub mod operators;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::conversation::{Channel, Conversation, Evidence, Party};

pub use operators::Operator;

/// What the conversation gives the conditions beyond its own text: the
/// scenario of each customer turn, and each agent turn's forbidden-phrase
/// hits as (category, start, end) — computed only if a check asks — and
/// what every check shares per turn ([`Shared`]).
pub struct Facts<'a> {
    pub conv: &'a Conversation,
    pub scenarios: &'a [&'a str],
    pub forbidden: &'a dyn Fn(usize) -> Vec<(String, usize, usize)>,
    pub shared: &'a Shared<'a>,
}

/// Per-turn work done once per conversation for all custom checks, on
/// first use: the keyword automaton's hits, the bigram vectors of `similar`,
/// the normalised keys of `repeat`.
pub struct Shared<'a> {
    conv: &'a Conversation,
    keywords: Option<&'a crate::matcher::Matcher>,
    hits: std::cell::OnceCell<Vec<Vec<crate::matcher::PatternHit>>>,
    bigrams: std::cell::OnceCell<Vec<operators::Bigrams>>,
    keys: std::cell::OnceCell<Vec<String>>,
    regexes: Option<&'a regex::RegexSet>,
    regex_hits: std::cell::OnceCell<Vec<regex::SetMatches>>,
    /// Turn indexes: every turn's, the agent's, the customer's.
    all: Vec<usize>,
    agent: Vec<usize>,
    customer: Vec<usize>,
}

impl<'a> Shared<'a> {
    pub fn new(conv: &'a Conversation, keywords: Option<&'a crate::matcher::Matcher>, regexes: Option<&'a regex::RegexSet>) -> Shared<'a> {
        let of = |p: Party| (0..conv.turns.len()).filter(|&i| conv.turns[i].speaker == p).collect();
        Shared {
            conv,
            keywords,
            hits: Default::default(),
            bigrams: Default::default(),
            keys: Default::default(),
            regexes,
            regex_hits: Default::default(),
            all: (0..conv.turns.len()).collect(),
            agent: of(Party::Agent),
            customer: of(Party::Customer),
        }
    }
    /// Whether regular expression `id` of the shared set matches somewhere in the turn.
    pub(crate) fn may_match(&self, turn: usize, id: usize) -> bool {
        let Some(set) = self.regexes else { return true };
        let all = self.regex_hits.get_or_init(|| self.conv.turns.iter().map(|t| set.matches(&t.text)).collect());
        all.get(turn).is_none_or(|m| m.matched(id))
    }
    pub(crate) fn turns_of(&self, speaker: Option<Party>) -> &[usize] {
        match speaker {
            None => &self.all,
            Some(Party::Agent) => &self.agent,
            Some(Party::Customer) => &self.customer,
        }
    }
    /// The turn's hits of the keywords with owner ids in `owners` (one
    /// condition's): the turn's hits are sorted by owner once, so each
    /// condition finds its own by two binary searches, not by a scan of all.
    pub(crate) fn keyword_hits(&self, turn: usize, owners: std::ops::Range<u32>) -> &[crate::matcher::PatternHit] {
        let all = self.hits.get_or_init(|| {
            let Some(m) = self.keywords else { return Vec::new() };
            let mut scratch = crate::matcher::Scratch::default();
            self.conv
                .turns
                .iter()
                .map(|t| {
                    let mut hits = m.find(&t.text, &mut scratch).to_vec();
                    hits.sort_by_key(|h| (h.owner, h.start));
                    hits
                })
                .collect()
        });
        let Some(hits) = all.get(turn) else { return &[] };
        let from = hits.partition_point(|h| h.owner < owners.start);
        let to = hits.partition_point(|h| h.owner < owners.end);
        &hits[from..to]
    }
    pub(crate) fn bigrams(&self, turn: usize) -> &[((char, char), f64)] {
        let all = self.bigrams.get_or_init(|| self.conv.turns.iter().map(|t| operators::bigrams(&t.text)).collect());
        all.get(turn).map_or(&[], Vec::as_slice)
    }
    pub(crate) fn key(&self, turn: usize) -> &str {
        let all = self.keys.get_or_init(|| self.conv.turns.iter().map(|t| crate::normalize::normalize_str(&t.text).chars().filter(|&c| operators::word_char(c)).collect()).collect());
        all.get(turn).map_or("", String::as_str)
    }
}

/// `[check.when]`: the channel, and metadata fields of the conversation
/// that must equal (or, given a list, be one of) these values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckWhen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(flatten)]
    pub meta: BTreeMap<String, toml::Value>,
}

impl CheckWhen {
    pub fn is_empty(&self) -> bool {
        self.channel.is_none() && self.meta.is_empty()
    }

    /// The applicability as it is tested for every conversation (the values
    /// read once), or why the channel is not one.
    pub fn compile(&self) -> Result<When, String> {
        let channel = match self.channel.as_deref() {
            None => None,
            Some("phone") => Some(Channel::Phone),
            Some("chat") => Some(Channel::Chat),
            Some(other) => return Err(format!("when.channel 应为 phone 或 chat，而不是“{other}”")),
        };
        Ok(When { channel, meta: self.meta.iter().map(|(k, v)| (k.clone(), meta_values(v))).collect() })
    }
}

/// A compiled `when` (of a custom check or a scorecard): the channel, and
/// for each metadata field the values allowed.
#[derive(Debug, Clone, Default)]
pub struct When {
    channel: Option<Channel>,
    meta: Vec<(String, Vec<serde_json::Value>)>,
}

impl When {
    /// Whether a conversation is one of those it names.
    pub fn fits(&self, conv: &Conversation) -> bool {
        self.channel.is_none_or(|c| c == conv.channel) && self.meta.iter().all(|(field, allowed)| conv.metadata.get(field).is_some_and(|v| allowed.iter().any(|a| same_value(a, v))))
    }
}

/// `[[check.condition]]`: an id, an operator and the operator's parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConditionSpec {
    pub id: String,
    pub operator: String,
    #[serde(flatten)]
    pub params: BTreeMap<String, toml::Value>,
}

/// A compiled check: its applicability, its conditions in evaluation order
/// and its logic.
#[derive(Debug)]
pub struct CustomCheck {
    when: When,
    conditions: Vec<Condition>,
    logic: logic::Expr,
}

/// One condition: where it looks and what it looks for.
#[derive(Debug)]
pub struct Condition {
    pub id: String,
    pub speaker: Option<Party>,
    pub position: Position,
    pub operator: Operator,
}

/// Position qualifiers: the turns a turn-based operator looks at.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Position {
    /// The first / last N turns (of the condition's speaker when it has one).
    pub first_turns: Option<usize>,
    pub last_turns: Option<usize>,
    /// Turns starting within N seconds of the start, or ending within N seconds of the end.
    pub within_seconds_of_start: Option<f64>,
    pub within_seconds_of_end: Option<f64>,
    /// Turns after a turn matched by this condition, within `within_turns` turns of it (default 3).
    pub after: Option<(usize, usize)>,
}

/// What a condition found: whether it holds and the spans that show it.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hit: bool,
    /// (turn, start, end, note); start == end == 0 for a whole-conversation fact.
    pub spans: Vec<(usize, usize, usize, String)>,
}

impl Found {
    pub fn none() -> Found {
        Found::default()
    }
    pub fn of(spans: Vec<(usize, usize, usize, String)>) -> Found {
        Found { hit: !spans.is_empty(), spans }
    }
}

impl CustomCheck {
    /// Compiles a check's `logic`, `[check.when]` and conditions (`scenarios`:
    /// the scenario ids the rulebook knows); every problem, in Chinese, naming the condition.
    pub fn compile(logic: Option<&str>, when: &CheckWhen, conditions: &[ConditionSpec], scenarios: &[&str]) -> Result<CustomCheck, Vec<String>> {
        let mut errors = Vec::new();
        let Some(logic_text) = logic else { return Err(vec!["自定义检查项须有 logic".into()]) };
        if conditions.is_empty() {
            errors.push("自定义检查项须至少有一个 [[check.condition]]".into());
        }
        let ids: Vec<&str> = conditions.iter().map(|c| c.id.as_str()).collect();
        for (i, id) in ids.iter().enumerate() {
            if id.is_empty() || !id.chars().all(|c| c.is_alphanumeric() || c == '_') {
                errors.push(format!("条件 id“{id}”只能由字母、数字和下划线组成"));
            }
            if ids[..i].contains(id) {
                errors.push(format!("条件 id“{id}”重复"));
            }
        }
        let logic = match logic::parse(logic_text, &ids) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(format!("logic：{e}"));
                None
            }
        };
        let specs = conditions;
        let mut conditions = Vec::new();
        for spec in specs {
            match compile_condition(spec, &ids, scenarios) {
                Ok(c) => conditions.push(c),
                Err(e) => errors.extend(e.into_iter().map(|e| format!("条件 {}：{e}", spec.id))),
            }
        }
        let when = when.compile().unwrap_or_else(|e| {
            errors.push(e);
            When::default()
        });
        // `after` may chain but never loop.
        if let Err(e) = no_after_loops(&conditions) {
            errors.push(e);
        }
        match (errors.is_empty(), logic) {
            (true, Some(logic)) => Ok(CustomCheck { when, conditions, logic }),
            _ => Err(errors),
        }
    }

    /// Gives this check's keyword conditions their owner ids in the shared
    /// automaton, from `next` on; their sequences, to add to it.
    pub fn keyword_sequences(&mut self, next: &mut u32) -> Vec<(u32, crate::pattern::Sequence)> {
        let mut out = Vec::new();
        for c in &mut self.conditions {
            if let Operator::Keywords { seqs, base, phrases, .. } = &mut c.operator {
                *base = *next;
                out.extend(seqs.iter().map(|(o, s)| (*next + o, s.clone())));
                *next += phrases.len() as u32;
            }
        }
        out
    }

    /// Gives this check's regular expressions their place in the shared
    /// RegexSet (`sources`, each text once); the set is built from `sources`.
    pub fn regex_sources(&mut self, sources: &mut Vec<String>) {
        let mut id_of = |text: &str| match sources.iter().position(|s| s == text) {
            Some(i) => i,
            None => {
                sources.push(text.to_string());
                sources.len() - 1
            }
        };
        for c in &mut self.conditions {
            match &mut c.operator {
                Operator::Regex { pattern, exclude, ids } => *ids = (id_of(pattern.as_str()), exclude.as_ref().map(|x| id_of(x.as_str()))),
                Operator::Entity { kinds } => {
                    for (_, r, id) in kinds.iter_mut() {
                        *id = id_of(r.as_str());
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether the check applies to this conversation (`[check.when]`).
    pub fn applies(&self, conv: &Conversation) -> bool {
        self.when.fits(conv)
    }

    /// Runs the conditions the logic needs, each once (a condition another
    /// one's `after` names first); `Some(evidence)` when the check fails.
    pub fn run(&self, facts: &Facts<'_>) -> Option<Vec<Evidence>> {
        let mut found: Vec<Option<Found>> = vec![None; self.conditions.len()];
        let fails = self.logic.eval_lazy(&mut |i| self.found(i, facts, &mut found).hit);
        if !fails {
            return None;
        }
        let mut positive = Vec::new();
        self.logic.positive(&mut positive);
        for &i in &positive {
            self.found(i, facts, &mut found);
        }
        let found: Vec<Found> = found.into_iter().map(Option::unwrap_or_default).collect();
        let values: Vec<bool> = found.iter().map(|f| f.hit).collect();
        let mut evidence = Vec::new();
        for i in positive.into_iter().filter(|i| values[*i]) {
            let c = &self.conditions[i];
            for (turn, start, end, note) in &found[i].spans {
                let text: String = facts.conv.turns.get(*turn).map_or(String::new(), |t| t.text.chars().skip(*start).take(end.saturating_sub(*start)).collect());
                evidence.push(Evidence { turn: *turn, start: *start, end: *end, text, note: format!("条件 {}（{}）：{note}", c.id, c.operator.name_zh()), rule: None });
            }
        }
        if evidence.is_empty() {
            // The logic is true by what is missing (`!b`): say what was not found.
            let missing: Vec<String> = (0..self.conditions.len()).filter(|i| !values[*i]).map(|i| format!("条件 {}（{}）未满足", self.conditions[i].id, self.conditions[i].operator.name_zh())).collect();
            evidence.push(Evidence { turn: 0, start: 0, end: 0, text: String::new(), note: missing.join("；"), rule: None });
        }
        Some(evidence)
    }
}

impl CustomCheck {
    /// Condition `i`'s finding, evaluated on first need (what its `after`
    /// names first; compile refused cycles, so this ends).
    fn found<'f>(&self, i: usize, facts: &Facts<'_>, memo: &'f mut [Option<Found>]) -> &'f Found {
        if memo[i].is_none() {
            let anchors: Vec<Found> = match self.conditions[i].position.after {
                Some((j, _)) => vec![self.found(j, facts, memo).clone()],
                None => Vec::new(),
            };
            memo[i] = Some(self.conditions[i].evaluate(facts, &anchors));
        }
        memo[i].get_or_insert_with(Found::none)
    }
}

impl Condition {
    /// `anchor`: the finding of the condition this one's `after` names (empty when none).
    fn evaluate(&self, facts: &Facts<'_>, anchor: &[Found]) -> Found {
        if !self.operator.turn_based() {
            return self.operator.evaluate_conversation(facts, self.speaker);
        }
        // Without a position, the speaker's turns as they are (no copy).
        if self.position == Position::default() {
            return self.operator.evaluate_turns(facts, facts.shared.turns_of(self.speaker));
        }
        let turns = self.turns(facts, anchor);
        self.operator.evaluate_turns(facts, &turns)
    }

    /// The turns this condition looks at: its speaker's, within its position.
    fn turns(&self, facts: &Facts<'_>, anchor: &[Found]) -> Vec<usize> {
        let conv = facts.conv;
        let mut turns: Vec<usize> = facts.shared.turns_of(self.speaker).to_vec();
        let p = &self.position;
        if let Some(n) = p.first_turns {
            turns.truncate(n);
        }
        if let Some(n) = p.last_turns {
            let skip = turns.len().saturating_sub(n);
            turns.drain(..skip);
        }
        if let Some(s) = p.within_seconds_of_start {
            turns.retain(|&i| conv.turns[i].start <= s);
        }
        if let Some(s) = p.within_seconds_of_end {
            let end = conv.turns.iter().map(|t| t.end.unwrap_or(t.start)).fold(0.0, f64::max);
            turns.retain(|&i| end - conv.turns[i].end.unwrap_or(conv.turns[i].start) <= s);
        }
        if let Some((_, within)) = p.after {
            let anchors: Vec<usize> = anchor.first().map(|f| f.spans.iter().map(|s| s.0).collect()).unwrap_or_default();
            turns.retain(|&i| anchors.iter().any(|&a| i > a && i - a <= within));
        }
        turns
    }
}

fn compile_condition(spec: &ConditionSpec, ids: &[&str], scenarios: &[&str]) -> Result<Condition, Vec<String>> {
    let mut params = spec.params.clone();
    let mut errors = Vec::new();
    let speaker = match params.remove("speaker") {
        None => None,
        Some(toml::Value::String(s)) if s == "agent" => Some(Party::Agent),
        Some(toml::Value::String(s)) if s == "customer" => Some(Party::Customer),
        Some(toml::Value::String(s)) if s == "any" => None,
        Some(other) => {
            errors.push(format!("speaker 应为 agent、customer 或 any，而不是 {other}"));
            None
        }
    };
    let position = match params.remove("position") {
        None => Position::default(),
        Some(toml::Value::Table(t)) => match compile_position(&t, ids, &spec.id) {
            Ok(p) => p,
            Err(e) => {
                errors.extend(e);
                Position::default()
            }
        },
        Some(_) => {
            errors.push("position 应为表，例如 { first_turns = 3 }".into());
            Position::default()
        }
    };
    let operator = match Operator::compile(&spec.operator, &mut params, scenarios) {
        Ok(op) => Some(op),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if let Some(op) = &operator {
        if !op.turn_based() && position != Position::default() {
            errors.push(format!("算子 {} 判断整通电话，不能加 position", spec.operator));
        }
        let (default_speaker_ok, note) = op.speaker_rule();
        if speaker.is_some() && !default_speaker_ok {
            errors.push(note.to_string());
        }
    }
    for key in params.keys() {
        errors.push(format!("算子 {} 没有参数 {key}", spec.operator));
    }
    match (errors.is_empty(), operator) {
        (true, Some(operator)) => {
            let speaker = speaker.or(operator.default_speaker());
            Ok(Condition { id: spec.id.clone(), speaker, position, operator })
        }
        _ => Err(errors),
    }
}

fn compile_position(t: &toml::Table, ids: &[&str], own: &str) -> Result<Position, Vec<String>> {
    let mut p = Position::default();
    let mut errors = Vec::new();
    let count = |key: &str, v: &toml::Value| match v.as_integer() {
        Some(n) if n >= 1 => Ok(n as usize),
        _ => Err(format!("position.{key} 应为正整数，而不是 {v}")),
    };
    let seconds = |key: &str, v: &toml::Value| match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
        Some(s) if s >= 0.0 && s.is_finite() => Ok(s),
        _ => Err(format!("position.{key} 应为不小于 0 的秒数，而不是 {v}")),
    };
    let mut after_id = None;
    let mut within = 3;
    for (key, v) in t {
        let r = match key.as_str() {
            "first_turns" => count(key, v).map(|n| p.first_turns = Some(n)),
            "last_turns" => count(key, v).map(|n| p.last_turns = Some(n)),
            "within_seconds_of_start" => seconds(key, v).map(|s| p.within_seconds_of_start = Some(s)),
            "within_seconds_of_end" => seconds(key, v).map(|s| p.within_seconds_of_end = Some(s)),
            "within_turns" => count(key, v).map(|n| within = n),
            "after" => match v.as_str() {
                Some(id) if id == own => Err("position.after 不能指向自己".to_string()),
                Some(id) => match ids.iter().position(|x| *x == id) {
                    Some(i) => {
                        after_id = Some(i);
                        Ok(())
                    }
                    None => Err(format!("position.after 指向不存在的条件“{id}”")),
                },
                None => Err(format!("position.after 应为条件 id，而不是 {v}")),
            },
            other => Err(format!("position 没有 {other}（可用：first_turns、last_turns、within_seconds_of_start、within_seconds_of_end、after、within_turns）")),
        };
        if let Err(e) = r {
            errors.push(e);
        }
    }
    if t.contains_key("within_turns") && after_id.is_none() {
        errors.push("position.within_turns 须与 after 一起用".into());
    }
    p.after = after_id.map(|i| (i, within));
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// That no chain of `after`s comes back to where it started (they are then
/// evaluated on demand, each after the one it names).
fn no_after_loops(conditions: &[Condition]) -> Result<(), String> {
    let mut state = vec![0u8; conditions.len()]; // 0 new, 1 visiting, 2 done
    fn visit(i: usize, conditions: &[Condition], state: &mut [u8]) -> Result<(), String> {
        match state[i] {
            2 => return Ok(()),
            1 => return Err(format!("条件 {} 的 position.after 构成循环", conditions[i].id)),
            _ => {}
        }
        state[i] = 1;
        if let Some((j, _)) = conditions[i].position.after {
            if j < conditions.len() {
                visit(j, conditions, state)?;
            }
        }
        state[i] = 2;
        Ok(())
    }
    (0..conditions.len()).try_for_each(|i| visit(i, conditions, &mut state))
}

/// `[check.when]`'s value for a metadata field: one value or a list of allowed ones.
fn meta_values(v: &toml::Value) -> Vec<serde_json::Value> {
    match v {
        toml::Value::Array(items) => items.iter().map(toml_to_json).collect(),
        other => vec![toml_to_json(other)],
    }
}

pub(crate) fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Value::from(*f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
    }
}

/// Equal as a person would read them: 1 and 1.0 and "1" are one value.
pub(crate) fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| if f.fract() == 0.0 { format!("{}", f as i64) } else { f.to_string() }),
        other => other.to_string(),
    };
    text(a) == text(b)
}

/// The ids of the `[[check]]`s a file defines (empty when it does not parse).
pub fn ids_in_file(text: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        check: Vec<IdOnly>,
    }
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    toml::from_str::<File>(text).map(|f| f.check.into_iter().map(|c| c.id).collect()).unwrap_or_default()
}

/// Metadata of a conversation as `[check.when]` and `meta` read it.
pub type Metadata = BTreeMap<String, serde_json::Value>;
