//! How cost grows with the input: lint on one line of 1, 10 and 50 MB, and
//! loading and compiling a rulebook of 1k, 10k and 100k rules. Linear cost
//! shows as a constant throughput across sizes. Each size has its reference
//! measured in the same run: for lines, the raw Aho–Corasick scan of the same
//! fragments over the same text (no normalisation, no stitching, no
//! exceptions); for rulebooks, parsing the same TOML alone.
//!
//! Run: cargo bench -p kefu-core --bench scaling
//! (KEFU_BENCH_MAX_MB=10 and KEFU_BENCH_MAX_RULES=10000 for a shorter run)

use std::path::PathBuf;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kefu_core::calendar::HolidayCalendar;
use kefu_core::matcher::Scratch;
use kefu_core::rulebook::{embedded_files, Rulebook};
use kefu_core::Engine;

const MB: usize = 1024 * 1024;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The bench corpus joined into one line (its own line breaks become ，).
fn corpus_text() -> String {
    let path = std::env::var_os("KEFU_BENCH_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/opensubtitles-zh-sampled.txt")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("bench corpus {}: {e}", path.display()));
    text.lines().collect::<Vec<_>>().join("，")
}

/// `unit` repeated to at least `bytes` bytes.
fn line_of(unit: &str, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + unit.len());
    while s.len() < bytes {
        s.push_str(unit);
    }
    s
}

fn long_lines(c: &mut Criterion) {
    let engine = Engine::embedded().expect("default rulebook");
    let ac = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::Standard)
        .build(engine.linter().fragments())
        .expect("aho-corasick");
    let corpus = corpus_text();
    // Conversational text, and the worst case of the old exception check:
    // every hit of a rule next to an exception of it and a quotation.
    let kinds = [("subtitles", corpus.as_str()), ("dense-exceptions", "您不知道型号也没关系，他说“不知道”就挂了，我不知道。")];
    let max_mb = env_usize("KEFU_BENCH_MAX_MB", 50);
    for (kind, unit) in kinds {
        let mut g = c.benchmark_group(format!("long_line/{kind}"));
        g.sample_size(10);
        for mb in [1, 10, 50].into_iter().filter(|&mb| mb <= max_mb) {
            let line = line_of(unit, mb * MB);
            g.throughput(Throughput::Bytes(line.len() as u64));
            g.bench_with_input(BenchmarkId::new("reference/aho-corasick-dfa-overlapping", format!("{mb}MB")), &line, |b, line| {
                b.iter(|| ac.find_overlapping_iter(line.as_str()).count())
            });
            g.bench_with_input(BenchmarkId::new("kefu/lint", format!("{mb}MB")), &line, |b, line| {
                let mut scratch = Scratch::default();
                b.iter(|| engine.lint_with(line, &mut scratch).len())
            });
        }
        g.finish();
    }
}

/// The embedded rulebook plus a file of `n` generated rules, each with its
/// own literal, a gapped pattern, an exception and a bad example.
fn rulebook_with(n: usize) -> Vec<(String, String)> {
    let mut generated = String::with_capacity(n * 300);
    for i in 0..n {
        generated.push_str(&format!(
            "[[rule]]\nid = \"grumble.generated_{i}\"\ncategory = \"grumble\"\nseverity = \"warning\"\nmessage = \"生成的规则 {i}\"\nsuggestion = \"换一种说法\"\nsource = \"基准测试\"\npatterns = [\"测试词{i}号\", \"生成~3第{i}条\"]\nexceptions = [\"不是测试词{i}号\"]\nbad = [\"这就是测试词{i}号\"]\n\n"
        ));
    }
    let mut files = embedded_files();
    files.push(("forbidden/generated.toml".to_string(), generated));
    files
}

fn rulebooks(c: &mut Criterion) {
    let calendar = HolidayCalendar::embedded_default();
    let max_rules = env_usize("KEFU_BENCH_MAX_RULES", 100_000);
    let mut g = c.benchmark_group("rulebook");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000].into_iter().filter(|&n| n <= max_rules) {
        let files = rulebook_with(n);
        let generated = files.last().map(|(_, t)| t.clone()).unwrap_or_default();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("reference/toml-parse-generated-file", n), &generated, |b, text| {
            b.iter(|| text.parse::<toml::Table>().map(|t| t.len()).unwrap_or(0))
        });
        g.bench_with_input(BenchmarkId::new("kefu/load-and-compile", n), &files, |b, files| {
            b.iter(|| {
                let book = Rulebook::from_files(files).expect("valid rulebook");
                Engine::new(book, calendar.clone()).expect("compiles").rulebook.rules.len()
            })
        });
        let engine = Engine::new(Rulebook::from_files(&files).expect("valid"), calendar.clone()).expect("compiles");
        g.bench_with_input(BenchmarkId::new("kefu/run-every-example", n), &engine, |b, engine| b.iter(|| engine.run_examples().len()));
    }
    g.finish();
}

criterion_group!(benches, long_lines, rulebooks);
criterion_main!(benches);
