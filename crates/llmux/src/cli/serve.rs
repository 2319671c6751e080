//! `llmux serve`: load the configuration, bind, print the summary, serve until a signal.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use llmux_engine::config::{Config, Env};
use llmux_engine::record::LogSink;
use llmux_engine::{Gateway, Snapshot};
use llmux_server::{AppState, Listeners};

use super::ServeArgs;
use crate::logging;

/// Runs the gateway until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    logging::init(args.log_format, &args.log)?;
    let mut config = match Config::load_path(args.config.as_deref(), &Env::from_process()) {
        Ok(c) => c,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(addr) = args.listen {
        config.server.listen = addr;
    }
    if let Some(addr) = args.admin_listen {
        config.server.admin_listen = addr;
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;

    // One worker: a single-threaded runtime, so the accept loop and the connections share one
    // thread and never wake each other across threads.
    let mut runtime = match args.workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n.max(1));
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listeners = Listeners::bind(config.server.listen, config.server.admin_listen).await?;
        // With port 0 the OS picks: show the real ports.
        config.server.listen = listeners.data_addr()?;
        config.server.admin_listen = listeners.admin_addr()?;
        let (data_addr, admin_addr) = (config.server.listen, config.server.admin_listen);
        eprint!("{}", llmux_engine::summary::render(&config));
        let snapshot = Snapshot::build(config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let gateway = Arc::new(Gateway::new(snapshot, Arc::new(LogSink)));
        let state = AppState { gateway };
        tracing::info!(target: "llmux", data = %data_addr, admin = %admin_addr, "ready");
        llmux_server::run(
            state,
            listeners,
            shutdown_signal(),
            Duration::from_secs(args.drain_secs),
        )
        .await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
