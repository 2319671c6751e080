//! `llmux serve`: load the configuration, bind, print the summary, serve until SIGTERM,
//! reload on SIGHUP.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use llmux_engine::config::{ApiObjects, Config, Env};
use llmux_engine::metrics::{Metrics, MetricsSink, RowCounts};
use llmux_engine::record::{LogSink, RecordSink};
use llmux_engine::{Gateway, Snapshot};
use llmux_server::admin_discovery::DiscoveryControl;
use llmux_server::{AppState, Listeners};
use llmux_store::BatchWriter;

use super::reload::{Fixed, Overrides, Reloader};
use super::ServeArgs;
use crate::forward_listeners::ForwardListeners;
use crate::{journal, keys, logging, usage};
use llmux_engine::tags::AuthMode;

/// Runs the gateway until SIGTERM or Ctrl-C; SIGHUP reloads the configuration.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    logging::init(args.log_format, &args.log)?;
    let mut config = match Config::load_path(args.config.as_deref(), &Env::from_process()) {
        Ok(c) => c,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    let overrides = Overrides {
        listen: args.listen,
        admin_listen: args.admin_listen,
        data_dir: args.data_dir.clone(),
        auth_mode: args.auth_mode,
    };
    overrides.apply(&mut config);
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    // Before binding anything: a database that cannot open stops start-up.
    let writer = usage::open_writer(&config.data_dir, &config.usage)?.map(Arc::new);
    let usage_reader = usage::open_reader(&config.data_dir, &config.usage)?;
    let key_source = Arc::new(keys::KeySource::open(
        &config.data_dir,
        config.auth.mode == AuthMode::ProxyKey,
    )?);
    let journal = journal::open_journal(&config.data_dir, &config.journal)?.map(Arc::new);
    // The admin API's objects join the file and the environment from the start.
    let registry = crate::config_control::open_registry(&config.data_dir)?;
    let api = crate::config_control::stored_objects(registry.as_ref())?;
    if api != ApiObjects::default() {
        // The file alone is valid (checked above): an API object it no longer accepts is
        // left out with an error line, never a reason not to start.
        let composed = match Config::load_path_skipping(
            args.config.as_deref(),
            &Env::from_process(),
            &api,
            &BTreeSet::new(),
        ) {
            Ok(c) => c,
            Err(errors) => {
                eprint!("{errors}");
                return Ok(ExitCode::from(1));
            }
        };
        crate::config_control::warn_skipped(&composed, &config);
        config = composed;
        overrides.apply(&mut config);
    }
    let admin = admin_plane(&config)?;
    // Metrics, then store, then journal, then the log line. Metrics come first: the recorder
    // takes its active-requests unit from the head of the chain.
    let mut sink: Arc<dyn RecordSink> = Arc::new(LogSink);
    if let Some(j) = &journal {
        sink = Arc::new(journal::JournalSink::new(j.clone(), sink));
    }
    if let Some(w) = &writer {
        sink = Arc::new(usage::StoreSink::new(w.clone(), sink));
    }
    let metrics = Arc::new(Metrics::default());
    if let Some(w) = &writer {
        metrics.watch_usage_rows(Arc::new(WriterRows(w.clone())));
    }
    let sink: Arc<dyn RecordSink> = Arc::new(MetricsSink::new(metrics.clone(), sink));

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
    // The gateway, for the last save of key spend after the runtime is gone.
    let keys_gateway: Arc<Mutex<Option<Arc<Gateway>>>> = Arc::default();
    let slot = keys_gateway.clone();
    let key_source_task = key_source.clone();
    let result = runtime.block_on(async move {
        // Before anything else: SIGHUP's default action would end the process.
        #[cfg(unix)]
        let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot install the SIGHUP handler")?;
        let mut listeners =
            Listeners::bind(config.server.listen, config.server.admin_listen).await?;
        // Forwards listen through the same path a configuration change takes.
        let forwards = Arc::new(ForwardListeners::new(
            listeners.late(),
            tokio::runtime::Handle::current(),
        ));
        let fixed = Fixed {
            listen: config.server.listen,
            admin_listen: config.server.admin_listen,
            data_dir: config.data_dir.clone(),
            bound_listen: listeners.data_addr()?,
            bound_admin: listeners.admin_addr()?,
        };
        let pending = forwards
            .prepare(&mut config, &fixed.reserved())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        forwards.commit(pending);
        let fixed_data_dir = fixed.data_dir.clone();
        // With port 0 the OS picks: show the real ports.
        config.server.listen = fixed.bound_listen;
        config.server.admin_listen = fixed.bound_admin;
        let (data_addr, admin_addr) = (config.server.listen, config.server.admin_listen);
        // Endpoint discovery: at most `discovery.timeout` before the first snapshot.
        let discovery = start_discovery(&fixed, &config);
        if let Some(d) = &discovery {
            config = d.startup().await;
        }
        eprint!("{}", llmux_engine::summary::render(&config));
        warn_about_auth(&config);
        let snapshot = Snapshot::build(config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let gateway = Arc::new(Gateway::with_metrics(snapshot, sink, metrics));
        let key_source = key_source_task;
        let loaded = key_source.sync(gateway.keys())?;
        if gateway.snapshot().config.auth.mode == AuthMode::ProxyKey && loaded == 0 {
            tracing::warn!(
                target: "llmux",
                "auth mode proxy_key and no llmux key yet: every request is refused until one \
                 is made with `llmux keys create --name <who>`"
            );
        }
        keys::spawn_refresher(key_source.clone(), gateway.clone());
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(gateway.clone());
        if let Some(d) = &discovery {
            d.attach(gateway.clone());
            tokio::spawn(d.clone().run());
        }
        let reloader = Reloader {
            path: args.config.clone(),
            overrides,
            fixed,
            gateway: gateway.clone(),
            discovery: discovery.clone(),
            forwards,
        };
        let control = Arc::new(crate::config_control::Control::new(reloader, registry));
        let state = AppState {
            gateway,
            usage: usage_reader,
            discovery: discovery
                .clone()
                .map(|d| Arc::new(crate::discovery::AdminHandle(d)) as Arc<dyn DiscoveryControl>),
            config: Some(control.clone()),
            admin,
            keys: Some(keys::open_store(&fixed_data_dir)? as Arc<dyn llmux_store::KeyStore>),
        };
        match (&args.config, args.watch_config) {
            (Some(path), true) => {
                let interval = super::watch::WATCH_INTERVAL;
                tokio::spawn(super::watch::run(control.clone(), path.clone(), interval));
            }
            (None, true) => tracing::warn!(
                target: "llmux",
                "--watch-config has no file to watch: give one with --config"
            ),
            _ => {}
        }
        #[cfg(unix)]
        tokio::spawn(Reloader::run(control, hangups));
        note_migrate_req();
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
    });
    // Tasks the drain left behind end here, emitting their records (as disconnects)...
    runtime.shutdown_timeout(Duration::from_secs(1));
    // ...the keys' last spend is saved...
    if let Some(gateway) = keys_gateway
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        if let Err(e) = key_source.sync(gateway.keys()) {
            tracing::warn!(target: "llmux", error = %format!("{e:#}"), "could not save key spend");
        }
    }
    // ...and then every row offered so far is committed.
    if let Some(w) = writer {
        w.shutdown();
        tracing::info!(
            target: "llmux",
            written = w.written(),
            dropped = w.dropped(),
            failed = w.failed(),
            "usage store closed"
        );
    }
    if let Some(j) = journal {
        j.shutdown();
        tracing::info!(
            target: "llmux",
            written = j.written(),
            dropped = j.dropped(),
            failed = j.failed(),
            "journal closed"
        );
    }
    result
}

