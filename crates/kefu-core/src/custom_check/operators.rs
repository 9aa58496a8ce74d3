//! The operators of custom checks. Each takes its parameters from the
//! condition's table (unknown ones are errors) and either looks at turns —
//! the condition's speaker and position choose which — or at the whole call.
//!
//! | operator | parameters | true when |
//! |---|---|---|
//! | `keywords` | `any` / `all` (lists of phrases in kefu's pattern language: normalised, `~N` gaps, `[a\|b]`), `at_least` (with `any`) | a turn has one of `any` (at least `at_least` of them), or all of `all` |
//! | `similar` | `examples` (sentences), `threshold` (0–1, default 0.6) | a turn is as similar to one example (character-bigram cosine, normalised) |
//! | `regex` | `pattern`, `exclude` (optional) | a turn matches `pattern` and not `exclude` |
//! | `forbidden` | `categories` (optional: any) | an agent turn has a forbidden phrase of those categories (the rulebook's rules) |
//! | `scenario` | `scenarios` | a customer turn is recognised as one of them |
//! | `entity` | `kinds`: phone, order, id_card, amount, date | a turn mentions one |
//! | `repeat` | `times` (≥ 2), `within_turns` (default 10) | the same sentence is said that many times within that many turns |
//! | `silence` | `longer_than` (s), `before` (optional: the speaker who then speaks) | a gap between two turns is longer |
//! | `interrupt` | `longer_than` (s, default 0.5) | a turn (of the speaker, default agent) starts that long before the other side's turn ends |
//! | `speech_rate` | `faster_than` / `slower_than` (characters per minute) | the speaker's (default agent) rate over their timed turns is outside |
//! | `hold` | `count_at_least`, `longer_than` (s) | the call has that many holds, or one longer |
//! | `duration` | `longer_than` / `shorter_than` (s) | the call (to its last turn's end or the hang-up) is so long |
//! | `rings` | `more_than` / `fewer_than` | the phone rang that often before it was answered |
//! | `meta` | `field`, `equals` or `in` | the conversation's metadata field has that value |

use std::collections::BTreeMap;

use crate::conversation::{Channel, Event, Party};
use crate::pattern::{self, Sequence};

use super::{Facts, Found};

type Params = BTreeMap<String, toml::Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
    AtLeast(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Phone,
    Order,
    IdCard,
    Amount,
    Date,
}

impl EntityKind {
    fn parse(s: &str) -> Option<EntityKind> {
        Some(match s {
            "phone" => EntityKind::Phone,
            "order" => EntityKind::Order,
            "id_card" => EntityKind::IdCard,
            "amount" => EntityKind::Amount,
            "date" => EntityKind::Date,
            _ => return None,
        })
    }
    fn name_zh(self) -> &'static str {
        match self {
            EntityKind::Phone => "电话号码",
            EntityKind::Order => "订单号",
            EntityKind::IdCard => "身份证号",
            EntityKind::Amount => "金额",
            EntityKind::Date => "日期",
        }
    }
    /// Digits written out (`[0-9]`, not `\\d`: Unicode's decimal digits of
    /// every script would make the shared automaton many times larger).
    fn regex(self) -> &'static str {
        match self {
            EntityKind::Phone => r"(?:^|[^0-9])(1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4})(?:[^0-9]|$)",
            EntityKind::Order => r"(?:订单|单号|运单|工单|快递单)[号码]?[:：是为 ]*[A-Za-z0-9-]{6,}|(?:^|[^0-9])[0-9]{12,20}(?:[^0-9]|$)",
            EntityKind::IdCard => r"(?:^|[^0-9])[0-9]{17}[0-9Xx](?:[^0-9]|$)",
            EntityKind::Amount => r"[¥￥] ?[0-9]+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)? ?(?:元|块钱|块|万元|角)",
            EntityKind::Date => r"[0-9]{4}[-/年.][0-9]{1,2}[-/月.][0-9]{1,2}[日号]?|[0-9]{1,2}月[0-9]{1,2}[日号]",
        }
    }
}

