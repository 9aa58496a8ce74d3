//! The subcommands. Each returns the process exit code:
//! 0 clean/ok, 1 violations found, 2 error.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kefu_core::calendar::{self, DayKind, WorkingHours, SHANGHAI};
use kefu_core::eval::{self, LintExample, ScenarioExample};
use kefu_core::lint::Violation;
use kefu_core::matcher::Scratch;
use kefu_core::reply::{Channel, Line as PhoneLine, ReplyContext};
use kefu_core::Engine;
use serde::Serialize;

use crate::diagnostic::{self, Style};
use crate::input::{self, Line};
use crate::load;
use crate::args::{CalendarCommand, ChannelArg, Cli, ClassifyArgs, Command, DueArgs, EvalArgs, LineArg, LintArgs, ReplyArgs, RulesCommand};

const OK: u8 = 0;
const FOUND: u8 = 1;
const ERROR: u8 = 2;

pub fn run(cli: &Cli) -> u8 {
    let result = match &cli.command {
        Command::Lint(args) => lint(cli, args),
        Command::Classify(args) => classify(cli, args),
        Command::Reply(args) => reply(cli, args),
        Command::Calendar { command } => calendar_cmd(cli, command),
        Command::Rules { command } => rules(cli, command),
        Command::Eval(args) => evaluate(cli, args),
        Command::Inspect(args) => crate::inspect_cmd::run(cli, args),
        Command::Serve(args) => crate::serve_cmd::run(cli, args),
        Command::Backup(args) => crate::backup_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("kefu: 错误: {message}");
            ERROR
        }
    }
}

fn origin_name(file: Option<&Path>) -> String {
    match file {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "<stdin>".to_string(),
    }
}

#[derive(Serialize)]
struct LintRecord<'a> {
    line: usize,
    text: &'a str,
    violations: &'a [Violation<'a>],
    /// With --explain: per semantic hit (by index in `violations`), the
    /// nearest labelled examples of its category.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    explain: Vec<Explained<'a>>,
}

#[derive(Serialize)]
struct Explained<'a> {
    violation: usize,
    nearest: Vec<Nearest<'a>>,
}

#[derive(Serialize)]
struct Nearest<'a> {
    text: &'a str,
    source: &'a str,
    similarity: f64,
}

/// The training sources of the corpus the shipped models learned from
/// (never the dev or test sources), indexed for --explain.
const EXPLAIN_SOURCES: [&str; 4] = ["gen_a", "gen_b", "hand_e", "hand_f"];

fn explain_index(dir: &std::path::Path) -> Result<kefu_core::semantic::ExampleIndex, String> {
    let mut examples = Vec::new();
    for source in EXPLAIN_SOURCES {
        let path = dir.join(source).join("agent.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let (Some(t), Some(cats)) = (v["text"].as_str(), v["categories"].as_array()) else { continue };
            let cats: Vec<String> = cats.iter().filter_map(|c| c.as_str().map(str::to_string)).collect();
            if !cats.is_empty() {
                examples.push((t.to_string(), cats, source.to_string()));
            }
        }
    }
    if examples.is_empty() {
        return Err(format!("--explain 需要标注语料：{} 下没有训练来源（{}）的 agent.jsonl；用 --corpus 指定目录", dir.display(), EXPLAIN_SOURCES.join("、")));
    }
    Ok(kefu_core::semantic::ExampleIndex::new(examples))
}

#[derive(Serialize)]
struct ErrorRecord<'a> {
    line: usize,
    error: &'a str,
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

