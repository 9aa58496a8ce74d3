//! A throw-away PostgreSQL cluster for tests: `initdb` in a temporary
//! directory, the server on a free loopback port (and a Unix socket in the
//! same directory), stopped and removed when the [`Cluster`] is dropped.
//! Uses Debian's binaries (`/usr/lib/postgresql/<version>/bin`, or
//! `KEFU_PG_BIN`); as root it runs them as the `postgres` user, since the
//! server refuses to run as root.
//!
//! [`Cluster::start`] returns `None` when PostgreSQL is not installed; tests
//! then skip, unless `KEFU_REQUIRE_POSTGRES=1` (CI) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    databases: AtomicUsize,
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("KEFU_PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().ok().is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(54329, |a| a.port())
}

/// Whether tests must have PostgreSQL (CI sets `KEFU_REQUIRE_POSTGRES=1`).
pub fn required() -> bool {
    std::env::var("KEFU_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

impl Cluster {
    /// A new cluster, running; `None` when PostgreSQL is not installed (a
    /// failure instead when it is required). Panics when it is installed but
    /// does not start: that is a broken test machine, not a skipped test.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            assert!(!required(), "KEFU_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found (apt-get install postgresql)");
            eprintln!("PostgreSQL is not installed: skipping the PostgreSQL half of this test");
            return None;
        };
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("kefu-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the cluster directory");
        let as_postgres = is_root();
        let cluster = Cluster { bin, dir, port: free_port(), as_postgres, databases: AtomicUsize::new(0) };
        if as_postgres {
            let ok = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&cluster.dir).status().is_ok_and(|s| s.success());
            assert!(ok, "chown the cluster directory to postgres");
        }
        let data = cluster.dir.join("data");
        cluster.run("initdb", &["-D", path_str(&data), "-A", "trust", "-U", "kefu", "-E", "UTF8", "--locale=C", "--no-sync"]);
        cluster.pg_ctl_start();
        Some(cluster)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("run {tool}: {e}"));
        assert!(out.status.success(), "{tool} {args:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn pg_ctl_start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on", self.port, path_str(&self.dir));
        let data = self.dir.join("data");
        let log = self.dir.join("server.log");
        self.run("pg_ctl", &["-D", path_str(&data), "-o", &options, "-l", path_str(&log), "-w", "-t", "60", "start"]);
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL of a new, empty database of this cluster.
    pub fn new_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("kefu_test_{n}");
        let mut client = postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls).expect("connect to the test cluster");
        client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
        self.url_of(&name)
    }

    /// The URL of a database of this cluster by name.
    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://kefu@127.0.0.1:{}/{database}?connect_timeout=5", self.port)
    }

    /// Stops the server (fast shutdown: sessions are ended, committed data stays).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", path_str(&self.dir.join("data")), "-m", "fast", "-w", "stop"]);
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// Waits until the server accepts connections again (bounded).
    pub fn wait_ready(&self, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.command("pg_ctl").args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
