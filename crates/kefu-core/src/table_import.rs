//! Transcripts from a table (a spreadsheet exported by a call centre's
//! system): one row per turn, the rows of one conversation together, a
//! header row (title rows above it are skipped) naming the columns in
//! Chinese or by the JSON field. Each
//! conversation becomes the contract JSON of `kefu inspect`, with the row it
//! starts on; a row that cannot be read is an error naming its row, and the
//! other conversations go on.
//!
//! | column | header (any of) | required |
//! |---|---|---|
//! | conversation id | 会话编号, 会话ID, id, conversation_id | yes |
//! | channel | 渠道, channel (电话/phone, 在线/chat) | yes |
//! | start time | 开始时间, started_at | no |
//! | agent id | 坐席编号, 坐席ID, agent_id | no |
//! | agent number | 工号, work_no | no |
//! | agent name | 坐席姓名, agent_name | no |
//! | rings | 响铃次数, rings | no |
//! | speaker | 说话人, 角色, speaker (坐席/agent, 客户/customer) | yes |
//! | turn start (s) | 开始秒, start | yes |
//! | turn end (s) | 结束秒, end | no |
//! | text | 内容, 文本, text | yes |
//!
//! Conversation-level columns are read from the first row of each
//! conversation (later rows may leave them empty).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

/// The columns, each with the headers that name it.
const COLUMNS: [(&str, &[&str]); 11] = [
    ("id", &["会话编号", "会话id", "会话ID", "id", "conversation_id"]),
    ("channel", &["渠道", "channel"]),
    ("started_at", &["开始时间", "started_at"]),
    ("agent_id", &["坐席编号", "坐席id", "坐席ID", "agent_id"]),
    ("work_no", &["工号", "work_no"]),
    ("agent_name", &["坐席姓名", "agent_name"]),
    ("rings", &["响铃次数", "rings"]),
    ("speaker", &["说话人", "角色", "speaker"]),
    ("start", &["开始秒", "开始（秒）", "start"]),
    ("end", &["结束秒", "结束（秒）", "end"]),
    ("text", &["内容", "文本", "text"]),
];
const REQUIRED: [&str; 5] = ["id", "channel", "speaker", "start", "text"];

/// The column a header cell names.
fn column_of(cell: &str) -> Option<&'static str> {
    let cell = cell.trim();
    COLUMNS.iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(cell))).map(|(key, _)| *key)
}

/// The Chinese header of a column, for messages.
fn header_of(key: &str) -> &'static str {
    COLUMNS.iter().find(|(k, _)| *k == key).map_or("", |(_, names)| names[0])
}

/// One conversation read from the table: its first row (1-based, the
/// header being row 1) and its JSON, or why it cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct TableItem {
    pub row: usize,
    pub conversation: Result<Value, String>,
}

/// The conversations of a table whose first row is the header. An error of
/// the whole table (no header, a required column missing) is `Err`.
pub fn conversations(rows: &[Vec<String>]) -> Result<Vec<TableItem>, String> {
    // The header is the first row naming two or more known columns (an
    // export's title rows above it are skipped), else the first row that is
    // not empty; rows above it are counted, so row numbers are the sheet's.
    let known = |r: &Vec<String>| r.iter().filter(|c| column_of(c).is_some()).count();
    let Some(header_at) = rows.iter().take(20).position(|r| known(r) >= 2).or_else(|| rows.iter().position(|r| r.iter().any(|c| !c.trim().is_empty()))) else {
        return Err("表格是空的：应有一行表头，其下每行一轮对话".into());
    };
    let header = &rows[header_at];
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, cell) in header.iter().enumerate() {
        if let Some(key) = column_of(cell) {
            index.entry(key).or_insert(i);
        }
    }
    let missing: Vec<&str> = REQUIRED.iter().filter(|k| !index.contains_key(**k)).map(|k| header_of(k)).collect();
    if !missing.is_empty() {
        return Err(format!("表头（第 {} 行）缺少必需的列：{}（列名见说明）", header_at + 1, missing.join("、")));
    }
    let cell = |row: &[String], key: &str| index.get(key).and_then(|&i| row.get(i)).map(|s| s.trim().to_string()).unwrap_or_default();

    let mut items: Vec<TableItem> = Vec::new();
    // The conversation being read: its id, first row, and its JSON so far
    // (or the first error among its rows).
    let mut current: Option<(String, TableItem)> = None;
    for (n, row) in rows.iter().enumerate().skip(header_at + 1) {
        let row_no = n + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let id = cell(row, "id");
        let same = current.as_ref().is_some_and(|(cur, _)| id.is_empty() || *cur == id);
        if !same {
            items.extend(current.take().map(|(_, item)| item));
            if id.is_empty() {
                items.push(TableItem { row: row_no, conversation: Err(format!("第 {row_no} 行缺少会话编号")) });
                continue;
            }
            current = Some((id, TableItem { row: row_no, conversation: start_conversation(row, &cell, row_no) }));
        }
        if let Some((_, item)) = current.as_mut() {
            if let Ok(value) = &mut item.conversation {
                match turn(row, &cell, row_no) {
                    Ok(t) => {
                        if let Some(turns) = value["turns"].as_array_mut() {
                            turns.push(t);
                        }
                    }
                    Err(e) => item.conversation = Err(e),
                }
            }
        }
    }
    items.extend(current.map(|(_, item)| item));
    Ok(items)
}

