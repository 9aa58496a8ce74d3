//! Storage benchmark, both backends in one run (README, "Storage"):
//!
//!   cargo run --release -p kefu-store --example store_bench -- [ROWS]
//!
//! 1. Writes/s through `put_conversation` (real inspected conversations from
//!    `../shared/eval/qa_dev.jsonl`), one writer and four.
//! 2. Scorecard search p50/p99 over ROWS (default 1,000,000) stored
//!    conversations with 17 check results each, for the console's filter
//!    shapes, with the query plans of the slowest.
//! 3. SQLite: search p99 while a writer writes, through the read pool and
//!    through the writer's connection (kefu before the pool), same run.
//!
//! PostgreSQL is a throw-away cluster (kefu-testpg) unless
//! `KEFU_BENCH_POSTGRES=postgres://…` names one. The bulk rows are made in
//! SQL (they stand for stored conversations; their transcript texts are
//! empty since search never reads them).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kefu_core::inspect::Conversation;
use kefu_store::db::{DbOptions, Location};
use kefu_store::{Search, Store, WriteScope};

const CHECKS: [&str; 17] = [
    "opening.greeting", "opening.work_no", "opening.late_answer_apology", "listen.no_interrupt", "listen.confirm", "wait.ask_permission", "wait.thanks",
    "closing.more_help", "closing.thanks", "closing.customer_hangs_up_first", "voice.speech_rate", "language.forbidden", "language.polite", "record.repair",
    "silent_call.procedure", "transfer.explain", "complaint.apology",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn conversations() -> Vec<Conversation> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/eval/qa_dev.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| serde_json::from_value(v["conversation"].clone()).ok())
        .collect()
}

fn writes_per_second(store: &Arc<Store>, writers: usize, per_writer: usize, tag: &str) -> f64 {
    let engine = Arc::new(kefu_core::Engine::embedded().expect("engine"));
    let base = Arc::new(conversations());
    let started = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (store, engine, base) = (store.clone(), engine.clone(), base.clone());
            let tag = tag.to_string();
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    let mut conv = base[i % base.len()].clone();
                    conv.id = format!("w-{tag}-{w}-{i}");
                    let card = engine.inspect(&conv);
                    store.put_conversation(&conv, &card, &[], "bench", 1, false, &WriteScope::All, None).expect("write");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer");
    }
    (writers * per_writer) as f64 / started.elapsed().as_secs_f64()
}

