//! Lint throughput over ../shared/bench/opensubtitles-zh-sampled.txt, with the
//! raw speed of Aho–Corasick matchers over the same literal fragments (no
//! normalisation, no stitching, no exceptions) measured in the same run as the
//! reference. Also the live-assist case: re-checking a 200-character draft.
//!
//! Run: cargo bench -p kefu-core --bench lint

use std::hint::black_box;
use std::path::PathBuf;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use daachorse::{CharwiseDoubleArrayAhoCorasick, DoubleArrayAhoCorasick};
use kefu_core::matcher::Scratch;
use kefu_core::Engine;

fn corpus() -> Vec<String> {
    let path = std::env::var_os("KEFU_BENCH_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/opensubtitles-zh-sampled.txt")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("bench corpus {}: {e}", path.display()));
    text.lines().map(str::to_string).collect()
}

fn bench(c: &mut Criterion) {
    let engine = Engine::embedded().expect("default rulebook");
    let rules_only = Engine::embedded().expect("default rulebook").without_semantic();
    let lines = corpus();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let fragments: Vec<String> = engine.linter().fragments().to_vec();

    let ac_dfa = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::Standard)
        .build(&fragments)
        .expect("aho-corasick");
    let daac = DoubleArrayAhoCorasick::<u32>::new(&fragments).expect("daachorse");
    let daac_char = CharwiseDoubleArrayAhoCorasick::<u32>::new(&fragments).expect("daachorse charwise");

    let mut g = c.benchmark_group("lint_corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("reference/aho-corasick-dfa-overlapping", |b| {
        b.iter(|| lines.iter().map(|l| ac_dfa.find_overlapping_iter(l.as_str()).count()).sum::<usize>())
    });
    g.bench_function("reference/daachorse-bytewise-overlapping", |b| {
        b.iter(|| lines.iter().map(|l| daac.find_overlapping_iter(l.as_str()).count()).sum::<usize>())
    });
    g.bench_function("reference/daachorse-charwise-overlapping", |b| {
        b.iter(|| lines.iter().map(|l| daac_char.find_overlapping_iter(l.as_str()).count()).sum::<usize>())
    });
    g.bench_function("kefu/has_violation (lint --count)", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| lines.iter().filter(|l| engine.has_violation(l, &mut scratch)).count())
    });
    g.bench_function("kefu/lint (full violations)", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| lines.iter().map(|l| engine.lint_with(l, &mut scratch).len()).sum::<usize>())
    });
    g.bench_function("kefu/has_violation, rules only", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| lines.iter().filter(|l| rules_only.has_violation(l, &mut scratch)).count())
    });
    g.bench_function("kefu/semantic model only (features + both models)", |b| {
        let layer = engine.semantic().expect("the semantic layer");
        b.iter(|| lines.iter().map(|l| layer.judge_agent(l).0.len() + layer.judge_customer(l).len()).sum::<usize>())
    });
    g.finish();

    // Live assist: one keystroke re-checks the whole draft.
    let draft: String = {
        let mut s = String::new();
        for l in lines.iter().skip(100) {
            s.push_str(l);
            s.push('，');
            if s.chars().count() >= 200 {
                break;
            }
        }
        s.chars().take(190).collect::<String>() + "我真的不知道这个不归我管"
    };
    let mut g = c.benchmark_group("keystroke");
    g.bench_function("draft_200_chars", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| engine.lint_with(black_box(&draft), &mut scratch).len())
    });
    g.bench_function("draft_200_chars_rules_only", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| rules_only.lint_with(black_box(&draft), &mut scratch).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
