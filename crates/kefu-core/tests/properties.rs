//! Property tests of every parser and entry point of the core: lint,
//! classify, reply, the calendar (day, deadlines, import), pattern
//! compiling, rulebook loading, transcript decoding and inspection.
//!
//! The invariants each entry point must keep live in `fuzz/entry_points.rs`,
//! shared with the fuzz targets; here proptest feeds them structured inputs
//! (real sentences of the rulebook cut up and mixed with noise, mutated
//! copies of the real files, absurd numbers), and checks what only a
//! generator can: the matcher against a brute-force reference, and
//! transformations that must not change what lint finds.
//!
//! Every block sets its number of cases and keeps no failure files, so the
//! binary runs in a bounded time (about 10 s in a debug build) and writes
//! nothing into the source tree. `KEFU_PROPTEST_SCALE=20 cargo test -p
//! kefu-core --release --test properties` runs twenty times as many cases.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use kefu_core::calendar::{HolidayCalendar, WorkingHours, EMBEDDED_SOURCES};
use kefu_core::inspect::{Agent, Channel as ConvChannel, Conversation, Event, Party, Turn};
use kefu_core::matcher::{Matcher, Scratch};
use kefu_core::normalize::{normalize_char, normalize_str, Norm};
use kefu_core::pattern::{compile, Sequence};
use kefu_core::reply::{Channel, Line, ReplyContext};
use kefu_core::rulebook::embedded_files;
use kefu_core::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config;
use serde_json::{json, Value};

#[path = "../../../fuzz/entry_points.rs"]
mod entry_points;

use entry_points::engine;

/// `cases` per property; `KEFU_PROPTEST_SCALE=N` multiplies them for a
/// longer run by hand (`cargo test` itself always runs the bounded count).
fn config(cases: u32) -> Config {
    let scale = std::env::var("KEFU_PROPTEST_SCALE").ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(1).max(1);
    Config { cases: cases.saturating_mul(scale), failure_persistence: None, max_shrink_iters: 2_000, ..Config::default() }
}

// ---------------------------------------------------------------------------
// Text generators
// ---------------------------------------------------------------------------

/// Every sentence of the rulebook: bad and good examples, scenario and cue
/// examples, standard phrases. Cut up and mixed, they reach the rules.
fn sentences() -> &'static Vec<String> {
    static S: OnceLock<Vec<String>> = OnceLock::new();
    S.get_or_init(|| {
        let b = &engine().rulebook;
        let mut out: Vec<String> = Vec::new();
        for r in &b.rules {
            out.extend(r.bad.iter().chain(&r.good).cloned());
        }
        for s in &b.scenarios {
            out.extend(s.examples.iter().cloned());
        }
        for c in &b.cues {
            out.extend(c.examples.iter().chain(&c.non_examples).cloned());
        }
        out.extend(b.phrases.iter().map(|p| p.text.clone()));
        out.retain(|s| !s.is_empty());
        out
    })
}

/// Characters that normalisation treats specially, quotes, and other traps.
const NOISE: &[&str] = &[
    "\u{200b}", "\u{200d}", "\u{feff}", "\u{2060}", "\u{202e}", "\u{301}", "\u{fe0f}", "😊", "🇨🇳", "★", "～", "~", "*", " ", "　",
    "，", "。", "！", "？", "、", "…", "—", "“", "”", "《", "》", "「", "」", "『", "』", "\"", "'", "‘", "’", "〈", "〉",
    "＂", "﹃", "﹄", "\n", "\r\n", "\t", "\0", "\u{7f}", "這", "麼", "說", "門", "問題", "ＡＢＣ", "ｚｈｉ", "VIP", "İ", "ß",
    "ǅ", "Ω", "\u{10ffff}", "\u{e0041}", "烦烦烦", "不不不", "知知道道", "(", ")", "[", "]", "|", "^", "$", "=",
];

/// A piece of a rulebook sentence (a char range of it).
fn fragment_of_sentence() -> impl Strategy<Value = String> {
    (select(sentences().clone()), any::<Index>(), any::<Index>()).prop_map(|(s, a, b)| {
        let chars: Vec<char> = s.chars().collect();
        let (i, j) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
        chars[i.min(j)..i.max(j)].iter().collect()
    })
}

/// Utterances: rulebook sentences and pieces of them, noise, arbitrary
/// characters and long repeats, concatenated.
fn utterance() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => select(sentences().clone()),
        3 => fragment_of_sentence(),
        3 => select(NOISE).prop_map(str::to_string),
        2 => any::<char>().prop_map(String::from),
        1 => "\\PC{0,8}",
        1 => (select(sentences().clone()), 2usize..60).prop_map(|(s, n)| s.repeat(n)),
        1 => (select(NOISE), 50usize..400).prop_map(|(s, n)| s.repeat(n)),
    ];
    vec(piece, 0..16).prop_map(|v| v.concat())
}

// ---------------------------------------------------------------------------
// lint
// ---------------------------------------------------------------------------

