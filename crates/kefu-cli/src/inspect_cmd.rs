//! `kefu inspect`: transcripts in, scorecards out. Inputs stream through a
//! bounded pipeline (reader → worker threads → ordered writer), so memory stays
//! flat however many conversations there are, and every record read becomes a
//! scorecard or an error record naming its file and line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use kefu_core::inspect::{Conversation, Outcome, Scorecard};
use kefu_core::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::input::{gb18030_note, io_reason, Decoder};
use crate::report::Reports;
use crate::args::{Cli, InspectArgs};
use crate::load;

/// One record as read: where it came from and its JSON text (or why it could not be read).
struct Record {
    file: Arc<str>,
    line: usize,
    text: Result<String, String>,
}

enum Inspected {
    Card { file: Arc<str>, line: usize, conv: Box<Conversation>, card: Box<Scorecard> },
    Error { file: Arc<str>, line: usize, message: String },
}

#[derive(Serialize)]
struct ErrorRecord<'a> {
    file: &'a str,
    line: usize,
    error: &'a str,
}

pub fn run(cli: &Cli, args: &InspectArgs) -> Result<u8, String> {
    let engine = load::engine(cli)?;
    if let Some(id) = &args.scorecard {
        if engine.rulebook.scorecard_by_id(id).is_none() {
            let known: Vec<&str> = std::iter::once(&engine.rulebook.scorecard).chain(&engine.rulebook.scorecards).map(|c| c.id.as_str()).collect();
            return Err(format!("没有评分表 {id}（规则库中有：{}）", known.join("、")));
        }
    }
    let scorecard = args.scorecard.as_deref();
    let mut reports = Reports::new(args.report.clone(), args.xlsx.clone(), &engine.rulebook)?;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let progress = (!args.json && io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} 已质检 {pos} 个会话（{per_sec}）{msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let (record_tx, record_rx) = sync_channel::<(u64, Vec<Record>)>(64);
    let (result_tx, result_rx) = sync_channel::<(u64, Vec<Inspected>)>(64);
    let record_rx = Arc::new(Mutex::new(record_rx));
    let mut stats = Stats::default();
    let mut warned = std::collections::HashSet::new();
    let out = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, out.lock());
    std::thread::scope(|scope| -> Result<(), String> {
        let paths = args.paths.clone();
        scope.spawn(move || read_all(&paths, &record_tx));
        for _ in 0..jobs {
            let rx = Arc::clone(&record_rx);
            let tx = result_tx.clone();
            let engine = &engine;
            scope.spawn(move || work(engine, scorecard, &rx, &tx));
        }
        // Only the workers hold the ends now: if they all stop (the writer
        // failed), the reader's sends fail and it stops too, never a hang.
        drop(record_rx);
        drop(result_tx);
        write_in_order(&result_rx, |item| {
            stats.record(&item);
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            emit(&mut out, args.json, &item, &mut reports, &mut warned)
        })
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if !args.json {
        let _ = writeln!(
            out,
            "质检了 {} 个会话：{} 个全部通过，{} 个有不通过项，平均分 {:.1}；{} 条记录无法读取。",
            stats.conversations,
            stats.conversations - stats.failing,
            stats.failing,
            if stats.conversations == 0 { 0.0 } else { stats.score_sum as f64 / stats.conversations as f64 },
            stats.errors
        );
    }
    let _ = out.flush();
    reports.finish()?;
    Ok(if stats.errors > 0 {
        2
    } else if stats.failing > 0 {
        1
    } else {
        0
    })
}

#[derive(Default)]
struct Stats {
    conversations: u64,
    failing: u64,
    errors: u64,
    score_sum: u64,
}

impl Stats {
    fn record(&mut self, item: &Inspected) {
        match item {
            Inspected::Card { card, .. } => {
                self.conversations += 1;
                self.score_sum += u64::from(card.score);
                if card.checks.iter().any(|c| c.result == Outcome::Fail) {
                    self.failing += 1;
                }
            }
            Inspected::Error { .. } => self.errors += 1,
        }
    }
}

/// `warned`: the files whose scorecards' warnings were already told on stderr
/// (once per file; every scorecard carries its own in `warnings`).
fn emit(out: &mut impl Write, json: bool, item: &Inspected, reports: &mut Reports, warned: &mut std::collections::HashSet<Arc<str>>) -> io::Result<()> {
    match item {
        Inspected::Card { file, line, conv, card } => {
            reports.add(file, *line, conv, card);
            if let Some(w) = card.warnings.first() {
                if warned.insert(Arc::clone(file)) {
                    eprintln!("kefu: {file}:{line}: 提示：{w}（此文件其余记录同样处理，不再逐条提示；见评分表的 warnings）");
                }
            }
            if json {
                serde_json::to_writer(&mut *out, card.as_ref())?;
                out.write_all(b"\n")
            } else {
                let failed: Vec<&str> = card.failed().map(|c| c.id.as_str()).collect();
                let verdict = if failed.is_empty() { "全部通过".to_string() } else { format!("不通过: {}", failed.join(", ")) };
                let veto = if card.vetoed { "（一票否决）" } else { "" };
                writeln!(out, "{}\t{} 分{veto}\t{verdict}", card.id, card.score)
            }
        }
        Inspected::Error { file, line, message } => {
            reports.add_error(file, *line, message);
            eprintln!("kefu: {file}:{line}: {message}");
            if json {
                serde_json::to_writer(&mut *out, &ErrorRecord { file, line: *line, error: message })?;
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        }
    }
}

/// Records travel in batches: one hand-off (and one lock) per batch, not per
/// conversation, which halves the pipeline's cost on a 2-core machine.
const BATCH: usize = 64;

/// Passes results to `each` in input order; a bounded reorder buffer absorbs
/// workers finishing out of turn.
fn write_in_order(rx: &Receiver<(u64, Vec<Inspected>)>, mut each: impl FnMut(Inspected) -> io::Result<()>) -> Result<(), String> {
    let mut pending: BTreeMap<u64, Vec<Inspected>> = BTreeMap::new();
    let mut next = 0u64;
    let mut broken = false;
    for (seq, batch) in rx {
        pending.insert(seq, batch);
        while let Some(batch) = pending.remove(&next) {
            next += 1;
            for item in batch {
                if broken {
                    continue;
                }
                if let Err(e) = each(item) {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        // The reader of our output went away: keep draining so the
                        // workers finish, but stop writing.
                        broken = true;
                    } else {
                        return Err(format!("写出结果时出错：{}", crate::input::io_reason(&e)));
                    }
                }
            }
        }
    }
    Ok(())
}

fn work(engine: &Engine, scorecard: Option<&str>, rx: &Mutex<Receiver<(u64, Vec<Record>)>>, tx: &SyncSender<(u64, Vec<Inspected>)>) {
    loop {
        let next = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((seq, records)) = next else { return };
        let inspected = records.into_iter().map(|record| inspect_record(engine, scorecard, record)).collect();
        if tx.send((seq, inspected)).is_err() {
            return;
        }
    }
}

/// One record → its scorecard or its error record. A panic while inspecting
/// it (a fault of kefu that no known input triggers; the property tests and
/// fuzz targets look for one) becomes that record's error, and the batch goes on.
fn inspect_record(engine: &Engine, scorecard: Option<&str>, Record { file, line, text }: Record) -> Inspected {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let conv = text.and_then(|t| parse(&t))?;
        let limits = kefu_core::limits::Limits::default();
        let card = match scorecard {
            Some(id) => engine.inspect_with_scorecard(&conv, &limits, id).ok_or_else(|| format!("没有评分表 {id}"))?,
            None => engine.inspect(&conv),
        };
        Ok((conv, card))
    }));
    match outcome {
        Ok(Ok((conv, card))) => Inspected::Card { file, line, conv: Box::new(conv), card: Box::new(card) },
        Ok(Err(message)) => Inspected::Error { file, line, message },
        Err(panic) => Inspected::Error { file, line, message: format!("内部错误：质检此记录时程序出错（{}），已跳过此记录；请把它报告给 kefu 的开发者", kefu_core::panic_message(panic.as_ref()).unwrap_or_else(|| "未知原因".into())) },
    }
}