fn lint(cli: &Cli, args: &LintArgs) -> Result<u8, String> {
    let engine = load::engine(cli)?;
    let reader = input::open(args.file.as_deref())?;
    let origin = origin_name(args.file.as_deref());
    let style = Style { color: io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() };
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut scratch = Scratch::default();
    let index = if args.explain { Some(explain_index(&args.corpus)?) } else { None };
    let (mut lines, mut flagged, mut hits, mut errors) = (0usize, 0usize, 0usize, 0usize);
    let result = input::for_each_line(reader, &origin, |n, line| {
        lines += 1;
        match line {
            Line::Text(text) if args.count => {
                if engine.has_violation(&text, &mut scratch) {
                    flagged += 1;
                }
                Ok(())
            }
            Line::Text(text) => {
                let found = engine.lint_with(&text, &mut scratch);
                if !found.is_empty() {
                    flagged += 1;
                    hits += found.len();
                }
                let explain: Vec<Explained<'_>> = match &index {
                    None => Vec::new(),
                    Some(index) => found
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.rule.ends_with(".semantic"))
                        .map(|(i, v)| Explained {
                            violation: i,
                            nearest: index.nearest(&text, v.category, 3).into_iter().map(|(text, source, similarity)| Nearest { text, source, similarity }).collect(),
                        })
                        .collect(),
                };
                if args.json {
                    write_json(&mut out, &LintRecord { line: n, text: &text, violations: &found, explain })
                } else {
                    for (i, v) in found.iter().enumerate() {
                        out.write_all(diagnostic::render(&origin, n, &text, v, &style).as_bytes())?;
                        out.write_all(b"\n")?;
                        for e in explain.iter().filter(|e| e.violation == i) {
                            writeln!(out, "  = 语义判断（把握 {:.0}%），最相近的标注例句：", v.confidence.unwrap_or(0.0) * 100.0)?;
                            for near in &e.nearest {
                                writeln!(out, "    {:.2}  {}  [{}]", near.similarity, near.text, near.source)?;
                            }
                        }
                    }
                    Ok(())
                }
            }
            Line::Undecodable(message) => {
                errors += 1;
                eprintln!("kefu: {origin}:{n}: {message}");
                if args.json {
                    write_json(&mut out, &ErrorRecord { line: n, error: &message })
                } else {
                    Ok(())
                }
            }
        }
    });
    if let Err(e) = result {
        let _ = out.flush();
        return Err(e);
    }
    if args.count {
        let _ = writeln!(out, "{flagged}");
    } else if !args.json {
        let _ = writeln!(out, "检查了 {lines} 行：{flagged} 行有违规，共 {hits} 处{}。", if errors > 0 { format!("；{errors} 行无法读取") } else { String::new() });
    }
    let _ = out.flush();
    Ok(if errors > 0 {
        ERROR
    } else if flagged > 0 {
        FOUND
    } else {
        OK
    })
}

fn parse_at(at: Option<&str>) -> Result<DateTime<FixedOffset>, String> {
    match at {
        None => Ok(Utc::now().with_timezone(&SHANGHAI)),
        Some(s) => DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| format!("时间 '{s}' 不是 RFC 3339 格式（例如 2026-03-02T09:20:00+08:00）")),
    }
}

#[derive(Serialize)]
struct ClassifyRecord<'a> {
    line: usize,
    text: &'a str,
    scenario: &'a str,
    confidence: f64,
    reply: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_error: Option<String>,
}

fn classify(cli: &Cli, args: &ClassifyArgs) -> Result<u8, String> {
    let engine = load::engine(cli)?;
    let at = parse_at(args.at.as_deref())?;
    let reader = input::open(args.file.as_deref())?;
    let origin = origin_name(args.file.as_deref());
    let ctx = ReplyContext::new(at);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut scratch = Scratch::default();
    let mut errors = 0usize;
    let result = input::for_each_line(reader, &origin, |n, line| match line {
        Line::Text(text) => {
            let c = engine.classify_with(&text, &mut scratch);
            let (reply, reply_error) = match engine.reply(c.scenario, &ctx) {
                Ok(r) => (Some(r.text), None),
                Err(e) => (None, Some(e.to_string())),
            };
            if args.json {
                write_json(&mut out, &ClassifyRecord { line: n, text: &text, scenario: c.scenario, confidence: c.confidence, reply, reply_error })
            } else {
                let name = engine.rulebook.scenario(c.scenario).map_or("", |s| s.name.as_str());
                let shown = reply.or(reply_error).unwrap_or_default();
                writeln!(out, "{n}\t{}（{name}）\t{:.2}\t{text}\n\t标准回复: {shown}", c.scenario, c.confidence)?;
                if args.explain {
                    let chars: Vec<char> = text.chars().collect();
                    for (id, score, spans) in engine.explain_classification(&text) {
                        let matched: Vec<String> = spans.iter().map(|&(s, e)| chars[s.min(chars.len())..e.min(chars.len())].iter().collect()).collect();
                        writeln!(out, "\t  {id:<16} {score:>6.1}  {}", matched.join(" / "))?;
                    }
                }
                Ok(())
            }
        }
        Line::Undecodable(message) => {
            errors += 1;
            eprintln!("kefu: {origin}:{n}: {message}");
            if args.json {
                write_json(&mut out, &ErrorRecord { line: n, error: &message })
            } else {
                Ok(())
            }
        }
    });
    let _ = out.flush();
    result?;
    Ok(if errors > 0 { ERROR } else { OK })
}