/// (rule, start, end) of each violation.
fn lint_spans(text: &str) -> Vec<(String, usize, usize)> {
    engine().lint(text).into_iter().map(|v| (v.rule.to_string(), v.start, v.end)).collect()
}

proptest! {
    #![proptest_config(config(192))]

    /// lint never panics; spans lie inside the text and are ordered by
    /// start, `matched` is the text of the span, `has_violation` and
    /// `lint_capped` agree with `lint`, a reused scratch changes nothing.
    #[test]
    fn lint_spans_are_consistent(text in utterance(), cap in 0usize..8) {
        entry_points::check_lint(engine(), &text, cap);
    }

    /// A zero-width space anywhere changes no verdict: the same rules are
    /// found, their spans shifted past it.
    #[test]
    fn lint_ignores_zero_width_spaces(text in utterance(), at in any::<Index>()) {
        let chars: Vec<char> = text.chars().collect();
        let p = at.index(chars.len() + 1);
        let with: String = chars[..p].iter().chain(['\u{200b}'].iter()).chain(chars[p..].iter()).collect();
        let expected: Vec<(String, usize, usize)> = lint_spans(&text)
            .into_iter()
            .map(|(rule, s, e)| (rule, s + usize::from(p <= s), e + usize::from(p < e)))
            .collect();
        prop_assert_eq!(lint_spans(&with), expected, "zero-width space at {}", p);
    }

    /// ASCII letters match in either case.
    #[test]
    fn lint_ignores_ascii_case(text in utterance()) {
        prop_assert_eq!(lint_spans(&text.to_ascii_uppercase()), lint_spans(&text));
    }

    /// classify never panics; the scenario is one of the fixed ids and the
    /// confidence lies in [0, 1]; evidence lies inside the text.
    #[test]
    fn classify_gives_a_known_scenario(text in utterance()) {
        entry_points::check_classify(engine(), &text);
    }
}

// ---------------------------------------------------------------------------
// normalisation and the matcher against a brute-force reference
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// What normalisation keeps, it keeps as it is: every character of a
    /// normalised string is a fixed point (a pattern's fragments are
    /// normalised once when compiled, the text once while it is matched).
    /// Not idempotent as a whole, by design: a boundary keeps a run from
    /// collapsing (您？您好 → 您您好), and so does the matcher.
    #[test]
    fn normalised_characters_are_fixed_points(text in prop_oneof![any::<String>(), utterance()]) {
        for c in normalize_str(&text).chars() {
            prop_assert_eq!(normalize_char(c), Norm::Keep(c), "{:?} (U+{:04X})", c, c as u32);
        }
    }
}

/// One normalised character: what it is, the original chars it covers, and
/// whether a clause boundary (or the start of the text) precedes it.
#[derive(Debug, Clone, Copy)]
struct NChar {
    c: char,
    start: usize,
    end: usize,
    boundary: bool,
}

/// The text as the matcher sees it, written from the documented rules.
fn normalise(text: &str) -> Vec<NChar> {
    let mut out: Vec<NChar> = Vec::new();
    let mut boundary = true;
    for (i, c) in text.chars().enumerate() {
        match normalize_char(c) {
            Norm::Skip { boundary: b } => boundary |= b,
            Norm::Keep(k) => {
                match out.last_mut() {
                    Some(last) if last.c == k && !boundary => last.end = i + 1,
                    _ => out.push(NChar { c: k, start: i, end: i + 1, boundary }),
                }
                boundary = false;
            }
        }
    }
    out
}

/// What a correct matcher reports for `seqs` in a text: the set of
/// (owner, core start, end) of every match, and every acceptable
/// (owner, start, core start, end) — a sequence's last fragment found in
/// the text, each earlier segment ending at most its gap before the next
/// one starts, and the clause anchors holding for the whole span.
#[allow(clippy::type_complexity)]
fn reference(seqs: &[(u32, Sequence)], norm: &[NChar]) -> (BTreeSet<(u32, usize, usize)>, HashSet<(u32, usize, usize, usize)>) {
    let chars: Vec<char> = norm.iter().map(|n| n.c).collect();
    let mut complete = BTreeSet::new();
    let mut allowed = HashSet::new();
    for (owner, seq) in seqs {
        let segs: Vec<Vec<Vec<char>>> = seq.segments.iter().map(|s| s.iter().map(|f| f.chars().collect()).collect()).collect();
        let occurs = |f: &[char], end: usize| end >= f.len() && chars[end - f.len()..end] == *f;
        // Starts of segment 0 for chains in which segment k starts at s.
        let mut memo: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        fn starts(
            k: usize,
            s: usize,
            segs: &[Vec<Vec<char>>],
            gaps: &[u8],
            occurs: &dyn Fn(&[char], usize) -> bool,
            memo: &mut HashMap<(usize, usize), Vec<usize>>,
        ) -> Vec<usize> {
            if k == 0 {
                return vec![s];
            }
            if let Some(v) = memo.get(&(k, s)) {
                return v.clone();
            }
            let mut out = Vec::new();
            for end in s.saturating_sub(usize::from(gaps[k - 1]))..=s {
                for f in &segs[k - 1] {
                    if occurs(f, end) {
                        out.extend(starts(k - 1, end - f.len(), segs, gaps, occurs, memo));
                    }
                }
            }
            out.sort_unstable();
            out.dedup();
            memo.insert((k, s), out.clone());
            out
        }
        let last = segs.len() - 1;
        for f in &segs[last] {
            for end in f.len()..=chars.len() {
                if !occurs(f, end) {
                    continue;
                }
                let core = end - f.len();
                for s0 in starts(last, core, &segs, &seq.gaps, &occurs, &mut memo) {
                    let anchored = (!seq.anchor_start || norm[s0].boundary)
                        && (!seq.anchor_end || norm.get(end).is_none_or(|n| n.boundary))
                        && (!seq.one_clause || norm[s0 + 1..end].iter().all(|n| !n.boundary));
                    if anchored {
                        complete.insert((*owner, norm[core].start, norm[end - 1].end));
                        allowed.insert((*owner, norm[s0].start, norm[core].start, norm[end - 1].end));
                    }
                }
            }
        }
    }
    (complete, allowed)
}