/// A transcript from JSON text (see [`Conversation::from_json`]). The
/// contract format decodes straight into the struct; anything else (the
/// wrapped evaluation format, or an error to explain) goes through a `Value`.
pub fn parse(text: &str) -> Result<Conversation, String> {
    if let Ok(conv) = serde_json::from_str::<Conversation>(text) {
        conv.validate().map_err(|e| e.message)?;
        return Ok(conv);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("不是有效的 JSON（{}）", kefu_core::json_errors::explain(&e, "").message))?;
    if value.is_array() {
        return Err("这一行是一个 JSON 数组；JSON Lines 每行应为一个会话（JSON 对象）".into());
    }
    Conversation::from_json(value).map_err(|e| e.message)
}

/// Reads every path in order and sends its records in batches; errors become records too.
fn read_all(paths: &[PathBuf], tx: &SyncSender<(u64, Vec<Record>)>) {
    let mut seq = 0u64;
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    // Standard input may be a live stream: its records are not held back.
    let interactive = paths.iter().any(|p| p.as_os_str() == "-");
    let mut flush = |batch: &mut Vec<Record>| {
        if batch.is_empty() {
            return true;
        }
        let ok = tx.send((seq, std::mem::replace(batch, Vec::with_capacity(BATCH)))).is_ok();
        seq += 1;
        ok
    };
    let mut send = |file: &Arc<str>, line: usize, text: Result<String, String>| {
        batch.push(Record { file: Arc::clone(file), line, text });
        if batch.len() >= BATCH || interactive {
            flush(&mut batch)
        } else {
            true
        }
    };
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            files.push(p.clone());
        } else if p.is_dir() {
            let mut found = Vec::new();
            collect_dir(p, &mut found);
            found.sort();
            if found.is_empty() {
                let name: Arc<str> = Arc::from(p.display().to_string());
                send(&name, 0, Err("目录中没有 .json 或 .jsonl 文件".into()));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    for path in files {
        let name: Arc<str> = Arc::from(if path.as_os_str() == "-" { "<stdin>".to_string() } else { path.display().to_string() });
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
        } else {
            match File::open(&path) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                Err(e) => {
                    if !send(&name, 0, Err(format!("无法打开: {}", io_reason(&e)))) {
                        return;
                    }
                    continue;
                }
            }
        };
        if !read_source(reader, &name, &mut send) {
            return;
        }
    }
    // What is left of the last batch goes out.
    flush(&mut batch);
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_dir(&path, out);
        } else if path.extension().is_some_and(|e| e == "json" || e == "jsonl") {
            out.push(path);
        }
    }
}

