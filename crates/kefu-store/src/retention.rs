//! Deletion on schedule. Transcripts (with their scorecards, appeals, chat
//! messages and the feedback quoting them) older than the transcript period
//! are deleted; in closed records older than the personal-data period the
//! customer's name, phone number and address are erased (the record itself,
//! its deadlines and events stay: they are the centre's, not the customer's).
//! Every run that deletes anything says what in the audit log.

use serde::Serialize;

use crate::audit::audit_in;
use crate::db::{params, Conn};
use crate::error::Result;
use crate::store::Store;

/// What one run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionReport {
    pub conversations: u64,
    pub chat_messages: u64,
    pub feedback: u64,
    pub records_erased: u64,
}

impl RetentionReport {
    pub fn is_empty(&self) -> bool {
        *self == RetentionReport::default()
    }
}

/// Rows deleted per transaction: a large backlog is deleted in steps, so
/// that writers never wait long behind the job.
const BATCH: i64 = 2000;
/// Steps per run at most (the rest waits for the next run).
const MAX_BATCHES: usize = 500;

/// What marks a record whose personal fields are erased.
const ERASED_MARK: &str = "_personal_data_erased";
const ERASED_TEXT: &str = "（已按保留期限删除）";

fn erase(fields: &mut serde_json::Value, personal: &[&str]) {
    if let Some(obj) = fields.as_object_mut() {
        for key in personal {
            if obj.get(*key).is_some_and(|v| !v.is_null() && v.as_str() != Some("")) {
                obj.insert((*key).to_string(), serde_json::Value::String(ERASED_TEXT.to_string()));
            }
        }
        if let Some(entries) = obj.get_mut("entries").and_then(serde_json::Value::as_array_mut) {
            for e in entries {
                erase(e, personal);
            }
        }
    }
}

fn delete_batch(c: &Conn<'_>, what: &str, before_day: &str) -> Result<u64> {
    let sql = match what {
        "conversations" => "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE COALESCE(day, substr(inspected_at, 1, 10)) < ?1 LIMIT ?2)",
        "chat_messages" => {
            "DELETE FROM chat_messages WHERE (source, account_id, message_id) IN
             (SELECT source, account_id, message_id FROM chat_messages WHERE substr(received_at, 1, 10) < ?1 LIMIT ?2)"
        }
        _ => "DELETE FROM feedback WHERE id IN (SELECT id FROM feedback WHERE substr(at, 1, 10) < ?1 LIMIT ?2)",
    };
    Ok(c.execute(sql, params![before_day, BATCH])? as u64)
}

impl Store {
    /// Deletes transcripts from before `transcripts_before` and erases the
    /// personal data of closed records received before `personal_before`
    /// (days `YYYY-MM-DD`, Asia/Shanghai; `None` keeps them). `personal` are
    /// the form fields holding personal data.
    pub fn apply_retention(&self, transcripts_before: Option<&str>, personal_before: Option<&str>, personal: &[&str]) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        if let Some(day) = transcripts_before {
            for (what, count) in [("conversations", &mut report.conversations), ("chat_messages", &mut report.chat_messages), ("feedback", &mut report.feedback)] {
                for _ in 0..MAX_BATCHES {
                    let n = self.db.write(|c| delete_batch(c, what, day))?;
                    *count += n;
                    if n < BATCH as u64 {
                        break;
                    }
                }
            }
        }
        if let Some(day) = personal_before {
            for _ in 0..MAX_BATCHES {
                let n = self.db.write(|c| {
                    let rows = c.query_map(
                        "SELECT id, fields FROM records WHERE status = 'closed' AND substr(received_at, 1, 10) < ?1 AND fields NOT LIKE ?2 ORDER BY id LIMIT ?3",
                        params![day, format!("%\"{ERASED_MARK}\"%"), BATCH],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                    )?;
                    for (id, text) in &rows {
                        let mut fields: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}));
                        erase(&mut fields, personal);
                        if let Some(obj) = fields.as_object_mut() {
                            obj.insert(ERASED_MARK.to_string(), serde_json::Value::Bool(true));
                        }
                        c.execute("UPDATE records SET fields = ?1 WHERE id = ?2", params![fields.to_string(), id])?;
                    }
                    Ok::<u64, crate::error::StoreError>(rows.len() as u64)
                })?;
                report.records_erased += n;
                if n < BATCH as u64 {
                    break;
                }
            }
        }
        if !report.is_empty() {
            let detail = format!(
                "删除会话 {} 个（转写之前：{}）、聊天消息 {} 条、反馈 {} 条；清除 {} 条已关闭记录中的客户个人信息（受理日期之前：{}）",
                report.conversations,
                transcripts_before.unwrap_or("—"),
                report.chat_messages,
                report.feedback,
                report.records_erased,
                personal_before.unwrap_or("—")
            );
            self.db.write(|c| audit_in(c, None, "retention.delete", "retention", &detail))?;
        }
        Ok(report)
    }
}
