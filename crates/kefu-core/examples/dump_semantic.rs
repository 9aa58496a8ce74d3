//! Writes the labelled corpus with the engine's judgements of every line as
//! JSON Lines — the input of the encoder comparison
//! (`tools/embedding-eval/compare_heads.py`), which puts a sentence
//! encoder's head beside the n-gram model on exactly the same lines.
//!
//! ```text
//! cargo run --release -p kefu-core --example dump_semantic -- SOURCE... > lines.jsonl
//! ```
//!
//! SOURCE is a folder of `eval/corpus/`, `extra`, `real`, `phrases`, `examples` (as in
//! `train_semantic`), `real_measure` (the measuring half of the real staff
//! text and the real customer text), `shared` (`../shared/eval/`) or
//! `holdout` (`eval/holdout/`). Each line: `source`, `side` (agent /
//! customer), `text`, the labels (`categories` or `scenario`; none for
//! real text), what the rules alone say (`rules`: categories hit, or the
//! cues' scenario and confidence), the n-gram model's probabilities
//! (`ngram`, absent for a text out of the model's range) and what the
//! engine says with its layer (`engine`).

#[allow(dead_code)]
#[path = "train_semantic.rs"]
mod train;

use std::io::Write;
use std::path::Path;

use kefu_core::matcher::Scratch;
use kefu_core::Engine;
use serde_json::{json, Value};

fn main() {
    let sources: Vec<String> = std::env::args().skip(1).collect();
    if sources.is_empty() {
        eprintln!("usage: dump_semantic SOURCE...");
        std::process::exit(2);
    }
    let Ok(engine) = Engine::embedded() else {
        eprintln!("dump_semantic: the embedded rulebook does not load");
        std::process::exit(1);
    };
    let Ok(rules) = Engine::embedded().map(Engine::without_semantic) else {
        eprintln!("dump_semantic: the embedded rulebook does not load");
        std::process::exit(1);
    };
    let Some(layer) = engine.semantic() else {
        eprintln!("dump_semantic: the embedded rulebook has no semantic layer");
        std::process::exit(1);
    };
    let mut scratch = Scratch::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval");
    for source in &sources {
        let (agent, customer) = lines_of(source, &root);
        for (text, labels) in agent {
            let hit = |e: &Engine, s: &mut Scratch| -> Vec<String> {
                let mut c: Vec<String> = e.lint_capped(&text, 64, s).0.iter().map(|v| v.category.to_string()).collect();
                c.sort();
                c.dedup();
                c
            };
            let (p, _) = layer.judge_agent(&text);
            let line = json!({"source": source, "side": "agent", "text": text, "categories": labels, "rules": hit(&rules, &mut scratch), "ngram": if p.is_empty() { Value::Null } else { json!(p) }, "engine": hit(&engine, &mut scratch)});
            let _ = writeln!(out, "{line}");
        }
        for (text, scenario) in customer {
            let cue = rules.classify_with(&text, &mut scratch);
            let f = kefu_core::semantic::judged_features(&text);
            let p = f.map(|f| layer.customer.probabilities(&f));
            let full = engine.classify_with(&text, &mut scratch);
            let line = json!({"source": source, "side": "customer", "text": text, "scenario": scenario, "rules": {"scenario": cue.scenario, "confidence": cue.confidence}, "ngram": p, "engine": {"scenario": full.scenario, "confidence": full.confidence}});
            let _ = writeln!(out, "{line}");
        }
    }
}

type AgentLines = Vec<(String, Option<Vec<&'static str>>)>;
type CustomerLines = Vec<(String, Option<String>)>;

/// The lines of a source, labelled where it has labels.
fn lines_of(source: &str, root: &Path) -> (AgentLines, CustomerLines) {
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let labelled_agent = |p: &Path| -> AgentLines {
        read(p)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| {
                let cats = v["categories"].as_array().map(|a| a.iter().filter_map(|c| train::CATEGORIES.iter().copied().find(|k| Some(*k) == c.as_str())).collect::<Vec<_>>()).unwrap_or_default();
                let cats = if v["violation"].as_bool()? { cats } else { Vec::new() };
                Some((v["text"].as_str()?.to_string(), Some(cats)))
            })
            .collect()
    };
    let labelled_customer = |p: &Path| -> CustomerLines { read(p).lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter_map(|v| Some((v["text"].as_str()?.to_string(), Some(v["scenario"].as_str()?.to_string())))).collect() };
    let names = |labels: Vec<usize>| -> Option<Vec<&'static str>> { Some(labels.into_iter().map(|i| train::CATEGORIES[i]).collect()) };
    match source {
        "real_measure" => {
            let agent = read(&root.join("corpus/real/agent_like.txt")).lines().skip(1).step_by(2).filter(|l| !l.trim().is_empty()).map(|l| (l.to_string(), None)).collect();
            let customer = read(&root.join("corpus/real/customer_like.txt")).lines().filter(|l| !l.trim().is_empty()).map(|l| (l.to_string(), None)).collect();
            (agent, customer)
        }
        "shared" => {
            let dir = root.join("../../shared/eval");
            (labelled_agent(&dir.join("lint_dev.jsonl")), labelled_customer(&dir.join("scenario_dev.jsonl")))
        }
        "holdout" => (labelled_agent(&root.join("holdout/lint_holdout.jsonl")), labelled_customer(&root.join("holdout/scenario_holdout.jsonl"))),
        _ => {
            let agent = train::agent_lines(source).into_iter().map(|(t, l)| (t, names(l))).collect();
            let customer = train::customer_lines(source).into_iter().map(|(t, s)| (t, Some(train::SCENARIOS[s].to_string()))).collect();
            (agent, customer)
        }
    }
}
