//! kefu's storage layer. Everything the server keeps — accounts and
//! sessions, conversations and scorecards, appeals, rulebook versions and
//! the audit log, service-desk records and their deadlines, attendance,
//! feedback, settings — is read and written here, over embedded SQLite (the
//! default: nothing to install) or PostgreSQL (several instances on one
//! database). No HTTP: the server turns [`StoreError`] into answers.
//!
//! Each domain is a module adding its methods to [`Store`]; [`db`] is the
//! one place that knows the two backends apart.

mod clock;
pub mod db;
mod error;
mod migrate;
mod page;
mod store;
mod user;

pub mod accounts;
pub mod appeals;
pub mod attendance;
mod audit;
pub mod chat;
pub mod conversations;
pub mod desk;
pub mod feedback;
pub mod leases;
pub mod retention;
pub mod rulebook;
pub mod settings;

pub use appeals::Appeal;
pub use audit::AuditEntry;
pub use clock::now;
pub use conversations::{AgentScore, CategoryDay, CheckCount, ConversationRow, Report, Search, Sort, WriteScope};
pub use db::Dialect;
pub use error::{Result, StoreError};
pub use migrate::latest_version as schema_version;
pub use page::{Page, Paged};
pub use rulebook::{RulebookFiles, RulebookVersion};
pub use store::Store;
pub use user::{NewUser, Role, TokenInfo, User, UserPatch};
