//! `POST /api/v1/login`: trades the admin password for a session token (Bearer), for the web
//! UI. Wrong passwords count against the caller's IP like any failed admin attempt.

use std::time::Instant;

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::admin_auth::{denial, ADMIN_USER, SESSION_TTL};
use crate::AppState;

/// The login body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// User name; only `admin` exists (default).
    pub user: Option<String>,
    /// The admin password.
    pub password: String,
}

/// The handler: `{token, token_type, expires_in}` for the right password, 403 for a wrong
/// one, 429 once the IP's failures are spent, 404 when no password is set.
pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let ip = crate::admin_auth::client_ip(&request);
    let Json(body) = match Json::<Login>::from_request(request, &()).await {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"code": "invalid_request", "message": e.body_text()}})),
            )
                .into_response()
        }
    };
    let auth = &state.admin.auth;
    if !auth.has_password() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "no_password", "message": "no admin password is set: use the admin token"}})),
        )
            .into_response();
    }
    let user_ok = body.user.as_deref().is_none_or(|u| u == ADMIN_USER);
    // A wrong user name costs a failure too; the password is checked either way.
    let password = if user_ok { body.password.as_str() } else { "" };
    match auth.login(password, ip, Instant::now()) {
        Ok(token) if user_ok => {
            let answer = json!({
                "token": token,
                "token_type": "Bearer",
                "expires_in": SESSION_TTL.as_secs(),
            });
            // The audit log records the session opened; its token is redacted there.
            let after = json!({"user": ADMIN_USER, "token": token});
            crate::audit::with_change(Json(answer).into_response(), None, Some(after))
        }
        Ok(_) => denial(&crate::admin_auth::Verdict::Wrong),
        Err(verdict) => denial(&verdict),
    }
}
