//! The Excel workbook: the report's tables for people who live in Excel.
//!
//! Sheets in tab order: 总览 (totals), 检查项 (failures by check, with a
//! chart), 坐席 (every agent), 得分分布 (score histogram), then the row-level
//! sheets 会话 (every conversation), 不通过明细 (every failed check with its
//! evidence) and 错误 (every record that could not be read). The row-level
//! sheets are written in constant-memory mode as conversations stream past,
//! so the workbook of a million conversations needs no more memory than one
//! of ten; the summary sheets are filled at the end.

use std::path::PathBuf;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use kefu_core::calendar::SHANGHAI;
use kefu_core::inspect::{Channel, Conversation, Outcome, Scorecard};
use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::stats::{bucket_label, clip, Stats};

const SUMMARY: usize = 0;
const CHECKS: usize = 1;
const AGENTS: usize = 2;
const DISTRIBUTION: usize = 3;
const CONVERSATIONS: usize = 4;
const FAILURES: usize = 5;
const ERRORS: usize = 6;

/// Excel's limit on the rows of one sheet (the header row included).
const MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on the characters of one cell.
const CELL_CHARS: usize = 32_000;

/// A row-level sheet being streamed: its next row, and rows that did not fit.
struct Stream {
    sheet: usize,
    next: u32,
    overflow: u64,
}

impl Stream {
    fn new(sheet: usize) -> Stream {
        Stream { sheet, next: 1, overflow: 0 }
    }

    /// The row to write next, or `None` (counted) once the sheet is full.
    fn row(&mut self) -> Option<u32> {
        if self.next >= MAX_ROWS {
            self.overflow += 1;
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }
}

pub struct Xlsx {
    path: PathBuf,
    book: Workbook,
    bold: Format,
    datetime: Format,
    conversations: Stream,
    failures: Stream,
    errors: Stream,
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Phone => "电话",
        Channel::Chat => "在线",
    }
}

/// The number format of date-and-time cells.
const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm";

/// A wall-clock time as an Excel date-time (whole seconds).
fn excel_local(t: NaiveDateTime) -> Option<ExcelDateTime> {
    let year = u16::try_from(t.year()).ok()?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8).ok()?.and_hms(t.hour() as u16, t.minute() as u8, t.second()).ok()
}

/// An RFC 3339 time as an Excel date-time: Excel cells have no time zone,
/// so the moment is written as the wall clock of Asia/Shanghai.
fn excel_moment(text: &str) -> Option<ExcelDateTime> {
    excel_local(DateTime::parse_from_rfc3339(text.trim()).ok()?.with_timezone(&SHANGHAI).naive_local())
}

fn cell(s: &str) -> String {
    clip(s, CELL_CHARS)
}

