//! The one place where a [`GatewayError`] becomes an HTTP response, in the client's dialect.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use llmux_engine::{GatewayError, Side};
use llmux_protocol::{openai, sse, Dialect};

use crate::request_id;

/// OpenAI's `type` for an error.
fn openai_type(err: &GatewayError) -> &'static str {
    match (err.status(), err.side()) {
        (404, _) if err.code() == "unknown_url" => "invalid_request_error",
        (413, _) => "invalid_request_error",
        // OpenAI's own type for a spent quota, which its SDK surfaces as such.
        (429, _) if err.code() == "insufficient_quota" => "insufficient_quota",
        (429, _) => "requests",
        (_, Side::Client) => "invalid_request_error",
        (_, Side::Upstream) => "upstream_error",
        (_, Side::Gateway) => "server_error",
    }
}

/// Anthropic's `error.type` for a status.
fn anthropic_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        _ => "api_error",
    }
}

/// Google's canonical `error.status` for a status.
fn gemini_status(status: u16) -> &'static str {
    match status {
        400 | 413 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        502 | 503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// The error body in `dialect`.
pub fn body(dialect: Dialect, err: &GatewayError) -> Vec<u8> {
    let message = err.to_string();
    let status = err.status();
    let value = match dialect {
        Dialect::OpenAiChat | Dialect::OpenAiResponses => {
            return openai::error_body(&message, openai_type(err), err.param(), Some(err.code()))
        }
        Dialect::Anthropic => serde_json::json!({
            "type": "error",
            "error": {"type": anthropic_type(status), "message": message},
        }),
        Dialect::Gemini => serde_json::json!({
            "error": {"code": status, "message": message, "status": gemini_status(status)},
        }),
        Dialect::Ollama => serde_json::json!({"error": message}),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// A complete error response in `dialect`, carrying the request id.
pub fn response(dialect: Dialect, err: &GatewayError, request_id: HeaderValue) -> Response {
    log(err, &request_id);
    let mut resp = Response::new(Body::from(body(dialect, err)));
    *resp.status_mut() =
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(request_id::HEADER, request_id);
    if let Some(n) = err.attempts() {
        headers.insert(
            http::HeaderName::from_static(llmux_engine::ATTEMPTS_HEADER),
            HeaderValue::from(n),
        );
    }
    if let Some(v) = err
        .retry_after()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::RETRY_AFTER, v);
    }
    // The `error` label of the HTTP error metrics.
    resp.extensions_mut()
        .insert(crate::http_metrics::ErrorCode(err.code()));
    resp
}

/// One stream event carrying `err`, for an OpenAI SSE stream that fails after it started.
pub fn openai_stream_event(err: &GatewayError) -> Bytes {
    sse::data_event(&body(Dialect::OpenAiChat, err))
}

/// One stream event carrying `err`, for an Anthropic stream that fails after it started.
pub fn anthropic_stream_event(err: &GatewayError) -> Bytes {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"event: error\ndata: ");
    out.extend_from_slice(&body(Dialect::Anthropic, err));
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// One stream event carrying `err`, for a Gemini SSE stream that fails after it started.
pub fn gemini_stream_event(err: &GatewayError) -> Bytes {
    sse::data_event(&body(Dialect::Gemini, err))
}

/// One line carrying `err`, for an Ollama NDJSON stream that fails after it started.
pub fn ollama_stream_line(err: &GatewayError) -> Bytes {
    let mut out = body(Dialect::Ollama, err);
    out.push(b'\n');
    Bytes::from(out)
}

fn log(err: &GatewayError, request_id: &HeaderValue) {
    let id = request_id.to_str().unwrap_or_default();
    match err.side() {
        Side::Client => {
            tracing::info!(request_id = id, status = err.status(), code = err.code(), error = %err, "request refused")
        }
        Side::Upstream => {
            tracing::warn!(request_id = id, status = err.status(), code = err.code(), error = %err, "upstream failed")
        }
        Side::Gateway => {
            tracing::error!(request_id = id, status = err.status(), code = err.code(), error = %err, "internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmux_engine::ErrorKind;

    #[test]
    fn shapes_per_dialect() {
        let err: GatewayError = ErrorKind::ModelNotFound { model: "x".into() }.into();
        let parse = |d| serde_json::from_slice::<serde_json::Value>(&body(d, &err)).unwrap();
        let a = parse(Dialect::Anthropic);
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "not_found_error");
        let g = parse(Dialect::Gemini);
        assert_eq!(g["error"]["code"], 404);
        assert_eq!(g["error"]["status"], "NOT_FOUND");
        let o = parse(Dialect::Ollama);
        assert!(o["error"].as_str().unwrap().contains("`x`"));
    }

    #[test]
    fn openai_shape() {
        let err: GatewayError = ErrorKind::ModelNotFound { model: "x".into() }.into();
        let v: serde_json::Value =
            serde_json::from_slice(&body(Dialect::OpenAiChat, &err)).unwrap();
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "model_not_found");
        assert_eq!(v["error"]["param"], "model");
        let ev = openai_stream_event(&err);
        assert!(ev.starts_with(b"data: {\"error\":"));
        assert!(ev.ends_with(b"\n\n"));
    }
}
