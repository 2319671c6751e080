//! Prepares a same-dialect request body: validates the fields llmux relies on and makes the
//! minimal edits (model id, profile, reasoning-model fixups, usage in streams). Everything
//! else is forwarded exactly as the client sent it.

use bytes::Bytes;
use llmux_protocol::{Dialect, RawObject};
use llmux_providers::{openai as openai_quirks, Operation};
use serde_json::value::RawValue;

use super::PathTarget;
use crate::error::{ErrorKind, GatewayError};
use crate::snapshot::Route;

/// The fields of an OpenAI-family request that routing needs, read without a full parse.
pub struct Inspected<'a> {
    /// The parsed top level of the body.
    pub object: RawObject<'a>,
    /// `model`.
    pub model: String,
    /// `stream`.
    pub stream: bool,
    /// Whether `model` is a body field (not for Gemini, whose URL names the model).
    pub model_in_body: bool,
    /// The client's API.
    pub dialect: Dialect,
}

/// Where a client API keeps the model and the streaming switch.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The client's API.
    pub dialect: Dialect,
    /// Model and streaming from the URL (Gemini); `None`: both are body fields.
    pub path: Option<&'a PathTarget>,
}

impl Target<'_> {
    /// An OpenAI-family request: everything in the body.
    pub const OPENAI: Target<'static> = Target {
        dialect: Dialect::OpenAiChat,
        path: None,
    };
}

/// Parses and checks a request body for `op`.
pub fn inspect<'b>(
    body: &'b [u8],
    op: Operation,
    target: Target<'_>,
) -> Result<Inspected<'b>, GatewayError> {
    let object =
        RawObject::parse(body).map_err(|e| GatewayError::from(ErrorKind::InvalidJson(e.0)))?;
    if let Some(path) = target.path {
        if path.model.is_empty() {
            return Err(GatewayError::invalid("model", "the URL names no model"));
        }
        let contents = object.get("contents");
        if op == Operation::ChatCompletions && !contents.is_some_and(|c| c.get().starts_with('[')) {
            return Err(GatewayError::invalid(
                "contents",
                "`contents` is required: a list of {role, parts} objects",
            ));
        }
        return Ok(Inspected {
            object,
            model: path.model.clone(),
            stream: path.stream,
            model_in_body: false,
            dialect: target.dialect,
        });
    }
    let model = match object.get("model") {
        None => {
            return Err(GatewayError::invalid(
                "model",
                "you must provide a model parameter (`\"model\": \"...\"`)",
            ))
        }
        Some(raw) => serde_json::from_str::<String>(raw.get()).map_err(|_| {
            GatewayError::invalid(
                "model",
                format!("`model` must be a string, got {}", json_kind(raw)),
            )
        })?,
    };
    if model.is_empty() {
        return Err(GatewayError::invalid("model", "`model` must not be empty"));
    }
    // Ollama streams unless told not to.
    let stream_default = target.dialect == Dialect::Ollama;
    let stream = match object.get("stream") {
        None => stream_default,
        Some(raw) if raw.get() == "null" => stream_default,
        Some(raw) => serde_json::from_str::<bool>(raw.get()).map_err(|_| {
            GatewayError::invalid(
                "stream",
                format!("`stream` must be true or false, got {}", json_kind(raw)),
            )
        })?,
    };
    if target.dialect == Dialect::Ollama && op != Operation::ChatCompletions {
        // `/api/generate` without a prompt loads the model: nothing more to check.
        return Ok(Inspected {
            object,
            model,
            stream,
            model_in_body: true,
            dialect: target.dialect,
        });
    }
    let (field, want_array) = match op {
        Operation::ChatCompletions if target.dialect == Dialect::OpenAiResponses => {
            ("input", false)
        }
        Operation::ChatCompletions => ("messages", true),
        Operation::Completions => ("prompt", false),
        Operation::Embeddings => ("input", false),
        Operation::Models => {
            return Ok(Inspected {
                object,
                model,
                stream,
                model_in_body: true,
                dialect: target.dialect,
            })
        }
    };
    match object.get(field) {
        None => {
            return Err(GatewayError::invalid(
                static_name(field),
                format!("`{field}` is required for {}", op.path()),
            ))
        }
        Some(raw) if want_array && !raw.get().starts_with('[') => {
            return Err(GatewayError::invalid(
                static_name(field),
                format!(
                    "`{field}` must be a list of message objects, got {}",
                    json_kind(raw)
                ),
            ))
        }
        Some(_) => {}
    }
    if object
        .get("stream_options")
        .is_some_and(|raw| raw.get() != "null" && !raw.get().starts_with('{'))
    {
        return Err(GatewayError::invalid(
            "stream_options",
            "`stream_options` must be an object",
        ));
    }
    Ok(Inspected {
        object,
        model,
        stream,
        model_in_body: true,
        dialect: target.dialect,
    })
}

fn static_name(field: &str) -> &'static str {
    match field {
        "messages" => "messages",
        "prompt" => "prompt",
        _ => "input",
    }
}

/// Names the JSON type of a raw value, for error messages.
fn json_kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "a list",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The body to send upstream and what the response tap must know.
pub struct Prepared {
    /// The upstream body.
    pub body: Bytes,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// llmux asked for usage in the stream; the client did not, so the usage chunk is dropped.
    pub strip_usage: bool,
    /// Parameters removed because the upstream model rejects them.
    pub dropped: Vec<&'static str>,
}