#[derive(Serialize)]
struct ReplyRecord<'a> {
    scenario: &'a str,
    text: &'a str,
    phrase: &'a str,
    source: &'a str,
}

fn reply(cli: &Cli, args: &ReplyArgs) -> Result<u8, String> {
    let engine = load::engine(cli)?;
    let known = engine.rulebook.scenario(&args.scenario).is_some()
        || engine.rulebook.phrase(&args.scenario).is_some();
    if !known {
        return Err(format!(
            "未知的场景 '{}'。可用: opening, closing, {}",
            args.scenario,
            kefu_core::rulebook::SCENARIO_IDS.join(", ")
        ));
    }
    if let Some(t) = &args.title {
        if !["先生", "女士", "小姐"].contains(&t.as_str()) {
            return Err(format!("--title 只能是 先生 或 女士（收到 '{t}'）"));
        }
    }
    let mut ctx = ReplyContext::new(parse_at(args.at.as_deref())?);
    ctx.line = match args.line {
        LineArg::Standard => PhoneLine::Standard,
        LineArg::Vip => PhoneLine::Vip,
    };
    ctx.channel = match args.channel {
        ChannelArg::Phone => Channel::Phone,
        ChannelArg::Chat => Channel::Chat,
    };
    ctx.title = args.title.clone();
    ctx.surname = args.surname.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ctx.company = args.company.clone();
    ctx.work_no = args.work_no.clone();
    ctx.hours = args.hours;
    ctx.late = args.late;
    ctx.trainee = args.trainee;
    let rendered = engine.reply(&args.scenario, &ctx).map_err(|e| e.to_string())?;
    if args.json {
        let record = ReplyRecord { scenario: &args.scenario, text: &rendered.text, phrase: &rendered.phrase, source: &rendered.source };
        println!("{}", serde_json::to_string(&record).map_err(|e| e.to_string())?);
    } else {
        println!("{}", rendered.text);
    }
    Ok(OK)
}

#[derive(Serialize)]
struct DayRecord {
    date: String,
    kind: DayKind,
    festival: Option<&'static str>,
    festival_id: Option<&'static str>,
    makeup: bool,
    weekday: &'static str,
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn calendar_cmd(cli: &Cli, command: &CalendarCommand) -> Result<u8, String> {
    let cal = load::calendar(cli)?;
    match command {
        CalendarCommand::Years => {
            for y in cal.years() {
                println!("{y}\t{}", cal.source(y).unwrap_or(""));
            }
            Ok(OK)
        }
        CalendarCommand::Day { date, json } => {
            let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| format!("日期 '{date}' 应为 YYYY-MM-DD（例如 2026-10-08）"))?;
            let info = cal.day(d).map_err(|e| e.to_string())?;
            let weekday = WEEKDAYS[chrono::Datelike::weekday(&d).num_days_from_monday() as usize];
            let record = DayRecord {
                date: d.format("%Y-%m-%d").to_string(),
                kind: info.kind,
                festival: info.festival.map(|f| f.name()),
                festival_id: info.festival.map(|f| f.id()),
                makeup: info.makeup,
                weekday,
            };
            if *json {
                println!("{}", serde_json::to_string(&record).map_err(|e| e.to_string())?);
            } else {
                let kind = match (info.kind, info.makeup) {
                    (DayKind::Workday, true) => "调休上班",
                    (DayKind::Workday, false) => "工作日",
                    (DayKind::Rest, _) => "休息日",
                    (DayKind::Holiday, _) => "法定节假日",
                };
                let festival = record.festival.map(|f| format!("（{f}）")).unwrap_or_default();
                println!("{} {weekday} {kind}{festival}", record.date);
            }
            Ok(OK)
        }
        CalendarCommand::Due(args) => due(&cal, args),
    }
}

