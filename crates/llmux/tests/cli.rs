//! The `llmux` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn llmux() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_llmux"));
    // A clean environment: no provider keys or LLMUX_* from the developer's shell.
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn version() {
    let out = llmux().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("llmux ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn config_schema_is_json_schema() {
    let out = llmux().args(["config", "schema"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["properties"]["providers"].is_object());
    assert!(v["properties"]["server"].is_object());
}

#[test]
fn config_check_reports_every_error_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        &dir,
        "good.yaml",
        "providers:\n  local: { type: openai-compatible, base_url: 'http://127.0.0.1:8000/v1', models: [m] }\nmodels:\n  fast: local/m\n",
    );
    let out = llmux()
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (1 provider, 1 virtual model)"));

    let bad = write(
        &dir,
        "bad.yaml",
        "server:\n  listne: 1\nproviders:\n  x:\n    type: opnai\n",
    );
    let out = llmux()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 configuration errors"), "{err}");
    assert!(
        err.contains("line 2: server.listne: unknown key `listne` (did you mean `listen`?)"),
        "{err}"
    );
    assert!(
        err.contains("line 5: providers.x.type: unknown provider type `opnai`"),
        "{err}"
    );

    let out = llmux()
        .args(["config", "check", "/nonexistent/llmux.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the configuration file"));
}

#[test]
fn models_shows_where_each_name_goes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        &dir,
        "c.yaml",
        "providers:\n  local: { type: openai-compatible, base_url: 'http://h/v1', models: [Qwen3] }\nmodels:\n  coder: { target: local/Qwen3, defaults: { temperature: 0.2 } }\n",
    );
    let out = llmux()
        .arg("--config")
        .arg(&cfg)
        .arg("models")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("coder") && text.contains("local/Qwen3  (profile)"),
        "{text}"
    );
    let out = llmux()
        .arg("--config")
        .arg(&cfg)
        .args(["models", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[1]["id"], "local/Qwen3");
    assert_eq!(v[1]["upstream_model"], "Qwen3");
}

/// A running `llmux serve`, killed on drop.
struct Running {
    child: std::process::Child,
    data: String,
    admin: String,
    summary: String,
    /// Everything written to stderr after the summary.
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(mut cmd: Command) -> Running {
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ])
    .stderr(Stdio::piped())
    .stdout(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut summary = String::new();
    let (mut data, mut admin) = (String::new(), String::new());
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        summary.push_str(&line);
        summary.push('\n');
        let addr = |l: &str| {
            l.split("http://")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned()
        };
        if line.contains("data plane") {
            data = addr(&line);
        }
        if line.contains("admin ") && admin.is_empty() {
            admin = addr(&line);
        }
        // The `ready` event, in text or JSON log format.
        if line.contains(" ready ") || line.contains(r#""message":"ready""#) {
            break;
        }
    }
    // Keep draining stderr (so the child never blocks on a full pipe), keeping the text.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    assert!(!admin.is_empty(), "llmux did not start:\n{summary}");
    Running {
        child,
        data,
        admin,
        summary,
        log,
    }
}

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[test]
fn embedded_default_starts_with_nothing_configured_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut cmd = llmux();
    cmd.current_dir(dir.path());
    let mut run = serve(cmd);
    assert!(run.summary.contains("providers   none"), "{}", run.summary);
    assert!(run.summary.contains("OPENAI_API_KEY"), "{}", run.summary);
    assert!(data_dir.is_dir(), "./data is created");
    let (status, body) = get(&run.admin, "/health");
    assert_eq!(status, 200);
    assert!(body.contains("ok"));
    assert_eq!(get(&run.admin, "/ready").0, 200);
    let (status, body) = get(&run.data, "/v1/models");
    assert_eq!(status, 200);
    assert!(body.contains(r#""data":[]"#), "{body}");

    let pid = run.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = run.child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "llmux did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn keys_from_env_files_and_endpoints_appear_in_the_summary_masked() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = write(&dir, "openai_key", "sk-proj-filesecret-9876\n");
    let mut cmd = llmux();
    cmd.env("OPENAI_API_KEY_FILE", &key_file)
        .env(
            "LLM_PROXY_ENDPOINT_LMSTUDIO_URL",
            "http://127.0.0.1:1234/v1",
        )
        .env("LLM_PROXY_ENDPOINT_LMSTUDIO_MODELS", "qwen-2.5-coder")
        .arg("--data-dir")
        .arg(dir.path().join("d"));
    let run = serve(cmd);
    let s = &run.summary;
    assert!(
        s.contains("openai") && s.contains("file from OPENAI_API_KEY_FILE"),
        "{s}"
    );
    assert!(s.contains("sk-...9876") && !s.contains("filesecret"), "{s}");
    // `--data-dir` before `serve` counts: the usage database is there.
    assert!(dir.path().join("d").join("llmux.db").is_file());
    assert!(
        s.contains("lmstudio") && s.contains("env LLM_PROXY_ENDPOINT_*"),
        "{s}"
    );
    let (_, body) = get(&run.data, "/v1/models");
    assert!(
        body.contains("lmstudio/qwen-2.5-coder") && body.contains("openai/gpt-4o"),
        "{body}"
    );
}

#[test]
fn invalid_config_stops_serve_with_the_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(&dir, "c.yaml", "models:\n  m: nowhere/x\n");
    let out = llmux()
        .arg("--config")
        .arg(&cfg)
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: models.m.target"));
}

#[test]
fn busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = llmux()
        .args([
            "serve",
            "--listen",
            &addr,
            "--admin-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {addr} (data plane)")),
        "{err}"
    );
    let _ = std::io::stdout().flush();
}

fn post(addr: &str, path: &str, body: &str, extra_headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned(),
    )
}

#[test]
fn secrets_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let secret = "sk-upstream-TOPSECRET-4242";
    let client_secret = "client-TOPSECRET-key";
    let mut cmd = llmux();
    cmd.env("LLMUX_ENDPOINT_DEAD_URL", format!("http://{dead}/v1"))
        .env("LLMUX_ENDPOINT_DEAD_KEY", secret)
        .env("LLMUX_LOG", "debug")
        .env("LLMUX_LOG_FORMAT", "json")
        .arg("--data-dir")
        .arg(dir.path());
    let run = serve(cmd);
    let (status, body) = post(
        &run.data,
        "/v1/chat/completions",
        r#"{"model":"dead/m","messages":[{"role":"user","content":"hi"}]}"#,
        &format!("Authorization: Bearer {client_secret}\r\n"),
    );
    assert_eq!(status, 502, "{body}");
    assert!(!body.contains("TOPSECRET"), "{body}");
    std::thread::sleep(Duration::from_millis(200));
    let log = run.log.lock().unwrap().clone();
    assert!(
        log.contains("upstream failed"),
        "the failure is logged: {log}"
    );
    assert!(
        !log.contains("TOPSECRET"),
        "a secret reached the log:\n{log}"
    );
    assert!(!run.summary.contains("TOPSECRET"), "{}", run.summary);
    // JSON logs: every line parses.
    for line in log.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}
