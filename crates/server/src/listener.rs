//! What a data-plane listener adds before a request reaches its surface: the listener's rate
//! limits (per client IP, and for the whole listener), client authentication, and its path
//! rules, which can hand the request to a group whatever model it names.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use llmux_engine::metrics::RateLimitScope;
use llmux_engine::routing::forward::Limited;
use llmux_engine::GatewayError;

use crate::surfaces::dialect_of_path;
use crate::{error_response, request_id, AppState};

/// The group a listener's rules chose for a request (a request extension).
#[derive(Debug, Clone)]
pub struct ForwardGroup(pub String);

/// A listener's identity, handed to its middleware.
#[derive(Clone)]
pub struct ListenerCtx {
    /// Shared state.
    pub state: AppState,
    /// The listener's name (`main` for `server.listen`, else the forward's name).
    pub name: Arc<str>,
}

/// What each route of a listener runs first (one layer, so one boxed future and one service
/// clone per request): its HTTP metrics around everything, then [`admit`].
#[derive(Clone)]
pub struct FrontCtx {
    /// The listener.
    pub listener: ListenerCtx,
    /// Its HTTP metrics.
    pub metrics: crate::http_metrics::HttpMetricsCtx,
}

/// The listener's layer: counts the request (refusals included), admits it, passes it on.
pub async fn front(State(ctx): State<FrontCtx>, mut req: Request, next: Next) -> Response {
    let tracking = crate::http_metrics::Tracking::begin(&ctx.metrics, &req);
    let resp = match admit(&ctx.listener, &mut req) {
        None => next.run(req).await,
        Some(refused) => refused,
    };
    tracking.finish(&ctx.metrics, resp)
}

/// Applies the listener's limits, client authentication and path rules; `Some` is the
/// refusal to send instead of passing the request on.
pub fn admit(ctx: &ListenerCtx, req: &mut Request) -> Option<Response> {
    // One id per request from here on: the response header, the record and the journal agree.
    request_id::ensure(req.headers_mut());
    let snapshot = ctx.state.gateway.snapshot();
    let mode = snapshot.config.auth.mode;
    if let Some(forward) = snapshot.forward(&ctx.name) {
        let client = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        if let Err((limit, wait)) = forward.limits.check(client, Instant::now()) {
            let (scope, metric) = match limit {
                Limited::ClientIp => (format!("client {client}"), RateLimitScope::ClientIp),
                Limited::Forward => (format!("listener `{}`", ctx.name), RateLimitScope::Forward),
            };
            ctx.state.gateway.metrics().rate_limited(metric);
            let err = GatewayError::rate_limited(scope, wait);
            return Some(refuse(&ctx.state, req, &err));
        }
        if let Some(group) = forward.group_for(req.uri().path()) {
            req.extensions_mut().insert(ForwardGroup(group.to_owned()));
        }
    }
    drop(snapshot);
    if let Err(err) = crate::client_auth::authenticate(&ctx.state, mode, req) {
        return Some(refuse(&ctx.state, req, &err));
    }
    None
}

/// The error response of a request refused at the listener; a refused API call (a `POST`)
/// also gets its usage record, so that refusals show in usage by key and client.
fn refuse(state: &AppState, req: &Request, err: &GatewayError) -> Response {
    let path = req.uri().path();
    let dialect = dialect_of_path(path);
    let id = request_id::from_headers(req.headers());
    if req.method() == http::Method::POST {
        let caller = crate::surfaces::caller_of(req.extensions());
        let op = operation_of_path(path);
        let started = Instant::now();
        let model = String::new();
        state
            .gateway
            .record_refusal(&id, (dialect, op), model, &caller, err, started);
    }
    error_response::response(dialect, err, id)
}

/// The API operation a path most likely is, for the record of a request refused before its
/// route ran.
fn operation_of_path(path: &str) -> llmux_providers::Operation {
    use llmux_providers::Operation;
    if path.contains("embed") {
        Operation::Embeddings
    } else if path.ends_with("/completions") && !path.ends_with("/chat/completions")
        || path.ends_with("/api/generate")
    {
        Operation::Completions
    } else {
        Operation::ChatCompletions
    }
}
