//! What a translated request leaves behind: the client's top-level fields that its dialect's
//! decoder does not carry into the canonical model. They are named in the
//! `x-llmux-dropped-params` response header, so that nothing disappears silently. Fields with a
//! meaning the canonical model cannot carry faithfully are refused by the codecs instead (a 400
//! naming the field); what is listed here has no effect on the answer's content or is a
//! provider-side setting (`store`, `service_tier`, `keep_alive`, `safetySettings`...).

use llmux_protocol::{Dialect, RawObject};
use llmux_providers::Operation;

/// Top-level request fields each dialect's decoder reads (and `model`, `stream`, which llmux
/// itself handles).
fn carried(dialect: Dialect, op: Operation) -> &'static [&'static str] {
    match (dialect, op) {
        (Dialect::OpenAiChat, _) => &[
            "model",
            "messages",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "stop",
            "seed",
            "presence_penalty",
            "frequency_penalty",
            "n",
            "stream",
            "stream_options",
            "response_format",
            "reasoning_effort",
            "user",
        ],
        (Dialect::Anthropic, _) => &[
            "model",
            "messages",
            "system",
            "tools",
            "tool_choice",
            "max_tokens",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "stream",
            "thinking",
            "metadata",
        ],
        (Dialect::Gemini, _) => &[
            "contents",
            "systemInstruction",
            "system_instruction",
            "tools",
            "toolConfig",
            "tool_config",
            "generationConfig",
            "generation_config",
        ],
        (Dialect::Ollama, Operation::Completions) => &[
            "model", "prompt", "system", "images", "format", "options", "stream", "think",
        ],
        (Dialect::Ollama, _) => &[
            "model", "messages", "tools", "format", "options", "stream", "think",
        ],
        (Dialect::OpenAiResponses, _) => &[
            "model",
            "input",
            "instructions",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "max_output_tokens",
            "temperature",
            "top_p",
            "reasoning",
            "text",
            "stream",
            "user",
            "previous_response_id",
            "store",
        ],
    }
}

/// Ollama `options` that map to canonical sampling fields.
const OLLAMA_OPTIONS: &[&str] = &[
    "num_predict",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
];

/// The client's fields a translation to another protocol does not carry, in body order.
pub(crate) fn dropped(dialect: Dialect, op: Operation, object: &RawObject<'_>) -> Vec<String> {
    let carried = carried(dialect, op);
    let mut out: Vec<String> = object
        .keys()
        .filter(|k| !carried.contains(k))
        .map(str::to_owned)
        .collect();
    if dialect == Dialect::Ollama {
        if let Ok(Some(options)) =
            object.get_as::<serde_json::Map<String, serde_json::Value>>("options")
        {
            out.extend(
                options
                    .keys()
                    .filter(|k| !OLLAMA_OPTIONS.contains(&k.as_str()))
                    .map(|k| format!("options.{k}")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_the_decoder_leaves_behind() {
        let body =
            br#"{"model":"m","messages":[],"logprobs":true,"service_tier":"flex","temperature":1}"#;
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(
            dropped(Dialect::OpenAiChat, Operation::ChatCompletions, &obj),
            ["logprobs", "service_tier"]
        );
        let body = br#"{"model":"m","messages":[],"keep_alive":"5m","options":{"num_ctx":8192,"temperature":0.1}}"#;
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(
            dropped(Dialect::Ollama, Operation::ChatCompletions, &obj),
            ["keep_alive", "options.num_ctx"]
        );
        let body = br#"{"contents":[],"safetySettings":[]}"#;
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(
            dropped(Dialect::Gemini, Operation::ChatCompletions, &obj),
            ["safetySettings"]
        );
    }
}
