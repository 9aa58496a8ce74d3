//! Reading inputs line by line without losing any: every line is either
//! text or an error record naming the line and what is wrong.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// One input line.
pub enum Line {
    Text(String),
    /// The line's bytes are not UTF-8: `valid_up_to` is the byte offset of the first bad byte.
    NotUtf8 { valid_up_to: usize },
}

/// Opens FILE, or standard input for `-` / no file.
pub fn open(path: Option<&Path>) -> Result<Box<dyn BufRead>, String> {
    match path {
        None => Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin()))),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin()))),
        Some(p) => {
            if p.is_dir() {
                return Err(format!("{} 是一个目录，请给出文件", p.display()));
            }
            File::open(p)
                .map(|f| Box::new(BufReader::with_capacity(1 << 16, f)) as Box<dyn BufRead>)
                .map_err(|e| format!("无法打开 {}: {}", p.display(), io_reason(&e)))
        }
    }
}

pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "文件不存在".into(),
        io::ErrorKind::PermissionDenied => "没有读取权限".into(),
        _ => e.to_string(),
    }
}

/// Calls `each(line_number, line)` for every line (1-based). A trailing
/// newline does not make an extra empty line; `\r\n` is accepted.
pub fn for_each_line(mut reader: impl BufRead, mut each: impl FnMut(usize, Line) -> io::Result<()>) -> Result<(), String> {
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0usize;
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| format!("读取第 {} 行时出错: {}", n + 1, io_reason(&e)))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        let line = match String::from_utf8(std::mem::take(&mut buf)) {
            Ok(s) => Line::Text(s),
            Err(e) => {
                let valid_up_to = e.utf8_error().valid_up_to();
                buf = e.into_bytes();
                Line::NotUtf8 { valid_up_to }
            }
        };
        if let Err(e) = each(n, line) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(format!("写出结果时出错: {e}"));
        }
    }
}

/// Reads a whole file as UTF-8 (for rulebook files and JSONL evaluations).
pub fn read_to_string(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("无法读取 {}: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!("{} 不是有效的 UTF-8 文本（第 {} 字节起）", path.display(), e.utf8_error().valid_up_to())
    })
}
