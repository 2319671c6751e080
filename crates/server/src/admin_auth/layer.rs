//! The admin auth layer on the router: [`guard`] applies [`AdminAuth`]'s decisions to each
//! request and hands mutating calls to the audit log; [`denial`] is the JSON answer for a
//! refused one; [`AdminPlane`] is what the layer reads from `AppState`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use llmux_store::AdminStore;
use serde_json::json;

use super::{AdminAuth, Verdict, Who};
use crate::AppState;

/// The client's IP from the connection (unspecified when the server did not record it).
pub fn client_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// The admin layer: checks credentials on protected paths, then records mutating calls.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let auth = &state.admin.auth;
    let path = request.uri().path().to_owned();
    let ip = client_ip(&request);
    let who = if auth.protects(&path) {
        match auth.check(request.headers(), ip, Instant::now()) {
            Verdict::Allow(who) => who,
            denied => return denial(&denied),
        }
    } else {
        Who::Anonymous
    };
    request.extensions_mut().insert(who.clone());
    let method = request.method().clone();
    let response = next.run(request).await;
    if crate::audit::is_mutating(&method, &path) {
        let change = response
            .extensions()
            .get::<crate::audit::AuditChange>()
            .cloned();
        let status = response.status();
        crate::audit::record(&state.admin, &who, ip, &method, &path, status, change).await;
    }
    response
}

/// The JSON answer for a denied request.
pub fn denial(verdict: &Verdict) -> Response {
    let (status, code, message) = match verdict {
        Verdict::Missing => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "admin credentials required: Authorization: Bearer <token>, or Basic admin:<password>",
        ),
        Verdict::Limited(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many failed admin authentication attempts from this address; retry later",
        ),
        Verdict::Wrong | Verdict::Allow(_) => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "wrong admin credentials",
        ),
    };
    let mut response = (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    let headers = response.headers_mut();
    match verdict {
        Verdict::Missing => {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"llmux-admin\""),
            );
        }
        Verdict::Limited(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        _ => {}
    }
    response
}

/// The state the admin layer needs: credentials and, when the data dir's database is open,
/// where the audit log goes.
pub struct AdminPlane {
    /// Credentials, sessions and failure buckets.
    pub auth: AdminAuth,
    /// The audit log's store; `None` keeps no log (tests without a database).
    pub store: Option<Arc<dyn AdminStore>>,
}

impl AdminPlane {
    /// Open to everyone, no audit log: what tests of other parts use.
    pub fn open() -> Arc<Self> {
        Arc::new(AdminPlane {
            auth: AdminAuth::open(),
            store: None,
        })
    }
}
