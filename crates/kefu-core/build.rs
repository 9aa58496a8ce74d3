//! Generates two tables at build time so the core never touches the file system at run time:
//! - `t2s.rs`: a dense traditional→simplified table for the CJK blocks, taken from the
//!   `fast2s` crate's character map (one lookup per character in the hot path);
//! - `embedded_rulebook.rs`: every file of `rulebook/` as `(relative path, include_str!)`.
use std::{env, fs, path::Path, path::PathBuf};

const CJK_START: u32 = 0x3400;
const CJK_END: u32 = 0x9FFF;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write_t2s(&out.join("t2s.rs"));
    let rulebook = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../../rulebook");
    write_embedded(&rulebook, &out.join("embedded_rulebook.rs"));
}

fn write_t2s(dest: &Path) {
    // Most characters of real text have no traditional form to fold, so the
    // hot path checks a 3.4 KB bitmap (it stays in L1) and only the rare
    // traditional characters look up their simplified form.
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for cp in (CJK_START..=CJK_END).chain(0xF900..=0xFAFF) {
        if let Some(c) = char::from_u32(cp) {
            if let Some(m) = single_char(&fast2s::convert(&c.to_string())).filter(|m| *m != c) {
                pairs.push((cp, m as u32));
            }
        }
    }
    let words = ((CJK_END - CJK_START) / 64 + 1) as usize;
    let mut bitmap = vec![0u64; words];
    for &(cp, _) in pairs.iter().filter(|(cp, _)| *cp <= CJK_END) {
        let bit = (cp - CJK_START) as usize;
        bitmap[bit / 64] |= 1 << (bit % 64);
    }
    let mut code = String::new();
    code.push_str(&format!("pub(crate) const T2S_START: u32 = {CJK_START:#x};\n"));
    code.push_str(&format!("pub(crate) const T2S_END: u32 = {CJK_END:#x};\n"));
    code.push_str(&format!("pub(crate) static T2S_BITMAP: [u64; {words}] = {bitmap:?};\n"));
    code.push_str(&format!("pub(crate) static T2S_PAIRS: [(u32, u32); {}] = {pairs:?};\n", pairs.len()));
    fs::write(dest, code).expect("write t2s table");
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

fn write_embedded(root: &Path, dest: &Path) {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(root, root, &mut files);
    files.sort();
    let mut code = String::from("pub static EMBEDDED_RULEBOOK: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        code.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", abs.display().to_string()));
    }
    code.push_str("];\n");
    fs::write(dest, code).expect("write embedded rulebook");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            let rel = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            out.push((rel, fs::canonicalize(&path).unwrap_or(path)));
        }
    }
}