/// Small patterns over a, b, c: literals, `[x|y|]` alternatives (empty ones
/// too), `~`/`~N` gaps, the `^`/`$` anchors and the one-clause `=`.
fn small_pattern() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[abc]{1,3}",
        vec("[abc]{0,2}", 1..4).prop_map(|alts| format!("[{}]", alts.join("|"))),
    ];
    let gap = prop_oneof![
        2 => Just("~".to_string()),
        3 => (1u8..=9).prop_map(|n| format!("~{n}")),
        1 => Just(String::new()),
    ];
    (prop_oneof![4 => Just(""), 1 => Just("^"), 1 => Just("=")], vec((gap, piece), 1..5), prop::bool::weighted(0.2)).prop_map(
        |(prefix, parts, end)| {
            let mut p = prefix.to_string();
            for (i, (gap, piece)) in parts.into_iter().enumerate() {
                if i > 0 {
                    p.push_str(&gap);
                }
                p.push_str(&piece);
            }
            if end {
                p.push('$');
            }
            p
        },
    )
}

fn compiled(patterns: &[String]) -> Vec<(u32, Sequence)> {
    patterns
        .iter()
        .enumerate()
        .flat_map(|(i, p)| compile(p).map(|seqs| seqs.into_iter().map(move |s| (i as u32, s)).collect::<Vec<_>>()).unwrap_or_default())
        .collect()
}

/// Checks `Matcher::find` against the reference on one text.
fn agrees_with_reference(matcher: &Matcher, seqs: &[(u32, Sequence)], text: &str, scratch: &mut Scratch) -> Result<(), TestCaseError> {
    let norm = normalise(text);
    prop_assert_eq!(norm.iter().map(|n| n.c).collect::<String>(), normalize_str(text), "the reference normalises as normalize_str");
    let (complete, allowed) = reference(seqs, &norm);
    let hits = matcher.find(text, scratch).to_vec();
    for h in &hits {
        prop_assert!(
            allowed.contains(&(h.owner, h.start, h.core_start, h.end)),
            "hit {:?} is no match of owner {} (normalised text {:?})",
            h,
            h.owner,
            normalize_str(text)
        );
    }
    let found: BTreeSet<(u32, usize, usize)> = hits.iter().map(|h| (h.owner, h.core_start, h.end)).collect();
    let missed: Vec<_> = complete.difference(&found).collect();
    prop_assert!(missed.is_empty(), "missed (owner, core start, end) {:?}; found {:?}", missed, found);
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// On short texts over a, b, c with spaces, commas, upper case, `*` and
    /// zero-width spaces, the matcher finds exactly the matches the
    /// reference finds, each with a start the reference allows.
    #[test]
    fn matcher_agrees_with_brute_force(
        patterns in vec(small_pattern(), 1..5),
        texts in vec(vec(select(vec!['a', 'b', 'c', 'a', 'b', 'c', 'A', 'B', ' ', '*', '，', '\u{200b}']), 0..48).prop_map(String::from_iter), 1..4),
    ) {
        let seqs = compiled(&patterns);
        let matcher = Matcher::new(seqs.iter().map(|(o, s)| (*o, s))).expect("matcher");
        // One scratch for all texts: what one text leaves in it must not matter.
        let mut scratch = Scratch::default();
        for text in &texts {
            agrees_with_reference(&matcher, &seqs, text, &mut scratch)?;
        }
    }
}

proptest! {
    #![proptest_config(Config { max_shrink_iters: 64, ..config(8) })]

    /// Texts of 6,000–8,000 characters: more than the 4,096 lookback hits
    /// after which old hits are pruned, so matches late in the text test
    /// that pruning keeps everything a sequence can still reach.
    #[test]
    fn matcher_agrees_with_brute_force_on_long_texts(
        patterns in vec(small_pattern(), 1..4),
        text in vec(select(vec!['a', 'b', 'c', 'a', 'b', 'c', ' ']), 6_000..8_000).prop_map(String::from_iter),
    ) {
        // Single letters in every early segment make every normalised
        // character a lookback hit (about 4,500 of them at the least).
        let mut patterns = patterns;
        patterns.push("a~9[b|c]~9[a|c]".to_string());
        let seqs = compiled(&patterns);
        let matcher = Matcher::new(seqs.iter().map(|(o, s)| (*o, s))).expect("matcher");
        agrees_with_reference(&matcher, &seqs, &text, &mut Scratch::default())?;
    }
}

