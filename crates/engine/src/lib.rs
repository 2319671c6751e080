//! The llmux engine: configuration, the immutable runtime snapshot, model resolution,
//! parameter profiles, the upstream client and the passthrough stream pipeline.

pub mod config;
