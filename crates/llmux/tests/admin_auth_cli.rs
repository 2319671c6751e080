//! The generated admin password with the real binary: on a non-loopback admin listener with
//! no admin token or password, the first start prints one to stderr, it works as HTTP Basic,
//! only its salted hash reaches the data dir, and a restart reuses it without printing again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::Duration;

use llmux_store::{AdminStore, SqliteStore};
use support::{client, config, free_port, llmux_serve, start, Llmux};

const BANNER: &str = "ADMIN PASSWORD NOT SET";

async fn serve(file: &Path, data_dir: &Path) -> Llmux {
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(file)
        // Not loopback: all interfaces (reached below through 127.0.0.1).
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"])
        .arg("--data-dir")
        .arg(data_dir);
    let mut run = start(cmd).await;
    run.admin = run.admin.replace("0.0.0.0", "127.0.0.1");
    run
}

async fn status(run: &Llmux, password: Option<&str>) -> u16 {
    let mut req = client().get(format!("{}/api/v1/openapi.json", run.admin));
    if let Some(p) = password {
        req = req.basic_auth("admin", Some(p));
    }
    req.send().await.unwrap().status().as_u16()
}

async fn stop(mut run: Llmux) {
    run.proc.signal("TERM");
    assert!(run.proc.wait_exit(Duration::from_secs(20)).await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_password_is_printed_once_and_only_its_hash_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    std::fs::write(&file, config(free_port(), "local", &["a"], "")).unwrap();
    let data_dir = dir.path().join("data");

    let run = serve(&file, &data_dir).await;
    let log = run.log();
    assert_eq!(log.matches(BANNER).count(), 1, "{log}");
    let password = log
        .lines()
        .skip_while(|l| !l.contains(BANNER))
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 24, "{password:?}");
    assert_eq!(status(&run, None).await, 401);
    assert_eq!(status(&run, Some("not-it")).await, 403);
    assert_eq!(status(&run, Some(&password)).await, 200);
    stop(run).await;

    // Only a salted hash is kept: the password appears in no file of the data dir.
    for entry in std::fs::read_dir(&data_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes()));
    }
    let store = SqliteStore::open(data_dir.join("llmux.db")).unwrap();
    let row = store.password("admin").unwrap().unwrap();
    assert_eq!(row.hash.len(), 64);
    assert_eq!(
        row.hash,
        llmux_server::admin_auth::hash_password(&row.salt, &password)
    );
    drop(store);

    // A restart reuses the stored hash and prints nothing.
    let again = serve(&file, &data_dir).await;
    let log = again.log();
    assert!(!log.contains(BANNER) && !log.contains(&password), "{log}");
    assert_eq!(status(&again, Some(&password)).await, 200);
    stop(again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_token_means_no_generated_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    let secret = dir.path().join("token");
    std::fs::write(&secret, "from-a-docker-secret\n").unwrap();
    std::fs::write(&file, config(free_port(), "local", &["a"], "")).unwrap();
    let mut cmd = llmux_serve();
    cmd.env("LLMUX_ADMIN_TOKEN_FILE", &secret)
        .arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let mut run = start(cmd).await;
    run.admin = run.admin.replace("0.0.0.0", "127.0.0.1");
    assert!(!run.log().contains(BANNER));
    assert!(!run.log().contains("from-a-docker-secret"));
    let url = format!("{}/api/v1/openapi.json", run.admin);
    let ok = client()
        .get(&url)
        .bearer_auth("from-a-docker-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    stop(run).await;
}
