//! Tests of the Responses codec: recorded OpenAI traffic (fixtures and helpers here), then
//! streams, answers, requests and robustness properties in submodules.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::canonical::{
    BlockDelta, BlockStart, ChatRequest, ChatResponse, ContentBlock, MediaSource, Message,
    ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Sampling, StopReason, StreamEvent,
    ToolChoice, ToolDef,
};
use crate::sse::{event_data, event_name, SseSplitter};
use crate::Usage;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            "../../../../../tests/fixtures/providers/openai-responses/",
            $name
        ))
    };
}

const STREAM_TEXT: &str = fixture!("stream-text.sse");
const STREAM_CALL: &str = fixture!("stream-function-call.sse");
const STREAM_SUMMARY: &str = fixture!("stream-reasoning-summary.sse");
const STREAM_REASONING_CALL: &str = fixture!("stream-reasoning-function-call-usage.sse");
const STREAM_ERROR: &str = fixture!("stream-error-insufficient-quota.chunks.jsonl");
const STREAMS: [&str; 4] = [
    STREAM_TEXT,
    STREAM_CALL,
    STREAM_SUMMARY,
    STREAM_REASONING_CALL,
];

const RESPONSES: [&str; 4] = [
    NONSTREAM_TEXT,
    fixture!("nonstream-function-call.json"),
    NONSTREAM_PARALLEL,
    fixture!("image-url-input.json"),
];

const REQUESTS: [(&str, &str); 8] = [
    ("error-400", REQ_ERROR_400),
    ("image", REQ_IMAGE),
    ("call", REQ_CALL),
    (
        "parallel",
        fixture!("nonstream-function-calls-parallel.request.json"),
    ),
    ("text", REQ_NONSTREAM_TEXT),
    ("stream-call", fixture!("stream-function-call.request.json")),
    ("reasoning-call", REQ_REASONING_CALL),
    ("summary", REQ_SUMMARY),
];

fn split(body: &[u8]) -> Vec<Bytes> {
    let mut splitter = SseSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(body), &mut events);
    events.extend(splitter.finish());
    events
}

/// Payloads of the data lines of an SSE body.
fn payloads(body: &str) -> Vec<Value> {
    split(body.as_bytes())
        .iter()
        .filter_map(|e| event_data(e).map(|d| serde_json::from_slice(&d).unwrap()))
        .collect()
}

/// A chunk list re-framed as SSE (`event: <type>` + `data:`), as SOURCES.md describes.
fn reframe(jsonl: &str) -> String {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!("event: {}\ndata: {l}\n\n", v["type"].as_str().unwrap())
        })
        .collect()
}