// ---------------------------------------------------------------------------
// pattern compiling
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// compile never panics; what compiles has sequences whose segments are
    /// non-empty sets of normalised fragments with one gap between two, and
    /// the matcher built from them finds each sequence in its own fragments.
    #[test]
    fn pattern_compile_is_total(
        pattern in prop_oneof![
            "[\\[\\]|~^$=0-9abc不知道这 ，]{0,24}",
            vec(prop_oneof![select(vec!["[", "]", "|", "~", "~3", "~0", "~10", "^", "$", "=", "[|]", "[a|]", "不知道", "這", " ", "，", "😊"]).prop_map(str::to_string), "\\PC{0,3}"], 0..12).prop_map(|v| v.concat()),
            any::<String>(),
        ],
        haystack in utterance(),
    ) {
        entry_points::check_pattern(&pattern, &haystack);
    }

    /// Every pattern of the embedded rulebook, cut anywhere, still compiles
    /// or is refused with a message.
    #[test]
    fn rulebook_patterns_cut_anywhere(pick in any::<Index>(), a in any::<Index>(), b in any::<Index>()) {
        let book = &engine().rulebook;
        let patterns: Vec<&String> = book.rules.iter().flat_map(|r| r.patterns.iter().chain(&r.exceptions)).collect();
        let p: Vec<char> = pick.get(&patterns).chars().collect();
        let (i, j) = (a.index(p.len() + 1), b.index(p.len() + 1));
        let cut: String = p[i.min(j)..i.max(j)].iter().collect();
        entry_points::check_pattern(&cut, &cut);
        if let Err(message) = compile(&cut) {
            prop_assert!(!message.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------
// reply
// ---------------------------------------------------------------------------

/// A moment: near the covered years, anywhere in 1970–2199, or anywhere
/// chrono can represent; with any offset.
fn any_moment() -> impl Strategy<Value = DateTime<FixedOffset>> {
    let secs = prop_oneof![
        3 => 1_672_531_200i64..1_830_297_600,   // 2023–2027
        2 => 0i64..7_258_118_400,               // 1970–2199
        1 => any::<i64>(),
        1 => select(vec![i64::MIN, i64::MAX, -8_334_632_851_200, 8_210_298_412_799, 253_402_300_799, -62_135_596_800]),
    ];
    let offset = prop_oneof![3 => Just(8 * 3600), 1 => -86_399i32..=86_399];
    (secs, 0u32..2_000_000_000, offset).prop_map(|(s, n, o)| {
        entry_points::moment(s, n, o).unwrap_or_else(|| entry_points::moment(1_767_225_600, 0, 8 * 3600).expect("2026"))
    })
}

fn any_text_opt() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![select(vec!["先生", "女士", "王", "欧阳", "", "{company}", "}", "{"]).prop_map(str::to_string), "\\PC{0,12}"])
}

proptest! {
    #![proptest_config(config(256))]

    /// reply never panics for any id (the real ones and others), any moment
    /// and any addressee; a real id renders in every covered year, with all
    /// its variables filled.
    #[test]
    fn reply_renders_or_says_why(
        id in prop_oneof![
            3 => select(entry_points::reply_ids(engine())),
            1 => select(vec!["opening", "closing", "", "reply.", "reply.complaint", "OPENING", " opening"]).prop_map(str::to_string),
            1 => "\\PC{0,16}",
        ],
        at in any_moment(),
        vip in any::<bool>(),
        chat in any::<bool>(),
        title in any_text_opt(),
        surname in any_text_opt(),
        company in any_text_opt(),
        work_no in any_text_opt(),
        hours in prop::option::of(any::<u32>()),
        late in any::<bool>(),
        trainee in any::<bool>(),
    ) {
        let ctx = ReplyContext {
            at,
            line: if vip { Line::Vip } else { Line::Standard },
            channel: if chat { Channel::Chat } else { Channel::Phone },
            title,
            surname,
            company,
            work_no,
            hours,
            late,
            trainee,
        };
        entry_points::check_reply(engine(), &id, &ctx);
    }
}

// ---------------------------------------------------------------------------
// calendar: days and deadlines
// ---------------------------------------------------------------------------

fn any_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        3 => (0u64..1830).prop_map(|d| NaiveDate::from_ymd_opt(2023, 1, 1).and_then(|s| s.checked_add_days(chrono::Days::new(d))).expect("date")),
        1 => any::<i32>().prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MAX)),
        1 => select(vec![NaiveDate::MIN, NaiveDate::MAX]),
    ]
}

