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

/// Applies the listener's limits, client authentication and path rules, then passes the
/// request on.
pub async fn admit(State(ctx): State<ListenerCtx>, mut req: Request, next: Next) -> Response {
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
            let id = request_id::from_headers(req.headers());
            return error_response::response(dialect_of_path(req.uri().path()), &err, id);
        }
        if let Some(group) = forward.group_for(req.uri().path()) {
            req.extensions_mut().insert(ForwardGroup(group.to_owned()));
        }
    }
    drop(snapshot);
    if let Err(err) = crate::client_auth::authenticate(&ctx.state, mode, &mut req) {
        let id = request_id::from_headers(req.headers());
        return error_response::response(dialect_of_path(req.uri().path()), &err, id);
    }
    next.run(req).await
}
