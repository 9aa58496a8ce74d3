//! The "after review" figures on real text (eval/corpus/real/review/):
//! real staff turns falsely flagged — the flagged turns a blind reviewer
//! found acceptable, over the 10,000 of the measuring half — and, on a
//! labelled random sample of real customer turns, the neutral requests
//! (inquiry, other) taken for a complaint, abuse, harassment or a manager
//! request, and the thank-yous recognised.
//!
//! ```text
//! cargo run --release -p kefu-core --example review_real
//! ```

use std::path::Path;

use kefu_core::matcher::Scratch;
use kefu_core::Engine;
use serde_json::Value;

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/corpus/real");
    let Ok(engine) = Engine::embedded() else {
        eprintln!("review_real: the embedded rulebook does not load");
        std::process::exit(1);
    };
    let mut scratch = Scratch::default();
    // Staff: the engine's flags now, against the reviewer's verdicts.
    let measuring: Vec<String> = std::fs::read_to_string(root.join("agent_like.txt")).unwrap_or_default().lines().skip(1).step_by(2).filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
    // The first review covers the turns an earlier model flagged; the second
    // the turns the next one flagged besides.
    let reviewed: Vec<Value> = ["review/staff_flagged.review.jsonl", "review/staff_flagged2.review.jsonl"].iter().flat_map(|f| jsonl(&root.join(f))).collect();
    let verdict = |t: &str| reviewed.iter().find(|v| v["text"].as_str() == Some(t)).and_then(|v| v["verdict"].as_str().map(str::to_string));
    let (mut flagged, mut acceptable, mut unsure, mut unreviewed) = (0usize, 0usize, 0usize, 0usize);
    for t in &measuring {
        if engine.lint_capped(t, 1, &mut scratch).1 == 0 {
            continue;
        }
        flagged += 1;
        match verdict(t).as_deref() {
            Some("acceptable") => acceptable += 1,
            Some("unsure") => unsure += 1,
            Some(_) => {}
            None => unreviewed += 1,
        }
    }
    let n = measuring.len().max(1) as f64;
    println!(
        "real staff turns: {flagged} of {} flagged ({:.2} %); after review {acceptable} acceptable = {:.3} % falsely flagged ({unsure} unsure, {unreviewed} not reviewed)",
        measuring.len(),
        flagged as f64 / n * 100.0,
        acceptable as f64 / n * 100.0
    );
    // Customers: a labelled random sample.
    let labelled = jsonl(&root.join("review/customer_sample.labels.jsonl"));
    let alarming: Vec<&str> = engine.rulebook.scenarios.iter().filter(|s| s.alarm).map(|s| s.id.as_str()).collect();
    let (mut neutral, mut neutral_alarm, mut thanks, mut thanks_ok, mut right) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for v in &labelled {
        let (Some(t), Some(gold)) = (v["text"].as_str(), v["scenario"].as_str()) else { continue };
        let got = engine.classify_with(t, &mut scratch).scenario;
        right += usize::from(got == gold);
        if gold == "inquiry" || gold == "other" {
            neutral += 1;
            neutral_alarm += usize::from(alarming.contains(&got));
        }
        if gold == "thanks" {
            thanks += 1;
            thanks_ok += usize::from(got == "thanks" || got == "goodbye");
        }
    }
    println!(
        "real customer sample ({}): accuracy {:.3}; neutral requests taken for complaint/abuse/harassment/manager {neutral_alarm} of {neutral} = {:.2} %; thank-yous recognised {thanks_ok} of {thanks} = {:.3}",
        labelled.len(),
        right as f64 / labelled.len().max(1) as f64,
        neutral_alarm as f64 / neutral.max(1) as f64 * 100.0,
        thanks_ok as f64 / thanks.max(1) as f64
    );
}
