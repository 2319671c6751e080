//! Endpoint discovery in the running gateway: the start-up scan merged into the first
//! configuration, a re-scan every `discovery.refresh` (and on `POST /api/v1/discovery/scan`)
//! that swaps in a new snapshot when providers or their models changed, and the merge SIGHUP
//! uses so a reload keeps the last scan.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use llmux_engine::config::Config;
use llmux_engine::discovery::{self, Scan, ScanReport, Scanner};
use llmux_engine::Gateway;
use llmux_server::admin_discovery::DiscoveryControl;

/// Time between checks when `discovery.refresh` is 0 (a SIGHUP may switch it on).
const IDLE_CHECK: Duration = Duration::from_secs(60);

/// The discovery of one llmux process.
pub struct Discovery {
    scanner: Scanner,
    state: Mutex<State>,
    /// Held while a merged configuration is built and swapped in (blocking threads only), so
    /// a re-scan and a SIGHUP never swap in each other's stale view.
    applying: Mutex<()>,
    gateway: OnceLock<Arc<Gateway>>,
}

struct State {
    /// The configuration from the file, environment and command line, without discovery.
    base: Config,
    /// The last scan; model lists of configured providers that failed to answer keep the
    /// last ones they gave.
    last: Scan,
    /// What the admin API shows.
    report: Option<ScanReport>,
}

impl Discovery {
    /// Discovery over `base`, never probing `own` (llmux's listeners as bound).
    pub fn new(own: Vec<SocketAddr>, base: Config) -> Result<Arc<Discovery>, String> {
        Ok(Arc::new(Discovery {
            scanner: Scanner::new(own)?,
            state: Mutex::new(State {
                base,
                last: Scan::default(),
                report: None,
            }),
            applying: Mutex::new(()),
            gateway: OnceLock::new(),
        }))
    }

    /// The start-up scan (at most `discovery.timeout`): returns the base configuration with
    /// what it found merged in, for the first snapshot.
    pub async fn startup(&self) -> Config {
        let base = self.base();
        let scan = self.scanner.scan(&base).await;
        let report = discovery::report(&base, &scan);
        log_scan(&report, "start-up");
        let mut state = self.lock();
        state.report = Some(report);
        remember(&mut state.last, scan);
        let mut merged = state.base.clone();
        discovery::apply(&mut merged, &state.last);
        merged
    }

    /// Hands over the running gateway, which re-scans then reload.
    pub fn attach(&self, gateway: Arc<Gateway>) {
        let _ = self.gateway.set(gateway);
    }

    /// SIGHUP's path: `base` becomes the new base, merged with the last scan, swapped in.
    pub fn reload(&self, base: Config) -> Result<(), String> {
        let _applying = self.applying.lock().unwrap_or_else(|e| e.into_inner());
        let merged = {
            let mut state = self.lock();
            state.base = base;
            let mut merged = state.base.clone();
            discovery::apply(&mut merged, &state.last);
            merged
        };
        let gateway = self
            .gateway
            .get()
            .ok_or_else(|| "the gateway is not running yet".to_owned())?;
        gateway.reload(merged).map_err(|e| e.to_string())
    }

    /// Scans now; when the merged providers or models differ from the running ones, builds and
    /// swaps in a new snapshot. Returns the scan's report.
    pub async fn rescan(self: &Arc<Self>) -> ScanReport {
        let base = self.base();
        let scan = self.scanner.scan(&base).await;
        let report = discovery::report(&base, &scan);
        {
            let mut state = self.lock();
            state.report = Some(report.clone());
            remember(&mut state.last, scan);
        }
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.apply_if_changed()).await {
            Ok(Ok(true)) => log_scan(&report, "re-scan applied"),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(
                target: "llmux",
                error = %e,
                "discovery: the scan's providers do not build; still serving the previous configuration"
            ),
            Err(e) => tracing::error!(target: "llmux", error = %e, "discovery apply crashed"),
        }
        report
    }

    /// Re-scans every `discovery.refresh`, forever.
    pub async fn run(self: Arc<Self>) {
        loop {
            let refresh = self.base().discovery.refresh;
            if refresh.is_zero() {
                tokio::time::sleep(IDLE_CHECK).await;
                continue;
            }
            tokio::time::sleep(refresh).await;
            self.rescan().await;
        }
    }

    /// Builds the merged configuration from the current base and last scan, and swaps it in
    /// if its providers differ from the running ones.
    fn apply_if_changed(&self) -> Result<bool, String> {
        let _applying = self.applying.lock().unwrap_or_else(|e| e.into_inner());
        let Some(gateway) = self.gateway.get() else {
            return Ok(false);
        };
        let merged = {
            let state = self.lock();
            let mut merged = state.base.clone();
            discovery::apply(&mut merged, &state.last);
            merged
        };
        let running = discovery::merged_key(&gateway.snapshot().config);
        if running == discovery::merged_key(&merged) {
            return Ok(false);
        }
        gateway.reload(merged).map_err(|e| e.to_string())?;
        Ok(true)
    }

    /// The configuration from the file, environment and command line, without discovery.
    pub fn base(&self) -> Config {
        self.lock().base.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The admin API's handle on a [`Discovery`].
pub struct AdminHandle(pub Arc<Discovery>);

impl DiscoveryControl for AdminHandle {
    fn scan_now(&self) -> Pin<Box<dyn Future<Output = ScanReport> + Send + '_>> {
        Box::pin(self.0.rescan())
    }

    fn last_scan(&self) -> Option<ScanReport> {
        self.0.lock().report.clone()
    }
}

/// Keeps `scan` as the last one, carrying over the model lists of providers that did not
/// answer this time (a server that is briefly down keeps its models).
fn remember(last: &mut Scan, mut scan: Scan) {
    for (id, models) in std::mem::take(&mut last.listed) {
        scan.listed.entry(id).or_insert(models);
    }
    *last = scan;
}

fn log_scan(report: &ScanReport, when: &str) {
    for found in &report.found {
        tracing::info!(
            target: "llmux",
            provider = %found.name,
            kind = ?found.kind,
            base_url = %found.base_url,
            models = found.models.len(),
            "discovery ({when}): found"
        );
    }
    tracing::debug!(
        target: "llmux",
        found = report.found.len(),
        skipped = report.skipped.len(),
        took_ms = report.took_ms,
        "discovery ({when}) done"
    );
}
