//! Helpers for graceful.rs: llmux and llmux-mock as child processes, their logs, signals, and
//! an HTTP client.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// `llmux serve` with a clean environment (no provider keys or LLMUX_* from the developer's
/// shell). Options go after `serve`: only `--config` is read before it.
pub fn llmux_serve() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_llmux"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("serve");
    c
}

/// The `llmux-mock` binary, which sits beside `llmux` in the same target directory. Cargo
/// builds it for `--workspace` runs only; `-p llmux` runs build it here, once per process.
pub fn mock_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let llmux = Path::new(env!("CARGO_BIN_EXE_llmux"));
        let bin = llmux.with_file_name(format!("llmux-mock{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let profile_dir = llmux.parent().unwrap();
            let target_dir = profile_dir.parent().unwrap();
            let mut cargo = Command::new(env!("CARGO"));
            cargo
                .args(["build", "-p", "llmux-testkit", "--bin", "llmux-mock"])
                .arg("--target-dir")
                .arg(target_dir);
            match profile_dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") | None => {}
                Some(profile) => {
                    cargo.args(["--profile", profile]);
                }
            }
            let status = cargo.status();
            assert!(
                bin.exists(),
                "{} is missing and `cargo build -p llmux-testkit --bin llmux-mock` did not make \
                 it ({status:?}); run `cargo build --workspace --bins` first",
                bin.display()
            );
        }
        bin
    })
}

/// A child process, killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Sends `signal` (`HUP`, `TERM`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.0.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} failed");
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the process did not exit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running llmux-mock.
pub struct Mock {
    _proc: Proc,
    /// Its port.
    pub port: u16,
}

/// Starts llmux-mock on a free port with `args` (`--delay-ms`, `--chunks`...).
pub async fn mock(args: &[&str]) -> Mock {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("port");
    let mut proc = Proc(
        Command::new(mock_bin())
            .args(["--listen", "127.0.0.1:0", "--threads", "2"])
            .arg("--port-file")
            .arg(&port_file)
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            if let Ok(port) = text.trim().parse() {
                return Mock { _proc: proc, port };
            }
        }
        let exited = proc.0.try_wait().unwrap();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "llmux-mock did not start ({exited:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running llmux, with everything it wrote to stderr.
pub struct Llmux {
    /// The process.
    pub proc: Proc,
    /// Data-plane base URL.
    pub data: String,
    /// Admin base URL.
    pub admin: String,
    log: Arc<Mutex<String>>,
}

impl Llmux {
    /// stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until stderr holds `needle` at least `count` times.
    pub async fn wait_log(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.log().matches(needle).count() < count {
            assert!(
                Instant::now() < deadline,
                "no {count}x `{needle}` in:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Spawns `cmd` (from [`llmux_serve`]) and waits for its `ready` line.
pub async fn start(mut cmd: Command) -> Llmux {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let proc = Proc(child);
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    // Drain stderr all along, so that llmux never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let mut run = Llmux {
        proc,
        data: String::new(),
        admin: String::new(),
        log,
    };
    run.wait_log(" ready ", 1).await;
    let log = run.log();
    let addr = |label: &str| {
        let line = log
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next();
        format!("http://{}", addr.unwrap())
    };
    run.data = addr("data plane");
    run.admin = addr("admin");
    run
}

/// A loopback port free right now (bound to port 0, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A config: provider `provider` on the mock, serving `m1`, and each alias of `aliases` on it.
pub fn config(mock_port: u16, provider: &str, aliases: &[&str], extra: &str) -> String {
    let mut s = format!(
        "{extra}providers:\n  {provider}: {{ type: openai-compatible, base_url: 'http://127.0.0.1:{mock_port}/v1', models: [m1] }}\nmodels:\n"
    );
    for a in aliases {
        s.push_str(&format!("  {a}: {provider}/m1\n"));
    }
    s
}

/// A chat completion for `model`: the status and the whole body. `close` sends
/// `Connection: close`, so the request has a connection of its own. An error says whether any
/// answer came (`no answer: ...`, `cut: ...`).
pub async fn chat(
    client: &reqwest::Client,
    base: &str,
    model: &str,
    stream: bool,
    close: bool,
) -> Result<(u16, String), String> {
    let body = serde_json::json!({
        "model": model,
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
    });
    let mut request = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&body);
    if close {
        request = request.header("connection", "close");
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e:?}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| format!("cut: {e:?}"))?;
    Ok((status, text))
}

/// The client: keep-alive connections, no proxy, a timeout per request.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap()
}

/// Sets `net.ipv4.tcp_migrate_req` to 1 while alive when it can, restoring the old value.
pub struct MigrateReq {
    old: Option<String>,
    /// Whether the kernel now moves queued connections off a closed listener.
    pub on: bool,
}

const MIGRATE_REQ: &str = "/proc/sys/net/ipv4/tcp_migrate_req";

impl MigrateReq {
    /// Turns it on if it is off and writable.
    pub fn enable() -> MigrateReq {
        let current = std::fs::read_to_string(MIGRATE_REQ).ok();
        match current.as_deref().map(str::trim) {
            Some("0") if std::fs::write(MIGRATE_REQ, "1").is_ok() => MigrateReq {
                old: current,
                on: true,
            },
            Some("1") => MigrateReq {
                old: None,
                on: true,
            },
            _ => MigrateReq {
                old: None,
                on: false,
            },
        }
    }
}

impl Drop for MigrateReq {
    fn drop(&mut self) {
        if let Some(old) = &self.old {
            let _ = std::fs::write(MIGRATE_REQ, old.trim());
        }
    }
}