/// The process's endpoint discovery, never probing llmux's own listeners (the forwards' too:
/// each scan takes them from the configuration, where they are as bound); `None` (with a
/// warning) if its HTTP client cannot be built.
fn start_discovery(fixed: &Fixed, config: &Config) -> Option<Arc<crate::discovery::Discovery>> {
    let own = vec![fixed.bound_listen, fixed.bound_admin];
    crate::discovery::Discovery::new(own, config.clone())
        .map_err(|e| tracing::warn!(target: "llmux", error = %e, "endpoint discovery is off"))
        .ok()
}

/// The usage writer's row counts, as the metrics read them at scrape time.
struct WriterRows(Arc<BatchWriter>);

impl RowCounts for WriterRows {
    fn written(&self) -> u64 {
        self.0.written()
    }
    fn dropped(&self) -> u64 {
        self.0.dropped()
    }
    fn failed(&self) -> u64 {
        self.0.failed()
    }
}

/// Zero-downtime restarts (a new llmux binds the same ports with SO_REUSEPORT, then the old one
/// gets SIGTERM) lose the connections queued on the old listener when it closes, unless the
/// kernel moves them to the new one: say so once if it is off.
fn note_migrate_req() {
    #[cfg(target_os = "linux")]
    match std::fs::read_to_string("/proc/sys/net/ipv4/tcp_migrate_req") {
        Ok(v) if v.trim() == "0" => tracing::info!(
            target: "llmux",
            "net.ipv4.tcp_migrate_req is 0: for restarts without lost connections set it to 1 \
             (sysctl -w net.ipv4.tcp_migrate_req=1; see docs/operations.md)"
        ),
        Ok(_) => {}
        Err(e) => tracing::debug!(
            target: "llmux",
            error = %e,
            "net.ipv4.tcp_migrate_req unreadable (Linux < 5.14?)"
        ),
    }
}

