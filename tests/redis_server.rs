//! A throwaway redis-server on loopback for tests, or the one `FPX_REDIS_URL` names.
//!
//! Without redis-server on PATH the tests that need it are skipped with a note, unless
//! `FPX_REQUIRE_REDIS=1` (set in CI), where that is a failure: a Redis test that checked
//! nothing must not pass there.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a started server has to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(5);

/// Starts tried before giving up: another process may take the free port first.
const ATTEMPTS: usize = 3;

/// Makes temporary directories and keys unique within this test process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct RedisServer {
    /// `redis://127.0.0.1:PORT` (no password, even if the server needs one).
    pub url: String,
    /// The server this harness started; `None` for `FPX_REDIS_URL`'s.
    child: Option<Child>,
    /// The started server's working directory and log, removed on drop.
    dir: Option<PathBuf>,
}

impl RedisServer {
    /// A server to test against, or `None` (after saying why) when there is none.
    pub fn start() -> Option<RedisServer> {
        Self::start_with(&[])
    }

    /// Like [`RedisServer::start`], with extra redis-server options (`--requirepass pw`).
    /// Options need a server of our own, so `FPX_REDIS_URL` is used only without them.
    pub fn start_with(options: &[&str]) -> Option<RedisServer> {
        if options.is_empty() {
            if let Some(url) = std::env::var("FPX_REDIS_URL")
                .ok()
                .filter(|u| !u.is_empty())
            {
                return Some(RedisServer {
                    url,
                    child: None,
                    dir: None,
                });
            }
        }
        let Some(exe) = find_on_path("redis-server") else {
            if std::env::var("FPX_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!("redis-server is required (FPX_REQUIRE_REDIS=1) but not on PATH");
            }
            eprintln!(
                "skipped: redis-server is not installed (apt-get install redis-server), \
                 or set FPX_REDIS_URL"
            );
            return None;
        };
        let mut last_log = String::new();
        for _ in 0..ATTEMPTS {
            match spawn(&exe, options) {
                Ok(server) => return Some(server),
                Err(log) => last_log = log,
            }
        }
        panic!("redis-server did not start in {ATTEMPTS} attempts; its log:\n{last_log}");
    }

    /// A key prefix no other test (in this process or another) uses.
    pub fn unique_key(&self, name: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("fpx-test:{}:{n}:{name}", std::process::id())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts one server on a free port and waits for it; on failure it is stopped and its
/// log returned.
fn spawn(exe: &Path, options: &[&str]) -> Result<RedisServer, String> {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "fpx-redis-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create the redis-server directory");
    let log_path = dir.join("redis.log");
    let log = File::create(&log_path).expect("create the redis-server log");
    let child = Command::new(exe)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(&dir)
        .args(options)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log handle"))
        .stderr(log)
        .spawn()
        .expect("redis-server runs");
    let mut server = RedisServer {
        url: format!("redis://127.0.0.1:{port}"),
        child: Some(child),
        dir: Some(dir),
    };
    if wait_ready(&mut server, port) {
        return Ok(server);
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    drop(server);
    Err(text)
}

/// A port nothing listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// Waits until PING is answered (PONG, or NOAUTH from a server with a password), the
/// server exits, or [`READY_WITHIN`] passes.
fn wait_ready(server: &mut RedisServer, port: u16) -> bool {
    let deadline = Instant::now() + READY_WITHIN;
    while Instant::now() < deadline {
        if let Some(child) = server.child.as_mut() {
            if !matches!(child.try_wait(), Ok(None)) {
                return false;
            }
        }
        if ping(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) => buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH"),
        Err(_) => false,
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
