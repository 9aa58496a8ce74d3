//! Inspection with 50 checks written as data against the built-in checks
//! alone, over the same generated corpus in the same run (issue 13: with 50
//! custom checks loaded, throughput ≥ 0.6× the built-in-only figure).
//!
//! Run: cargo bench -p kefu-core --bench custom_checks
//! (KEFU_BENCH_CONVERSATIONS=N, default 5000)

#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kefu_core::calendar::HolidayCalendar;
use kefu_core::inspect::Conversation;
use kefu_core::rulebook::{embedded_files, Rulebook};
use kefu_core::Engine;

/// Fifty checks of the kinds a centre writes: phrases said or not said in
/// place, patterns, scenarios, entities, timings, metadata.
fn fifty_checks() -> String {
    let phrases = ["核实一下您的身份", "请问还有其他", "感谢您的耐心", "给您带来不便", "稍后给您回电", "请您稍等", "我帮您登记", "七天无理由", "已为您申请", "为您转接"];
    let mut checks: Vec<(String, String)> = Vec::new();
    let mut check = |logic: &str, conditions: &str| checks.push((logic.to_string(), conditions.to_string()));
    for (i, p) in phrases.iter().enumerate() {
        check("a && !b", &format!("[[check.condition]]\nid = \"a\"\noperator = \"scenario\"\nscenarios = [\"inquiry\", \"complaint\", \"repair_request\"]\n[[check.condition]]\nid = \"b\"\noperator = \"keywords\"\nspeaker = \"agent\"\nany = [\"{p}\", \"{p}~2吧\"]\nposition = {{ first_turns = {} }}\n", 2 + i % 4));
        check("a", &format!("[[check.condition]]\nid = \"a\"\noperator = \"keywords\"\nspeaker = \"customer\"\nany = [\"{}\", \"投诉\", \"退款\"]\nat_least = 1\n", &p[..p.char_indices().nth(2).map_or(p.len(), |(i, _)| i)]));
    }
    for r in ["\\d{11}", "订单~2号", "退[款钱]", "工号\\d{4}", "[0-9]{4}年"] {
        check("a && !b", &format!("[[check.condition]]\nid = \"a\"\noperator = \"regex\"\npattern = '{r}'\n[[check.condition]]\nid = \"b\"\noperator = \"keywords\"\nspeaker = \"agent\"\nany = [\"复述\", \"核对\"]\nposition = {{ after = \"a\", within_turns = 2 }}\n"));
    }
    for k in ["phone", "order", "id_card", "amount", "date"] {
        check("a", &format!("[[check.condition]]\nid = \"a\"\noperator = \"entity\"\nspeaker = \"agent\"\nkinds = [\"{k}\"]\n"));
    }
    for (op, p) in [("silence", "longer_than = 20"), ("interrupt", "longer_than = 1"), ("repeat", "times = 3"), ("hold", "longer_than = 60"), ("duration", "longer_than = 600"), ("rings", "more_than = 3"), ("speech_rate", "faster_than = 220"), ("forbidden", "categories = [\"shirk\", \"blame\"]"), ("meta", "field = \"line\"\nequals = \"vip\""), ("similar", "examples = [\"这个问题我帮您核实一下\"]\nthreshold = 0.7")] {
        check("a", &format!("[[check.condition]]\nid = \"a\"\noperator = \"{op}\"\n{p}\n"));
    }
    for _ in 0..10 {
        check("a || b", "[[check.condition]]\nid = \"a\"\noperator = \"forbidden\"\n[[check.condition]]\nid = \"b\"\noperator = \"keywords\"\nspeaker = \"agent\"\nall = [\"不\", \"知道\"]\n");
    }
    assert_eq!(checks.len(), 50);
    checks
        .iter()
        .enumerate()
        .map(|(i, (logic, conditions))| format!("[[check]]\nid = \"bench.c{:02}\"\nname = \"基准 {}\"\npoints = 1\nsource = \"基准\"\nlogic = \"{logic}\"\n{conditions}\n", i + 1, i + 1))
        .collect()
}

fn inspect_all(engine: &Engine, convs: &[Conversation]) -> u64 {
    convs.iter().map(|c| engine.inspect(c).checks.len() as u64).sum()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("KEFU_BENCH_CONVERSATIONS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(5_000);
    let convs = corpus::corpus(n);
    let builtin = Engine::embedded().expect("default rulebook");
    let mut files = embedded_files();
    files.push(("inspection/bench.toml".into(), fifty_checks()));
    let book = Rulebook::from_files(&files).expect("the fifty checks compile");
    assert_eq!(book.checks.len(), 17 + 50);
    let custom = Engine::new(book, HolidayCalendar::embedded_default()).expect("engine");
    assert_eq!(inspect_all(&custom, &convs), inspect_all(&builtin, &convs) + 50 * n as u64);
    let mut g = c.benchmark_group("custom_checks");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("builtin_only", |b| b.iter(|| black_box(inspect_all(&builtin, black_box(&convs)))));
    g.bench_function("with_50_custom", |b| b.iter(|| black_box(inspect_all(&custom, black_box(&convs)))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
