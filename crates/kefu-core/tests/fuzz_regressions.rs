//! Replays every input under `fuzz/regressions/<target>/` (crashes found by
//! fuzzing, kept once fixed) and the seed corpora `fuzz/corpus/<target>/seed-*`
//! through the same code as the fuzz targets (`fuzz/entry_points.rs`), so that
//! `cargo test` fails if any of them panics again. See
//! `fuzz/regressions/README.md`.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/entry_points.rs"]
mod entry_points;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of one directory (not hidden ones), sorted; none if it does not exist.
fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.') && keep(n)))
        .collect();
    out.sort();
    out
}

fn target(name: &str) -> Option<entry_points::Target> {
    entry_points::TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Runs each file through its target, returning those that panicked.
fn replay(inputs: &[(String, PathBuf)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, path) in inputs {
        let run = target(name).expect("a known target");
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failed.push(format!("{name}: {}", path.display()));
        }
    }
    failed
}

#[test]
fn regressions_do_not_crash() {
    let root = fuzz_dir().join("regressions");
    let mut inputs = Vec::new();
    let mut unknown = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if target(&name).is_none() {
                unknown.push(name);
                continue;
            }
            inputs.extend(files(&path, |_| true).into_iter().map(|p| (name.clone(), p)));
        }
    }
    assert!(unknown.is_empty(), "fuzz/regressions/ has directories that name no fuzz target: {unknown:?}");
    let failed = replay(&inputs);
    assert!(failed.is_empty(), "{} of {} regression inputs crash again:\n{}", failed.len(), inputs.len(), failed.join("\n"));
}

#[test]
fn seed_corpora_do_not_crash() {
    let root = fuzz_dir().join("corpus");
    let mut inputs = Vec::new();
    for (name, _) in entry_points::TARGETS {
        let seeds = files(&root.join(name), |n| n.starts_with("seed-"));
        assert!(!seeds.is_empty(), "fuzz/corpus/{name}/ has no seed-* file");
        inputs.extend(seeds.into_iter().map(|p| (name.to_string(), p)));
    }
    let failed = replay(&inputs);
    assert!(failed.is_empty(), "seed inputs crash:\n{}", failed.join("\n"));
}

/// Every target takes any bytes: empty, short, and the seeds cut short.
#[test]
fn targets_take_any_bytes() {
    for (name, run) in entry_points::TARGETS {
        for data in [&b""[..], b"\0", b"\xff", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", b"{}", b"[]", b"{\"turns\":[]}"] {
            let ok = std::panic::catch_unwind(|| run(data)).is_ok();
            assert!(ok, "{name} panicked on {data:?}");
        }
        for seed in files(&fuzz_dir().join("corpus").join(name), |n| n.starts_with("seed-")) {
            let bytes = std::fs::read(&seed).expect("read seed");
            for cut in [1, 2, 3, 8, 34, 144] {
                let data = &bytes[..cut.min(bytes.len())];
                let ok = std::panic::catch_unwind(|| run(data)).is_ok();
                assert!(ok, "{name} panicked on the first {cut} bytes of {}", seed.display());
            }
        }
    }
}