/// Bulk rows in SQL: ROWS conversations over 200 agents in 20 teams and a
/// year of days, 17 check results each (~5 % fail), a violation per 4.
fn fill(store: &Store, rows: u64) {
    let have = store.search(&Search { limit: 1, ..Search::default() }).expect("count").0;
    if have >= rows {
        return;
    }
    let started = Instant::now();
    let checks = CHECKS.iter().enumerate().map(|(k, c)| format!("({k}, '{c}')")).collect::<Vec<_>>().join(", ");
    let sql = match store.dialect() {
        kefu_store::Dialect::Sqlite => vec![
            format!(
                "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {rows} - 1)
                 INSERT INTO conversations (id, agent, team, channel, started_at, day, score, original_score, vetoed, source, rulebook_version, transcript, scorecard, original_scorecard, inspected_at)
                 SELECT printf('bulk-%07d', i), printf('B%03d', i % 200), printf('班组%02d', (i % 200) / 10), CASE WHEN i % 3 = 0 THEN 'chat' ELSE 'phone' END,
                        strftime('%Y-%m-%dT%H:%M:%S+08:00', '2026-01-01', '+' || (i % 365) || ' days', '+' || (28800 + (i * 7919) % 36000) || ' seconds'),
                        date('2026-01-01', '+' || (i % 365) || ' days'), 60 + (i * 37) % 41, 60 + (i * 37) % 41, CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END,
                        'bulk', 1, '{{}}', '{{}}', '{{}}', '2026-12-01T00:00:00.000+08:00' FROM seq"
            ),
            format!(
                "INSERT INTO check_results (conversation_id, check_id, result)
                 SELECT c.id, k.name, CASE WHEN (c.rowid * 31 + k.n * 17) % 20 = 0 THEN 'fail' WHEN (c.rowid + k.n) % 7 = 0 THEN 'n/a' ELSE 'pass' END
                 FROM conversations c CROSS JOIN (SELECT column1 AS n, column2 AS name FROM (VALUES {checks})) k WHERE c.source = 'bulk'"
            ),
            "INSERT INTO violations (conversation_id, day, turn, rule, category) SELECT id, day, 3, 'shirk.not_my_job', 'shirk' FROM conversations WHERE source = 'bulk' AND rowid % 4 = 0".to_string(),
            FAILED.to_string(),
        ],
        kefu_store::Dialect::Postgres => vec![
            format!(
                "INSERT INTO conversations (id, agent, team, channel, started_at, day, score, original_score, vetoed, source, rulebook_version, transcript, scorecard, original_scorecard, inspected_at)
                 SELECT 'bulk-' || lpad(i::text, 7, '0'), 'B' || lpad((i % 200)::text, 3, '0'), '班组' || lpad(((i % 200) / 10)::text, 2, '0'), CASE WHEN i % 3 = 0 THEN 'chat' ELSE 'phone' END,
                        to_char(timestamp '2026-01-01' + (i % 365) * interval '1 day' + (28800 + (i * 7919) % 36000) * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+08:00',
                        to_char(date '2026-01-01' + (i % 365)::int, 'YYYY-MM-DD'), 60 + (i * 37) % 41, 60 + (i * 37) % 41, CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END,
                        'bulk', 1, '{{}}', '{{}}', '{{}}', '2026-12-01T00:00:00.000+08:00' FROM generate_series(0::bigint, {rows} - 1) AS i"
            ),
            format!(
                "INSERT INTO check_results (conversation_id, check_id, result)
                 SELECT c.id, k.name, CASE WHEN (substr(c.id, 6)::bigint * 31 + k.n * 17) % 20 = 0 THEN 'fail' WHEN (substr(c.id, 6)::bigint + k.n) % 7 = 0 THEN 'n/a' ELSE 'pass' END
                 FROM conversations c CROSS JOIN (VALUES {checks}) AS k(n, name) WHERE c.source = 'bulk'"
            ),
            "INSERT INTO violations (conversation_id, day, turn, rule, category) SELECT id, day, 3, 'shirk.not_my_job', 'shirk' FROM conversations WHERE source = 'bulk' AND substr(id, 6)::bigint % 4 = 0".to_string(),
            FAILED.to_string(),
        ],
    };
    for statement in sql {
        store.execute_maintenance(&statement).expect("bulk insert");
    }
    match store.dialect() {
        kefu_store::Dialect::Sqlite => store.execute_maintenance("ANALYZE").expect("analyze"),
        // VACUUM runs outside a transaction; autovacuum does the same on a
        // live server (the visibility map lets counts read indexes alone).
        kefu_store::Dialect::Postgres => {
            let url = store.postgres_url().expect("url").to_string();
            std::thread::spawn(move || postgres::Client::connect(&url, postgres::NoTls).and_then(|mut c| c.batch_execute("VACUUM ANALYZE")))
                .join()
                .expect("vacuum thread")
                .expect("vacuum");
        }
    }
    eprintln!("  filled {rows} conversations in {:.0} s", started.elapsed().as_secs_f64());
}

/// The failed checks of the bulk rows, as `put_conversation` keeps them.
const FAILED: &str = "INSERT INTO failed_checks (conversation_id, check_id, agent, team, day)
    SELECT r.conversation_id, r.check_id, c.agent, c.team, c.day FROM check_results r JOIN conversations c ON c.id = r.conversation_id
    WHERE r.result = 'fail' AND c.source = 'bulk'";

struct Shape {
    name: &'static str,
    make: fn(u64) -> Search,
}

const SHAPES: &[Shape] = &[
    Shape { name: "newest first, no filter", make: |_| Search { limit: 50, ..Search::default() } },
    Shape { name: "one agent", make: |r| Search { agent: Some(format!("B{:03}", r % 200)), limit: 50, ..Search::default() } },
    Shape {
        name: "team + one month",
        make: |r| {
            let m = 1 + r % 12;
            Search { team: Some(format!("班组{:02}", r % 20)), from: Some(format!("2026-{m:02}-01")), to: Some(format!("2026-{m:02}-28")), limit: 50, ..Search::default() }
        },
    },
    Shape { name: "team + failed check", make: |r| Search { team: Some(format!("班组{:02}", r % 20)), failed_check: Some(CHECKS[(r % 17) as usize].to_string()), limit: 50, ..Search::default() } },
    Shape {
        name: "score ≤ 70 + one week",
        make: |r| {
            let d = 1 + r % 20;
            Search { max_score: Some(70), from: Some(format!("2026-06-{d:02}")), to: Some(format!("2026-06-{:02}", d + 6)), limit: 50, ..Search::default() }
        },
    },
    Shape { name: "team, page 40", make: |r| Search { team: Some(format!("班组{:02}", r % 20)), limit: 50, offset: 2000, ..Search::default() } },
];

fn search_latencies(store: &Store, shape: &Shape, runs: u64) -> Vec<f64> {
    let mut out: Vec<f64> = (0..runs)
        .map(|r| {
            let s = (shape.make)(r * 7 + 3);
            let t = Instant::now();
            let (_, rows) = store.search(&s).expect("search");
            std::hint::black_box(rows);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

fn bench(label: &str, location: &Location, rows: u64) {
    println!("\n## {label}");
    let store = Arc::new(Store::open(location).expect("open"));
    for writers in [1, 4] {
        let per = if writers == 1 { 400 } else { 200 };
        let wps = writes_per_second(&store, writers, per, &format!("{writers}"));
        println!("writes/s, {writers} writer(s), put_conversation: {wps:.0}");
    }
    fill(&store, rows);
    let (total, _) = store.search(&Search { limit: 1, ..Search::default() }).expect("count");
    println!("search over {total} conversations (p50 / p99 ms, 100 runs each):");
    let mut slow = Vec::new();
    for shape in SHAPES {
        let l = search_latencies(&store, shape, 100);
        println!("  {:<28} {:>8.2} {:>8.2}", shape.name, percentile(&l, 0.5), percentile(&l, 0.99));
        if percentile(&l, 0.99) > 20.0 {
            slow.push(shape);
        }
    }
    for shape in slow {
        println!("  plan of \"{}\":", shape.name);
        for line in store.explain_search(&(shape.make)(3)).unwrap_or_default() {
            println!("    {line}");
        }
    }
}

/// Search p99 while one writer writes all the time: through the read pool,
/// and through the writer's own connection (the single mutex of before).
fn readers_vs_writer(path: &std::path::Path) {
    println!("\n## SQLite: search while writing (team + one month, 300 runs)");
    for (label, readers) in [("through the writer's connection (before)", 0), ("read pool over WAL (now)", 8)] {
        let store = Arc::new(Store::open_with(&Location::SqliteFile(path.to_path_buf()), &DbOptions { sqlite_readers: readers, ..DbOptions::default() }).expect("open"));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let engine = kefu_core::Engine::embedded().expect("engine");
                let base = conversations();
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) && i < 100_000 {
                    let mut conv = base[i % base.len()].clone();
                    conv.id = format!("rw-{readers}-{i}");
                    let card = engine.inspect(&conv);
                    let _ = store.put_conversation(&conv, &card, &[], "bench", 1, false, &WriteScope::All, None);
                    i += 1;
                }
                i
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        let l = search_latencies(&store, &SHAPES[2], 300);
        stop.store(true, Ordering::Relaxed);
        let written = writer.join().expect("writer");
        println!("  {label:<42} p50 {:>7.2} ms  p99 {:>7.2} ms  ({written} writes meanwhile)", percentile(&l, 0.5), percentile(&l, 0.99));
    }
}

fn main() {
    let rows: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("kefu-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let sqlite = dir.join("bench.sqlite3");
    println!("# kefu-store benchmark ({rows} conversations), {}", chrono::Utc::now().format("%Y-%m-%d"));
    bench("SQLite (file, WAL, synchronous=FULL)", &Location::SqliteFile(sqlite.clone()), rows);
    readers_vs_writer(&sqlite);
    let cluster;
    let url = match std::env::var("KEFU_BENCH_POSTGRES") {
        Ok(u) => u,
        Err(_) => {
            cluster = kefu_testpg::Cluster::start();
            match &cluster {
                Some(c) => c.new_database(),
                None => {
                    println!("\n(PostgreSQL is not installed: its half is skipped)");
                    return;
                }
            }
        }
    };
    bench("PostgreSQL (loopback, fsync on)", &Location::Postgres(url), rows);
    let _ = std::fs::remove_dir_all(&dir);
}
