//! Reports of `kefu inspect`: a self-contained HTML file and an Excel workbook.

mod html;
mod stats;
mod xlsx;

use std::path::PathBuf;

use kefu_core::inspect::{Conversation, Scorecard};
use kefu_core::rulebook::Rulebook;

use stats::{Failing, Kept, Stats, MAX_KEPT};
use xlsx::Xlsx;

/// Collects what the reports need while conversations stream past, in
/// bounded memory, and writes the files at the end.
pub struct Reports {
    html: Option<PathBuf>,
    xlsx: Option<Xlsx>,
    stats: Stats,
    kept: Kept,
    seq: u64,
    /// The first error of the workbook; once set, the workbook is no longer written.
    xlsx_error: Option<String>,
}

impl Reports {
    pub fn new(html: Option<PathBuf>, xlsx: Option<PathBuf>, book: &Rulebook) -> Result<Reports, String> {
        let kept = Kept::new(if html.is_some() { MAX_KEPT } else { 0 });
        let xlsx = xlsx.map(Xlsx::new).transpose()?;
        Ok(Reports { html, xlsx, stats: Stats::new(book), kept, seq: 0, xlsx_error: None })
    }

    fn wanted(&self) -> bool {
        self.html.is_some() || self.xlsx.is_some()
    }

    /// One inspected conversation (`file`/`line`: where it was read).
    pub fn add(&mut self, file: &str, line: usize, conv: &Conversation, card: &Scorecard) {
        if !self.wanted() {
            return;
        }
        self.stats.add(conv, card);
        let seq = self.seq;
        self.seq += 1;
        if card.failed().next().is_some() && self.kept.wants(card.score, seq) {
            self.kept.push(Failing::new(seq, file, line, conv, card));
        }
        if let (Some(x), None) = (&mut self.xlsx, &self.xlsx_error) {
            let stats = &self.stats;
            if let Err(e) = x.add(file, line, conv, card, |id| stats.check_name(id).to_string()) {
                self.xlsx_error = Some(e);
            }
        }
    }

    /// One input record that could not be inspected.
    pub fn add_error(&mut self, file: &str, line: usize, message: &str) {
        if !self.wanted() {
            return;
        }
        self.stats.add_error(file, line, message);
        if let (Some(x), None) = (&mut self.xlsx, &self.xlsx_error) {
            if let Err(e) = x.add_error(file, line, message) {
                self.xlsx_error = Some(e);
            }
        }
    }

    /// Writes the requested files.
    pub fn finish(self) -> Result<(), String> {
        let generated = chrono::Utc::now().with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d %H:%M").to_string();
        if let Some(path) = &self.html {
            let failing = self.kept.into_sorted();
            let page = html::render(&self.stats, &failing, &generated);
            std::fs::write(path, page).map_err(|e| format!("无法写入 {}: {e}", path.display()))?;
        }
        if let Some(e) = self.xlsx_error {
            return Err(e);
        }
        if let Some(x) = self.xlsx {
            x.finish(&self.stats, &generated)?;
        }
        Ok(())
    }
}
