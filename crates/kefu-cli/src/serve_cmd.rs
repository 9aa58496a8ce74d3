//! `kefu serve`: starts the server on the bundled (or `--rules`) rulebook.

use kefu_server::{Config, Started};

use crate::args::{Cli, ServeArgs};
use crate::load;

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<u8, String> {
    init_logging();
    // A `--rules` directory seeds the database on first run; afterwards the
    // stored (and possibly edited) versions are used.
    let rulebook_files = match &cli.rules {
        Some(_) => Some(load::rulebook_files(cli)?),
        None => None,
    };
    let calendar = Some(load::calendar(cli)?);
    let config = Config {
        listen: args.listen,
        data: Some(args.data.clone()),
        database: args.database.clone().filter(|u| !u.trim().is_empty()),
        rulebook_files,
        calendar,
        admin_password: std::env::var("KEFU_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()),
        timer_scale: std::env::var("KEFU_TIMER_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0),
        // Tests shorten the sweeper's round (15 s) to see it move between instances.
        sweep_every: std::env::var("KEFU_SWEEP_EVERY_MS").ok().and_then(|s| s.parse().ok()).map_or(std::time::Duration::from_secs(15), std::time::Duration::from_millis),
        connections: kefu_server::listen::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
            max_connections: args.max_connections.max(1),
            ..kefu_server::listen::ConnectionLimits::default()
        },
        ..Config::default()
    };
    let Started { state, first_admin } = kefu_server::start(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("无法启动运行时：{}", crate::input::io_reason(&e)))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("无法监听 {}：{}", config.listen, crate::input::io_reason(&e)))?;
        let addr = listener.local_addr().map_err(|e| crate::input::io_reason(&e))?;
        // Printed, not logged: the generated password is shown once, on the terminal of whoever started the server.
        println!("kefu 已启动: http://{addr}/");
        match &args.database {
            Some(url) if !url.trim().is_empty() => println!("数据库: {}", kefu_store::db::Location::parse(url).display()),
            _ => println!("数据目录: {}", args.data.display()),
        }
        match first_admin {
            Some((user, Some(password))) => println!("首次运行，已创建管理员账号 {user}，密码（只显示这一次）: {password}"),
            Some((user, None)) => println!("首次运行，已创建管理员账号 {user}，密码取自环境变量 KEFU_ADMIN_PASSWORD"),
            None => println!("用已有账号登录（首个管理员账号为 admin）"),
        }
        println!("按 Ctrl-C 停止。");
        kefu_server::serve(listener, state, kefu_server::shutdown_signal()).await.map_err(|e| format!("服务出错: {e}"))
    })?;
    println!("kefu 已停止。");
    Ok(0)
}

/// Structured logs on stderr (JSON with KEFU_LOG_FORMAT=json); level from RUST_LOG (default info).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    if std::env::var("KEFU_LOG_FORMAT").is_ok_and(|f| f == "json") {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
