//! The llmux engine: configuration, the immutable runtime snapshot, model resolution,
//! parameter profiles, the upstream client and the passthrough stream pipeline.

pub mod access;
pub mod budget;
pub mod caller;
pub mod compat;
pub mod config;
pub mod count;
pub mod discovery;
mod dispatch;
mod dropped;
pub mod embed;
pub mod error;
pub mod gateway;
pub mod keys;
pub mod metrics;
pub mod passthrough;
pub mod pricing;
pub mod profile;
pub mod record;
pub mod responses;
pub mod routing;
pub mod snapshot;
pub mod summary;
pub mod tags;
mod translate;
pub mod upstream;

pub use dispatch::ATTEMPTS_HEADER;
pub use error::{ErrorKind, GatewayError, Side};
pub use gateway::Gateway;
pub use snapshot::Snapshot;
