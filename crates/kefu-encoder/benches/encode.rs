//! The encoder's cost beside the n-gram model's, in the same run: one
//! utterance (20 characters) and a 200-character draft, embedded by
//! multilingual-e5-small in-process, against the shipped n-gram model's
//! judgement of the same texts (the reference). Needs the model file
//! (`tools/encoder/fetch-model.sh` or `KEFU_ENCODER_MODEL`).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use kefu_encoder::Encoder;

fn model() -> Option<Encoder> {
    let path = std::env::var_os("KEFU_ENCODER_MODEL").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/encoder/e5-small-q4.bin"));
    Encoder::load(&path).map_err(|e| eprintln!("{e}")).ok()
}

fn bench(c: &mut Criterion) {
    let Some(encoder) = model() else { return };
    let engine = kefu_core::Engine::embedded().expect("rulebook");
    let layer = engine.semantic().expect("semantic layer");
    let short = "这个问题早就跟您说过了，您自己没注意";
    let draft: String = "您好，关于您反映的宽带断网问题，我这边已经查到是线路故障，维修师傅会在明天上午九点到十二点之间上门，".repeat(4).chars().take(200).collect();
    let mut g = c.benchmark_group("encoder");
    g.bench_function("e5 embed 20 chars", |b| b.iter(|| encoder.embed(std::hint::black_box(short))));
    g.bench_function("e5 embed 200 chars", |b| b.iter(|| encoder.embed(std::hint::black_box(&draft))));
    g.bench_function("reference: n-gram model 20 chars", |b| b.iter(|| layer.judge_agent(std::hint::black_box(short))));
    g.bench_function("reference: n-gram model 200 chars", |b| b.iter(|| layer.judge_agent(std::hint::black_box(&draft))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
