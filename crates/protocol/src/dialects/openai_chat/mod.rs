//! OpenAI Chat Completions codec (in progress).
