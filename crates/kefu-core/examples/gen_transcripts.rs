//! Writes a deterministic corpus of realistic transcripts (the contract
//! format, one JSON object per line) to stdout, for `kefu inspect` and its
//! benchmark.
//!
//!     cargo run --release -p kefu-core --example gen_transcripts -- 100000 > /tmp/corpus.jsonl
//!
//! `--labelled` wraps each as `{"conversation": {…}, "injected": [check ids]}`,
//! the checks the generator meant it to fail (a sanity aid, not a gold label:
//! natural failures such as the speech rate of a short call are not listed).

use std::io::{self, BufWriter, Write};

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let mut n: u64 = 100_000;
    let mut labelled = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--labelled" => labelled = true,
            "-h" | "--help" => {
                println!("usage: gen_transcripts [N (default 100000)] [--labelled] > corpus.jsonl");
                return;
            }
            other => match other.replace('_', "").parse() {
                Ok(v) => n = v,
                Err(_) => {
                    eprintln!("gen_transcripts: not a number of conversations: {other}");
                    std::process::exit(2);
                }
            },
        }
    }
    let out = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, out.lock());
    for i in 0..n {
        let g = corpus::generate(i);
        let written = if labelled {
            serde_json::to_writer(&mut out, &serde_json::json!({ "conversation": g.conversation, "injected": g.injected }))
        } else {
            serde_json::to_writer(&mut out, &g.conversation)
        };
        if written.is_err() || out.write_all(b"\n").is_err() {
            // Broken pipe (e.g. `| head`): stop quietly.
            return;
        }
    }
    let _ = out.flush();
}
