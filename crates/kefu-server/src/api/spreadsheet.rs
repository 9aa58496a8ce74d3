//! Transcripts uploaded as a spreadsheet (.xlsx): the first sheet, one row
//! per turn, read with calamine into text cells and turned into
//! conversations by `kefu_core::table_import` (its doc has the columns).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::ApiError;

/// Media type of .xlsx workbooks.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The conversations of a workbook, each with the row it starts on; a
/// conversation with a bad row is that item's error, naming the row.
pub fn transcripts(bytes: &[u8]) -> Result<Vec<kefu_core::table_import::TableItem>, ApiError> {
    let unreadable = || ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_spreadsheet", "无法读取这个 Excel 文件（应为 .xlsx 工作簿；旧的 .xls 请另存为 .xlsx）");
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = book.worksheet_range_at(0).ok_or_else(|| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_spreadsheet", "Excel 文件里没有工作表"))?.map_err(|_| unreadable())?;
    // Rows above and columns left of the used range are empty: kept so row
    // numbers are the sheet's.
    let (top, left) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); top];
    rows.extend(range.rows().map(|r| std::iter::repeat_n(String::new(), left).chain(r.iter().map(cell_text)).collect()));
    kefu_core::table_import::conversations(&rows).map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_spreadsheet", e))
}

/// A cell as the text a person sees: whole numbers without ".0", dates and
/// times as `2026-11-22 11:48:00`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_datetime().map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| d.as_f64().to_string()),
        Data::Error(e) => format!("#{e:?}"),
    }
}