fn any_hours() -> impl Strategy<Value = WorkingHours> {
    let t = (0u32..86_400).prop_map(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0).expect("time"));
    prop_oneof![
        3 => Just(WorkingHours::default()),
        1 => vec((t.clone(), t), 1..4).prop_map(|mut p| {
            p.sort();
            WorkingHours::new(p).unwrap_or_default()
        }),
    ]
}

fn any_minutes() -> impl Strategy<Value = i64> {
    prop_oneof![3 => 0i64..20_000, 1 => -100i64..0, 1 => 0i64..5_000_000, 1 => any::<i64>(), 1 => select(vec![i64::MIN, i64::MAX, i64::MAX / 60_000, 1 + i64::MAX / 60_000])]
}

proptest! {
    #![proptest_config(config(256))]

    /// Day lookups: a covered year answers with a consistent kind, others
    /// say which year is missing; greetings only for the four festivals.
    #[test]
    fn calendar_day_is_consistent(date in any_date()) {
        entry_points::check_day(&engine().calendar, date);
    }

    /// Deadlines: never before the start; working-time deadlines inside
    /// working time, monotone in the minutes; N working days end on the
    /// close of the N-th working day; the desk's obligations and attendance
    /// rules never panic and warn between receipt and deadline.
    #[test]
    fn deadlines_are_never_earlier_than_the_start(
        from in any_moment(),
        other in any_moment(),
        hours in any_hours(),
        minutes in any_minutes(),
        days in prop_oneof![3 => 0u32..40, 1 => any::<u32>()],
        flags in any::<u8>(),
        n in any::<u32>(),
        date in any_date(),
    ) {
        let cal = &engine().calendar;
        entry_points::check_due(cal, &hours, from, minutes, days);
        entry_points::check_desk(cal, &hours, from, other, flags, n, date);
    }

    /// Under an empty calendar every lookup says which year is missing.
    #[test]
    fn an_empty_calendar_covers_nothing(date in any_date(), from in any_moment(), minutes in any_minutes()) {
        let empty = HolidayCalendar::default();
        entry_points::check_day(&empty, date);
        entry_points::check_due(&empty, &WorkingHours::default(), from, minutes, 3);
    }
}

// ---------------------------------------------------------------------------
// Mutating the real files
// ---------------------------------------------------------------------------

/// Things to splice into TOML: structure, absurd numbers and dates.
const TOML_BITS: &[&str] = &[
    "\n", "\r\n", "=", "\"", "'", "'''", "\"\"\"", "[", "]", "[[", "]]", "{", "}", ",", "#", ".", "\\", "\\u0000", "\0", "\u{feff}",
    "\n[[holiday]]\n", "\n[[rule]]\n", "\n[[scenario]]\n", "\n[[check]]\n", "\n[[cue]]\n", "\n[rulebook]\n", "\n[numbers.x]\n",
    "year = 2027\n", "year = 1899\n", "year = 99999999999999999999\n", "year = -1\n", "year = 2026.5\n", "source = \"\"\n",
    "festival = \"qingming\"\n", "festival = \"mid_autumn_national_day\"\n", "festival = \"x\"\n", "name = \"\"\n",
    "from = 2026-13-01\n", "from = 2026-01-01\n", "to = \"2026-02-30\"\n", "to = \"+10000-01-01\"\n", "to = \"2026-1-1\"\n",
    "makeup_workdays = [\"2026-01-05\"]\n", "makeup_workdays = [\"2025-12-27\"]\n", "makeup_workdays = 3\n",
    "format = 2\n", "format = -1\n", "id = \"shirk.x\"\n", "patterns = [\"[\"]\n", "patterns = []\n", "points = 4294967296\n",
    "points = 4294967295\n", "veto = true\n", "enabled = false\n", "wait_seconds = [5.0, 1.0]\n", "wait_seconds = [nan, inf]\n",
    "1e308", "-0.0", "nan", "inf", "-inf", "0x7fffffffffffffff", "2026-02-29", "9999-12-31", "0000-01-01", "不知道", "~", "~10",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(Index, u8),
    Insert(Index, &'static str),
    DuplicateLine(Index),
    DeleteLine(Index),
    SwapLines(Index, Index),
    Digits(Index, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => (any::<Index>(), 1u8..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        3 => (any::<Index>(), select(TOML_BITS)).prop_map(|(i, s)| Edit::Insert(i, s)),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        2 => (any::<Index>(), "[0-9]{1,22}").prop_map(|(i, d)| Edit::Digits(i, d)),
    ]
}

/// Applies edits to a text, at char positions.
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        match e {
            Edit::Delete(i, n) => {
                let at = i.index(chars.len() + 1);
                let to = (at + usize::from(*n)).min(chars.len());
                chars.drain(at..to);
            }
            Edit::Insert(i, s) => {
                let at = i.index(chars.len() + 1);
                chars.splice(at..at, s.chars());
            }
            Edit::DuplicateLine(i) | Edit::DeleteLine(i) | Edit::SwapLines(i, _) => {
                let s: String = chars.iter().collect();
                let mut lines: Vec<String> = s.split('\n').map(str::to_string).collect();
                let a = i.index(lines.len());
                match e {
                    Edit::DuplicateLine(_) => {
                        let l = lines[a].clone();
                        lines.insert(a, l);
                    }
                    Edit::DeleteLine(_) => {
                        lines.remove(a);
                    }
                    Edit::SwapLines(_, j) => {
                        let b = j.index(lines.len());
                        lines.swap(a, b);
                    }
                    _ => {}
                }
                chars = lines.join("\n").chars().collect();
            }
            Edit::Digits(i, digits) => {
                // Replaces the run of digits at or after the position.
                let Some(start) = (i.index(chars.len() + 1)..chars.len()).find(|&k| chars[k].is_ascii_digit()) else { continue };
                let end = (start..chars.len()).find(|&k| !chars[k].is_ascii_digit()).unwrap_or(chars.len());
                chars.splice(start..end, digits.chars());
            }
        }
    }
    chars.into_iter().collect()
}