fn decode_stream(body: &[u8]) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for event in split(body) {
        dec.push(&event, &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

fn encode_stream(events: &[StreamEvent]) -> Vec<u8> {
    let mut enc = StreamEncoder::new();
    let mut out = BytesMut::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    out.to_vec()
}

/// What a canonical stream says, checking its block structure along the way.
#[derive(Debug, Default, PartialEq)]
struct Summary {
    text: String,
    thinking: String,
    signatures: Vec<String>,
    redacted: Vec<String>,
    /// (id, name, arguments) in order.
    tools: Vec<(String, String, String)>,
    stops: Vec<StopReason>,
    usage: Option<Usage>,
    kinds: Vec<&'static str>,
}

fn summarize(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    let mut open: Option<usize> = None;
    let mut next = 0;
    assert!(matches!(
        events.first(),
        Some(StreamEvent::MessageStart { .. })
    ));
    assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
    for e in events {
        match e {
            StreamEvent::BlockStart { index, block } => {
                assert_eq!(open, None, "block started while another is open");
                assert_eq!(*index, next);
                next += 1;
                open = Some(*index);
                s.kinds.push(match block {
                    BlockStart::Text => "text",
                    BlockStart::Thinking => "thinking",
                    BlockStart::RedactedThinking { data } => {
                        s.redacted.push(data.clone());
                        "redacted"
                    }
                    BlockStart::ToolUse { id, name } => {
                        s.tools.push((id.clone(), name.clone(), String::new()));
                        "tool"
                    }
                });
            }
            StreamEvent::BlockDelta { index, delta } => {
                assert_eq!(open, Some(*index));
                match delta {
                    BlockDelta::Text { text } => s.text += text,
                    BlockDelta::Thinking { text } => s.thinking += text,
                    BlockDelta::Signature { signature } => s.signatures.push(signature.clone()),
                    BlockDelta::ToolInput { partial_json } => {
                        s.tools.last_mut().unwrap().2 += partial_json
                    }
                }
            }
            StreamEvent::BlockStop { index } => {
                assert_eq!(open, Some(*index));
                open = None;
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                assert_eq!(open, None);
                s.stops.extend(stop_reason.clone());
                if usage.is_some() {
                    s.usage = *usage;
                }
            }
            _ => {}
        }
    }
    s
}

/// Usage as the fixture's JSON states it.
fn wire_usage(u: &Value) -> Usage {
    Usage {
        prompt_tokens: u["input_tokens"].as_u64().unwrap(),
        completion_tokens: u["output_tokens"].as_u64().unwrap(),
        cached_tokens: u["input_tokens_details"]["cached_tokens"].as_u64().unwrap(),
        reasoning_tokens: u["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap(),
        cache_write_tokens: u["input_tokens_details"]["cache_write_tokens"]
            .as_u64()
            .unwrap_or(0),
    }
}

/// The `response` of the fixture's `response.completed` event.
fn completed(body: &str) -> Value {
    payloads(body)
        .into_iter()
        .find(|p| p["type"] == "response.completed")
        .unwrap()["response"]
        .clone()
}

fn events_of<'a>(body: &'a [Value], ty: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    body.iter().filter(move |p| p["type"] == ty)
}

const NONSTREAM_TEXT: &str = fixture!("nonstream-text.json");
const NONSTREAM_PARALLEL: &str = fixture!("nonstream-function-calls-parallel.json");
const ERROR_400: &str = fixture!("error-400-invalid-value.json");
const ERROR_429: &str = fixture!("error-429-insufficient-quota.json");
const REQ_STREAM_TEXT: &str = fixture!("stream-text.request.json");
const REQ_IMAGE: &str = fixture!("image-url-input.request.json");
const REQ_CALL: &str = fixture!("nonstream-function-call.request.json");
const REQ_REASONING_CALL: &str = fixture!("stream-reasoning-function-call-usage.request.json");
const REQ_SUMMARY: &str = fixture!("stream-reasoning-summary.request.json");
const REQ_ERROR_400: &str = fixture!("error-400-invalid-value.request.json");
const REQ_NONSTREAM_TEXT: &str = fixture!("nonstream-text.request.json");

fn canonical_stream(stop: StopReason) -> Vec<StreamEvent> {
    use StreamEvent::*;
    vec![
        MessageStart {
            id: "resp_abc".into(),
            model: "gpt-5".into(),
            usage: None,
        },
        BlockStart {
            index: 0,
            block: crate::canonical::BlockStart::Thinking,
        },
        BlockDelta {
            index: 0,
            delta: crate::canonical::BlockDelta::Thinking { text: "Let".into() },
        },
        BlockDelta {
            index: 0,
            delta: crate::canonical::BlockDelta::Thinking {
                text: " me think".into(),
            },
        },
        BlockDelta {
            index: 0,
            delta: crate::canonical::BlockDelta::Signature {
                signature: "sig".into(),
            },
        },
        BlockStop { index: 0 },
        BlockStart {
            index: 1,
            block: crate::canonical::BlockStart::RedactedThinking {
                data: "gAAAAAopaque".into(),
            },
        },
        BlockStop { index: 1 },
        BlockStart {
            index: 2,
            block: crate::canonical::BlockStart::Text,
        },
        BlockDelta {
            index: 2,
            delta: crate::canonical::BlockDelta::Text { text: "Hi ".into() },
        },
        BlockDelta {
            index: 2,
            delta: crate::canonical::BlockDelta::Text {
                text: "there".into(),
            },
        },
        BlockStop { index: 2 },
        BlockStart {
            index: 3,
            block: crate::canonical::BlockStart::ToolUse {
                id: "call_1".into(),
                name: "f".into(),
            },
        },
        BlockDelta {
            index: 3,
            delta: crate::canonical::BlockDelta::ToolInput {
                partial_json: "{\"a\":".into(),
            },
        },
        BlockDelta {
            index: 3,
            delta: crate::canonical::BlockDelta::ToolInput {
                partial_json: "1}".into(),
            },
        },
        BlockStop { index: 3 },
        BlockStart {
            index: 4,
            block: crate::canonical::BlockStart::ToolUse {
                id: "call_2".into(),
                name: "g".into(),
            },
        },
        BlockStop { index: 4 },
        MessageDelta {
            stop_reason: Some(stop),
            usage: Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 7,
                cached_tokens: 2,
                reasoning_tokens: 3,
                cache_write_tokens: 0,
            }),
        },
        MessageStop,
    ]
}

