//! Usage read from the end of a Responses-API answer without parsing the whole of it.

use serde::Deserialize;

use crate::Usage;

#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    cached_tokens: u64,
    #[serde(default)]
    reasoning_tokens: u64,
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<Details>,
    #[serde(default)]
    output_tokens_details: Option<Details>,
}

/// Reads the last `usage` object of a Responses answer (`input_tokens` already include the
/// cached ones, `output_tokens` the reasoning ones, as in llmux's [`Usage`]).
pub fn tail_usage(tail: &[u8]) -> Option<Usage> {
    let start = crate::openai::usage_object_start(tail)?;
    let mut values = serde_json::Deserializer::from_slice(&tail[start..]).into_iter::<Wire>();
    let w = values.next()?.ok()?;
    Some(Usage {
        prompt_tokens: w.input_tokens,
        completion_tokens: w.output_tokens,
        cached_tokens: w.input_tokens_details.map_or(0, |d| d.cached_tokens),
        reasoning_tokens: w.output_tokens_details.map_or(0, |d| d.reasoning_tokens),
        cache_write_tokens: 0,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_usage_of_a_captured_answer() {
        let body = include_bytes!(
            "../../../../../tests/fixtures/providers/openai-responses/nonstream-text.json"
        );
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        let u = super::tail_usage(body).unwrap();
        assert_eq!(Some(u.prompt_tokens), v["usage"]["input_tokens"].as_u64());
        assert_eq!(
            Some(u.completion_tokens),
            v["usage"]["output_tokens"].as_u64()
        );
    }
}