fn toml_ish() -> impl Strategy<Value = String> {
    vec(prop_oneof![3 => select(TOML_BITS).prop_map(str::to_string), 1 => "\\PC{0,10}", 1 => "[a-z_]{1,10} = "], 0..40).prop_map(|v| v.concat())
}

// ---------------------------------------------------------------------------
// calendar import
// ---------------------------------------------------------------------------

fn calendar_sources() -> Vec<(String, String)> {
    EMBEDDED_SOURCES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

proptest! {
    #![proptest_config(config(192))]

    /// Arbitrary TOML-ish text as a holiday file: Ok or a located error,
    /// never a panic; what loads is consistent, whatever the file order.
    #[test]
    fn calendar_import_of_arbitrary_text(text in toml_ish(), name in select(vec!["calendar/2026.toml", "2030.toml", "x.toml", "calendar/0.toml"])) {
        entry_points::check_calendar_import(&[(name.to_string(), text)]);
    }

    /// Mutated copies of the real files, alone or beside the others.
    #[test]
    fn calendar_import_of_mutated_files(pick in any::<Index>(), edits in vec(edit(), 1..6), alone in any::<bool>()) {
        let mut files = calendar_sources();
        let i = pick.index(files.len());
        files[i].1 = mutate(&files[i].1, &edits);
        let files = if alone { vec![files[i].clone()] } else { files };
        entry_points::check_calendar_import(&files);
    }
}

#[test]
fn calendar_import_of_the_real_files_does_not_depend_on_their_order() {
    let files = calendar_sources();
    let cal = HolidayCalendar::from_sources(&files).expect("the real files load");
    assert_eq!(cal, engine().calendar);
    for rotate in 0..files.len() {
        let mut f = files.clone();
        f.rotate_left(rotate);
        assert_eq!(HolidayCalendar::from_sources(&f).expect("loads"), cal);
        f.reverse();
        assert_eq!(HolidayCalendar::from_sources(&f).expect("loads"), cal);
    }
    entry_points::check_calendar_import(&files);
}

// ---------------------------------------------------------------------------
// rulebook loading
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(96))]

    /// Arbitrary TOML-ish text as the only rulebook file: errors, each with
    /// a line within the file.
    #[test]
    fn rulebook_of_arbitrary_text(text in toml_ish()) {
        entry_points::check_rulebook(&[("rules.toml".to_string(), text)]);
    }

    /// A mutated copy of one embedded file, loaded alone.
    #[test]
    fn rulebook_of_one_mutated_file(pick in any::<Index>(), edits in vec(edit(), 1..8)) {
        let files = embedded_files();
        let (name, text) = pick.get(&files).clone();
        entry_points::check_rulebook(&[(name, mutate(&text, &edits))]);
    }

    /// A mutated copy of one embedded file beside the smallest rulebook
    /// that loads: what still parses may load, and is compiled and run.
    #[test]
    fn rulebook_of_skeleton_and_one_mutated_file(pick in any::<Index>(), edits in vec(edit(), 0..4)) {
        let files = embedded_files();
        let (name, text) = pick.get(&files).clone();
        entry_points::check_rulebook(&[("skeleton.toml".to_string(), entry_points::skeleton_rulebook()), (name, mutate(&text, &edits))]);
    }
}

/// The skeleton loads and compiles, and so does a forbidden-phrase file
/// beside it: the fast path of the `rulebook_load` target reaches the engine.
#[test]
fn the_skeleton_rulebook_loads() {
    let skeleton = ("skeleton.toml".to_string(), entry_points::skeleton_rulebook());
    let book = kefu_core::rulebook::Rulebook::from_files(std::slice::from_ref(&skeleton)).expect("the skeleton loads");
    Engine::new(book, HolidayCalendar::embedded_default()).expect("and compiles");
    let shirk = embedded_files().into_iter().find(|(n, _)| n == "forbidden/shirk.toml").expect("shirk.toml");
    let book = kefu_core::rulebook::Rulebook::from_files(&[skeleton, shirk]).expect("with shirk.toml");
    let e = Engine::new(book, HolidayCalendar::embedded_default()).expect("compiles");
    assert!(!e.lint("这事儿不归我管").is_empty());
}

