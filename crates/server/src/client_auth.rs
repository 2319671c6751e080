//! Data-plane client authentication, by `auth.mode`: `none` lets every request in;
//! `proxy_key` requires an llmux key the gateway knows, in good standing (its model, window
//! and budget are checked by the engine once the body is read); `passthrough` requires the
//! client's own provider key and hands it to the engine to send upstream.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::Request;
use http::Method;
use llmux_engine::caller::Caller;
use llmux_engine::error::ErrorKind;
use llmux_engine::keys::{presented_key, KeyDenied};
use llmux_engine::tags::AuthMode;
use llmux_engine::GatewayError;

use crate::AppState;

/// The client's own provider key (auth `passthrough`), a request extension.
#[derive(Clone)]
pub struct ClientCredential(pub String);

// Never printed: it is a provider secret.
impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCredential(..)")
    }
}

/// Paths served without credentials whatever the mode: liveness checks that clients (Ollama's
/// `GET /` and `/api/version`) make before they send a key, and CORS preflights.
fn open_path(method: &Method, path: &str) -> bool {
    *method == Method::OPTIONS
        || (*method == Method::GET && matches!(path, "/" | "/api/version"))
        || (*method == Method::HEAD && path == "/")
}

/// Checks the request's credentials for `mode` and records what was found in its
/// extensions (the key's entry and identity, or the client's provider key).
pub fn authenticate(
    state: &AppState,
    mode: AuthMode,
    req: &mut Request,
) -> Result<(), GatewayError> {
    if mode == AuthMode::None || open_path(req.method(), req.uri().path()) {
        return Ok(());
    }
    let presented = presented_key(req.headers(), req.uri().query()).map(str::to_owned);
    let denied = |d: KeyDenied| GatewayError::from(ErrorKind::KeyDenied(d));
    let Some(presented) = presented else {
        return Err(denied(KeyDenied::Missing));
    };
    if mode == AuthMode::Passthrough {
        req.extensions_mut().insert(ClientCredential(presented));
        return Ok(());
    }
    let entry = state
        .gateway
        .keys()
        .find(&presented)
        .ok_or_else(|| denied(KeyDenied::Invalid))?;
    // Known from here on, even if refused: its refusal is recorded under its name.
    req.extensions_mut().insert(Caller {
        key: Some(Arc::clone(&entry.identity)),
        ..Caller::default()
    });
    entry.check_standing(SystemTime::now()).map_err(denied)?;
    req.extensions_mut().insert(entry);
    Ok(())
}