fn due(cal: &calendar::HolidayCalendar, args: &DueArgs) -> Result<u8, String> {
    let from = parse_at(Some(&args.from))?;
    let hours = WorkingHours::default();
    // Strict by default: a year without a schedule is an error naming it.
    // With --provisional it is guessed (weekends and statutory festival days)
    // and the answer says so.
    let provisional = calendar::ProvisionalCalendar::new(cal);
    let days: &dyn calendar::Workdays = if args.provisional { &provisional } else { cal };
    let refused = |e: calendar::CalendarError| match e {
        calendar::CalendarError::YearNotCovered { .. } => format!("{e}；或加 --provisional 按周末和法定节日暂定推算"),
        other => other.to_string(),
    };
    let deadline = if let Some(m) = args.minutes {
        if m < 0 {
            return Err(format!("--minutes 不能为负数（{m}）"));
        }
        calendar::due_after_minutes(from, m)
    } else if let Some(h) = args.working_hours {
        if !h.is_finite() || !(0.0..=100_000.0).contains(&h) {
            return Err(format!("--working-hours 应为 0 到 100000 之间的数（收到 {h}）"));
        }
        calendar::due_after_working_hours(days, &hours, from, (h * 60.0).round() as i64).map_err(refused)?
    } else if let Some(d) = args.working_days {
        calendar::due_after_working_days(days, &hours, from, d).map_err(refused)?
    } else {
        return Err("需要 --minutes、--working-hours 或 --working-days 之一".into());
    };
    let text = deadline.with_timezone(&SHANGHAI).to_rfc3339();
    let reason = calendar::provisional_reason(&provisional.guessed());
    if args.json {
        let mut out = serde_json::json!({ "from": from.to_rfc3339(), "due": text, "provisional": reason.is_some() });
        if let Some(r) = &reason {
            out["provisional_reason"] = serde_json::json!(r);
        }
        println!("{out}");
    } else if let Some(r) = reason {
        println!("{text}（{r}）");
    } else {
        println!("{text}");
    }
    Ok(OK)
}

/// Writes the rulebook in use (embedded, or `--rules`) out as files under
/// `dir`, which must not hold anything yet: a centre's starting point.
fn rules_export(cli: &Cli, dir: &std::path::Path) -> Result<u8, String> {
    let files = load::rulebook_files(cli)?;
    if dir.exists() {
        let has_entries = std::fs::read_dir(dir).map_err(|e| format!("无法读取目录 {}：{}", dir.display(), crate::input::io_reason(&e)))?.next().is_some();
        if has_entries {
            return Err(format!("{} 已存在且不为空：请给出一个新目录（不会覆盖已有文件）", dir.display()));
        }
    }
    for (path, text) in &files {
        if path.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(format!("规则库文件名 {path} 不安全，已停止导出"));
        }
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("无法创建目录 {}：{}", parent.display(), crate::input::io_reason(&e)))?;
        }
        std::fs::write(&target, text).map_err(|e| format!("无法写入 {}：{}", target.display(), crate::input::io_reason(&e)))?;
    }
    println!("已导出 {} 个规则库文件到 {}（在 inspection/ 下加自己的检查项，用 kefu rules check {} 校验，kefu inspect --rules {} 质检）", files.len(), dir.display(), dir.display(), dir.display());
    Ok(OK)
}

