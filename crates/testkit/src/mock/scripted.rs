//! Scripted (generated) OpenAI-style answers, plus a scripted Anthropic Messages stream.
//! Bodies are built by string concatenation from fixed templates; the only JSON parsing is
//! the small [`RequestFields`] struct.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Deserialize;

/// Default assistant text of scripted answers.
pub(crate) const DEFAULT_TEXT: &str = "Hello from llmux-mock.";
/// Model echoed when the request names none.
const DEFAULT_MODEL: &str = "mock-model";
/// `created` of listed models.
const MODEL_CREATED: u64 = 1_700_000_000;
/// SSE stream terminator of OpenAI streams.
pub(crate) const DONE: &str = "data: [DONE]\n\n";

/// The few request fields the scripted answers depend on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RequestFields<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    /// `stream` (absent = provider default).
    pub(crate) stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    n: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StreamOptions {
    include_usage: Option<bool>,
}

impl<'a> RequestFields<'a> {
    /// Parse `body`; anything that is not a matching JSON object gives the defaults.
    pub(crate) fn parse(body: &'a [u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The requested model (`mock-model` if none).
    pub(crate) fn model(&self) -> &str {
        self.model.as_deref().unwrap_or(DEFAULT_MODEL)
    }

    /// `stream_options.include_usage`.
    pub(crate) fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }

    /// Number of choices (`n`, 1..=128).
    pub(crate) fn n(&self) -> usize {
        self.n.unwrap_or(1).clamp(1, 128) as usize
    }
}

/// Everything a scripted chat/completions answer is made of.
#[derive(Debug)]
pub(crate) struct Script<'a> {
    pub(crate) model: &'a str,
    pub(crate) text: &'a str,
    pub(crate) chunks: usize,
    pub(crate) n: usize,
    pub(crate) include_usage: bool,
    /// Sequence number, used in the response id.
    pub(crate) seq: u64,
}

impl Script<'_> {
    fn usage(&self, detailed: bool) -> String {
        let completion = 5 * self.n;
        let total = 9 + completion;
        let details = if detailed {
            ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\
             \"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\
             \"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}"
        } else {
            ""
        };
        format!("{{\"prompt_tokens\":9,\"completion_tokens\":{completion},\"total_tokens\":{total}{details}}}")
    }

    /// `{"id":…,"object":OBJECT,"created":…,"model":…,"system_fingerprint":null,"choices":[`
    fn head(&self, id_prefix: &str, object: &str) -> String {
        format!(
            "{{\"id\":\"{id_prefix}-mock-{}\",\"object\":\"{object}\",\"created\":{},\"model\":{},\
             \"system_fingerprint\":null,\"choices\":[",
            self.seq,
            now(),
            json_str(self.model)
        )
    }

    /// Non-stream `chat.completion`.
    pub(crate) fn chat_json(&self) -> Bytes {
        let mut out = self.head("chatcmpl", "chat.completion");
        let content = json_str(self.text);
        for i in 0..self.n {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"index\":{i},\"message\":{{\"role\":\"assistant\",\"content\":{content},\
                 \"refusal\":null,\"annotations\":[]}},\"logprobs\":null,\"finish_reason\":\"stop\"}}"
            );
        }
        let _ = write!(
            out,
            "],\"usage\":{},\"service_tier\":\"default\"}}",
            self.usage(true)
        );
        Bytes::from(out)
    }

    /// Streamed `chat.completion.chunk`s: role, content pieces, finish, [usage], `[DONE]`.
    pub(crate) fn chat_stream(&self) -> Vec<Bytes> {
        let pieces = split_text(self.text, self.chunks);
        let mut steps = vec!["{\"role\":\"assistant\",\"content\":\"\"}".to_owned()];
        steps.extend(
            pieces
                .iter()
                .map(|p| format!("{{\"content\":{}}}", json_str(p))),
        );
        self.stream_frames("chatcmpl", "chat.completion.chunk", &steps, |i, step, last| {
            let finish = if last { "\"stop\"" } else { "null" };
            let delta = if last { "{}" } else { step };
            format!("{{\"index\":{i},\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}")
        })
    }

    /// Non-stream `text_completion`.
    pub(crate) fn completion_json(&self) -> Bytes {
        let mut out = self.head("cmpl", "text_completion");
        let text = json_str(self.text);
        for i in 0..self.n {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"text\":{text},\"index\":{i},\"logprobs\":null,\"finish_reason\":\"stop\"}}"
            );
        }
        let _ = write!(out, "],\"usage\":{}}}", self.usage(false));
        Bytes::from(out)
    }

    /// Streamed `text_completion` chunks: content pieces, finish, [usage], `[DONE]`.
    pub(crate) fn completion_stream(&self) -> Vec<Bytes> {
        let steps: Vec<String> = split_text(self.text, self.chunks)
            .iter()
            .map(|p| json_str(p))
            .collect();
        self.stream_frames("cmpl", "text_completion", &steps, |i, step, last| {
            let (text, finish) = if last {
                ("\"\"", "\"stop\"")
            } else {
                (step, "null")
            };
            format!(
                "{{\"text\":{text},\"index\":{i},\"logprobs\":null,\"finish_reason\":{finish}}}"
            )
        })
    }

    /// One frame per (step, choice), then a finish frame per choice (`choice(i, "", true)`),
    /// the usage frame if asked, and `[DONE]`.
    fn stream_frames(
        &self,
        id_prefix: &str,
        object: &str,
        steps: &[String],
        choice: impl Fn(usize, &str, bool) -> String,
    ) -> Vec<Bytes> {
        let head = self.head(id_prefix, object);
        let tail = if self.include_usage {
            "],\"usage\":null}\n\n"
        } else {
            "]}\n\n"
        };
        let frame = |body: &str| Bytes::from(format!("data: {head}{body}{tail}"));
        let mut frames = Vec::with_capacity((steps.len() + 1) * self.n + 2);
        for step in steps {
            for i in 0..self.n {
                frames.push(frame(&choice(i, step, false)));
            }
        }
        for i in 0..self.n {
            frames.push(frame(&choice(i, "", true)));
        }
        if self.include_usage {
            let usage = self.usage(object == "chat.completion.chunk");
            frames.push(Bytes::from(format!(
                "data: {head}],\"usage\":{usage}}}\n\n"
            )));
        }
        frames.push(Bytes::from_static(DONE.as_bytes()));
        frames
    }
}

