//! OpenAI quirks: reasoning models (o-series, gpt-5 and later) take `max_completion_tokens` and
//! reject the sampling parameters that other chat models accept.

use llmux_protocol::RawObject;

/// Sampling parameters OpenAI's reasoning models refuse with a 400.
pub const REASONING_REJECTED_PARAMS: &[&str] = &[
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
];

/// True for OpenAI reasoning models: `o1`, `o3-mini`, `o4-mini`, and every `gpt-N` with N ≥ 5
/// (`gpt-5`, `gpt-5.4-nano`, `gpt-6-sol`, ...). `*-chat-*` variants are plain chat models.
pub fn is_reasoning_model(model: &str) -> bool {
    let model = model.rsplit('/').next().unwrap_or(model);
    let o_series = model
        .strip_prefix('o')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit());
    let major: Option<u32> = model
        .strip_prefix("gpt-")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse().ok());
    let gpt_reasoning = major.is_some_and(|n| n >= 5) && !model.contains("-chat");
    o_series || gpt_reasoning
}

/// Rewrites a chat request for a reasoning model: `max_tokens` becomes `max_completion_tokens`
/// (unless that is already set, then `max_tokens` is dropped), and the rejected sampling
/// parameters are removed. Returns the names of the removed parameters.
pub fn fix_reasoning_request(body: &mut RawObject<'_>) -> Vec<&'static str> {
    let mut dropped = Vec::new();
    if body.contains("max_tokens") && !body.rename("max_tokens", "max_completion_tokens") {
        body.remove("max_tokens");
        dropped.push("max_tokens");
    }
    for param in REASONING_REJECTED_PARAMS {
        if body.remove(param) {
            dropped.push(*param);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_reasoning_models() {
        let table = [
            ("o1", true),
            ("o1-mini", true),
            ("o3-mini-2025-01-31", true),
            ("o4-mini", true),
            ("gpt-5", true),
            ("gpt-5-nano-2025-08-07", true),
            ("gpt-5.1", true),
            ("openai/o3", true),
            ("gpt-5.4-nano", true),
            ("gpt-6-sol", true),
            ("gpt-6.2-astra", true),
            ("gpt-5-chat-latest", false),
            ("gpt-5.3-chat-latest", false),
            ("gpt-4.1", false),
            ("gpt-4o", false),
            ("gpt-4.1-mini", false),
            ("omni-moderation-latest", false),
        ];
        for (model, want) in table {
            assert_eq!(is_reasoning_model(model), want, "{model}");
        }
    }

    #[test]
    fn rewrites_reasoning_requests() {
        let body =
            br#"{"model":"o3","max_tokens":50,"temperature":0.2,"top_p":1,"messages":[],"x":1}"#;
        let mut obj = RawObject::parse(body).unwrap();
        let dropped = fix_reasoning_request(&mut obj);
        assert_eq!(dropped, vec!["temperature", "top_p"]);
        assert_eq!(
            String::from_utf8(obj.to_vec()).unwrap(),
            r#"{"model":"o3","max_completion_tokens":50,"messages":[],"x":1}"#
        );
    }

    #[test]
    fn keeps_explicit_max_completion_tokens() {
        let body = br#"{"max_tokens":50,"max_completion_tokens":70}"#;
        let mut obj = RawObject::parse(body).unwrap();
        assert_eq!(fix_reasoning_request(&mut obj), vec!["max_tokens"]);
        assert_eq!(obj.to_vec(), br#"{"max_completion_tokens":70}"#);
    }
}
