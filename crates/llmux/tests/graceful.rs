//! Graceful operation, with real llmux and llmux-mock processes on real sockets: SIGHUP
//! reloads, reloads under load, and a zero-downtime restart on the same ports (SO_REUSEPORT).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{chat, client, config, free_port, llmux_serve, mock, start, MigrateReq};

fn write(path: &std::path::Path, text: &str) {
    // Write then rename: a reload never reads a half-written file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_file_and_keeps_the_old_config_on_errors() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    // The admin address comes from the file; the data-plane one from --listen.
    let admin_port = free_port();
    let admin = format!("server:\n  admin_listen: 127.0.0.1:{admin_port}\n");
    write(&file, &config(mock.port, "mock", &["a"], &admin));
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"));
    let run = start(cmd).await;
    let c = client();
    let (status, body) = chat(&c, &run.data, "a", false, false).await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("hello"), "{body}");
    assert_eq!(chat(&c, &run.data, "b", false, false).await.unwrap().0, 404);

    // Add `b`. The file's data-plane address loses to --listen, as at start-up: no warning.
    let listen =
        format!("server:\n  listen: 127.0.0.1:1\n  admin_listen: 127.0.0.1:{admin_port}\n");
    write(&file, &config(mock.port, "mock", &["a", "b"], &listen));
    run.proc.signal("HUP");
    run.wait_log("config reloaded", 1).await;
    let (status, body) = chat(&c, &run.data, "b", false, false).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let log = run.log();
    assert!(log.contains("providers=1 models=3"), "{log}");
    assert!(!log.contains("cannot change"), "{log}");

    // An invalid file: the errors are logged, the running configuration stays.
    write(&file, "models:\n  c: nowhere/x\n");
    run.proc.signal("HUP");
    run.wait_log("config reload failed", 1).await;
    let log = run.log();
    assert!(log.contains("line 2: models.c.target"), "{log}");
    for model in ["a", "b"] {
        let (status, body) = chat(&c, &run.data, model, false, false).await.unwrap();
        assert_eq!(status, 200, "{model}: {body}");
    }

    // A new admin address needs a restart: warned, and the old listener keeps serving.
    let moved = format!("server:\n  admin_listen: 127.0.0.1:{}\n", free_port());
    write(&file, &config(mock.port, "mock", &["a"], &moved));
    run.proc.signal("HUP");
    run.wait_log("config reloaded", 2).await;
    assert!(
        run.log()
            .contains("config reload cannot change server.admin_listen"),
        "{}",
        run.log()
    );
    let ready = c.get(format!("{}/ready", run.admin)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(chat(&c, &run.data, "b", false, false).await.unwrap().0, 404);

    // A burst of SIGHUPs: reloads run one after the other (each start is followed by its end
    // before the next start), and the last one reads the newest file.
    write(&file, &config(mock.port, "mock", &["a", "c"], &moved));
    for _ in 0..5 {
        run.proc.signal("HUP");
    }
    run.wait_log("config reloaded", 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = run.log();
    let events: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            if l.contains("SIGHUP: reloading") {
                Some("start")
            } else if l.contains("config reload") && !l.contains("cannot change") {
                Some("end")
            } else {
                None
            }
        })
        .collect();
    assert!(
        events.chunks(2).all(|pair| pair == ["start", "end"]),
        "{events:?}\n{log}"
    );
    assert_eq!(chat(&c, &run.data, "c", false, false).await.unwrap().0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_without_a_file_rereads_the_environment_and_key_files() {
    let mock = mock(&["--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    write(&key, "sk-old-SECRET-1111\n");
    let mut cmd = llmux_serve();
    cmd.env(
        "LLMUX_ENDPOINT_MOCK_URL",
        format!("http://127.0.0.1:{}/v1", mock.port),
    )
    .env("LLMUX_ENDPOINT_MOCK_MODELS", "m1")
    .env("LLMUX_ENDPOINT_MOCK_KEY_FILE", &key)
    .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
    .arg("--data-dir")
    .arg(dir.path().join("data"));
    let run = start(cmd).await;
    let c = client();
    assert_eq!(
        chat(&c, &run.data, "mock/m1", false, false)
            .await
            .unwrap()
            .0,
        200
    );

    write(&key, "sk-new-SECRET-2222\n");
    run.proc.signal("HUP");
    run.wait_log("config reloaded", 1).await;
    assert_eq!(
        chat(&c, &run.data, "mock/m1", false, false)
            .await
            .unwrap()
            .0,
        200
    );

    let recorded: serde_json::Value = c
        .get(format!("http://127.0.0.1:{}/_mock/requests", mock.port))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let auth: Vec<String> = recorded
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let headers = r["headers"].as_array()?;
            let h = headers.iter().find(|h| h[0] == "authorization")?;
            h[1].as_str().map(str::to_owned)
        })
        .collect();
    assert_eq!(
        auth,
        ["Bearer sk-old-SECRET-1111", "Bearer sk-new-SECRET-2222"]
    );
    let log = run.log();
    assert!(
        log.contains("config reloaded config=embedded defaults + environment providers=1"),
        "{log}"
    );
    assert!(!log.contains("SECRET"), "a key reached the log:\n{log}");
}

/// How a batch of requests went.
#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn record(&self, result: Result<(u16, String), String>, stream: bool) {
        let complete = |body: &str| {
            if stream {
                body.trim_end().ends_with("data: [DONE]")
            } else {
                body.contains("hello")
            }
        };
        match result {
            Ok((200, body)) if complete(&body) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok((status, body)) => self
                .failures
                .lock()
                .unwrap()
                .push(format!("{status}: {body}")),
            Err(e) => self.failures.lock().unwrap().push(e),
        }
    }

    fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_lose_no_request() {
    const REQUESTS: usize = 2_000;
    // All 2,000 in flight at once (the mock holds each 300 ms). llmux needs two descriptors a
    // request (client and upstream side): with a low open-files limit, fewer at once.
    let connections = match open_files_limit() {
        Some(n) if n < 6 * REQUESTS as u64 => {
            let c = (n as usize / 6).max(64);
            eprintln!("open-files limit {n}: {c} requests in flight at once instead of {REQUESTS}");
            c
        }
        _ => REQUESTS,
    };
    let mock = mock(&["--no-record", "--delay-ms", "300", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    // Two valid configurations; `a` goes to a different provider in each.
    let x = config(mock.port, "mock", &["a", "x"], "");
    let y = config(mock.port, "other", &["a", "y"], "");
    write(&file, &x);
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let run = start(cmd).await;

    let c = client();
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally::default());
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (c, next, tally, data) = (c.clone(), next.clone(), tally.clone(), run.data.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < REQUESTS {
                    tally.record(chat(&c, &data, "a", false, false).await, false);
                }
            })
        })
        .collect();
    for k in 1..=5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        write(&file, if k % 2 == 1 { &y } else { &x });
        run.proc.signal("HUP");
        run.wait_log("config reloaded", k).await;
    }
    let done_at_last_reload = tally.ok.load(Ordering::Relaxed) + tally.failures().len();
    for w in workers {
        w.await.unwrap();
    }
    let failures = tally.failures();
    assert!(
        failures.is_empty(),
        "{} of {REQUESTS} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(tally.ok.load(Ordering::Relaxed), REQUESTS);
    assert!(
        done_at_last_reload < REQUESTS,
        "the load ended before the reloads did"
    );
    let models = c.get(format!("{}/v1/models", run.data)).send().await;
    let models = models.unwrap().text().await.unwrap();
    assert!(
        models.contains("other/m1") && !models.contains("\"x\""),
        "{models}"
    );
    assert!(!run.log().contains("reload failed"), "{}", run.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_on_the_same_ports_loses_no_request() {
    const CLIENTS: usize = 32;
    let migrate = MigrateReq::enable();
    let mock = mock(&[
        "--no-record",
        "--chunks",
        "20",
        "--chunk-delay-ms",
        "20",
        "--text",
        "hello",
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (data_port, admin_port) = (free_port(), free_port());
    let serve = |name: &str, aliases: &[&str]| {
        let file = dir.path().join(name);
        write(&file, &config(mock.port, "mock", aliases, ""));
        let mut cmd = llmux_serve();
        cmd.arg("--config")
            .arg(file)
            .arg("--listen")
            .arg(format!("127.0.0.1:{data_port}"))
            .arg("--admin-listen")
            .arg(format!("127.0.0.1:{admin_port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"));
        cmd
    };
    let mut a = start(serve("a.yaml", &["a"])).await;

    // Half the clients keep their connections alive; the other half send `Connection: close`,
    // so each of their requests goes through a listener's accept queue.
    let c = client();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (c, stop, tally, data) = (c.clone(), stop.clone(), tally.clone(), a.data.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    tally.record(chat(&c, &data, "a", true, i % 2 == 0).await, true);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // B binds the same ports while A serves. It has one more model, so /ready (a new
    // connection each time) tells when the kernel hands B connections too.
    let b = start(serve("b.yaml", &["a", "b"])).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let ready = c
            .get(format!("{}/ready", b.admin))
            .header("connection", "close");
        if ready
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(r#""models":3"#)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never answered on the shared port"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let served_before_term = tally.ok.load(Ordering::Relaxed);
    a.proc.signal("TERM");
    let term = Instant::now();
    let status = a.proc.wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "A after SIGTERM: {status}\n{}", a.log());
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(term.elapsed())).await;
    let served_before_stop = tally.ok.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let failures = tally.failures();
    let (by_a, by_b) = (
        a.log().matches("request finished").count(),
        b.log().matches("request finished").count(),
    );
    eprintln!(
        "restart: {} complete streams ({by_a} by A, {by_b} by B), {} failed; \
         tcp_migrate_req {}",
        tally.ok.load(Ordering::Relaxed),
        failures.len(),
        if migrate.on {
            "on"
        } else {
            "off (not writable)"
        }
    );
    assert!(a.log().contains("shutting down"), "{}", a.log());
    assert!(
        served_before_stop > served_before_term + CLIENTS && by_a > 0 && by_b > 0,
        "the load did not run on both sides of the restart: {served_before_term} before \
         SIGTERM, {served_before_stop} by the end; {by_a} by A, {by_b} by B"
    );
    // A stream that started must end with [DONE]. A request without any answer (reset in the
    // closed listener's queue) is excused only when the kernel cannot be told to move that
    // queue to B.
    let broken: Vec<_> = failures
        .iter()
        .filter(|f| migrate.on || !f.starts_with("no answer"))
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {} failed (tcp_migrate_req on: {}), first: {:?}",
        broken.len(),
        served_before_stop,
        migrate.on,
        broken.first()
    );
}

/// This process's soft open-files limit (children inherit it), from /proc.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
