//! The command line: commands, their flags and arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "kefu", version, about = "kefu —— 客服规范执行引擎：检查坐席用语、识别客户场景、生成标准回复、计算工作日期限")]
pub struct Cli {
    /// Load the rulebook from this directory instead of the embedded default.
    #[arg(long, global = true, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Load the holiday calendar from this directory (default: DIR/calendar of --rules, or the embedded one).
    #[arg(long, global = true, value_name = "DIR")]
    pub calendar: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check agent utterances (one per line) for forbidden phrases.
    Lint(LintArgs),
    /// Recognise the scenario of customer utterances (one per line).
    Classify(ClassifyArgs),
    /// Render a standard reply for a scenario (or opening/closing).
    Reply(ReplyArgs),
    /// The statutory holiday calendar and working-time deadlines.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Browse and validate rulebooks.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Measure lint precision/recall and scenario accuracy on labelled JSONL files.
    Eval(EvalArgs),
    /// Inspect call and chat transcripts (质检): one scorecard per conversation.
    Inspect(InspectArgs),
    /// Run the server: HTTP API, live-assist WebSocket and the web console.
    Serve(ServeArgs),
    /// Copy the database to DEST while the server runs (SQLite online backup; for PostgreSQL use pg_dump).
    Backup(BackupArgs),
}

#[derive(Args)]
pub struct BackupArgs {
    /// The data directory of the server (its SQLite database is backed up).
    #[arg(long, value_name = "DIR", default_value = "kefu-data")]
    pub data: PathBuf,
    /// A PostgreSQL database: not backed up by kefu (the message says how, with pg_dump).
    #[arg(long, value_name = "URL", env = "KEFU_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// The backup file to write (must not exist yet).
    pub dest: PathBuf,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Data directory (the SQLite database lives here; created on first run).
    #[arg(long, value_name = "DIR", default_value = "kefu-data")]
    pub data: PathBuf,
    /// PostgreSQL instead of the SQLite file: postgres://user:password@host/db (several instances may share it).
    #[arg(long, value_name = "URL", env = "KEFU_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Seconds a client has to send its request headers (also an idle kept-alive connection); then it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Connections served at once; more are closed on arrival.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_connections: usize,
}

#[derive(Args)]
pub struct InspectArgs {
    /// One JSON object (scorecard) per conversation, error records for bad input.
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Write the report's tables as an Excel workbook.
    #[arg(long, value_name = "FILE.xlsx")]
    pub xlsx: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Files (JSON or JSON Lines), directories, or `-` for standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct LintArgs {
    /// One JSON object per input line.
    #[arg(long)]
    pub json: bool,
    /// Print only the number of lines with a violation.
    #[arg(long, conflicts_with = "json")]
    pub count: bool,
    /// For each hit of the semantic layer, show the three labelled training
    /// examples of its category nearest to the line (from --corpus).
    #[arg(long, conflicts_with = "count")]
    pub explain: bool,
    /// The labelled corpus for --explain (its training sources are read).
    #[arg(long, value_name = "DIR", default_value = "eval/corpus")]
    pub corpus: PathBuf,
    /// Input file; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
}

#[derive(Args)]
pub struct ClassifyArgs {
    #[arg(long)]
    pub json: bool,
    /// Also show which cues of which scenarios matched (for rulebook authors).
    #[arg(long)]
    pub explain: bool,
    /// Time the replies are rendered for (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    pub file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LineArg {
    Standard,
    Vip,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    Phone,
    Chat,
}

#[derive(Args)]
pub struct ReplyArgs {
    /// A scenario id, `opening` or `closing` (or any phrase id of the rulebook).
    #[arg(long)]
    pub scenario: String,
    /// The moment of the reply (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum, default_value = "standard")]
    pub line: LineArg,
    #[arg(long, value_enum, default_value = "phone")]
    pub channel: ChannelArg,
    /// 先生 or 女士.
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub surname: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long = "work-no")]
    pub work_no: Option<String>,
    /// Promised reply time in hours.
    #[arg(long)]
    pub hours: Option<u32>,
    /// Answered after more than three rings.
    #[arg(long)]
    pub late: bool,
    /// The agent is a trainee (实习生).
    #[arg(long)]
    pub trainee: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// What kind of day a date is.
    Day {
        /// YYYY-MM-DD
        date: String,
        #[arg(long)]
        json: bool,
    },
    /// The deadline after a duration, in wall-clock or working time.
    Due(DueArgs),
    /// The years the calendar covers.
    Years,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("duration").required(true).args(["minutes", "working_hours", "working_days"])))]
pub struct DueArgs {
    /// Start (RFC 3339).
    #[arg(long)]
    pub from: String,
    /// Wall-clock minutes.
    #[arg(long)]
    pub minutes: Option<i64>,
    /// Working hours (may be fractional, e.g. 1.5).
    #[arg(long = "working-hours")]
    pub working_hours: Option<f64>,
    /// Working days after the day of receipt; ends at the close of the last one.
    #[arg(long = "working-days")]
    pub working_days: Option<u32>,
    /// For a year without a holiday schedule, count weekends and the
    /// statutory festival days only (no 调休) and mark the answer 暂定,
    /// instead of refusing.
    #[arg(long)]
    pub provisional: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List the rules (and with --all, scenarios, phrases and procedures).
    List {
        #[arg(long)]
        json: bool,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
    },
    /// Show one rule, scenario, phrase or procedure in full.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Validate a rulebook directory and run all its examples.
    Check { dir: PathBuf },
}

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled lint examples (JSONL: text, violation, categories).
    #[arg(long)]
    pub lint: Vec<PathBuf>,
    /// Labelled scenario examples (JSONL: text, scenario).
    #[arg(long)]
    pub scenario: Vec<PathBuf>,
    /// Plain text, one ordinary polite agent turn per line: reports the share flagged.
    #[arg(long)]
    pub polite: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// List every miss.
    #[arg(long)]
    pub verbose: bool,
    /// The rules alone, without the semantic layer (to see what it adds).
    #[arg(long = "no-semantic")]
    pub no_semantic: bool,
}
