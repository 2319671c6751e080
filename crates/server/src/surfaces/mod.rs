//! Client API surfaces, one module per API. Each adds its routes to the data-plane router.

pub mod anthropic;
pub mod gemini;
pub mod ollama;
pub mod openai;
pub mod responses;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use http::HeaderValue;
use llmux_engine::caller::Caller;
use llmux_engine::count::Counted;
use llmux_engine::passthrough::{ErrorEvent, Inbound, PathTarget};
use llmux_engine::GatewayError;
use llmux_protocol::Dialect;
use llmux_providers::Operation;

use crate::read_body::read_body;
use crate::{error_response, request_id, AppState};

/// Response header set when a token count is llmux's estimate, not the provider's count.
pub(crate) const TOKEN_COUNT_HEADER: &str = "x-llmux-token-count";

/// Adds one surface's routes to the data-plane router.
pub type AddRoutes = fn(Router<AppState>) -> Router<AppState>;

/// The surfaces served on the data plane, in registration order.
pub const SURFACES: &[AddRoutes] = &[
    openai::routes,
    responses::routes,
    anthropic::routes,
    gemini::routes,
    ollama::routes,
];

/// The data-plane router with every surface, for the main listener.
pub fn router(state: AppState) -> Router {
    router_for(state, llmux_engine::routing::forward::MAIN)
}

/// The data-plane router of listener `name`: every surface, behind the listener's limits and
/// path rules, and its HTTP metrics.
pub fn router_for(state: AppState, name: &str) -> Router {
    let mut router = Router::new();
    for add in SURFACES {
        router = add(router);
    }
    let name: std::sync::Arc<str> = name.into();
    let ctx = crate::listener::FrontCtx {
        listener: crate::listener::ListenerCtx {
            state: state.clone(),
            name: name.clone(),
        },
        metrics: crate::http_metrics::HttpMetricsCtx::new(state.gateway.clone(), name),
    };
    router
        .fallback(openai::not_found)
        .method_not_allowed_fallback(openai::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            ctx,
            crate::listener::front,
        ))
        .with_state(state)
}

/// The client API a path belongs to, for errors on paths no route serves.
pub(crate) fn dialect_of_path(path: &str) -> Dialect {
    if path.starts_with("/v1beta/") || path.starts_with("/google/") {
        Dialect::Gemini
    } else if path.starts_with("/api/") {
        Dialect::Ollama
    } else if path.starts_with("/anthropic/") || path.starts_with("/v1/messages") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAiChat
    }
}

/// Serves one inference request of any client API: reads the body within the limit, hands it
/// to the engine, and renders errors in the client's dialect.
pub(crate) async fn serve_chat(
    state: AppState,
    dialect: Dialect,
    op: Operation,
    req: Request,
    error_event: ErrorEvent,
) -> Response {
    serve_target(state, dialect, op, req, error_event, None).await
}

/// [`serve_chat`] for a request whose URL names the model (Gemini).
pub(crate) async fn serve_target(
    state: AppState,
    dialect: Dialect,
    op: Operation,
    req: Request,
    error_event: ErrorEvent,
    path: Option<PathTarget>,
) -> Response {
    let request_id = request_id::from_headers(req.headers());
    let started = std::time::Instant::now();
    // Kept for the record of a body that cannot be read (the engine records everything else).
    let caller = caller_of(req.extensions());
    let result = match read_inbound(&state, dialect, op, req, error_event, path).await {
        // Boxed once here, so that the handler future axum moves around stays small.
        Ok(inbound) => Box::pin(state.gateway.chat(inbound)).await,
        Err(e) => {
            let what = (dialect, op);
            let model = String::new();
            state
                .gateway
                .record_refusal(&request_id, what, model, &caller, &e, started);
            Err(e)
        }
    };
    match result {
        Ok(resp) => {
            let mut resp = resp.map(Body::new);
            resp.headers_mut().insert(request_id::HEADER, request_id);
            resp
        }
        Err(err) => error_response::response(dialect, &err, request_id),
    }
}

/// Reads a request's body within the configured limit and wraps it for the engine.
pub(crate) async fn read_inbound(
    state: &AppState,
    dialect: Dialect,
    op: Operation,
    req: Request,
    error_event: ErrorEvent,
    path: Option<PathTarget>,
) -> Result<Inbound, GatewayError> {
    let (parts, body) = req.into_parts();
    let request_id = request_id::from_headers(&parts.headers);
    let limit = state.gateway.snapshot().config.server.body_limit;
    let body = read_body(&parts.headers, body, limit).await?;
    Ok(Inbound {
        dialect,
        op,
        headers: parts.headers,
        body,
        request_id,
        error_event,
        path,
        group: parts
            .extensions
            .get::<crate::listener::ForwardGroup>()
            .map(|g| g.0.clone()),
        caller: caller_of(&parts.extensions),
        key: parts
            .extensions
            .get::<std::sync::Arc<llmux_engine::access::KeyEntry>>()
            .cloned(),
        client_credential: parts
            .extensions
            .get::<crate::client_auth::ClientCredential>()
            .map(|c| c.0.clone()),
    })
}

/// The caller the auth layer admitted (key and tags), with the connection's address.
pub(crate) fn caller_of(extensions: &http::Extensions) -> Caller {
    let mut caller = extensions.get::<Caller>().cloned().unwrap_or_default();
    if caller.client_ip.is_none() {
        caller.client_ip = extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
    }
    caller
}

/// Serves a token-counting request of `dialect`: the count goes out as `{field: n}`, with
/// `x-llmux-token-count: estimate` when llmux estimated it.
pub(crate) async fn serve_count(
    state: AppState,
    dialect: Dialect,
    req: Request,
    error_event: ErrorEvent,
    path: Option<PathTarget>,
    field: &str,
) -> Response {
    let id = request_id::from_headers(req.headers());
    let result = async {
        let op = Operation::ChatCompletions;
        let inbound = read_inbound(&state, dialect, op, req, error_event, path).await?;
        state.gateway.count_tokens(inbound).await
    }
    .await;
    match result {
        Ok(counted) => {
            let mut resp = json_response(&serde_json::json!({ field: counted.tokens() }), id);
            if let Counted::Estimate(_) = counted {
                resp.headers_mut()
                    .insert(TOKEN_COUNT_HEADER, HeaderValue::from_static("estimate"));
            }
            resp
        }
        Err(err) => error_response::response(dialect, &err, id),
    }
}

/// `resp` with the request id of the request whose `headers` are given.
pub(crate) fn with_id(mut resp: Response, headers: &http::HeaderMap) -> Response {
    resp.headers_mut()
        .insert(request_id::HEADER, request_id::from_headers(headers));
    resp
}

/// A JSON answer carrying the request id.
pub(crate) fn json_response(value: &serde_json::Value, request_id: HeaderValue) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    json_bytes(http::StatusCode::OK, body.into(), request_id)
}

/// Adds `x-llmux-cost-usd` to an answer whose cost is known.
pub(crate) fn with_cost(mut resp: Response, cost_usd: Option<f64>) -> Response {
    if let Some(v) =
        cost_usd.and_then(|c| HeaderValue::from_str(&llmux_engine::pricing::format_usd(c)).ok())
    {
        resp.headers_mut().insert(
            http::HeaderName::from_static(llmux_engine::passthrough::headers::COST),
            v,
        );
    }
    resp
}

/// A JSON body already encoded, with its status and the request id.
pub(crate) fn json_bytes(
    status: http::StatusCode,
    body: bytes::Bytes,
    request_id: HeaderValue,
) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(request_id::HEADER, request_id);
    resp
}
