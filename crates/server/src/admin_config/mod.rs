//! The live configuration API on the admin listener: CRUD for providers, models (virtual
//! models, aliases, seed 004's overrides), groups and forwards (a data-plane listener's
//! path routing rules and rate limits), the settings, and the effective state.
//! Routes call a [`ConfigControl`] (the binary's), which composes file + env + registry,
//! validates, swaps the snapshot and persists, one change at a time.

mod deps;
mod handlers;
mod prepare;
#[cfg(test)]
mod tests;
mod view;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use llmux_engine::config::ConfigErrors;
use llmux_engine::Snapshot;
use llmux_store::{RegistryKind, RegistryRow};
use serde_json::{json, Value};

use crate::AppState;
pub use prepare::{api_objects, object_path, prepare, simulate, written_paths};
pub use view::{mask_body, object_view, state_json};

/// What a change does.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Creates a new object (409 when the name is taken).
    Create(Value),
    /// Creates or replaces the object with this body.
    Replace(Value),
    /// Merges a JSON merge patch (RFC 7396) into the stored body.
    Patch(Value),
    /// Deletes the object (409 while others use it).
    Delete,
    /// Sets settings by path; `null` clears one (the file's value applies again).
    Settings(serde_json::Map<String, Value>),
    /// Re-reads the file and environment with the registry as it is (SIGHUP).
    Reload,
}

/// One change asked of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Object kind (ignored by `Settings` and `Reload`).
    pub kind: RegistryKind,
    /// Object id or name (ignored by `Settings` and `Reload`).
    pub name: String,
    /// What to do.
    pub op: Op,
    /// The `If-Match` header, when sent: the change applies only if it names the object's
    /// current version (`"3"`, or `*` for any existing object).
    pub if_match: Option<String>,
}

impl Change {
    /// A SIGHUP reload.
    pub fn reload() -> Change {
        Change {
            kind: RegistryKind::Setting,
            name: String::new(),
            op: Op::Reload,
            if_match: None,
        }
    }
}

/// The effective configuration after a change (or now).
#[derive(Debug, Clone)]
pub struct StateView {
    /// The registry version: grows with every change.
    pub version: i64,
    /// The snapshot being served.
    pub snapshot: Arc<Snapshot>,
    /// The registry's objects.
    pub rows: Vec<RegistryRow>,
}

impl StateView {
    /// The stored row of an object, if it was made through the API.
    pub fn row(&self, kind: RegistryKind, name: &str) -> Option<&RegistryRow> {
        self.rows.iter().find(|r| r.kind == kind && r.name == name)
    }
}

/// One problem, by config path (`providers.x.base_url`) when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Config path, or empty.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A refused change: its HTTP status and the problems, rendered as `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// 400, 404, 409, 412 or 500.
    pub status: StatusCode,
    /// At least one problem.
    pub errors: Vec<Problem>,
}

impl ApiError {
    /// One problem with `status`.
    pub fn new(status: StatusCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            errors: vec![Problem {
                path: path.into(),
                message: message.into(),
            }],
        }
    }

    /// A configuration that does not validate: 400 with the file's messages.
    pub fn invalid(e: &ConfigErrors) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            errors: e
                .errors
                .iter()
                .map(|e| Problem {
                    path: e.path.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }

    /// 400 with one problem.
    pub fn bad_request(path: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, path, message)
    }

    /// An internal failure (the store, a crashed task).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|p| json!({"path": p.path, "message": p.message}))
            .collect();
        (self.status, Json(json!({ "errors": errors }))).into_response()
    }
}

/// Applies configuration changes: composes file < env < registry, validates, swaps the
/// running snapshot, then persists the change; all or nothing, one change at a time.
/// Methods block (files, the database): call them off the async workers.
pub trait ConfigControl: Send + Sync {
    /// The effective configuration now.
    fn state(&self) -> Result<StateView, ApiError>;
    /// Applies one change and returns the configuration it produced.
    fn apply(&self, change: Change) -> Result<StateView, ApiError>;
}

/// Paths and methods of the configuration routes, as the router mounts them.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/providers", &["get", "post"]),
    ("/api/v1/providers/{id}", &["get", "put", "patch", "delete"]),
    ("/api/v1/models", &["get", "post"]),
    ("/api/v1/models/{name}", &["get", "put", "patch", "delete"]),
    ("/api/v1/groups", &["get", "post"]),
    ("/api/v1/groups/{name}", &["get", "put", "patch", "delete"]),
    ("/api/v1/forwards", &["get", "post"]),
    (
        "/api/v1/forwards/{name}",
        &["get", "put", "patch", "delete"],
    ),
    ("/api/v1/settings", &["get", "put"]),
    ("/api/v1/state", &["get"]),
];

/// The configuration routes (`/api/v1/providers`, `/models`, `/groups`, `/forwards`,
/// `/settings`, `/state`); each answers 503 when the binary gave no [`ConfigControl`].
pub fn routes() -> Router<AppState> {
    use handlers as h;
    Router::new()
        .route(
            "/api/v1/providers",
            get(h::list_providers).post(h::create_provider),
        )
        .route(
            "/api/v1/providers/{id}",
            get(h::get_provider)
                .put(h::put_provider)
                .patch(h::patch_provider)
                .delete(h::delete_provider),
        )
        .route("/api/v1/models", get(h::list_models).post(h::create_model))
        .route(
            "/api/v1/models/{name}",
            get(h::get_model)
                .put(h::put_model)
                .patch(h::patch_model)
                .delete(h::delete_model),
        )
        .route("/api/v1/groups", get(h::list_groups).post(h::create_group))
        .route(
            "/api/v1/groups/{name}",
            get(h::get_group)
                .put(h::put_group)
                .patch(h::patch_group)
                .delete(h::delete_group),
        )
        .route(
            "/api/v1/forwards",
            get(h::list_forwards).post(h::create_forward),
        )
        .route(
            "/api/v1/forwards/{name}",
            get(h::get_forward)
                .put(h::put_forward)
                .patch(h::patch_forward)
                .delete(h::delete_forward),
        )
        .route(
            "/api/v1/settings",
            get(h::get_settings).put(h::put_settings),
        )
        .route("/api/v1/state", get(h::get_state))
}
