//! Reports of `kefu inspect`: a self-contained HTML file and an Excel workbook.
//! (Interface fixed by the inspect command; implementation in progress.)

use std::path::PathBuf;

use kefu_core::inspect::{Conversation, Scorecard};
use kefu_core::rulebook::Rulebook;

/// Collects what the reports need while conversations stream past, in
/// bounded memory, and writes the files at the end.
pub struct Reports {
    _html: Option<PathBuf>,
    _xlsx: Option<PathBuf>,
}

impl Reports {
    pub fn new(html: Option<PathBuf>, xlsx: Option<PathBuf>, _book: &Rulebook) -> Result<Reports, String> {
        Ok(Reports { _html: html, _xlsx: xlsx })
    }

    /// One inspected conversation (`file`/`line`: where it was read).
    pub fn add(&mut self, _file: &str, _line: usize, _conv: &Conversation, _card: &Scorecard) {}

    /// One input record that could not be inspected.
    pub fn add_error(&mut self, _file: &str, _line: usize, _message: &str) {}

    /// Writes the requested files.
    pub fn finish(self) -> Result<(), String> {
        Ok(())
    }
}
