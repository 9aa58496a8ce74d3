//! Inspection throughput over a generated corpus of realistic transcripts
//! (`support/corpus.rs`; the same conversations as
//! `cargo run --release -p kefu-core --example gen_transcripts -- N`):
//!
//! - `one_core`: `Engine::inspect` over every conversation in turn (already parsed);
//! - `all_cores`: the same, split into one contiguous chunk per core
//!   (`available_parallelism`) under `std::thread::scope`;
//! - `parse_inspect_one_core`: from the JSON Lines text, each line
//!   `serde_json` → `Conversation`, `validate`, `inspect`, on one core.
//!
//! Each is reported as conversations/s and as bytes/s of the corpus's JSON
//! Lines text (`Throughput::ElementsAndBytes`), also for the paths that never
//! see the text, so the figures compare.
//!
//! Run: cargo bench -p kefu-core --bench inspect
//! (KEFU_BENCH_CONVERSATIONS=N to change the corpus size, default 100000)

#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use kefu_core::inspect::Conversation;
use kefu_core::Engine;

/// Sum of scores and of failed checks: something that depends on every scorecard.
fn inspect_all(engine: &Engine, convs: &[Conversation]) -> (u64, u64) {
    let mut sum = (0u64, 0u64);
    for c in convs {
        let card = engine.inspect(c);
        sum.0 += u64::from(card.score);
        sum.1 += card.failed().count() as u64;
    }
    sum
}

fn inspect_parallel(engine: &Engine, convs: &[Conversation], threads: usize) -> (u64, u64) {
    let chunk = convs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = convs.chunks(chunk).map(|part| s.spawn(move || inspect_all(engine, part))).collect();
        handles.into_iter().map(|h| h.join().expect("worker")).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

fn parse_inspect(engine: &Engine, text: &str) -> (u64, u64) {
    let mut sum = (0u64, 0u64);
    for line in text.lines() {
        let conv: Conversation = serde_json::from_str(line).expect("generated JSON parses");
        conv.validate().expect("generated conversation is valid");
        let card = engine.inspect(&conv);
        sum.0 += u64::from(card.score);
        sum.1 += card.failed().count() as u64;
    }
    sum
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("KEFU_BENCH_CONVERSATIONS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(100_000);
    let engine = Engine::embedded().expect("default rulebook");
    let convs = corpus::corpus(n);
    let text = corpus::jsonl(&convs);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let turns: usize = convs.iter().map(|c| c.turns.len()).sum();
    eprintln!(
        "inspect bench: {n} conversations, {turns} turns, {:.1} MB of JSON Lines, {threads} threads for all_cores",
        text.len() as f64 / 1e6
    );
    // The three paths agree on every scorecard.
    let reference = inspect_all(&engine, &convs);
    assert_eq!(inspect_parallel(&engine, &convs, threads), reference);
    assert_eq!(parse_inspect(&engine, &text), reference);

    let mut g = c.benchmark_group("inspect");
    // Reported as conversations/s and as bytes/s of the JSON Lines text.
    g.throughput(Throughput::ElementsAndBytes { elements: n as u64, bytes: text.len() as u64 });
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(if n >= 50_000 { 30 } else { 5 }));
    g.bench_function(BenchmarkId::new("one_core", n), |b| b.iter(|| inspect_all(&engine, black_box(&convs))));
    g.bench_function(BenchmarkId::new(format!("all_cores_{threads}"), n), |b| {
        b.iter(|| inspect_parallel(&engine, black_box(&convs), threads))
    });
    g.bench_function(BenchmarkId::new("parse_inspect_one_core", n), |b| b.iter(|| parse_inspect(&engine, black_box(&text))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
