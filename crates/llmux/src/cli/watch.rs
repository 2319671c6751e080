//! `--watch-config`: reloads the configuration when its file changes, through the same path
//! as SIGHUP and the admin API ([`crate::config_control::Control`]).
//!
//! The file is polled (one `stat` a second) rather than watched with inotify: polling sees
//! every way a file gets replaced (editors that write a new file and rename it, Kubernetes
//! ConfigMaps that swap a symlink, network filesystems) and needs nothing from the platform.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config_control::Control;

/// How often the file's metadata is read.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// How long a change must rest before it is read: an editor's write in several steps is read
/// once, whole.
const SETTLE: Duration = Duration::from_millis(200);

/// What tells one version of the file from another without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
    })
}

/// Polls `path` every `interval`, forever, and reloads through `control` whenever its
/// content changes. A file that is briefly missing (replaced by a rename) is waited for.
pub async fn run(control: Arc<Control>, path: PathBuf, interval: Duration) {
    tracing::info!(target: "llmux", config = %path.display(), "watching the configuration file for changes");
    let mut seen = stamp(&path);
    let mut content = std::fs::read(&path).ok();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = stamp(&path);
        if now.is_none() || now == seen {
            continue;
        }
        tokio::time::sleep(SETTLE).await;
        seen = stamp(&path);
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        if content.as_ref() == Some(&text) {
            continue; // Touched, not changed.
        }
        content = Some(text);
        tracing::info!(target: "llmux", config = %path.display(), "configuration file changed: reloading");
        let job = control.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || job.reload_once()).await {
            tracing::error!(target: "llmux", error = %e, "config reload crashed");
        }
    }
}
