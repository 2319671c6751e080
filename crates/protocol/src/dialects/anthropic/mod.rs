//! Anthropic Messages API codec (in progress).
