//! The HTTP edge of llmux: client API surfaces, request ids, the body limit, the admin
//! listener, and the one place where an error becomes a response in the client's dialect.

pub mod admin;
pub mod error_response;
pub mod listener;
mod read_body;
pub mod request_id;
pub mod serve;
pub mod surfaces;

pub use serve::{run, Listeners};

use std::sync::Arc;

use llmux_engine::Gateway;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The gateway.
    pub gateway: Arc<Gateway>,
}
