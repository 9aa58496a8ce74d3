//! `kefu serve`: one process over kefu-store (embedded SQLite, or PostgreSQL
//! shared by several instances), an HTTP API
//! under `/api/v1`, a WebSocket for live assist and a web console in Chinese.
//! The engine comes from kefu-core; this crate is the shell around it (HTTP,
//! SQL, sessions), and the core never knows about any of that.

pub mod api;
pub mod app;
pub mod assist;
pub mod attendance;
pub mod auth;
pub mod centre;
pub mod chatwoot;
pub mod clock;
pub mod console;
pub mod desk;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod follow;
pub mod limits;
pub mod listen;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod page;
pub mod privacy;
pub mod qa;
pub mod request_id;
pub mod retention;
pub mod startup;
pub mod state;
pub mod sweeper;
pub mod throttle;

pub use app::{router, serve, shutdown_signal};
pub use startup::{start, Config, Started};
pub use state::{build_engine, AppState, Current};
