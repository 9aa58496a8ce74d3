//! Measures the engine (rules + semantic layer) with models read from a
//! directory, over a grid of thresholds, on a labelled source and the
//! measuring half of the real staff text — the numbers behind the
//! thresholds in `rulebook/numbers.toml`.
//!
//! ```text
//! cargo run --release -p kefu-core --example eval_semantic -- MODEL_DIR SOURCE
//! ```
//! SOURCE is a folder of `eval/corpus/` (never `hand_c` while tuning).

use std::path::Path;

use kefu_core::eval::{evaluate_lint, evaluate_scenarios, flag_rate, LintExample, ScenarioExample};
use kefu_core::semantic::{Model, Thresholds};
use kefu_core::Engine;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(source)) = (args.first(), args.get(1)) else {
        eprintln!("usage: eval_semantic MODEL_DIR SOURCE");
        std::process::exit(2);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval");
    let read = |name: &str| std::fs::read(Path::new(dir).join(name)).ok().and_then(|b| Model::from_bytes(&b).ok());
    let (Some(agent), Some(customer)) = (read("agent.kefusem"), read("customer.kefusem")) else {
        eprintln!("no models in {dir}");
        std::process::exit(2);
    };
    let Some(mut engine) = Engine::embedded().ok().and_then(|e| e.with_models(agent, customer)) else {
        eprintln!("the models do not fit the rulebook");
        std::process::exit(2);
    };
    let jsonl = |file: &str| -> Vec<String> { std::fs::read_to_string(root.join("corpus").join(source).join(file)).unwrap_or_default().lines().map(str::to_string).collect() };
    let lint: Vec<LintExample> = jsonl("agent.jsonl").iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let scen: Vec<ScenarioExample> = jsonl("customer.jsonl").iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let real: Vec<String> = std::fs::read_to_string(root.join("corpus/real/agent_like.txt")).unwrap_or_default().lines().skip(1).step_by(2).map(str::to_string).collect();
    let grid: Vec<f32> = std::env::var("GRID").ok().map(|g| g.split(',').filter_map(|x| x.parse().ok()).collect()).unwrap_or_else(|| vec![0.0, 0.3, 0.5, 0.7]);
    let vetoes: Vec<f32> = std::env::var("VETO").ok().map(|g| g.split(',').filter_map(|x| x.parse().ok()).collect()).unwrap_or_else(|| vec![0.0]);
    for &veto in &vetoes {
        for &hit in &grid {
            // hit 0 = the model's own per-category thresholds.
            engine.set_semantic_thresholds(Thresholds { hit, hit_set: hit > 0.0, veto, ..Thresholds::default() });
            let r = evaluate_lint(&engine, &lint);
            let f = flag_rate(&engine, real.iter().map(String::as_str));
            let worst = r.by_category.iter().min_by(|a, b| a.1.recall.total_cmp(&b.1.recall)).map(|(c, v)| format!("{c} {:.2}", v.recall)).unwrap_or_default();
            println!("hit {hit:.2} veto {veto:.2}: P {:.3} R {:.3} (worst {worst}) real-flagged {:.2}%", r.precision, r.recall, f.rate * 100.0);
        }
    }
    let customers: Vec<String> = std::fs::read_to_string(root.join("corpus/real/customer_like.txt")).unwrap_or_default().lines().map(str::to_string).collect();
    engine.set_semantic_thresholds(Thresholds::default());
    let (alarm, thanks, n) = real_customer(&engine, &customers);
    println!("real customers: {:.2}% taken for complaint/abuse/harassment/manager; of {n} thank-yous {:.3} recognised", alarm * 100.0, thanks);
    let rules = Engine::embedded().map(Engine::without_semantic).expect("rules");
    let (alarm, thanks, n) = real_customer(&rules, &customers);
    println!("real customers, cues only: {:.2}% alarming; of {n} thank-yous {:.3} recognised", alarm * 100.0, thanks);
    for act in [0.4f32, 0.5, 0.6, 0.7, 0.8] {
        engine.set_semantic_thresholds(Thresholds { act, ..Thresholds::default() });
        let r = evaluate_scenarios(&engine, &scen);
        println!("act {act:.2}: accuracy {:.3} ECE {:.3}", r.accuracy, r.calibration_error);
    }
    // Into an alarm scenario against the cues: dev accuracy against the
    // alarms on the real customer text.
    for alarm in [0.6f32, 0.7, 0.8, 0.9, 0.95, 1.01] {
        engine.set_semantic_thresholds(Thresholds { alarm, ..Thresholds::default() });
        let r = evaluate_scenarios(&engine, &scen);
        let (alarmed, _, _) = real_customer(&engine, &customers);
        println!("alarm {alarm:.2}: accuracy {:.3} ECE {:.3}; real customers alarming {:.2}%", r.accuracy, r.calibration_error, alarmed * 100.0);
    }
}

/// The real customer text (unlabelled): the share taken for an alarming
/// scenario (complaint, abuse, harassment, a manager request), and of the
/// lines that begin by thanking, the share recognised as thanks or goodbye.
/// Upper and lower bounds to review by hand, not labelled figures.
pub fn real_customer(engine: &Engine, lines: &[String]) -> (f64, f64, usize) {
    // The rulebook's alarm scenarios (complaint, abuse, harassment, a manager request…).
    let alarming: Vec<&str> = engine.rulebook.scenarios.iter().filter(|s| s.alarm).map(|s| s.id.as_str()).collect();
    let mut scratch = kefu_core::matcher::Scratch::default();
    let (mut alarm, mut thanks, mut thanked) = (0usize, 0usize, 0usize);
    for l in lines {
        let s = engine.classify_with(l, &mut scratch).scenario;
        alarm += usize::from(alarming.contains(&s));
        if l.starts_with("谢谢") || l.starts_with("多谢") || l.starts_with("好的谢谢") || l.starts_with("好的，谢谢") {
            thanked += 1;
            thanks += usize::from(s == "thanks" || s == "goodbye" || s == "praise");
        }
    }
    (alarm as f64 / lines.len().max(1) as f64, thanks as f64 / thanked.max(1) as f64, thanked)
}