/// Applies the route's edits. Returns the original bytes untouched when nothing changes.
pub fn prepare(
    original: &Bytes,
    mut inspected: Inspected<'_>,
    op: Operation,
    route: &Route<'_>,
) -> Result<Prepared, GatewayError> {
    let mut edited = false;
    let obj = &mut inspected.object;
    if inspected.model_in_body && inspected.model != route.model {
        set(obj, "model", route.model)?;
        edited = true;
    }
    if let Some(profile) = route.profile {
        profile.apply(obj)?;
        edited = true;
    }
    // A profile may have switched streaming on or off.
    let stream = if edited && inspected.model_in_body {
        obj.get_as::<bool>("stream")
            .ok()
            .flatten()
            .unwrap_or(inspected.stream)
    } else {
        inspected.stream
    };
    let mut dropped = Vec::new();
    let quirks = route.provider.quirks;
    let chat_client = inspected.dialect == llmux_protocol::Dialect::OpenAiChat;
    if op == Operation::ChatCompletions
        && chat_client
        && quirks.reasoning_params
        && openai_quirks::is_reasoning_model(route.model)
    {
        dropped = openai_quirks::fix_reasoning_request(obj);
        edited |= !dropped.is_empty() || obj.contains("max_completion_tokens");
    }
    let mut strip_usage = false;
    let openai_family =
        chat_client && route.provider.kind.dialect() == llmux_protocol::Dialect::OpenAiChat;
    if stream && op.can_stream() && quirks.stream_usage && openai_family {
        let mut options: serde_json::Map<String, serde_json::Value> = obj
            .get_as::<serde_json::Map<String, serde_json::Value>>("stream_options")
            .ok()
            .flatten()
            .unwrap_or_default();
        let client_asked = options
            .get("include_usage")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if !client_asked {
            options.insert("include_usage".into(), serde_json::Value::Bool(true));
            set(obj, "stream_options", &options)?;
            strip_usage = true;
            edited = true;
        }
    }
    let body = if edited {
        Bytes::from(obj.to_vec())
    } else {
        original.clone()
    };
    Ok(Prepared {
        body,
        stream,
        strip_usage,
        dropped,
    })
}

fn set<T: serde::Serialize + ?Sized>(
    obj: &mut RawObject<'_>,
    key: &str,
    value: &T,
) -> Result<(), GatewayError> {
    obj.set(key, value)
        .map_err(|e| ErrorKind::Internal(format!("cannot encode `{key}`: {e}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inspect_table() {
        // (body, op, Ok(model, stream) or Err(param))
        type Case = (
            &'static str,
            Operation,
            Result<(&'static str, bool), &'static str>,
        );
        let cases: &[Case] = &[
            (
                r#"{"model":"m","messages":[]}"#,
                Operation::ChatCompletions,
                Ok(("m", false)),
            ),
            (
                r#"{"model":"m","messages":[],"stream":true}"#,
                Operation::ChatCompletions,
                Ok(("m", true)),
            ),
            (
                r#"{"model":"m","messages":[],"stream":null}"#,
                Operation::ChatCompletions,
                Ok(("m", false)),
            ),
            (
                r#"{"model":"m","prompt":"x"}"#,
                Operation::Completions,
                Ok(("m", false)),
            ),
            (
                r#"{"model":"m","input":[[1,2]]}"#,
                Operation::Embeddings,
                Ok(("m", false)),
            ),
            (
                r#"{"model":"","messages":[]}"#,
                Operation::ChatCompletions,
                Err("model"),
            ),
            (
                r#"{"model":["m"],"messages":[]}"#,
                Operation::ChatCompletions,
                Err("model"),
            ),
            (
                r#"{"model":"m","messages":"hi"}"#,
                Operation::ChatCompletions,
                Err("messages"),
            ),
            (r#"{"model":"m"}"#, Operation::Completions, Err("prompt")),
            (r#"{"model":"m"}"#, Operation::Embeddings, Err("input")),
            (
                r#"{"model":"m","messages":[],"stream":1}"#,
                Operation::ChatCompletions,
                Err("stream"),
            ),
        ];
        for (body, op, want) in cases {
            match (inspect(body.as_bytes(), *op, Target::OPENAI), want) {
                (Ok(i), Ok((model, stream))) => {
                    assert_eq!((i.model.as_str(), i.stream), (*model, *stream), "{body}");
                }
                (Err(e), Err(param)) => {
                    assert_eq!(e.param(), Some(*param), "{body}: {e}");
                    assert_eq!(e.status(), 400, "{body}");
                }
                (got, _) => panic!("{body}: unexpected {:?}", got.map(|i| i.model)),
            }
        }
    }

    proptest! {
        /// Arbitrary bytes never panic, and every refusal is the client's fault (4xx).
        #[test]
        fn arbitrary_bodies_are_refused_cleanly(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Err(e) = inspect(&data, Operation::ChatCompletions, Target::OPENAI) {
                prop_assert!(e.status() >= 400 && e.status() < 500);
            }
        }

        /// Any object with a string model and a list of messages is accepted, whatever else it holds.
        #[test]
        fn valid_requests_pass(model in "[a-zA-Z0-9/._-]{1,40}", extra in proptest::collection::btree_map("[a-z_]{1,10}", any::<i64>(), 0..5)) {
            let mut v = serde_json::json!({"model": model, "messages": []});
            for (k, n) in extra {
                if k != "model" && k != "messages" && k != "stream" && k != "stream_options" {
                    v[k] = n.into();
                }
            }
            let body = serde_json::to_vec(&v).unwrap();
            let got = inspect(&body, Operation::ChatCompletions, Target::OPENAI);
            prop_assert!(got.is_ok());
        }
    }
}
