//! Client API surfaces, one module per API. Each adds its routes to the data-plane router.

pub mod openai;

use axum::Router;

use crate::AppState;

/// Adds one surface's routes to the data-plane router.
pub type AddRoutes = fn(Router<AppState>) -> Router<AppState>;

/// The surfaces served on the data plane, in registration order.
pub const SURFACES: &[AddRoutes] = &[openai::routes];

/// The data-plane router with every surface.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for add in SURFACES {
        router = add(router);
    }
    router
        .fallback(openai::not_found)
        .method_not_allowed_fallback(openai::method_not_allowed)
        .with_state(state)
}
