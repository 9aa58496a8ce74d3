//! Messages received from a help desk (Chatwoot), each with its lint result;
//! a redelivered message is recognised by its id and stored once.

use serde::Serialize;

use crate::clock::now;
use crate::db::params;
use crate::error::Result;
use crate::store::Store;

/// A message received from a help desk (Chatwoot), with its lint result.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub source: String,
    pub account_id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    /// agent | customer
    pub speaker: String,
    pub sender: String,
    pub content: String,
    /// The violations as JSON (an array; empty for customer messages).
    pub violations: String,
    pub created_at: String,
    /// '' | posted | failed: <status> | skipped
    pub note_status: String,
}

impl Store {
    /// Stores one chat message; `false` when this message was already stored (a redelivery).
    pub fn put_chat_message(&self, m: &ChatMessage) -> Result<bool> {
        self.db.write(|c| {
            let n = c.execute(
                "INSERT INTO chat_messages (source, account_id, conversation_id, message_id, speaker, sender, content, violations, created_at, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                params![m.source, m.account_id, m.conversation_id, m.message_id, m.speaker, m.sender, m.content, m.violations, m.created_at, now()],
            )?;
            Ok(n == 1)
        })
    }

    pub fn set_note_status(&self, source: &str, account_id: i64, message_id: i64, status: &str) -> Result<()> {
        self.db.write(|c| {
            c.execute(
                "UPDATE chat_messages SET note_status = ?1 WHERE source = ?2 AND account_id = ?3 AND message_id = ?4",
                params![status, source, account_id, message_id],
            )?;
            Ok(())
        })
    }

    /// The stored messages of one chat, in order.
    pub fn chat_messages(&self, source: &str, account_id: i64, conversation_id: i64) -> Result<Vec<ChatMessage>> {
        self.db.read(|c| {
            Ok(c.query_map(
                "SELECT source, account_id, conversation_id, message_id, speaker, sender, content, violations, created_at, note_status FROM chat_messages
                 WHERE source = ?1 AND account_id = ?2 AND conversation_id = ?3 ORDER BY created_at, message_id",
                params![source, account_id, conversation_id],
                |r| {
                    Ok(ChatMessage {
                        source: r.get(0)?,
                        account_id: r.get(1)?,
                        conversation_id: r.get(2)?,
                        message_id: r.get(3)?,
                        speaker: r.get(4)?,
                        sender: r.get(5)?,
                        content: r.get(6)?,
                        violations: r.get(7)?,
                        created_at: r.get(8)?,
                        note_status: r.get(9)?,
                    })
                },
            )?)
        })
    }
}