/// The encoded events as (SSE event name, payload).
fn encoded_events(events: &[StreamEvent]) -> Vec<(String, Value)> {
    split(&encode_stream(events))
        .iter()
        .map(|e| {
            let name = String::from_utf8(event_name(e).unwrap().to_vec()).unwrap();
            (
                name,
                serde_json::from_slice(&event_data(e).unwrap()).unwrap(),
            )
        })
        .collect()
}

fn sample_response() -> ChatResponse {
    ChatResponse {
        id: "resp_42".into(),
        model: "gpt-5".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "hmm".into(),
                signature: Some("gAAAAAsig".into()),
            },
            ContentBlock::RedactedThinking {
                data: "gAAAAAred".into(),
            },
            ContentBlock::text("Answer"),
            ContentBlock::ToolUse {
                id: "call_a".into(),
                name: "f".into(),
                input: json!({"a": [1, 2]}),
            },
        ],
        stop_reason: Some(StopReason::ToolUse),
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 20,
            cached_tokens: 4,
            reasoning_tokens: 5,
            cache_write_tokens: 1,
        }),
        created: Some(123),
    }
}

fn sample_request() -> ChatRequest {
    ChatRequest {
        model: "gpt-5".into(),
        system: vec![ContentBlock::text("Be brief.")],
        messages: vec![
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::text("What is this?"),
                    ContentBlock::Image {
                        source: MediaSource::Base64 {
                            data: "AAAA".into(),
                        },
                        media_type: Some("image/png".into()),
                        detail: Some("low".into()),
                    },
                    ContentBlock::Image {
                        source: MediaSource::Url {
                            url: "https://example.com/a.jpg".into(),
                        },
                        media_type: None,
                        detail: Some("auto".into()),
                    },
                    ContentBlock::Document {
                        source: MediaSource::Base64 {
                            data: "JVBE".into(),
                        },
                        media_type: Some("application/pdf".into()),
                        title: Some("a.pdf".into()),
                    },
                    ContentBlock::Document {
                        source: MediaSource::Url {
                            url: "https://example.com/b.pdf".into(),
                        },
                        media_type: None,
                        title: None,
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Thinking {
                        text: "plan".into(),
                        signature: Some("gAAAAAenc".into()),
                    },
                    ContentBlock::text("Let me look."),
                    ContentBlock::ToolUse {
                        id: "call_1".into(),
                        name: "lookup".into(),
                        input: json!({"q": "x"}),
                    },
                    ContentBlock::RedactedThinking {
                        data: "gAAAAAred".into(),
                    },
                    ContentBlock::ToolUse {
                        id: "call_2".into(),
                        name: "lookup".into(),
                        input: json!({"q": "y"}),
                    },
                ],
            },
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::ToolResult {
                        tool_use_id: "call_1".into(),
                        content: vec![ContentBlock::text("one")],
                        is_error: false,
                    },
                    ContentBlock::ToolResult {
                        tool_use_id: "call_2".into(),
                        content: vec![ContentBlock::text("two"), ContentBlock::text("three")],
                        is_error: false,
                    },
                ],
            },
            Message {
                role: Role::System,
                content: vec![ContentBlock::text("Now answer.")],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::text("Go")],
            },
        ],
        tools: vec![ToolDef {
            name: "lookup".into(),
            description: Some("Looks up".into()),
            parameters: json!({"type": "object", "properties": {"q": {"type": "string"}}}),
            strict: Some(false),
        }],
        tool_choice: Some(ToolChoice::Named {
            name: "lookup".into(),
        }),
        parallel_tool_calls: Some(false),
        sampling: Sampling {
            max_tokens: Some(100),
            temperature: Some(0.5),
            top_p: Some(0.9),
            n: None,
            ..Sampling::default()
        },
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Medium),
            budget_tokens: None,
            include_thoughts: Some(true),
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "r".into(),
            schema: json!({"type": "object"}),
            strict: Some(true),
        }),
        stream: true,
        stream_usage: true,
        user: Some("u1".into()),
    }
}

fn decode_json(v: Value) -> Result<ChatRequest, crate::dialects::DecodeError> {
    decode_request(v.to_string().as_bytes())
}

mod props;
mod request;
mod response;
mod stream;
