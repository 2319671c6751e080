//! Axum handlers of the configuration routes: parse, hand the change to the
//! [`ConfigControl`] off the async workers, answer with the object and its `ETag`.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::{ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use llmux_store::RegistryKind;
use serde_json::{json, Value};

use super::prepare::section;
use super::{view, ApiError, Change, ConfigControl, Op, StateView};
use crate::AppState;

type Body = Result<Json<Value>, JsonRejection>;

fn control(state: &AppState) -> Result<Arc<dyn ConfigControl>, ApiError> {
    state.config.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "",
            "the configuration API is not available in this process",
        )
    })
}

/// Runs `f` on the control off the async workers (it reads files and the database).
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn ConfigControl) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let control = control(state)?;
    tokio::task::spawn_blocking(move || f(control.as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("configuration task failed: {e}")))?
}

fn body(b: Body) -> Result<Value, ApiError> {
    b.map(|Json(v)| v).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "",
            format!("invalid JSON body: {e}"),
        )
    })
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The object (or settings) after `view`, with its ETag.
fn object(view: &StateView, kind: RegistryKind, name: &str, status: StatusCode) -> Response {
    match view::object_view(view, kind, name) {
        Some((v, version)) => {
            let mut r = (status, Json(v)).into_response();
            r.headers_mut().insert(ETAG, etag(version));
            r
        }
        None => not_found(kind, name),
    }
}

fn not_found(kind: RegistryKind, name: &str) -> Response {
    let path = format!("{}.{name}", section(kind));
    ApiError::new(
        StatusCode::NOT_FOUND,
        path.clone(),
        format!("no `{path}` exists"),
    )
    .into_response()
}

fn done(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn list(state: AppState, kind: RegistryKind) -> Response {
    done(blocking(&state, |c| c.state()).await.map(|v| {
        let mut r = Json(json!({ section(kind): view::list(&v, kind), "version": v.version }))
            .into_response();
        r.headers_mut().insert(ETAG, etag(v.version));
        r
    }))
}

async fn get_one(state: AppState, kind: RegistryKind, name: String) -> Response {
    done(
        blocking(&state, |c| c.state())
            .await
            .map(|v| object(&v, kind, &name, StatusCode::OK)),
    )
}

async fn create(state: AppState, kind: RegistryKind, b: Body) -> Response {
    let id_key = if kind == RegistryKind::Provider {
        "id"
    } else {
        "name"
    };
    let run = async {
        let mut v = body(b)?;
        let name = v
            .as_object_mut()
            .and_then(|m| m.remove(id_key))
            .and_then(|n| n.as_str().map(str::to_owned))
            .ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, id_key, format!("the body needs `{id_key}`: a JSON object with the entry's fields and its `{id_key}`"))
            })?;
        // A model given as `{name, target}` alone is an alias, as the file writes it.
        let change = Change {
            kind,
            name: name.clone(),
            op: Op::Create(v),
            if_match: None,
        };
        let view = blocking(&state, move |c| c.apply(change)).await?;
        let mut r = object(&view, kind, &name, StatusCode::CREATED);
        if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/{}/{name}", section(kind))) {
            r.headers_mut().insert(LOCATION, loc);
        }
        let after = view::object_view(&view, kind, &name).map(|(v, _)| v);
        Ok(crate::audit::with_change(r, None, after))
    };
    done(run.await)
}

async fn change(
    state: AppState,
    kind: RegistryKind,
    name: String,
    headers: HeaderMap,
    op: Result<Op, ApiError>,
) -> Response {
    let run = async {
        let op = op?;
        let delete = op == Op::Delete;
        // For the audit log: the object as it was (secrets masked; the log redacts them too).
        let before = match blocking(&state, |c| c.state()).await {
            Ok(v) => view::object_view(&v, kind, &name).map(|(v, _)| v),
            Err(_) => None,
        };
        let change = Change {
            kind,
            name: name.clone(),
            op,
            if_match: if_match(&headers),
        };
        let view = blocking(&state, move |c| c.apply(change)).await?;
        if delete {
            let mut r = StatusCode::NO_CONTENT.into_response();
            r.headers_mut().insert(ETAG, etag(view.version));
            return Ok(crate::audit::with_change(r, before, None));
        }
        let after = view::object_view(&view, kind, &name).map(|(v, _)| v);
        let r = object(&view, kind, &name, StatusCode::OK);
        Ok(crate::audit::with_change(r, before, after))
    };
    done(run.await)
}

macro_rules! crud {
    ($kind:expr, $list:ident, $create:ident, $get:ident, $put:ident, $patch:ident, $delete:ident) => {
        pub(super) async fn $list(State(s): State<AppState>) -> Response {
            list(s, $kind).await
        }
        pub(super) async fn $create(State(s): State<AppState>, b: Body) -> Response {
            create(s, $kind, b).await
        }
        pub(super) async fn $get(State(s): State<AppState>, Path(n): Path<String>) -> Response {
            get_one(s, $kind, n).await
        }
        pub(super) async fn $put(
            State(s): State<AppState>,
            Path(n): Path<String>,
            h: HeaderMap,
            b: Body,
        ) -> Response {
            change(s, $kind, n, h, body(b).map(Op::Replace)).await
        }
        pub(super) async fn $patch(
            State(s): State<AppState>,
            Path(n): Path<String>,
            h: HeaderMap,
            b: Body,
        ) -> Response {
            change(s, $kind, n, h, body(b).map(Op::Patch)).await
        }
        pub(super) async fn $delete(
            State(s): State<AppState>,
            Path(n): Path<String>,
            h: HeaderMap,
        ) -> Response {
            change(s, $kind, n, h, Ok(Op::Delete)).await
        }
    };
}

crud!(
    RegistryKind::Provider,
    list_providers,
    create_provider,
    get_provider,
    put_provider,
    patch_provider,
    delete_provider
);
crud!(
    RegistryKind::Model,
    list_models,
    create_model,
    get_model,
    put_model,
    patch_model,
    delete_model
);
crud!(
    RegistryKind::Group,
    list_groups,
    create_group,
    get_group,
    put_group,
    patch_group,
    delete_group
);

crud!(
    RegistryKind::Forward,
    list_forwards,
    create_forward,
    get_forward,
    put_forward,
    patch_forward,
    delete_forward
);

pub(super) async fn get_settings(State(s): State<AppState>) -> Response {
    get_one(s, RegistryKind::Setting, String::new()).await
}

/// `PUT /api/v1/settings`: `{"default_model": "x", "usage": {"enabled": false}}`; `null`
/// clears a setting back to the file's value.
pub(super) async fn put_settings(State(s): State<AppState>, h: HeaderMap, b: Body) -> Response {
    let op = body(b).and_then(|v| {
        let Value::Object(map) = v else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "",
                "the body must be a JSON object of settings",
            ));
        };
        let mut flat = serde_json::Map::new();
        for (k, v) in map {
            match (k.as_str(), v) {
                (section @ ("usage" | "server"), Value::Object(inner)) => {
                    for (ik, iv) in inner {
                        flat.insert(format!("{section}.{ik}"), iv);
                    }
                }
                (_, v) => {
                    flat.insert(k, v);
                }
            }
        }
        Ok(Op::Settings(flat))
    });
    change(s, RegistryKind::Setting, String::new(), h, op).await
}

pub(super) async fn get_state(State(s): State<AppState>) -> Response {
    done(blocking(&s, |c| c.state()).await.map(|v| {
        let mut r = Json(view::state_json(&v)).into_response();
        r.headers_mut().insert(ETAG, etag(v.version));
        r
    }))
}