fn rules(cli: &Cli, command: &RulesCommand) -> Result<u8, String> {
    match command {
        RulesCommand::Check { dir } => rules_check(dir),
        RulesCommand::Export { dir } => rules_export(cli, dir),
        RulesCommand::List { json, category } => {
            let engine = load::engine(cli)?;
            let book = &engine.rulebook;
            let selected: Vec<_> = book.rules.iter().filter(|r| category.as_ref().is_none_or(|c| &r.category == c)).collect();
            if *json {
                println!("{}", serde_json::to_string_pretty(&selected).map_err(|e| e.to_string())?);
            } else {
                println!("规则库 {}（版本 {}）", book.header.name, book.header.version);
                for c in &book.categories {
                    let rules: Vec<_> = selected.iter().filter(|r| r.category == c.id).collect();
                    if rules.is_empty() {
                        continue;
                    }
                    println!("\n{}（{}）—— {}", c.name, c.id, c.source);
                    for r in rules {
                        println!("  {:<36} {:<7} {}", r.id, r.severity.as_str(), r.message);
                    }
                }
                println!("\n共 {} 条忌语规则；{} 个客户场景，{} 条标准用语，{} 个流程，{} 个数值。", selected.len(), book.scenarios.len(), book.phrases.len(), book.procedures.len(), book.numbers.len());
            }
            Ok(OK)
        }
        RulesCommand::Show { id, json } => {
            let engine = load::engine(cli)?;
            let book = &engine.rulebook;
            let value = if let Some(r) = book.rule(id) {
                serde_json::to_value(r)
            } else if let Some(s) = book.scenario(id) {
                serde_json::to_value(s)
            } else if let Some(p) = book.phrase(id) {
                serde_json::to_value(p)
            } else if let Some(p) = book.procedures.iter().find(|p| &p.id == id) {
                serde_json::to_value(p)
            } else if let Some(c) = book.category(id) {
                serde_json::to_value(c)
            } else if let Some(n) = book.numbers.get(id) {
                serde_json::to_value(n)
            } else if let Some(c) = book.checks.iter().find(|c| &c.id == id) {
                // Inspection checks too, the ones written as data with their conditions.
                serde_json::to_value(c)
            } else if let Some(c) = book.scorecard_by_id(id) {
                serde_json::to_value(c)
            } else {
                return Err(format!("规则库中没有 '{id}'（可用 kefu rules list 查看）"));
            }
            .map_err(|e| e.to_string())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?);
            } else {
                print_value(&value, 0);
            }
            Ok(OK)
        }
    }
}

/// A readable, indented rendering of a rulebook item.
fn print_value(value: &serde_json::Value, indent: usize) {
    let pad = "  ".repeat(indent);
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            match v {
                serde_json::Value::String(s) => println!("{pad}{k}: {s}"),
                serde_json::Value::Array(items) if items.iter().all(|i| i.is_string()) => {
                    println!("{pad}{k}:");
                    for i in items {
                        println!("{pad}  - {}", i.as_str().unwrap_or_default());
                    }
                }
                serde_json::Value::Array(items) => {
                    println!("{pad}{k}:");
                    for (n, i) in items.iter().enumerate() {
                        println!("{pad}  [{}]", n + 1);
                        print_value(i, indent + 2);
                    }
                }
                serde_json::Value::Object(_) => {
                    println!("{pad}{k}:");
                    print_value(v, indent + 1);
                }
                other => println!("{pad}{k}: {other}"),
            }
        }
    }
}

