//! The HTTP edge of llmux: client API surfaces, request ids, the body limit, the admin
//! listener, and the one place where an error becomes a response in the client's dialect.

pub mod admin;
pub mod admin_auth;
mod admin_docs;
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

pub use serve::{run, Listeners};

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
    /// The admin listener's credentials, sessions and audit log.
    pub admin: Arc<admin_auth::AdminPlane>,
}