fn start_conversation(row: &[String], cell: &impl Fn(&[String], &str) -> String, row_no: usize) -> Result<Value, String> {
    let channel = match cell(row, "channel").as_str() {
        "电话" | "phone" | "语音" => "phone",
        "在线" | "chat" | "文字" | "在线会话" => "chat",
        "" => return Err(format!("第 {row_no} 行缺少渠道（电话或在线）")),
        other => return Err(format!("第 {row_no} 行的渠道“{other}”应为 电话 或 在线")),
    };
    let mut conv = json!({ "id": cell(row, "id"), "channel": channel, "turns": [] });
    let started = cell(row, "started_at");
    if !started.is_empty() {
        conv["started_at"] = json!(started);
    }
    let mut agent = Map::new();
    for (key, field) in [("agent_id", "id"), ("work_no", "work_no"), ("agent_name", "name")] {
        let v = cell(row, key);
        if !v.is_empty() {
            agent.insert(field.into(), json!(v));
        }
    }
    if !agent.is_empty() {
        conv["agent"] = Value::Object(agent);
    }
    let rings = cell(row, "rings");
    if !rings.is_empty() {
        let n = number(&rings).filter(|n| *n >= 0.0 && n.fract() == 0.0).ok_or_else(|| format!("第 {row_no} 行的响铃次数“{rings}”应为整数"))?;
        conv["rings"] = json!(n as u64);
    }
    Ok(conv)
}

fn turn(row: &[String], cell: &impl Fn(&[String], &str) -> String, row_no: usize) -> Result<Value, String> {
    let speaker = match cell(row, "speaker").as_str() {
        "坐席" | "客服" | "agent" => "agent",
        "客户" | "用户" | "customer" => "customer",
        "" => return Err(format!("第 {row_no} 行缺少说话人（坐席或客户）")),
        other => return Err(format!("第 {row_no} 行的说话人“{other}”应为 坐席 或 客户")),
    };
    let seconds = |key: &str| -> Result<Option<f64>, String> {
        let v = cell(row, key);
        if v.is_empty() {
            return Ok(None);
        }
        number(&v).filter(|n| n.is_finite() && *n >= 0.0).map(Some).ok_or_else(|| format!("第 {row_no} 行的{}“{v}”应为不小于 0 的秒数", header_of(key)))
    };
    let start = seconds("start")?.ok_or_else(|| format!("第 {row_no} 行缺少开始秒"))?;
    let text = cell(row, "text");
    let mut t = json!({ "speaker": speaker, "start": start, "text": text });
    if let Some(end) = seconds("end")? {
        t["end"] = json!(end);
    }
    Ok(t)
}

/// A number as a spreadsheet cell holds it (`12`, `12.5`, `12.50`).
fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn rows_of_a_conversation_become_one_transcript() {
        let rows = table(&[
            &["会话编号", "渠道", "开始时间", "坐席编号", "说话人", "开始秒", "结束秒", "内容"],
            &["c1", "电话", "2026-11-22 11:48:00", "A1", "坐席", "0", "3.5", "您好，请问有什么可以帮您？"],
            &["", "", "", "", "客户", "4", "6", "我的快递没到。"],
            &["c2", "在线", "", "", "坐席", "0", "", "您好"],
        ]);
        let items = conversations(&rows).expect("table");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].row, 2);
        let c1 = items[0].conversation.as_ref().expect("c1");
        assert_eq!(c1["channel"], "phone");
        assert_eq!(c1["agent"]["id"], "A1");
        assert_eq!(c1["turns"].as_array().map(Vec::len), Some(2));
        assert_eq!(c1["turns"][1]["speaker"], "customer");
        assert_eq!(items[1].row, 4);
        assert_eq!(items[1].conversation.as_ref().expect("c2")["channel"], "chat");
    }

    #[test]
    fn a_bad_row_is_an_error_of_its_conversation_only() {
        let rows = table(&[
            &["id", "channel", "speaker", "start", "text"],
            &["c1", "phone", "agent", "zero", "hi"],
            &["c2", "phone", "机器人", "0", "hi"],
            &["c3", "chat", "customer", "1", "在吗"],
        ]);
        let items = conversations(&rows).expect("table");
        assert_eq!(items.len(), 3);
        assert!(items[0].conversation.as_ref().is_err_and(|e| e.contains("第 2 行") && e.contains("开始秒")), "{:?}", items[0]);
        assert!(items[1].conversation.as_ref().is_err_and(|e| e.contains("第 3 行") && e.contains("说话人")), "{:?}", items[1]);
        assert!(items[2].conversation.is_ok());
    }

    #[test]
    fn a_missing_required_column_is_said_by_its_chinese_name() {
        let rows = table(&[&["会话编号", "内容"], &["c1", "hi"]]);
        let e = conversations(&rows).expect_err("no channel");
        assert!(e.contains("渠道") && e.contains("说话人") && e.contains("开始秒"), "{e}");
        assert!(conversations(&[]).is_err());
    }
}
