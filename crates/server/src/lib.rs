//! The HTTP edge of llmux: client API surfaces, request ids, the body limit, the admin
//! listener, and the one place where an error becomes a response in the client's dialect.

pub mod admin;
pub mod admin_auth;
pub mod admin_config;
pub mod admin_discovery;
mod admin_docs;
pub mod admin_keys;
mod admin_login;
pub mod audit;
pub mod client_auth;
pub mod error_response;
pub mod http_metrics;
pub mod listener;
pub mod provider_test;
mod read_body;
pub mod request_id;
pub mod serve;
pub mod surfaces;
pub mod usage_api;

pub use serve::{bind_forward, run, LateListener, Listeners};

use std::sync::Arc;

use llmux_engine::Gateway;
use llmux_store::UsageStore;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The gateway.
    pub gateway: Arc<Gateway>,
    /// Read handle on the usage store for the admin API; `None` when usage storage is off.
    pub usage: Option<Arc<dyn UsageStore>>,
    /// Endpoint discovery for `/api/v1/discovery*`; `None` when the process runs none.
    pub discovery: Option<Arc<dyn admin_discovery::DiscoveryControl>>,
    /// The live configuration API's control; `None` answers its routes with 503.
    pub config: Option<Arc<dyn admin_config::ConfigControl>>,
    /// The admin listener's credentials, sessions and audit log.
    pub admin: Arc<admin_auth::AdminPlane>,
    /// The llmux key store for `/api/v1/keys`; `None` answers those routes with 503.
    pub keys: Option<Arc<dyn llmux_store::KeyStore>>,
}
