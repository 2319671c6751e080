//! Non-streamed answers: an Anthropic `message` object to and from [`ChatResponse`].

use serde_json::{json, Map, Value};

use super::common::{
    decode_blocks, encode_block, put_stop_reason, req_str, stop_reason_of, WireUsage,
};
use crate::canonical::ChatResponse;
use crate::dialects::DecodeError;

/// Decodes an Anthropic Messages answer (`{"type":"message", ...}`).
///
/// Content blocks the canonical model does not carry (server tool use and its results) are
/// skipped. `created` is `None`: Anthropic does not report it.
pub fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("response body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(DecodeError::new("response body must be a JSON object"));
    }
    let content = match v.get("content") {
        None | Some(Value::Null) => Vec::new(),
        Some(c) => decode_blocks(c, "content", true)?,
    };
    Ok(ChatResponse {
        id: req_str(&v, "id", "response")?.to_owned(),
        model: req_str(&v, "model", "response")?.to_owned(),
        content,
        stop_reason: stop_reason_of(&v),
        usage: v
            .get("usage")
            .filter(|u| u.is_object())
            .map(|u| WireUsage::from_json(u).to_canonical()),
        created: None,
    })
}

/// Encodes a canonical answer as an Anthropic `message` object.
///
/// Blocks Anthropic cannot put in an answer (media whose source it cannot express) are left
/// out; missing usage is written as zeros, since Anthropic always reports usage.
pub fn encode_response(resp: &ChatResponse) -> Vec<u8> {
    let content: Vec<Value> = resp
        .content
        .iter()
        .enumerate()
        .filter_map(|(i, b)| encode_block(b, &format!("content[{i}]")).ok())
        .collect();
    let mut obj = Map::new();
    obj.insert("id".into(), json!(resp.id));
    obj.insert("type".into(), json!("message"));
    obj.insert("role".into(), json!("assistant"));
    obj.insert("model".into(), json!(resp.model));
    obj.insert("content".into(), Value::Array(content));
    put_stop_reason(&mut obj, resp.stop_reason.as_ref());
    let usage = resp
        .usage
        .as_ref()
        .map(WireUsage::from_canonical)
        .unwrap_or_default();
    obj.insert("usage".into(), usage.to_json());
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}