fn rules_check(dir: &Path) -> Result<u8, String> {
    let files = load::read_dir_files(dir)?;
    let book = match load::rulebook_from(&files, Some(dir)) {
        Ok(b) => b,
        Err(report) => {
            eprintln!("{report}");
            eprintln!("kefu: 规则库 {} 无效", dir.display());
            return Ok(ERROR);
        }
    };
    let cal_files: Vec<(String, String)> = files.iter().filter(|(p, _)| p.starts_with("calendar/")).cloned().collect();
    let cal = if cal_files.is_empty() {
        calendar::HolidayCalendar::embedded_default()
    } else {
        match calendar::HolidayCalendar::from_sources(&cal_files) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}/{e}", dir.display());
                return Ok(ERROR);
            }
        }
    };
    let engine = match Engine::new(book, cal) {
        Ok(e) => e,
        Err(errors) => {
            for e in errors {
                eprintln!("{}/{e}", dir.display());
            }
            return Ok(ERROR);
        }
    };
    let failures = engine.run_examples();
    for f in &failures {
        eprintln!("{}/{f}", dir.display());
    }
    let book = &engine.rulebook;
    let examples: usize = book.rules.iter().map(|r| r.bad.len() + r.good.len()).sum::<usize>()
        + book.scenarios.iter().map(|s| s.examples.len()).sum::<usize>()
        + book.phrases.iter().map(|p| 1 + p.variants.len()).sum::<usize>()
        + book.cues.iter().map(|c| c.examples.len() + c.non_examples.len()).sum::<usize>();
    if failures.is_empty() {
        println!(
            "规则库有效（版本 {}）：{} 条忌语规则，{} 个场景，{} 条标准用语，{} 个流程，{} 个数值，{} 个质检项，{} 个质检话语特征；{} 个示例全部通过。",
            book.header.version,
            book.rules.len(),
            book.scenarios.len(),
            book.phrases.len(),
            book.procedures.len(),
            book.numbers.len(),
            book.checks.len(),
            book.cues.len(),
            examples
        );
        Ok(OK)
    } else {
        eprintln!("kefu: {} 个示例未通过（共 {examples} 个）", failures.len());
        Ok(ERROR)
    }
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = input::read_to_string(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(kefu_core::json_errors::from_slice(line.as_bytes()).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?);
    }
    Ok(out)
}

#[derive(Serialize, Default)]
struct EvalOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    lint: Option<eval::LintReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<eval::ScenarioReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    polite: Option<eval::FlagRateReport>,
}

fn evaluate(cli: &Cli, args: &EvalArgs) -> Result<u8, String> {
    let engine = load::engine(cli)?;
    let engine = if args.no_semantic { engine.without_semantic() } else { engine };
    let mut output = EvalOutput::default();
    if !args.lint.is_empty() {
        let mut examples: Vec<LintExample> = Vec::new();
        for p in &args.lint {
            examples.extend(read_jsonl::<LintExample>(p)?);
        }
        output.lint = Some(eval::evaluate_lint(&engine, &examples));
    }
    if !args.scenario.is_empty() {
        let mut examples: Vec<ScenarioExample> = Vec::new();
        for p in &args.scenario {
            examples.extend(read_jsonl::<ScenarioExample>(p)?);
        }
        output.scenario = Some(eval::evaluate_scenarios(&engine, &examples));
    }
    if !args.polite.is_empty() {
        let mut lines = Vec::new();
        for p in &args.polite {
            lines.extend(input::read_to_string(p)?.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
        }
        output.polite = Some(eval::flag_rate(&engine, lines.iter().map(String::as_str)));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output).map_err(|e| e.to_string())?);
        return Ok(OK);
    }
    if let Some(r) = &output.lint {
        println!(
            "lint: {} 例  precision {:.4}  recall {:.4}  accuracy {:.4}  类别召回 {:.4}  (TP {} FP {} FN {} TN {})",
            r.examples, r.precision, r.recall, r.accuracy, r.category_recall, r.true_positives, r.false_positives, r.false_negatives, r.true_negatives
        );
        for (c, row) in &r.by_category {
            println!("  {c:<18} 召回 {:.3}  ({}/{})", row.recall, row.flagged, row.examples);
        }
        if args.verbose {
            for m in &r.misses {
                println!("  期望 {:<24} 得到 {:<40} {}", m.expected, m.got, m.text);
            }
        }
    }
    if let Some(r) = &output.scenario {
        println!("classify: {} 例  accuracy {:.4}  ({} 正确)  ECE {:.3}", r.examples, r.accuracy, r.correct, r.calibration_error);
        for (s, row) in &r.by_scenario {
            println!("  {s:<18} 正确 {:.3}  ({}/{})", row.recall, row.flagged, row.examples);
        }
        if args.verbose {
            for m in &r.misses {
                println!("  期望 {:<16} 得到 {:<16} {}", m.expected, m.got, m.text);
            }
        }
    }
    if let Some(r) = &output.polite {
        println!("polite: {} 句  被标记 {} 句  比例 {:.4}%", r.utterances, r.flagged, r.rate * 100.0);
        if args.verbose {
            for m in &r.flagged_examples {
                println!("  {:<40} {}", m.got, m.text);
            }
        }
    }
    Ok(OK)
}
