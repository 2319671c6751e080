//! The usage query API on the admin listener: summary, series, breakdown and recent requests
//! over the usage store, as JSON, plus the OpenAPI document describing them.

mod json;
mod params;
#[cfg(test)]
mod tests;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use llmux_store::{StoreError, UsageStore};
use serde_json::{json, Value};

use crate::AppState;
pub use params::{rfc3339_ms, ParamError};

/// The OpenAPI 3.1 document of the admin API (`docs/openapi/usage.json`).
pub const OPENAPI: &str = include_str!("../../../../docs/openapi/usage.json");

/// Paths of the usage routes, as the router mounts them.
pub const ROUTES: &[&str] = &[
    "/api/v1/usage/summary",
    "/api/v1/usage/series",
    "/api/v1/usage/breakdown",
    "/api/v1/usage/requests",
];

/// The usage routes and `/api/v1/openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(summary))
        .route(ROUTES[1], get(series))
        .route(ROUTES[2], get(breakdown))
        .route(ROUTES[3], get(requests))
        .route("/api/v1/openapi.json", get(openapi))
}

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn summary(State(state): State<AppState>, query: Pairs) -> Response {
    answer(state, query, &[], |store, p| {
        let filter = p.filter()?;
        Ok(store
            .summary(&filter)
            .map(|s| json!({ "summary": json::summary(&s) })))
    })
    .await
}

async fn series(State(state): State<AppState>, query: Pairs) -> Response {
    answer(state, query, &["bucket"], |store, p| {
        let (filter, bucket) = (p.filter()?, p.bucket()?);
        Ok(store.series(&filter, bucket).map(|points| {
            let points: Vec<Value> = points.iter().map(json::point).collect();
            json!({ "bucket": json::bucket_name(bucket), "points": points })
        }))
    })
    .await
}

async fn breakdown(State(state): State<AppState>, query: Pairs) -> Response {
    answer(state, query, &["by"], |store, p| {
        let (filter, by) = (p.filter()?, p.by()?);
        Ok(store.breakdown(&filter, by).map(|groups| {
            let groups: Vec<Value> = groups.iter().map(json::group).collect();
            json!({ "by": json::by_name(by), "groups": groups })
        }))
    })
    .await
}

async fn requests(State(state): State<AppState>, query: Pairs) -> Response {
    answer(state, query, &["page", "per_page"], |store, p| {
        let (filter, (page, per_page)) = (p.filter()?, p.paging()?);
        Ok(store
            .recent(&filter, page - 1, per_page)
            .map(|pg| json::page(&pg, page, per_page)))
    })
    .await
}

/// Checks the parameters, then runs `query` on a blocking thread and renders its answer.
/// `query` returns `Err` for a bad parameter and `Ok(Err)` for a store failure.
async fn answer<F>(
    state: AppState,
    query: Pairs,
    extra: &'static [&'static str],
    run: F,
) -> Response
where
    F: FnOnce(&dyn UsageStore, &params::Params) -> Result<Result<Value, StoreError>, ParamError>
        + Send
        + 'static,
{
    let Some(store) = state.usage.clone() else {
        return disabled();
    };
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return error(StatusCode::BAD_REQUEST, json!({"message": e.body_text()})),
    };
    let params = match params::Params::new(pairs, extra) {
        Ok(p) => p,
        Err(e) => return bad_param(&e),
    };
    // Names are checked here; `run` parses the values before it touches the store.
    let joined = tokio::task::spawn_blocking(move || run(store.as_ref(), &params)).await;
    match joined {
        Ok(Ok(Ok(body))) => Json(body).into_response(),
        Ok(Err(e)) => bad_param(&e),
        Ok(Ok(Err(e))) => {
            tracing::warn!(target: "llmux", error = %e, "usage query failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"message": format!("usage query failed: {e}")}),
            )
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": format!("usage query task failed: {e}")}),
        ),
    }
}

fn bad_param(e: &ParamError) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({"message": e.message, "parameter": e.parameter, "accepted": e.accepted}),
    )
}

fn disabled() -> Response {
    error(
        StatusCode::NOT_FOUND,
        json!({"message": "usage storage is off: set `usage: {enabled: true}` in the configuration (the default) and restart llmux"}),
    )
}

fn error(status: StatusCode, body: Value) -> Response {
    (status, Json(json!({ "error": body }))).into_response()
}