/// JSON Lines, one conversation per line; or, when the first non-empty line
/// opens a pretty-printed document (`{` alone, or a `[` that does not close
/// on its line), the whole input as one JSON object or array of objects; a
/// whole array on the first line gives its items. Only the first line can
/// open a document: further down, every line is one record, so a stray `{`
/// or `[…]` there is one error record and the lines after it are still read.
///
/// A UTF-8 byte-order mark is dropped; a file that is not UTF-8 but reads
/// cleanly as GB18030 (GBK) is decoded as such, said once on stderr.
fn read_source(mut reader: Box<dyn BufRead>, name: &Arc<str>, send: &mut impl FnMut(&Arc<str>, usize, Result<String, String>) -> bool) -> bool {
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut first = true;
    let mut decoder = Decoder::default();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => return send(name, line + 1, Err(format!("读取出错: {}", io_reason(&e)))),
        }
        line += 1;
        let decoded = decoder.line(std::mem::take(&mut buf), line);
        if decoded.switched_to_gb18030 {
            eprintln!("{}", gb18030_note(name));
        }
        let text = match decoded.text {
            Ok(t) => t,
            Err(message) => {
                first = false;
                if !send(name, line, Err(message)) {
                    return false;
                }
                continue;
            }
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if std::mem::take(&mut first) && (trimmed == "{" || trimmed.starts_with('[')) {
            // A whole array on the first line (a JSON file on one line): its
            // items are the records. Anything else opens a document.
            if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(trimmed) {
                if !items.into_iter().all(|item| send(name, line, Ok(item.to_string()))) {
                    return false;
                }
                continue;
            }
            let mut rest = Vec::new();
            if let Err(e) = reader.read_to_end(&mut rest) {
                return send(name, line, Err(format!("读取出错: {}", io_reason(&e))));
            }
            let decoded = decoder.whole(rest);
            if decoded.switched_to_gb18030 {
                eprintln!("{}", gb18030_note(name));
            }
            return match decoded.text {
                Ok(rest) => read_document(name, line, &text, &rest, send),
                Err(message) => send(name, line, Err(message)),
            };
        }
        if !send(name, line, Ok(text)) {
            return false;
        }
    }
}

/// A pretty-printed document starting at `line`. If it is not valid JSON but
/// every line after the first is a JSON value of its own, the input was JSON
/// Lines after all, with a broken first line: that line is an error record
/// and the others are records, so nothing is swallowed.
fn read_document(name: &Arc<str>, line: usize, first: &str, rest: &str, send: &mut impl FnMut(&Arc<str>, usize, Result<String, String>) -> bool) -> bool {
    let document = format!("{first}{rest}");
    match serde_json::from_str::<Value>(&document) {
        Ok(Value::Array(items)) => items.into_iter().all(|item| send(name, line, Ok(item.to_string()))),
        Ok(other) => send(name, line, Ok(other.to_string())),
        Err(e) => {
            let others: Vec<(usize, &str)> = rest.lines().enumerate().map(|(i, l)| (line + 1 + i, l)).filter(|(_, l)| !l.trim().is_empty()).collect();
            let json_lines = !others.is_empty() && others.iter().all(|(_, l)| serde_json::from_str::<Value>(l).is_ok());
            if !json_lines {
                return send(name, line + e.line().saturating_sub(1), Err(format!("不是有效的 JSON（{}）", kefu_core::json_errors::syntax_reason_of(&e))));
            }
            if !send(name, line, Err(format!("不是有效的 JSON：这一行（{}）不是完整的 JSON 值", first.trim()))) {
                return false;
            }
            others.into_iter().all(|(n, l)| send(name, n, Ok(l.to_string())))
        }
    }
}