fn header(sheet: &mut Worksheet, bold: &Format, columns: &[(&str, f64)]) -> Result<(), XlsxError> {
    for (i, (name, width)) in columns.iter().enumerate() {
        let col = i as u16;
        sheet.write_string_with_format(0, col, *name, bold)?;
        sheet.set_column_width(col, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn err(e: XlsxError) -> String {
    format!("写 Excel 工作簿时出错: {e}")
}

impl Xlsx {
    pub fn new(path: PathBuf) -> Result<Xlsx, String> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold().set_background_color("#EEF2F7").set_align(FormatAlign::Center);
        for name in ["总览", "检查项", "坐席", "得分分布"] {
            book.add_worksheet().set_name(name).map_err(err)?;
        }
        let row_sheets: [(&str, &[(&str, f64)]); 3] = [
            (
                "会话",
                &[
                    ("会话 ID", 22.0),
                    ("文件", 28.0),
                    ("行号", 7.0),
                    ("坐席", 12.0),
                    ("坐席姓名", 10.0),
                    ("渠道", 6.0),
                    ("开始时间", 26.0),
                    ("振铃次数", 9.0),
                    ("轮次", 6.0),
                    ("得分", 6.0),
                    ("一票否决", 9.0),
                    ("不通过项数", 10.0),
                    ("不通过项", 60.0),
                ],
            ),
            (
                "不通过明细",
                &[
                    ("会话 ID", 22.0),
                    ("坐席", 12.0),
                    ("检查项", 28.0),
                    ("检查项名称", 22.0),
                    ("分值", 6.0),
                    ("一票否决项", 10.0),
                    ("轮次", 6.0),
                    ("起", 6.0),
                    ("止", 6.0),
                    ("原文", 40.0),
                    ("说明", 50.0),
                ],
            ),
            ("错误", &[("文件", 40.0), ("行号", 7.0), ("原因", 80.0)]),
        ];
        for (name, columns) in row_sheets {
            let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
            sheet.set_name(name).map_err(err)?;
            header(sheet, &bold, columns).map_err(err)?;
        }
        Ok(Xlsx {
            path,
            book,
            bold,
            datetime: Format::new().set_num_format(DATETIME_FORMAT),
            conversations: Stream::new(CONVERSATIONS),
            failures: Stream::new(FAILURES),
            errors: Stream::new(ERRORS),
        })
    }

    fn sheet(book: &mut Workbook, index: usize) -> Result<&mut Worksheet, String> {
        book.worksheet_from_index(index).map_err(err)
    }

    pub fn add(&mut self, file: &str, line: usize, conv: &Conversation, card: &Scorecard, check_name: impl Fn(&str) -> String) -> Result<(), String> {
        let failed: Vec<&str> = card.failed().map(|c| c.id.as_str()).collect();
        if let Some(row) = self.conversations.row() {
            let datetime = &self.datetime;
            let s = Self::sheet(&mut self.book, self.conversations.sheet)?;
            (|| -> Result<(), XlsxError> {
                s.write_string(row, 0, cell(&card.id))?;
                s.write_string(row, 1, cell(file))?;
                s.write_number(row, 2, line as f64)?;
                s.write_string(row, 3, cell(&card.agent))?;
                s.write_string(row, 4, cell(&conv.agent.name))?;
                s.write_string(row, 5, channel_name(card.channel))?;
                if let Some(t) = &card.started_at {
                    match excel_moment(t) {
                        Some(at) => s.write_datetime_with_format(row, 6, at, datetime)?,
                        None => s.write_string(row, 6, cell(t))?,
                    };
                }
                if let Some(r) = conv.rings {
                    s.write_number(row, 7, f64::from(r))?;
                }
                s.write_number(row, 8, conv.turns.len() as f64)?;
                s.write_number(row, 9, f64::from(card.score))?;
                s.write_string(row, 10, if card.vetoed { "是" } else { "" })?;
                s.write_number(row, 11, failed.len() as f64)?;
                s.write_string(row, 12, cell(&failed.join("、")))?;
                Ok(())
            })()
            .map_err(err)?;
        }
        for check in card.checks.iter().filter(|c| c.result == Outcome::Fail) {
            let name = check_name(&check.id);
            // A failed check without evidence still gets its row.
            let evidence: Vec<Option<&kefu_core::inspect::Evidence>> =
                if check.evidence.is_empty() { vec![None] } else { check.evidence.iter().map(Some).collect() };
            for e in evidence {
                let Some(row) = self.failures.row() else { continue };
                let s = Self::sheet(&mut self.book, self.failures.sheet)?;
                (|| -> Result<(), XlsxError> {
                    s.write_string(row, 0, cell(&card.id))?;
                    s.write_string(row, 1, cell(&card.agent))?;
                    s.write_string(row, 2, cell(&check.id))?;
                    s.write_string(row, 3, cell(&name))?;
                    s.write_number(row, 4, f64::from(check.points))?;
                    s.write_string(row, 5, if check.veto { "是" } else { "" })?;
                    if let Some(e) = e {
                        s.write_number(row, 6, e.turn as f64 + 1.0)?;
                        s.write_number(row, 7, e.start as f64)?;
                        s.write_number(row, 8, e.end as f64)?;
                        s.write_string(row, 9, cell(&e.text))?;
                        s.write_string(row, 10, cell(&e.note))?;
                    }
                    Ok(())
                })()
                .map_err(err)?;
            }
        }
        Ok(())
    }

    pub fn add_error(&mut self, file: &str, line: usize, message: &str) -> Result<(), String> {
        let Some(row) = self.errors.row() else { return Ok(()) };
        let s = Self::sheet(&mut self.book, self.errors.sheet)?;
        (|| -> Result<(), XlsxError> {
            s.write_string(row, 0, cell(file))?;
            s.write_number(row, 1, line as f64)?;
            s.write_string(row, 2, cell(message))?;
            Ok(())
        })()
        .map_err(err)
    }

    pub fn finish(mut self, stats: &Stats, generated: &str) -> Result<(), String> {
        let bold = self.bold.clone();
        let datetime = self.datetime.clone().set_align(FormatAlign::Left);
        let percent = Format::new().set_num_format("0.0%");
        let decimal = Format::new().set_num_format("0.0");
        let overflow = [("会话", &self.conversations), ("不通过明细", &self.failures), ("错误", &self.errors)]
            .iter()
            .filter(|(_, s)| s.overflow > 0)
            .map(|(name, s)| format!("“{name}”表超出 Excel 行数上限，另有 {} 行未写入", s.overflow))
            .collect::<Vec<_>>();

        let s = Self::sheet(&mut self.book, SUMMARY)?;
        (|| -> Result<(), XlsxError> {
            s.set_column_width(0, 18.0)?;
            s.set_column_width(1, 40.0)?;
            s.write_string_with_format(0, 0, "项目", &bold)?;
            s.write_string_with_format(0, 1, "数值", &bold)?;
            let texts = [("规则库", stats.rulebook.as_str()), ("评分表", stats.scorecard.as_str())];
            let mut row = 1;
            for (k, v) in texts {
                s.write_string(row, 0, k)?;
                s.write_string(row, 1, v)?;
                row += 1;
            }
            s.write_string(row, 0, "生成时间")?;
            // `generated` is the wall clock of Asia/Shanghai.
            match NaiveDateTime::parse_from_str(generated, "%Y-%m-%d %H:%M").ok().and_then(excel_local) {
                Some(at) => s.write_datetime_with_format(row, 1, at, &datetime)?,
                None => s.write_string(row, 1, generated)?,
            };
            row += 1;
            let counts = [
                ("会话数", stats.conversations),
                ("电话", stats.phone),
                ("在线", stats.chat),
                ("全部通过", stats.passed),
                ("有不通过项", stats.failing),
                ("一票否决", stats.vetoed),
                ("无法读取的记录", stats.errors),
            ];
            for (k, v) in counts {
                s.write_string(row, 0, k)?;
                s.write_number(row, 1, v as f64)?;
                row += 1;
            }
            s.write_string(row, 0, "平均分")?;
            s.write_number_with_format(row, 1, stats.mean_score(), &decimal)?;
            row += 1;
            s.write_string(row, 0, "合格率")?;
            s.write_number_with_format(row, 1, stats.pass_rate(), &percent)?;
            row += 1;
            for note in &overflow {
                s.write_string(row, 0, "注意")?;
                s.write_string(row, 1, note)?;
                row += 1;
            }
            Ok(())
        })()
        .map_err(err)?;

        let checks = stats.checks_by_failures();
        let s = Self::sheet(&mut self.book, CHECKS)?;
        (|| -> Result<(), XlsxError> {
            header(
                s,
                &bold,
                &[("检查项", 30.0), ("名称", 24.0), ("分值", 6.0), ("一票否决", 9.0), ("启用", 6.0), ("适用会话", 10.0), ("不通过", 8.0), ("不通过率", 10.0)],
            )?;
            for (i, c) in checks.iter().enumerate() {
                let row = i as u32 + 1;
                s.write_string(row, 0, cell(&c.id))?;
                s.write_string(row, 1, cell(&c.name))?;
                s.write_number(row, 2, f64::from(c.points))?;
                s.write_string(row, 3, if c.veto { "是" } else { "" })?;
                s.write_string(row, 4, if c.enabled { "是" } else { "否" })?;
                s.write_number(row, 5, c.applicable as f64)?;
                s.write_number(row, 6, c.failed as f64)?;
                s.write_number_with_format(row, 7, c.fail_rate(), &percent)?;
            }
            if !checks.is_empty() {
                let last = checks.len() as u32;
                let mut chart = Chart::new(ChartType::Bar);
                chart.title().set_name("各检查项不通过次数");
                chart.legend().set_hidden();
                chart.add_series().set_categories(("检查项", 1, 0, last, 0)).set_values(("检查项", 1, 6, last, 6)).set_name("不通过");
                chart.y_axis().set_reverse();
                s.insert_chart(1, 9, &chart)?;
            }
            Ok(())
        })()
        .map_err(err)?;

        let agents = stats.agents_by_score();
        let s = Self::sheet(&mut self.book, AGENTS)?;
        (|| -> Result<(), XlsxError> {
            header(s, &bold, &[("坐席", 14.0), ("姓名", 10.0), ("会话数", 8.0), ("平均分", 8.0), ("不合格会话", 10.0), ("不通过项", 9.0), ("一票否决", 9.0)])?;
            for (i, a) in agents.iter().enumerate() {
                let row = i as u32 + 1;
                s.write_string(row, 0, cell(&a.id))?;
                s.write_string(row, 1, cell(&a.name))?;
                s.write_number(row, 2, a.conversations as f64)?;
                s.write_number_with_format(row, 3, a.mean(), &decimal)?;
                s.write_number(row, 4, a.failing as f64)?;
                s.write_number(row, 5, a.failed_checks as f64)?;
                s.write_number(row, 6, a.vetoed as f64)?;
            }
            Ok(())
        })()
        .map_err(err)?;

        let s = Self::sheet(&mut self.book, DISTRIBUTION)?;
        (|| -> Result<(), XlsxError> {
            header(s, &bold, &[("得分", 10.0), ("会话数", 10.0), ("占比", 10.0)])?;
            for (i, &n) in stats.buckets.iter().enumerate() {
                let row = i as u32 + 1;
                s.write_string(row, 0, bucket_label(i))?;
                s.write_number(row, 1, n as f64)?;
                let share = if stats.conversations == 0 { 0.0 } else { n as f64 / stats.conversations as f64 };
                s.write_number_with_format(row, 2, share, &percent)?;
            }
            let mut chart = Chart::new(ChartType::Column);
            chart.title().set_name("得分分布");
            chart.legend().set_hidden();
            chart.add_series().set_categories(("得分分布", 1, 0, 11, 0)).set_values(("得分分布", 1, 1, 11, 1)).set_name("会话数");
            s.insert_chart(1, 4, &chart)?;
            Ok(())
        })()
        .map_err(err)?;

        self.book.save(&self.path).map_err(|e| format!("无法写入 {}: {e}", self.path.display()))
    }
}
