//! Sans-IO provider adapters: what a provider is (kind, dialect, auth), where its endpoints
//! live, and the quirks llmux smooths over. No networking happens here; the engine sends.
//!
//! OpenAI-compatible vendors are [`presets`] (data), not code.

pub mod auth;
pub mod azure;
pub mod kind;
pub mod openai;
pub mod operation;
pub mod presets;

pub use auth::AuthScheme;
pub use kind::ProviderKind;
pub use operation::Operation;
pub use presets::{Preset, Quirks, PRESETS};
