//! The HTTP API under `/api/v1`. Every route takes an [`crate::auth::Auth`]
//! (401 without one) and checks its role; only log-in, `/healthz` and the
//! OpenAPI document are public.

pub mod conversations;
pub mod engine;
pub mod rulebook;
pub mod users;
pub mod health;
pub mod settings;
pub mod spreadsheet;
pub mod scorecard_export;
pub mod checks;