/// The admin listener's auth and audit log (in the data dir's database). With no admin
/// token or password on a non-loopback admin listener, a password is generated on the first
/// start, printed once here, and only its salted hash kept.
fn admin_plane(config: &Config) -> anyhow::Result<Arc<llmux_server::admin_auth::AdminPlane>> {
    use llmux_server::admin_auth::{self, AdminPlane};
    let path = usage::db_path(&config.data_dir);
    let loopback = config.server.admin_listen.ip().is_loopback();
    // An open loopback listener with usage off makes no database just for its audit log.
    let wanted =
        path.is_file() || config.usage.enabled || !loopback || config.admin.has_credentials();
    let store: Option<Arc<dyn llmux_store::AdminStore>> = if wanted {
        let store = llmux_store::SqliteStore::open(&path)
            .with_context(|| format!("cannot open the admin database {}", path.display()))?;
        Some(Arc::new(store))
    } else {
        None
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let (auth, generated) = admin_auth::setup(&config.admin, loopback, store.as_deref(), now_ms)
        .context("cannot set up admin authentication")?;
    // No lowercase "admin " in these lines: scripts find the admin address by it.
    if let Some(password) = generated {
        let rule = "=".repeat(60);
        eprintln!(
            "{rule}\nADMIN PASSWORD NOT SET - generated a random password (shown once; only \
             its hash is stored in {}):\n  {password}\nUse HTTP Basic with user `admin`, or \
             POST /api/v1/login; set LLMUX_ADMIN_PASSWORD or LLMUX_ADMIN_TOKEN to choose your \
             own.\n{rule}",
            path.display()
        );
    } else if auth.is_open() {
        tracing::info!(
            target: "llmux",
            "admin-listener API open: no LLMUX_ADMIN_TOKEN or LLMUX_ADMIN_PASSWORD set, and it \
             listens on loopback only"
        );
    } else if !config.admin.has_credentials() {
        tracing::info!(
            target: "llmux",
            "admin-listener password: the one generated at an earlier start (only its hash is \
             kept)"
        );
    }
    Ok(Arc::new(AdminPlane { auth, store }))
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

/// Says at start-up what the client auth mode means for this gateway: open to anyone on a
/// non-loopback address, or waiting for llmux keys.
fn warn_about_auth(config: &Config) {
    let mode = config.auth.mode;
    let open = mode == AuthMode::None
        && std::iter::once(config.server.listen)
            .chain(config.server.forwards.iter().map(|f| f.listen))
            .any(|addr| !addr.ip().is_loopback());
    if open {
        tracing::warn!(
            target: "llmux",
            "auth mode none on a non-loopback address: anyone who can reach it can use your \
             provider keys; set `auth.mode: proxy_key` (and `llmux keys create`) to require keys"
        );
    } else {
        tracing::info!(target: "llmux", auth = mode.as_str(), "client auth");
    }
}
