//! Loading rulebooks and calendars from disk (the core only sees text).

use std::fs;
use std::path::{Path, PathBuf};

use kefu_core::calendar::HolidayCalendar;
use kefu_core::rulebook::{embedded_files, Rulebook};
use kefu_core::Engine;

use crate::input::read_to_string;
use crate::args::Cli;

/// Every `*.toml` under `dir`, as `(path relative to dir, text)`, sorted.
pub fn read_dir_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    if !dir.is_dir() {
        return Err(format!("{} 不是一个目录", dir.display()));
    }
    let mut paths = Vec::new();
    collect(dir, &mut paths).map_err(|e| format!("无法读取目录 {}：{}", dir.display(), crate::input::io_reason(&e)))?;
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
        files.push((rel, read_to_string(&p)?));
    }
    Ok(files)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The rulebook files: from `--rules DIR`, or embedded.
pub fn rulebook_files(cli: &Cli) -> Result<Vec<(String, String)>, String> {
    match &cli.rules {
        Some(dir) => read_dir_files(dir),
        None => Ok(embedded_files()),
    }
}

/// The holiday calendar: `--calendar DIR`, else `DIR/calendar` of `--rules`, else embedded.
pub fn calendar(cli: &Cli) -> Result<HolidayCalendar, String> {
    let dir = match (&cli.calendar, &cli.rules) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(r)) if r.join("calendar").is_dir() => Some(r.join("calendar")),
        _ => None,
    };
    match dir {
        None => HolidayCalendar::try_embedded_default().map_err(|e| e.to_string()),
        Some(d) => {
            let files: Vec<(String, String)> = read_dir_files(&d)?
                .into_iter()
                .map(|(p, t)| (d.join(p).display().to_string(), t))
                .collect();
            HolidayCalendar::from_sources(&files).map_err(|e| e.to_string())
        }
    }
}

/// A rulebook from `(path, text)` pairs, errors as `file:line: [id] message` lines.
pub fn rulebook_from(files: &[(String, String)], dir: Option<&Path>) -> Result<Rulebook, String> {
    Rulebook::from_files(files).map_err(|errors| {
        errors
            .iter()
            .map(|e| match dir {
                Some(d) => format!("{}/{}", d.display(), e),
                None => e.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The engine for this invocation.
pub fn engine(cli: &Cli) -> Result<Engine, String> {
    let files = rulebook_files(cli)?;
    let book = rulebook_from(&files, cli.rules.as_deref())?;
    let cal = calendar(cli)?;
    Engine::new(book, cal).map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}