impl Script<'_> {
    /// A streamed Anthropic Messages answer (`POST /v1/messages` with `"stream": true`):
    /// `message_start` (with usage), `content_block_start` (text), one `content_block_delta`
    /// (`text_delta`) per piece of the text split as [`Script::chat_stream`] splits it,
    /// `content_block_stop`, `message_delta` (`end_turn`, usage), `message_stop`. One frame
    /// per event. `n` and `include_usage` do not apply (Anthropic always reports usage).
    pub(crate) fn messages_stream(&self) -> Vec<Bytes> {
        let event =
            |name: &str, data: &str| Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
        let pieces = split_text(self.text, self.chunks);
        let mut frames = Vec::with_capacity(pieces.len() + 5);
        frames.push(event(
            "message_start",
            &format!(
                "{{\"type\":\"message_start\",\"message\":{{\"id\":\"msg_mock-{}\",\"type\":\"message\",\
                 \"role\":\"assistant\",\"model\":{},\"content\":[],\"stop_reason\":null,\
                 \"stop_sequence\":null,\"usage\":{{\"input_tokens\":9,\"cache_creation_input_tokens\":0,\
                 \"cache_read_input_tokens\":0,\"output_tokens\":1}}}}}}",
                self.seq,
                json_str(self.model)
            ),
        ));
        frames.push(event(
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\
             \"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
        ));
        for piece in pieces {
            frames.push(event(
                "content_block_delta",
                &format!(
                    "{{\"type\":\"content_block_delta\",\"index\":0,\
                     \"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}",
                    json_str(piece)
                ),
            ));
        }
        frames.push(event(
            "content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":0}",
        ));
        frames.push(event(
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\
             \"stop_sequence\":null},\"usage\":{\"input_tokens\":9,\"output_tokens\":5}}",
        ));
        frames.push(event("message_stop", "{\"type\":\"message_stop\"}"));
        frames
    }
}