#[derive(Debug)]
pub enum Operator {
    /// `seqs` are matched by the inspector's one automaton of every custom
    /// check's keywords (a pass per turn, not one per condition); `base` is
    /// this condition's first owner id in it.
    Keywords { seqs: Vec<(u32, Sequence)>, base: u32, phrases: Vec<String>, quantifier: Quantifier },
    Similar { examples: Vec<(String, Bigrams)>, threshold: f64 },
    /// `ids`: the pattern's (and the exclusion's) place in the inspector's
    /// one RegexSet of all custom checks, which says per turn, in one pass,
    /// which patterns can match; only those are then run for their span.
    Regex { pattern: regex::Regex, exclude: Option<regex::Regex>, ids: (usize, Option<usize>) },
    Forbidden { categories: Vec<String> },
    Scenario { scenarios: Vec<String> },
    Entity { kinds: Vec<(EntityKind, regex::Regex, usize)> },
    Repeat { times: usize, within_turns: usize },
    Silence { longer_than: f64 },
    Interrupt { longer_than: f64 },
    SpeechRate { faster_than: Option<f64>, slower_than: Option<f64> },
    Hold { count_at_least: Option<usize>, longer_than: Option<f64> },
    Duration { longer_than: Option<f64>, shorter_than: Option<f64> },
    Rings { more_than: Option<u32>, fewer_than: Option<u32> },
    Meta { field: String, allowed: Vec<serde_json::Value> },
}

pub const OPERATORS: [&str; 14] = ["keywords", "similar", "regex", "forbidden", "scenario", "entity", "repeat", "silence", "interrupt", "speech_rate", "hold", "duration", "rings", "meta"];

fn take_strings(params: &mut Params, key: &str, errors: &mut Vec<String>) -> Option<Vec<String>> {
    match params.remove(key)? {
        toml::Value::Array(items) => {
            let strings: Vec<String> = items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
            if strings.len() != items.len() || strings.iter().any(|s| s.trim().is_empty()) {
                errors.push(format!("{key} 应为非空文字的列表"));
                return None;
            }
            if strings.is_empty() {
                errors.push(format!("{key} 是空列表"));
                return None;
            }
            Some(strings)
        }
        toml::Value::String(s) if !s.trim().is_empty() => Some(vec![s]),
        other => {
            errors.push(format!("{key} 应为文字列表，而不是 {other}"));
            None
        }
    }
}

fn take_number(params: &mut Params, key: &str, errors: &mut Vec<String>) -> Option<f64> {
    let v = params.remove(key)?;
    match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
        Some(n) if n >= 0.0 && n.is_finite() => Some(n),
        _ => {
            errors.push(format!("{key} 应为不小于 0 的数，而不是 {v}"));
            None
        }
    }
}

fn take_count(params: &mut Params, key: &str, min: usize, errors: &mut Vec<String>) -> Option<usize> {
    let v = params.remove(key)?;
    match v.as_integer() {
        Some(n) if n >= min as i64 => Some(n as usize),
        _ => {
            errors.push(format!("{key} 应为不小于 {min} 的整数，而不是 {v}"));
            None
        }
    }
}

fn compile_regex(text: &str, key: &str, errors: &mut Vec<String>) -> Option<regex::Regex> {
    match regex::RegexBuilder::new(text).size_limit(1 << 20).build() {
        Ok(r) => Some(r),
        Err(e) => {
            let reason = e.to_string();
            let line = reason.lines().last().unwrap_or("").trim().trim_start_matches("error: ").to_string();
            errors.push(format!("{key} 不是有效的正则表达式“{text}”（{}）", regex_reason_zh(&line)));
            None
        }
    }
}

/// The regex crate's reason, in Chinese for the common ones.
fn regex_reason_zh(reason: &str) -> String {
    let known = [
        ("unclosed group", "括号没有闭合"),
        ("unclosed character class", "方括号没有闭合"),
        ("unopened group", "多了一个 )"),
        ("repetition operator missing expression", "量词（* + ? {}）前面缺少内容"),
        ("invalid escape", "反斜杠转义不正确"),
        ("exceeds size limit", "表达式太大"),
        ("unclosed counted repetition", "{} 没有闭合"),
    ];
    known.iter().find(|(en, _)| reason.contains(en)).map_or_else(|| "写法不正确".to_string(), |(_, zh)| (*zh).to_string())
}

