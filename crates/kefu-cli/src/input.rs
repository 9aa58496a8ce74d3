//! Reading inputs line by line without losing any: every line is either
//! text or an error record naming the line and what is wrong.
//!
//! Files as centres have them: a UTF-8 byte-order mark at the start is
//! dropped (it would shift every offset of the first line), and a file that
//! is not UTF-8 but reads cleanly as GB18030 (GBK, what Windows and Excel
//! write for Chinese) is decoded as such, and the reader is told so.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// One input line.
pub enum Line {
    Text(String),
    /// The line could not be decoded: why, in Chinese, naming the line.
    Undecodable(String),
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

/// An I/O error in Chinese: the kinds a user meets by name, the rest by the
/// system's error number (never the system's English text).
pub fn io_reason(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let reason = match e.kind() {
        K::NotFound => "文件不存在",
        K::PermissionDenied => "没有权限",
        K::AlreadyExists => "文件已存在",
        K::IsADirectory => "这是一个目录",
        K::NotADirectory => "路径中有一段不是目录",
        K::InvalidData => "内容不是 UTF-8 文本",
        K::StorageFull => "磁盘已满",
        K::ReadOnlyFilesystem => "文件系统只读",
        K::BrokenPipe => "输出已被关闭",
        K::AddrInUse => "地址已被占用（可能已有服务在运行）",
        K::AddrNotAvailable => "本机没有这个地址",
        K::UnexpectedEof => "内容提前结束",
        K::TimedOut => "超时",
        K::OutOfMemory => "内存不足",
        _ => "",
    };
    match (reason, e.raw_os_error()) {
        ("", Some(code)) => format!("系统错误（代码 {code}）"),
        ("", None) => "读写出错".to_string(),
        (reason, _) => reason.to_string(),
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What to do about a file that is not UTF-8.
pub const ENCODING_FIX: &str = "请把文件另存为 UTF-8（Excel：另存为“CSV UTF-8”；记事本：另存为时编码选“UTF-8”），或用 iconv -f GB18030 -t UTF-8 转换";

/// The encoding a file turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only ASCII so far: either.
    Unknown,
    Utf8,
    Gb18030,
}

/// Decodes the lines of one file: UTF-8 unless the file is not, and reads
/// cleanly as GB18030. The decision is made on the first line that is not
/// plain ASCII: a file whose Chinese is UTF-8 stays UTF-8, so a damaged
/// line later is an error, not mojibake.
pub struct Decoder {
    mode: Mode,
    first: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder { mode: Mode::Unknown, first: true }
    }
}

/// Decoded text, or why not; `switched` when this line showed the file to be GB18030.
pub struct Decoded {
    pub text: Result<String, String>,
    pub switched_to_gb18030: bool,
}

/// The message to show when a file is read as GB18030.
pub fn gb18030_note(origin: &str) -> String {
    format!("kefu: {origin}: 不是 UTF-8 编码，已按 GB18030（GBK）解码")
}

/// GB18030 text that is plausibly text: decoded without errors, without
/// control characters or private-use code points (what random bytes decode
/// to), and with at least one Chinese character.
fn gb18030(bytes: &[u8]) -> Option<String> {
    let text = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)?;
    let plausible = !text.chars().any(|c| (c.is_control() && !matches!(c, '\t' | '\r' | '\n')) || ('\u{E000}'..='\u{F8FF}').contains(&c))
        && text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3000}'..='\u{303F}').contains(&c) || ('\u{FF00}'..='\u{FFEF}').contains(&c));
    plausible.then(|| text.into_owned())
}

impl Decoder {
    /// One line's bytes (without its line break) as text. `n` is the line number, for messages.
    pub fn line(&mut self, bytes: Vec<u8>, n: usize) -> Decoded {
        self.decode(bytes, Some(n))
    }

    /// A whole file read at once.
    pub fn whole(&mut self, bytes: Vec<u8>) -> Decoded {
        self.decode(bytes, None)
    }

    fn decode(&mut self, mut bytes: Vec<u8>, line: Option<usize>) -> Decoded {
        let (what, within) = match line {
            Some(n) => (format!("第 {n} 行"), "该行"),
            None => ("文件".to_string(), "文件"),
        };
        let failed = |message: String| Decoded { text: Err(message), switched_to_gb18030: false };
        if std::mem::take(&mut self.first) {
            if bytes.starts_with(UTF8_BOM) {
                bytes.drain(..UTF8_BOM.len());
                self.mode = Mode::Utf8;
            } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                return failed(format!("{what}：文件是 UTF-16 编码（Excel 的“Unicode 文本”），无法读取；请另存为 UTF-8（Excel：另存为“CSV UTF-8”）"));
            }
        }
        if self.mode == Mode::Gb18030 {
            if let Some(text) = gb18030(&bytes).or_else(|| bytes.is_ascii().then(|| String::from_utf8_lossy(&bytes).into_owned())) {
                return Decoded { text: Ok(text), switched_to_gb18030: false };
            }
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                if self.mode == Mode::Unknown && !text.is_ascii() {
                    self.mode = Mode::Utf8;
                }
                Decoded { text: Ok(text), switched_to_gb18030: false }
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to() + 1;
                let bytes = e.into_bytes();
                if self.mode == Mode::Unknown {
                    if let Some(text) = gb18030(&bytes) {
                        self.mode = Mode::Gb18030;
                        return Decoded { text: Ok(text), switched_to_gb18030: true };
                    }
                }
                failed(match self.mode {
                    Mode::Gb18030 => format!("{what}不是有效的 GB18030 文本（文件按 GB18030 解码），也不是 UTF-8（{within}第 {at} 字节起）；{ENCODING_FIX}"),
                    Mode::Utf8 => format!("{what}不是有效的 UTF-8 文本（{within}第 {at} 字节起；文件其余部分是 UTF-8，此处可能已损坏）"),
                    Mode::Unknown => format!("{what}不是有效的 UTF-8 文本（{within}第 {at} 字节起），也不是 GB18030/GBK；{ENCODING_FIX}"),
                })
            }
        }
    }
}

/// Calls `each(line_number, line)` for every line (1-based). A trailing
/// newline does not make an extra empty line; `\r\n` is accepted. `origin`
/// names the input in the note said when it turns out to be GB18030.
pub fn for_each_line(mut reader: impl BufRead, origin: &str, mut each: impl FnMut(usize, Line) -> io::Result<()>) -> Result<(), String> {
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0usize;
    let mut decoder = Decoder::default();
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
        let decoded = decoder.line(std::mem::take(&mut buf), n);
        if decoded.switched_to_gb18030 {
            eprintln!("{}", gb18030_note(origin));
        }
        let line = match decoded.text {
            Ok(s) => Line::Text(s),
            Err(message) => Line::Undecodable(message),
        };
        if let Err(e) = each(n, line) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(format!("写出结果时出错：{}", io_reason(&e)));
        }
    }
}

/// Reads a whole file as text (rulebook files, JSONL evaluations): UTF-8,
/// its BOM dropped, or GB18030 (said on stderr), or an error naming the
/// encoding problem and the fix.
pub fn read_to_string(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("无法读取 {}: {}", path.display(), io_reason(&e)))?;
    let decoded = Decoder::default().whole(bytes);
    if decoded.switched_to_gb18030 {
        eprintln!("{}", gb18030_note(&path.display().to_string()));
    }
    decoded.text.map_err(|e| format!("{}: {e}", path.display()))
}