proptest! {
    // Loading the whole rulebook is the slow part (about 0.1 s a case in a
    // debug build; one that still loads is compiled and its examples run).
    #![proptest_config(config(20))]

    /// A mutated copy of one embedded file among all the others.
    #[test]
    fn rulebook_with_one_mutated_file(pick in any::<Index>(), edits in vec(edit(), 1..4)) {
        let mut files = embedded_files();
        let i = pick.index(files.len());
        files[i].1 = mutate(&files[i].1, &edits);
        entry_points::check_rulebook(&files);
    }
}

// ---------------------------------------------------------------------------
// transcripts: decoding and inspection
// ---------------------------------------------------------------------------

const FIELDS: &[&str] = &[
    "id", "channel", "started_at", "agent", "rings", "turns", "events", "speaker", "start", "end", "text", "type", "at", "by",
    "work_no", "name", "conversation", "expect_failed",
];

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(vec![1e308, -1e308, -0.0, 0.0, 5e-324, 86_400.0, 86_400.000_001, 0.5, 3.0, 1.8e19, 9.2e18]).prop_map(|f: f64| json!(f)),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        select(vec![0u64, 3, 4, 100, 101, u64::from(u32::MAX), u64::from(u32::MAX) + 1]).prop_map(|u| json!(u)),
    ]
}

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "phone", "chat", "agent", "customer", "hold", "hangup", "other", "", " ", "2026-03-02T09:20:00+08:00",
            "9999-12-31T23:59:59+14:00", "2199-12-31T23:59:59-23:59", "1970-01-01T00:00:00+23:59", "1969-12-31T23:59:59Z",
            "+262142-12-31T23:59:59+00:00", "2026-02-30T00:00:00Z", "2026-03-02 09:20:00",
        ])
        .prop_map(str::to_string),
        utterance(),
    ]
}

/// Arbitrary JSON, biased towards the names of the transcript format.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), json_number(), json_string().prop_map(Value::String)];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((prop_oneof![3 => select(FIELDS).prop_map(str::to_string), 1 => "\\PC{0,6}"], inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A valid phone call, as in the labelled evaluation files.
fn valid_call() -> Value {
    json!({"conversation": {
        "id": "dev-ok-1", "channel": "phone", "started_at": "2026-03-02T09:20:00+08:00",
        "agent": {"id": "A0731", "work_no": "0731", "name": "张敏"},
        "turns": [
            {"speaker": "agent", "start": 0.3, "end": 13.3, "text": "您好，旭日装饰客服中心，工号0731，请问有什么可以帮到您？"},
            {"speaker": "customer", "start": 13.9, "end": 18.6, "text": "我家厨房的柜门掉下来了，你们能派人来修吗？"},
            {"speaker": "agent", "start": 19.2, "end": 28.8, "text": "好的，您是说厨房柜门脱落需要上门维修，对吗？"},
            {"speaker": "customer", "start": 29.4, "end": 30.4, "text": "对的。我要投诉，你们上次的师傅态度太差了！"},
            {"speaker": "agent", "start": 31.0, "end": 42.5, "text": "请您稍等，我查一下。这事儿不归我管，我是张敏。"},
            {"speaker": "agent", "start": 44.7, "end": 50.2, "text": "感谢您的耐心等待。请问您还需要其它帮助吗？"},
            {"speaker": "customer", "start": 50.8, "end": 51.8, "text": "不用了。"},
            {"speaker": "agent", "start": 52.4, "end": 59.4, "text": "感谢您的来电，祝您生活愉快，再见。"}
        ],
        "events": [{"type": "hold", "start": 42.6, "end": 44.5}, {"type": "hangup", "at": 60.5, "by": "customer"}, {"type": "transfer"}],
        "rings": 5
    }, "expect_failed": []})
}

/// A valid chat.
fn valid_chat() -> Value {
    json!({
        "id": "chat-1", "channel": "chat", "agent": {"id": "B1", "name": "李娜"},
        "turns": [
            {"speaker": "customer", "start": 0.0, "text": "在吗？我的订单怎么还没到"},
            {"speaker": "agent", "start": 5.0, "text": "您好，这里是旭日装饰在线客服，很高兴为您服务。"},
            {"speaker": "agent", "start": 9.0, "text": "我不知道，你自己查吧。请对本次服务做出评价，谢谢，再见！"}
        ]
    })
}

/// A path into a JSON value: object keys and array indices.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Value::String(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(json!(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(v: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

#[derive(Debug, Clone)]
enum JsonEdit {
    Set(Index, Value),
    Remove(Index),
    DuplicateTurn(Index, u16),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<Index>(), prop_oneof![json_number(), json_string().prop_map(Value::String), any_json()]).prop_map(|(i, v)| JsonEdit::Set(i, v)),
        1 => any::<Index>().prop_map(JsonEdit::Remove),
        1 => (any::<Index>(), 1u16..300).prop_map(|(i, n)| JsonEdit::DuplicateTurn(i, n)),
    ]
}