/// Split `text` into `n` pieces whose concatenation is `text`: whole words when there are
/// at least `n` words, else by characters (some pieces may then be empty).
pub(crate) fn split_text(text: &str, n: usize) -> Vec<&str> {
    if n == 0 {
        return Vec::new();
    }
    // Unit boundaries: the start of each whitespace run that follows a word, so every
    // word keeps its leading space (as tokenizers do).
    let mut starts: Vec<usize> = vec![0];
    let mut prev_ws = true;
    for (i, c) in text.char_indices() {
        let ws = c.is_whitespace();
        if ws && !prev_ws {
            starts.push(i);
        }
        prev_ws = ws;
    }
    if starts.len() < n {
        starts = text.char_indices().map(|(i, _)| i).collect();
    }
    let units = starts.len();
    let at = |k: usize| if k < units { starts[k] } else { text.len() };
    (0..n)
        .map(|k| &text[at(k * units / n)..at((k + 1) * units / n)])
        .collect()
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `s` as a quoted JSON string.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An OpenAI-style error body.
pub(crate) fn openai_error(message: &str, kind: &str, code: Option<&str>) -> Bytes {
    let code = code.map_or_else(|| "null".to_owned(), json_str);
    Bytes::from(format!(
        "{{\"error\":{{\"message\":{},\"type\":{},\"param\":null,\"code\":{code}}}}}",
        json_str(message),
        json_str(kind)
    ))
}

/// `GET /v1/models` body.
pub(crate) fn models_list(models: &[String]) -> Bytes {
    let data: Vec<String> = models.iter().map(|m| model_object(m)).collect();
    Bytes::from(format!(
        "{{\"object\":\"list\",\"data\":[{}]}}",
        data.join(",")
    ))
}

/// One OpenAI model object.
pub(crate) fn model_object(id: &str) -> String {
    format!(
        "{{\"id\":{},\"object\":\"model\",\"created\":{MODEL_CREATED},\"owned_by\":\"llmux-mock\"}}",
        json_str(id)
    )
}

/// `GET /api/tags` body (Ollama).
pub(crate) fn ollama_tags(models: &[String]) -> Bytes {
    let data: Vec<String> = models
        .iter()
        .map(|m| {
            let name = json_str(m);
            format!(
                "{{\"name\":{name},\"model\":{name},\"modified_at\":\"2024-01-01T00:00:00Z\",\
                 \"size\":0,\"digest\":\"0000000000000000\",\"details\":{{\"parent_model\":\"\",\
                 \"format\":\"gguf\",\"family\":\"mock\",\"families\":[\"mock\"],\
                 \"parameter_size\":\"0B\",\"quantization_level\":\"Q4_0\"}}}}"
            )
        })
        .collect();
    Bytes::from(format!("{{\"models\":[{}]}}", data.join(",")))
}

#[derive(Deserialize)]
struct EmbeddingsRequest {
    #[serde(default)]
    input: serde_json::Value,
    #[serde(default)]
    encoding_format: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// `POST /v1/embeddings` body: one 8-float embedding per input. Err is a 400 message.
pub(crate) fn embeddings(body: &[u8]) -> Result<Bytes, String> {
    use serde_json::Value;
    let req: EmbeddingsRequest =
        serde_json::from_slice(body).map_err(|e| format!("invalid embeddings request: {e}"))?;
    let tokens = |v: &Value| match v {
        Value::String(s) => s.split_whitespace().count().max(1),
        Value::Array(a) => a.len(),
        _ => 1,
    };
    // Token counts of each input.
    let inputs: Vec<usize> = match &req.input {
        Value::String(_) => vec![tokens(&req.input)],
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_number) => vec![a.len()],
        Value::Array(a) => a.iter().map(tokens).collect(),
        _ => return Err("'input' is required (string or array)".to_owned()),
    };
    let base64 = req.encoding_format.as_deref() == Some("base64");
    let mut out = String::from("{\"object\":\"list\",\"data\":[");
    for i in 0..inputs.len() {
        if i > 0 {
            out.push(',');
        }
        let values = (0..8).map(|j| ((i * 8 + j) as f32 * 0.618_034).fract() - 0.5);
        let embedding = if base64 {
            let bytes: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
            format!("\"{}\"", base64_encode(&bytes))
        } else {
            let v: Vec<String> = values.map(|x| format!("{x:.6}")).collect();
            format!("[{}]", v.join(","))
        };
        let _ = write!(
            out,
            "{{\"object\":\"embedding\",\"index\":{i},\"embedding\":{embedding}}}"
        );
    }
    let n: usize = inputs.iter().sum();
    let _ = write!(
        out,
        "],\"model\":{},\"usage\":{{\"prompt_tokens\":{n},\"total_tokens\":{n}}}}}",
        json_str(req.model.as_deref().unwrap_or(DEFAULT_MODEL))
    );
    Ok(Bytes::from(out))
}

/// Standard base64 with padding.
fn base64_encode(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ABC[(v >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_and_chars() {
        assert_eq!(
            split_text(DEFAULT_TEXT, 3),
            ["Hello", " from", " llmux-mock."]
        );
        assert_eq!(split_text(DEFAULT_TEXT, 2).concat(), DEFAULT_TEXT);
        let p = split_text("abc", 5);
        assert_eq!(p.len(), 5);
        assert_eq!(p.concat(), "abc");
        assert!(split_text("x", 0).is_empty());
    }

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
    }

    #[test]
    fn escapes_json() {
        assert_eq!(json_str("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }
}