/// Character bigrams of a text, letters and digits only, as a unit vector
/// sorted by bigram (so two are compared by one merge).
pub(crate) type Bigrams = Vec<((char, char), f64)>;

pub(crate) fn bigrams(text: &str) -> Bigrams {
    let chars: Vec<char> = crate::normalize::normalize_str(text).chars().filter(|&c| word_char(c)).collect();
    let mut pairs: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    if chars.len() == 1 {
        pairs.push((chars[0], ' '));
    }
    pairs.sort_unstable();
    let mut counts: Bigrams = Vec::with_capacity(pairs.len());
    for p in pairs {
        match counts.last_mut() {
            Some((last, n)) if *last == p => *n += 1.0,
            _ => counts.push((p, 1.0)),
        }
    }
    let norm = counts.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut counts {
            *v /= norm;
        }
    }
    counts
}

/// A letter or digit, the common CJK and ASCII cases first (the full
/// Unicode tables are slow for Chinese text).
pub(crate) fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{4e00}'..='\u{9fff}').contains(&c) || (!c.is_ascii() && c.is_alphanumeric())
}

fn cosine(a: &[((char, char), f64)], b: &[((char, char), f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

impl Operator {
    /// The operator named, its parameters taken out of `params` (what is
    /// left afterwards is unknown to it).
    pub fn compile(name: &str, params: &mut Params, known_scenarios: &[&str]) -> Result<Operator, Vec<String>> {
        let mut e = Vec::new();
        let op = match name {
            "keywords" => {
                let any = take_strings(params, "any", &mut e);
                let all = take_strings(params, "all", &mut e);
                let at_least = take_count(params, "at_least", 1, &mut e);
                let (phrases, quantifier) = match (any, all, at_least) {
                    (Some(p), None, None) => (p, Quantifier::Any),
                    (Some(p), None, Some(n)) if n <= p.len() => (p, Quantifier::AtLeast(n)),
                    (Some(p), None, Some(n)) => {
                        e.push(format!("at_least = {n} 超过了 any 的 {} 个说法", p.len()));
                        (p, Quantifier::Any)
                    }
                    (None, Some(p), None) => (p, Quantifier::All),
                    (None, None, _) => {
                        if e.is_empty() {
                            e.push("keywords 须有 any 或 all".into());
                        }
                        (Vec::new(), Quantifier::Any)
                    }
                    _ => {
                        e.push("any 与 all 只能用一个；at_least 只与 any 一起用".into());
                        (Vec::new(), Quantifier::Any)
                    }
                };
                let mut seqs = Vec::new();
                for (i, p) in phrases.iter().enumerate() {
                    match pattern::compile(p) {
                        Ok(s) => seqs.extend(s.into_iter().map(|s| (i as u32, s))),
                        Err(err) => e.push(format!("说法“{p}”写法不正确：{err}")),
                    }
                }
                // An automaton of these alone, only to report what it cannot take.
                match crate::matcher::Matcher::new(seqs.iter().map(|(o, s)| (*o, s))) {
                    Ok(_) => Some(Operator::Keywords { seqs, base: 0, phrases, quantifier }),
                    Err(err) => {
                        e.push(err);
                        None
                    }
                }
            }
            "similar" => {
                let examples = take_strings(params, "examples", &mut e).unwrap_or_default();
                if examples.is_empty() && e.is_empty() {
                    e.push("similar 须有 examples（例句列表）".into());
                }
                let threshold = take_number(params, "threshold", &mut e).unwrap_or(0.6);
                if threshold > 1.0 {
                    e.push("threshold 应在 0–1 之间".into());
                }
                Some(Operator::Similar { examples: examples.into_iter().map(|x| { let v = bigrams(&x); (x, v) }).collect(), threshold })
            }
            "regex" => {
                let pattern = match params.remove("pattern") {
                    Some(toml::Value::String(p)) => compile_regex(&p, "pattern", &mut e),
                    Some(other) => {
                        e.push(format!("pattern 应为文字，而不是 {other}"));
                        None
                    }
                    None => {
                        e.push("regex 须有 pattern".into());
                        None
                    }
                };
                let exclude = match params.remove("exclude") {
                    None => None,
                    Some(toml::Value::String(p)) => compile_regex(&p, "exclude", &mut e),
                    Some(other) => {
                        e.push(format!("exclude 应为文字，而不是 {other}"));
                        None
                    }
                };
                pattern.map(|pattern| Operator::Regex { pattern, exclude, ids: (0, None) })
            }
            "forbidden" => Some(Operator::Forbidden { categories: take_strings(params, "categories", &mut e).unwrap_or_default() }),
            "scenario" => {
                let scenarios = take_strings(params, "scenarios", &mut e).unwrap_or_default();
                if scenarios.is_empty() && e.is_empty() {
                    e.push("scenario 须有 scenarios".into());
                }
                for s in &scenarios {
                    if !known_scenarios.contains(&s.as_str()) {
                        e.push(format!("没有场景“{s}”（可用：{}）", known_scenarios.join("、")));
                    }
                }
                Some(Operator::Scenario { scenarios })
            }
            "entity" => {
                let names = take_strings(params, "kinds", &mut e).unwrap_or_default();
                if names.is_empty() && e.is_empty() {
                    e.push("entity 须有 kinds（phone、order、id_card、amount、date）".into());
                }
                let mut kinds = Vec::new();
                for n in &names {
                    match EntityKind::parse(n) {
                        Some(k) => {
                            if let Some(r) = compile_regex(k.regex(), "kinds", &mut e) {
                                kinds.push((k, r, 0));
                            }
                        }
                        None => e.push(format!("没有实体“{n}”（可用：phone、order、id_card、amount、date）")),
                    }
                }
                Some(Operator::Entity { kinds })
            }
            "repeat" => {
                let times = take_count(params, "times", 2, &mut e);
                if times.is_none() && e.is_empty() {
                    e.push("repeat 须有 times（不小于 2）".into());
                }
                let within_turns = take_count(params, "within_turns", 1, &mut e).unwrap_or(10);
                times.map(|times| Operator::Repeat { times, within_turns })
            }
            "silence" => {
                let longer_than = take_number(params, "longer_than", &mut e);
                if longer_than.is_none() && e.is_empty() {
                    e.push("silence 须有 longer_than（秒）".into());
                }
                longer_than.map(|longer_than| Operator::Silence { longer_than })
            }
            "interrupt" => Some(Operator::Interrupt { longer_than: take_number(params, "longer_than", &mut e).unwrap_or(0.5) }),
            "speech_rate" => {
                let faster_than = take_number(params, "faster_than", &mut e);
                let slower_than = take_number(params, "slower_than", &mut e);
                if faster_than.is_none() && slower_than.is_none() && e.is_empty() {
                    e.push("speech_rate 须有 faster_than 或 slower_than（字/分钟）".into());
                }
                Some(Operator::SpeechRate { faster_than, slower_than })
            }
            "hold" => {
                let count_at_least = take_count(params, "count_at_least", 1, &mut e);
                let longer_than = take_number(params, "longer_than", &mut e);
                if count_at_least.is_none() && longer_than.is_none() && e.is_empty() {
                    e.push("hold 须有 count_at_least 或 longer_than".into());
                }
                Some(Operator::Hold { count_at_least, longer_than })
            }
            "duration" => {
                let longer_than = take_number(params, "longer_than", &mut e);
                let shorter_than = take_number(params, "shorter_than", &mut e);
                if longer_than.is_none() && shorter_than.is_none() && e.is_empty() {
                    e.push("duration 须有 longer_than 或 shorter_than（秒）".into());
                }
                Some(Operator::Duration { longer_than, shorter_than })
            }
            "rings" => {
                let more_than = take_count(params, "more_than", 0, &mut e).map(|n| n as u32);
                let fewer_than = take_count(params, "fewer_than", 1, &mut e).map(|n| n as u32);
                if more_than.is_none() && fewer_than.is_none() && e.is_empty() {
                    e.push("rings 须有 more_than 或 fewer_than".into());
                }
                Some(Operator::Rings { more_than, fewer_than })
            }
            "meta" => {
                let field = match params.remove("field") {
                    Some(toml::Value::String(f)) if !f.trim().is_empty() => Some(f),
                    _ => {
                        e.push("meta 须有 field（元数据字段名）".into());
                        None
                    }
                };
                let allowed = match (params.remove("equals"), params.remove("in")) {
                    (Some(v), None) => vec![super::toml_to_json(&v)],
                    (None, Some(toml::Value::Array(items))) if !items.is_empty() => items.iter().map(super::toml_to_json).collect(),
                    (None, Some(_)) => {
                        e.push("in 应为非空列表".into());
                        Vec::new()
                    }
                    _ => {
                        e.push("meta 须有 equals 或 in 之一".into());
                        Vec::new()
                    }
                };
                field.map(|field| Operator::Meta { field, allowed })
            }
            other => {
                e.push(format!("没有算子“{other}”（可用：{}）", OPERATORS.join("、")));
                None
            }
        };
        match (e.is_empty(), op) {
            (true, Some(op)) => Ok(op),
            _ => Err(e),
        }
    }

    pub fn name_zh(&self) -> &'static str {
        match self {
            Operator::Keywords { .. } => "关键词",
            Operator::Similar { .. } => "相似句",
            Operator::Regex { .. } => "正则",
            Operator::Forbidden { .. } => "服务忌语",
            Operator::Scenario { .. } => "客户场景",
            Operator::Entity { .. } => "信息实体",
            Operator::Repeat { .. } => "重复",
            Operator::Silence { .. } => "静音",
            Operator::Interrupt { .. } => "抢话",
            Operator::SpeechRate { .. } => "语速",
            Operator::Hold { .. } => "保持",
            Operator::Duration { .. } => "通话时长",
            Operator::Rings { .. } => "振铃",
            Operator::Meta { .. } => "会话属性",
        }
    }

    /// Whether the operator looks at turns (and so takes a position).
    pub fn turn_based(&self) -> bool {
        !matches!(self, Operator::SpeechRate { .. } | Operator::Hold { .. } | Operator::Duration { .. } | Operator::Rings { .. } | Operator::Meta { .. })
    }

    /// The speaker a condition of this operator looks at when it names none.
    pub fn default_speaker(&self) -> Option<Party> {
        match self {
            Operator::Forbidden { .. } | Operator::Interrupt { .. } | Operator::SpeechRate { .. } => Some(Party::Agent),
            Operator::Scenario { .. } => Some(Party::Customer),
            _ => None,
        }
    }

    /// Whether a `speaker` may be given, and why not.
    pub fn speaker_rule(&self) -> (bool, &'static str) {
        match self {
            Operator::Forbidden { .. } => (false, "forbidden 只看坐席的话，不能指定 speaker"),
            Operator::Scenario { .. } => (false, "scenario 只看客户的话，不能指定 speaker"),
            Operator::Hold { .. } | Operator::Duration { .. } | Operator::Rings { .. } | Operator::Meta { .. } => (false, "这个算子判断整通电话，不能指定 speaker"),
            _ => (true, ""),
        }
    }

    pub fn evaluate_turns(&self, f: &Facts<'_>, turns: &[usize]) -> Found {
        let conv = f.conv;
        let text = |i: usize| conv.turns[i].text.as_str();
        let whole = |i: usize, note: String| (i, 0, text(i).chars().count(), note);
        match self {
            Operator::Keywords { base, phrases, quantifier, .. } => {
                let mut spans = Vec::new();
                for &i in turns {
                    let hits: Vec<crate::matcher::PatternHit> = f.shared.keyword_hits(i, *base..*base + phrases.len() as u32).iter().map(|h| crate::matcher::PatternHit { owner: h.owner - base, ..*h }).collect();
                    let mut seen: Vec<u32> = hits.iter().map(|h| h.owner).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    let ok = match quantifier {
                        Quantifier::Any => !seen.is_empty(),
                        Quantifier::All => seen.len() == phrases.len(),
                        Quantifier::AtLeast(n) => seen.len() >= *n,
                    };
                    if ok {
                        let mut owners = std::collections::HashSet::new();
                        for h in hits.iter().filter(|h| owners.insert(h.owner)) {
                            spans.push((i, h.start, h.end, format!("说到“{}”", phrases[h.owner as usize])));
                        }
                    }
                }
                Found::of(spans)
            }
            Operator::Similar { examples, threshold } => Found::of(
                turns
                    .iter()
                    .filter_map(|&i| {
                        let v = f.shared.bigrams(i);
                        let (best, score) = examples.iter().map(|(x, e)| (x, cosine(v, e))).fold((None, 0.0), |acc, (x, s)| if s > acc.1 { (Some(x), s) } else { acc });
                        (score >= *threshold).then(|| whole(i, format!("与例句“{}”相似（{score:.2}）", best.map_or("", |b| b.as_str()))))
                    })
                    .collect(),
            ),
            Operator::Regex { pattern, exclude, ids } => Found::of(
                turns
                    .iter()
                    .filter(|&&i| f.shared.may_match(i, ids.0))
                    .filter(|&&i| !(ids.1.is_some_and(|x| f.shared.may_match(i, x)) && exclude.as_ref().is_some_and(|x| x.is_match(text(i)))))
                    .filter_map(|&i| {
                        let m = pattern.find(text(i))?;
                        let t = text(i);
                        let (start, end) = (t[..m.start()].chars().count(), t[..m.end()].chars().count());
                        Some((i, start, end, format!("匹配“{}”", m.as_str())))
                    })
                    .collect(),
            ),
            Operator::Forbidden { categories } => Found::of(
                turns
                    .iter()
                    .flat_map(|&i| (f.forbidden)(i).into_iter().map(move |h| (i, h)))
                    .filter(|(_, (cat, _, _))| categories.is_empty() || categories.contains(cat))
                    .map(|(i, (cat, s, e))| (i, s, e, format!("忌语（{cat}）")))
                    .collect(),
            ),
            Operator::Scenario { scenarios } => Found::of(
                turns
                    .iter()
                    .filter(|&&i| f.scenarios.get(i).is_some_and(|s| scenarios.iter().any(|x| x == s)))
                    .map(|&i| whole(i, format!("客户场景 {}", f.scenarios[i])))
                    .collect(),
            ),
            Operator::Entity { kinds } => Found::of(
                turns
                    .iter()
                    .flat_map(|&i| {
                        kinds.iter().filter(move |(_, _, id)| f.shared.may_match(i, *id)).filter_map(move |(k, r, _)| {
                            let t = text(i);
                            let m = r.find(t)?;
                            Some((i, t[..m.start()].chars().count(), t[..m.end()].chars().count(), format!("提到{}", k.name_zh())))
                        })
                    })
                    .collect(),
            ),
            Operator::Repeat { times, within_turns } => {
                let keys: Vec<(usize, &str)> = turns.iter().map(|&i| (i, f.shared.key(i))).filter(|(_, k)| k.chars().count() >= 4).collect();
                let mut spans = Vec::new();
                for (n, (i, k)) in keys.iter().enumerate() {
                    let same: Vec<usize> = keys[n..].iter().filter(|(j, kk)| kk == k && *j - *i < *within_turns).map(|(j, _)| *j).collect();
                    if same.len() >= *times && !spans.iter().any(|(t, ..): &(usize, usize, usize, String)| same.contains(t)) {
                        spans.extend(same.iter().map(|&j| whole(j, format!("同一句话说了 {} 次", same.len()))));
                    }
                }
                Found::of(spans)
            }
            Operator::Silence { longer_than } => Found::of(
                turns
                    .iter()
                    .filter(|&&i| i > 0)
                    .filter_map(|&i| {
                        let prev = &conv.turns[i - 1];
                        let gap = conv.turns[i].start - prev.end.unwrap_or(prev.start);
                        (gap > *longer_than).then(|| (i, 0, 0, format!("此前静音 {gap:.1} 秒")))
                    })
                    .collect(),
            ),
            Operator::Interrupt { longer_than } => Found::of(
                turns
                    .iter()
                    .filter(|&&i| i > 0)
                    .filter_map(|&i| {
                        let prev = &conv.turns[i - 1];
                        let overlap = prev.end? - conv.turns[i].start;
                        (prev.speaker != conv.turns[i].speaker && overlap > *longer_than).then(|| whole(i, format!("对方未讲完就开口（重叠 {overlap:.1} 秒）")))
                    })
                    .collect(),
            ),
            _ => Found::none(),
        }
    }

    pub fn evaluate_conversation(&self, f: &Facts<'_>, speaker: Option<Party>) -> Found {
        let conv = f.conv;
        let fact = |note: String| Found { hit: true, spans: vec![(0, 0, 0, note)] };
        match self {
            Operator::SpeechRate { faster_than, slower_than } => {
                let who = speaker.unwrap_or(Party::Agent);
                let (chars, seconds) = conv.turns.iter().filter(|t| t.speaker == who).filter_map(|t| Some((t.text.chars().filter(|c| c.is_alphanumeric()).count(), t.end? - t.start))).filter(|(_, s)| *s > 0.0).fold((0usize, 0.0), |(c, s), (tc, ts)| (c + tc, s + ts));
                if seconds < 5.0 {
                    return Found::none();
                }
                let rate = chars as f64 * 60.0 / seconds;
                if faster_than.is_some_and(|x| rate > x) || slower_than.is_some_and(|x| rate < x) {
                    fact(format!("语速 {rate:.0} 字/分钟"))
                } else {
                    Found::none()
                }
            }
            Operator::Hold { count_at_least, longer_than } => {
                let holds: Vec<(f64, f64)> = conv.events.iter().filter_map(|e| if let Event::Hold { start, end } = e { Some((*start, *end)) } else { None }).collect();
                let longest = holds.iter().map(|(s, e)| e - s).fold(0.0, f64::max);
                let before = |at: f64| conv.turns.iter().rposition(|t| t.start <= at).unwrap_or(0);
                if count_at_least.is_some_and(|n| holds.len() >= n) || longer_than.is_some_and(|x| longest > x) {
                    Found { hit: true, spans: holds.iter().map(|(s, e)| (before(*s), 0, 0, format!("保持 {:.0} 秒（{s:.1}–{e:.1} 秒）", e - s))).collect() }
                } else {
                    Found::none()
                }
            }
            Operator::Duration { longer_than, shorter_than } => {
                let end = conv.events.iter().filter_map(|e| if let Event::Hangup { at, .. } = e { Some(*at) } else { None }).chain(conv.turns.iter().map(|t| t.end.unwrap_or(t.start))).fold(0.0, f64::max);
                if longer_than.is_some_and(|x| end > x) || shorter_than.is_some_and(|x| end < x) {
                    fact(format!("通话时长 {end:.0} 秒"))
                } else {
                    Found::none()
                }
            }
            Operator::Rings { more_than, fewer_than } => match (conv.channel, conv.rings) {
                (Channel::Phone, Some(r)) if more_than.is_some_and(|x| r > x) || fewer_than.is_some_and(|x| r < x) => fact(format!("响铃 {r} 声")),
                _ => Found::none(),
            },
            Operator::Meta { field, allowed } => match conv.metadata.get(field) {
                Some(v) if allowed.iter().any(|a| super::same_value(a, v)) => fact(format!("{field} = {v}")),
                _ => Found::none(),
            },
            _ => Found::none(),
        }
    }
}