fn apply_json(mut v: Value, edits: &[JsonEdit]) -> Value {
    for e in edits {
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        match e {
            JsonEdit::Set(i, new) => {
                let path: &Vec<Value> = i.get(all.as_slice());
                if let Some(slot) = at_path(&mut v, path) {
                    *slot = new.clone();
                }
            }
            JsonEdit::Remove(i) => {
                let path: Vec<Value> = i.get(all.as_slice()).clone();
                if let Some((last, parent)) = path.split_last() {
                    match (at_path(&mut v, parent), last) {
                        (Some(Value::Object(m)), Value::String(k)) => {
                            m.remove(k);
                        }
                        (Some(Value::Array(a)), Value::Number(n)) => {
                            let n = n.as_u64().unwrap_or(0) as usize;
                            if n < a.len() {
                                a.remove(n);
                            }
                        }
                        _ => {}
                    }
                }
            }
            JsonEdit::DuplicateTurn(i, n) => {
                let turns = v.get_mut("conversation").unwrap_or(&mut Value::Null).get_mut("turns").cloned();
                let turns = turns.or_else(|| v.get("turns").cloned());
                if let Some(Value::Array(t)) = turns {
                    if !t.is_empty() {
                        let one = i.get(&t).clone();
                        let mut t2 = t.clone();
                        t2.extend(std::iter::repeat_n(one, usize::from(*n)));
                        if let Some(slot) = at_path(&mut v, &[json!("conversation"), json!("turns")]) {
                            *slot = Value::Array(t2);
                        } else if let Some(slot) = v.get_mut("turns") {
                            *slot = Value::Array(t2);
                        }
                    }
                }
            }
        }
    }
    v
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0f64..120.0,
        1 => any::<f64>(),
        1 => select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::MAX, f64::MIN, 1e308, -1e308, 86_400.0, 5e-324, -1.0]),
    ]
}

fn any_conversation() -> impl Strategy<Value = Conversation> {
    let turn = (any::<bool>(), any_f64(), prop::option::of(any_f64()), utterance())
        .prop_map(|(agent, start, end, text)| Turn { speaker: if agent { Party::Agent } else { Party::Customer }, start, end, text });
    let event = prop_oneof![
        (any_f64(), any_f64()).prop_map(|(start, end)| Event::Hold { start, end }),
        (any_f64(), any::<bool>()).prop_map(|(at, a)| Event::Hangup { at, by: if a { Party::Agent } else { Party::Customer } }),
        Just(Event::Other),
    ];
    let started_at = prop::option::of(prop_oneof![3 => json_string(), 1 => "[0-9+:TZ-]{0,30}"]);
    let name = prop_oneof![select(vec!["张敏", "", "李", "小王", "王 芳", "欧阳娜娜"]).prop_map(str::to_string), "\\PC{0,8}"];
    (
        any::<bool>(),
        started_at,
        name,
        prop::option::of(prop_oneof![0u32..10, any::<u32>()]),
        vec(turn, 0..10),
        vec(event, 0..5),
    )
        .prop_map(|(chat, started_at, name, rings, turns, events)| Conversation {
            id: "p".into(),
            channel: if chat { ConvChannel::Chat } else { ConvChannel::Phone },
            started_at,
            agent: Agent { id: String::new(), work_no: "0731".into(), name },
            rings,
            turns,
            events,
            metadata: Default::default(),
        })
}

proptest! {
    #![proptest_config(config(128))]

    /// Arbitrary JSON never panics the decoder; what decodes and validates
    /// is inspected into one result per check, score at most 100, evidence
    /// quoting its turn; what decodes but does not validate is inspected too.
    #[test]
    fn transcripts_of_arbitrary_json(value in any_json()) {
        entry_points::check_transcript(engine(), value);
    }

    /// Valid transcripts with fields set to absurd numbers, dates, texts and
    /// shapes, removed, or turns repeated hundreds of times.
    #[test]
    fn transcripts_mutated(chat in any::<bool>(), edits in vec(json_edit(), 0..5)) {
        let base = if chat { valid_chat() } else { valid_call() };
        entry_points::check_transcript(engine(), apply_json(base, &edits));
    }

    /// Inspecting a conversation that was never validated (NaN, infinities,
    /// negative times, any ring count, any started_at) does not panic.
    #[test]
    fn inspect_of_unvalidated_conversations(conv in any_conversation()) {
        let e = engine();
        let card = e.inspect(&conv);
        entry_points::check_scorecard(e, &conv, &card);
        if conv.validate().is_ok() {
            let back = serde_json::to_value(&conv).expect("serialises");
            prop_assert_eq!(Conversation::from_json(back).expect("reads back"), conv);
        }
    }
}

#[test]
fn the_base_transcripts_are_valid() {
    for v in [valid_call(), valid_chat()] {
        let conv = Conversation::from_json(v.clone()).expect("valid");
        let card = engine().inspect(&conv);
        entry_points::check_scorecard(engine(), &conv, &card);
        entry_points::check_transcript(engine(), v);
    }
}

/// The engine is shared between the properties' threads.
#[test]
fn engine_is_sync() {
    fn sync<T: Sync>(_: &T) {}
    sync::<Engine>(engine());
}
