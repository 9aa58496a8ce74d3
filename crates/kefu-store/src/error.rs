//! What storage calls fail with, in terms the server answers with.

use crate::db::{self, DbError, DbErrorKind};

#[derive(Debug)]
pub enum StoreError {
    NotFound(String),
    Conflict(String),
    Invalid(String),
    /// Outside the caller's scope (another team's conversation or agent).
    Forbidden(String),
    Db(DbError),
}

impl StoreError {
    /// The database cannot be reached or cannot take writes (disk full,
    /// read-only, server down): nothing was saved, later may work.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.kind == DbErrorKind::Unavailable)
    }

    /// A UNIQUE, CHECK or foreign-key constraint refused the write.
    pub fn is_constraint_violation(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.kind == DbErrorKind::Constraint)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound(m) | StoreError::Conflict(m) | StoreError::Invalid(m) | StoreError::Forbidden(m) => f.write_str(m),
            StoreError::Db(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError::Db(e)
    }
}

impl db::FromDb for StoreError {
    fn as_db(&self) -> Option<&DbError> {
        match self {
            StoreError::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Invalid(format!("stored JSON is unreadable: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
