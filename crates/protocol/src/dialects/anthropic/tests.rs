//! Golden tests on recorded Anthropic traffic, round trips and fuzzing of the Anthropic codec.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::canonical::forced_tool::{unwrap_response, UnwrapStream, FORCED_TOOL};
use crate::canonical::{
    BlockDelta, BlockStart, ChatRequest, ChatResponse, ContentBlock, MediaSource, Message,
    ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Sampling, StopReason, StreamEvent,
    ToolChoice, ToolDef,
};
use crate::sse::{data_event, SseSplitter};
use crate::Usage;

const STREAM_SSE: &[&str] = &[
    "stream-text.sse",
    "stream-tool-use.sse",
    "stream-thinking.sse",
    "stream-thinking-redacted.sse",
];
const STREAM_JSONL: &[&str] = &[
    "stream-text.chunks.jsonl",
    "stream-tool-use.chunks.jsonl",
    "stream-tool-use-no-args.chunks.jsonl",
    "stream-tool-use-plus-server-tool.chunks.jsonl",
];
const RESPONSES: &[&str] = &[
    "nonstream-text.json",
    "nonstream-tool-result-followup.json",
    "nonstream-tool-use-no-args.json",
    "nonstream-tool-use-parallel.json",
    "image-url-input.json",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/providers/anthropic/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Raw SSE events of a fixture (`.sse` split by `SseSplitter`, `.jsonl` re-framed).
fn raw_events(name: &str) -> Vec<Bytes> {
    let bytes = fixture(name);
    if name.ends_with(".jsonl") {
        bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(data_event)
            .collect()
    } else {
        let mut splitter = SseSplitter::new();
        let mut out = Vec::new();
        splitter.push(Bytes::from(bytes), &mut out);
        out.extend(splitter.finish());
        out
    }
}

/// JSON payloads of a fixture's events.
fn raw_payloads(name: &str) -> Vec<Value> {
    raw_events(name)
        .iter()
        .filter_map(|e| crate::sse::event_data(e).map(|d| d.into_owned()))
        .map(|d| serde_json::from_slice(&d).unwrap())
        .collect()
}

fn decode_all(events: &[Bytes]) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for e in events {
        dec.push(e, &mut out).unwrap();
    }
    out
}

/// What a stream says: text, tool calls (id, name, args), thinking, signatures, redacted
/// blocks, final stop reason and usage (of the last message).
#[derive(Debug, Default, PartialEq)]
struct Summary {
    text: String,
    tools: Vec<(String, String, String)>,
    thinking: String,
    signatures: String,
    redacted: usize,
    stop: Option<String>,
    usage: Option<Usage>,
}

fn summarize_canonical(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    let mut kinds: HashMap<usize, usize> = HashMap::new(); // index → tool slot or usize::MAX
    for e in events {
        match e {
            StreamEvent::MessageStart { .. } => kinds.clear(),
            StreamEvent::BlockStart { index, block } => match block {
                BlockStart::ToolUse { id, name } => {
                    kinds.insert(*index, s.tools.len());
                    s.tools.push((id.clone(), name.clone(), String::new()));
                }
                BlockStart::RedactedThinking { .. } => s.redacted += 1,
                _ => {}
            },
            StreamEvent::BlockDelta { index, delta } => match delta {
                BlockDelta::Text { text } => s.text.push_str(text),
                BlockDelta::Thinking { text } => s.thinking.push_str(text),
                BlockDelta::Signature { signature } => s.signatures.push_str(signature),
                BlockDelta::ToolInput { partial_json } => {
                    s.tools[kinds[index]].2.push_str(partial_json)
                }
            },
            StreamEvent::MessageDelta { stop_reason, usage } => {
                s.stop = stop_reason.as_ref().map(|r| stop_reason_to_wire(r).0);
                s.usage = *usage;
            }
            _ => {}
        }
    }
    s
}

fn summarize_raw(payloads: &[Value]) -> Summary {
    let mut s = Summary::default();
    let mut kinds: HashMap<u64, (String, usize)> = HashMap::new();
    let mut start_usage = Value::Null;
    for p in payloads {
        match p["type"].as_str().unwrap() {
            "message_start" => {
                kinds.clear();
                start_usage = p["message"]["usage"].clone();
            }
            "content_block_start" => {
                let cb = &p["content_block"];
                let ty = cb["type"].as_str().unwrap().to_owned();
                if ty == "tool_use" {
                    s.tools.push((
                        cb["id"].as_str().unwrap().into(),
                        cb["name"].as_str().unwrap().into(),
                        String::new(),
                    ));
                }
                if ty == "redacted_thinking" {
                    s.redacted += 1;
                }
                kinds.insert(
                    p["index"].as_u64().unwrap(),
                    (ty, s.tools.len().wrapping_sub(1)),
                );
            }
            "content_block_delta" => {
                let (ty, slot) = &kinds[&p["index"].as_u64().unwrap()];
                let d = &p["delta"];
                match (ty.as_str(), d["type"].as_str().unwrap()) {
                    ("text", "text_delta") => s.text.push_str(d["text"].as_str().unwrap()),
                    ("thinking", "thinking_delta") => {
                        s.thinking.push_str(d["thinking"].as_str().unwrap())
                    }
                    ("thinking", "signature_delta") => {
                        s.signatures.push_str(d["signature"].as_str().unwrap())
                    }
                    ("tool_use", "input_json_delta") => s.tools[*slot]
                        .2
                        .push_str(d["partial_json"].as_str().unwrap()),
                    _ => {}
                }
            }
            "message_delta" => {
                s.stop = p["delta"]["stop_reason"].as_str().map(str::to_owned);
                let u = &p["usage"];
                let pick = |k: &str| u[k].as_u64().or(start_usage[k].as_u64()).unwrap_or(0);
                let (input, read, write) = (
                    pick("input_tokens"),
                    pick("cache_read_input_tokens"),
                    pick("cache_creation_input_tokens"),
                );
                s.usage = Some(Usage {
                    prompt_tokens: input + read + write,
                    completion_tokens: u["output_tokens"].as_u64().unwrap(),
                    cached_tokens: read,
                    reasoning_tokens: 0,
                    cache_write_tokens: write,
                });
            }
            _ => {}
        }
    }
    s
}

#[test]
fn stream_fixtures_decode_to_what_they_say() {
    for name in STREAM_SSE.iter().chain(STREAM_JSONL) {
        let events = decode_all(&raw_events(name));
        let got = summarize_canonical(&events);
        let want = summarize_raw(&raw_payloads(name));
        assert_eq!(got, want, "{name}");
        assert!(want.stop.is_some(), "{name}: fixture has a stop reason");
        assert!(
            matches!(events.first(), Some(StreamEvent::MessageStart { .. })),
            "{name}"
        );
        assert_eq!(events.last(), Some(&StreamEvent::MessageStop), "{name}");
        for (_, _, args) in &got.tools {
            let parsed: Value = serde_json::from_str(if args.is_empty() { "{}" } else { args })
                .unwrap_or_else(|e| panic!("{name}: tool args {args:?}: {e}"));
            assert!(parsed.is_object(), "{name}");
        }
    }
}

#[test]
fn stream_fixture_specifics() {
    let text = summarize_canonical(&decode_all(&raw_events("stream-text.sse")));
    assert!(!text.text.is_empty());
    assert_eq!(text.stop.as_deref(), Some("end_turn"));

    let tool = summarize_canonical(&decode_all(&raw_events("stream-tool-use.sse")));
    assert_eq!(tool.stop.as_deref(), Some("tool_use"));
    assert!(!tool.tools.is_empty());
    assert!(tool.tools.iter().all(|t| t.0.starts_with("toolu_")));

    let thinking = summarize_canonical(&decode_all(&raw_events("stream-thinking.sse")));
    assert!(!thinking.thinking.is_empty());
    assert!(!thinking.signatures.is_empty());

    let redacted = summarize_canonical(&decode_all(&raw_events("stream-thinking-redacted.sse")));
    assert!(redacted.redacted > 0);
}

#[test]
fn unknown_blocks_are_skipped_and_indices_stay_contiguous() {
    let events = decode_all(&raw_events("stream-tool-use-plus-server-tool.chunks.jsonl"));
    let mut next = 0;
    for e in &events {
        match e {
            StreamEvent::MessageStart { .. } => next = 0,
            StreamEvent::BlockStart { index, .. } => {
                assert_eq!(*index, next);
                next += 1;
            }
            StreamEvent::BlockDelta { index, .. } | StreamEvent::BlockStop { index } => {
                assert!(*index < next)
            }
            _ => {}
        }
    }
    let s = summarize_canonical(&events);
    assert!(s.tools.iter().all(|t| t.0.starts_with("toolu_")));
    assert_eq!(s.tools.len(), 2);
}

#[test]
fn stream_round_trips_through_the_encoder() {
    for name in STREAM_SSE.iter().chain(STREAM_JSONL) {
        let events = decode_all(&raw_events(name));
        let mut enc = StreamEncoder::new();
        let mut buf = BytesMut::new();
        for e in &events {
            enc.encode(e, &mut buf);
        }
        let mut splitter = SseSplitter::new();
        let mut raw = Vec::new();
        splitter.push(buf.freeze(), &mut raw);
        assert!(!splitter.has_pending(), "{name}");
        for r in &raw {
            let name_line = crate::sse::event_name(r).unwrap();
            let data: Value = serde_json::from_slice(&crate::sse::event_data(r).unwrap()).unwrap();
            assert_eq!(data["type"].as_str().unwrap().as_bytes(), name_line);
        }
        assert_eq!(decode_all(&raw), events, "{name}");
    }
}

#[test]
fn stream_encoder_writes_anthropic_shapes() {
    let mut enc = StreamEncoder::new();
    let mut buf = BytesMut::new();
    enc.encode(
        &StreamEvent::MessageStart {
            id: "msg_1".into(),
            model: "m".into(),
            usage: None,
        },
        &mut buf,
    );
    enc.encode(
        &StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::ToolUse {
                id: "toolu_1".into(),
                name: "f".into(),
            },
        },
        &mut buf,
    );
    let text = String::from_utf8(buf.to_vec()).unwrap();
    assert!(text.starts_with("event: message_start\ndata: {"));
    let mut raw = Vec::new();
    SseSplitter::new().push(buf.freeze(), &mut raw);
    let start: Value = serde_json::from_slice(&crate::sse::event_data(&raw[0]).unwrap()).unwrap();
    assert_eq!(start["message"]["type"], "message");
    assert_eq!(start["message"]["role"], "assistant");
    assert_eq!(start["message"]["content"], json!([]));
    assert_eq!(start["message"]["usage"]["input_tokens"], 0);
    let block: Value = serde_json::from_slice(&crate::sse::event_data(&raw[1]).unwrap()).unwrap();
    assert_eq!(
        block["content_block"],
        json!({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}})
    );
}

#[test]
fn stream_decoder_tolerates_pings_comments_and_errors() {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    dec.push(b": comment\n\n", &mut out).unwrap();
    dec.push(b"event: ping\ndata: {\"type\": \"ping\"}\n\n", &mut out)
        .unwrap();
    dec.push(
        b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        &mut out,
    )
    .unwrap();
    dec.push(
        b"event: future\ndata: {\"type\":\"future_thing\"}\n\n",
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            StreamEvent::Ping,
            StreamEvent::Error {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            }
        ]
    );
    assert!(dec
        .push(
            b"data: {\"type\":\"content_block_stop\",\"index\":7}\n\n",
            &mut out
        )
        .is_err());
    assert!(dec.push(b"data: not json\n\n", &mut out).is_err());
}

#[test]
fn response_fixtures_decode_to_what_they_say() {
    for name in RESPONSES {
        let raw: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let resp = decode_response(&fixture(name)).unwrap();
        assert_eq!(resp.id, raw["id"].as_str().unwrap(), "{name}");
        assert_eq!(resp.model, raw["model"].as_str().unwrap(), "{name}");
        let want_text: String = raw["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "text")
            .map(|b| b["text"].as_str().unwrap())
            .collect();
        let got_text: String = resp
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(got_text, want_text, "{name}");
        let want_tools: Vec<(String, String, Value)> = raw["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .map(|b| {
                (
                    b["id"].as_str().unwrap().into(),
                    b["name"].as_str().unwrap().into(),
                    b["input"].clone(),
                )
            })
            .collect();
        let got_tools: Vec<(String, String, Value)> = resp
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse { id, name, input } => {
                    Some((id.clone(), name.clone(), input.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(got_tools, want_tools, "{name}");
        let stop = resp.stop_reason.as_ref().map(|r| stop_reason_to_wire(r).0);
        assert_eq!(stop.as_deref(), raw["stop_reason"].as_str(), "{name}");
        let u = &raw["usage"];
        let n = |k: &str| u[k].as_u64().unwrap_or(0);
        assert_eq!(
            resp.usage,
            Some(Usage {
                prompt_tokens: n("input_tokens")
                    + n("cache_read_input_tokens")
                    + n("cache_creation_input_tokens"),
                completion_tokens: n("output_tokens"),
                cached_tokens: n("cache_read_input_tokens"),
                reasoning_tokens: 0,
                cache_write_tokens: n("cache_creation_input_tokens"),
            }),
            "{name}"
        );
        // Round trip through the encoder.
        assert_eq!(
            decode_response(&encode_response(&resp)).unwrap(),
            resp,
            "{name}"
        );
    }
}

#[test]
fn response_round_trips() {
    let resp = ChatResponse {
        id: "msg_1".into(),
        model: "claude-x".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "hmm".into(),
                signature: Some("sig".into()),
            },
            ContentBlock::RedactedThinking {
                data: "opaque".into(),
            },
            ContentBlock::text("hello"),
            ContentBlock::ToolUse {
                id: "toolu_1".into(),
                name: "f".into(),
                input: json!({"a": [1, 2], "b": null}),
            },
        ],
        stop_reason: Some(StopReason::StopSequence {
            sequence: Some("END".into()),
        }),
        usage: Some(Usage {
            prompt_tokens: 100,
            completion_tokens: 20,
            cached_tokens: 30,
            reasoning_tokens: 0,
            cache_write_tokens: 10,
        }),
        created: None,
    };
    let body = encode_response(&resp);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["usage"]["input_tokens"], 60);
    assert_eq!(v["stop_sequence"], "END");
    assert_eq!(decode_response(&body).unwrap(), resp);
}

#[test]
fn stop_reason_table() {
    let cases = [
        ("end_turn", StopReason::EndTurn),
        ("max_tokens", StopReason::MaxTokens),
        ("stop_sequence", StopReason::StopSequence { sequence: None }),
        ("tool_use", StopReason::ToolUse),
        ("refusal", StopReason::Refusal),
        (
            "pause_turn",
            StopReason::Other {
                value: "pause_turn".into(),
            },
        ),
    ];
    for (wire, canonical) in cases {
        assert_eq!(stop_reason_from_wire(wire, None), canonical);
        assert_eq!(stop_reason_to_wire(&canonical).0, wire);
    }
    assert_eq!(
        stop_reason_from_wire("stop_sequence", Some("x".into())),
        StopReason::StopSequence {
            sequence: Some("x".into())
        }
    );
}

#[test]
fn request_fixtures_decode_and_round_trip() {
    let names = [
        "error-400-invalid-request.request.json",
        "image-url-input.request.json",
        "nonstream-tool-result-followup.request.json",
        "nonstream-tool-use-parallel.request.json",
        "stream-text.request.json",
        "stream-thinking-redacted.request.json",
        "stream-thinking.request.json",
    ];
    for name in names {
        let raw: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let req = decode_request(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.model, raw["model"].as_str().unwrap(), "{name}");
        assert_eq!(
            req.sampling.max_tokens.map(u64::from),
            raw["max_tokens"].as_u64(),
            "{name}"
        );
        assert_eq!(
            req.messages.len(),
            raw["messages"].as_array().unwrap().len(),
            "{name}"
        );
        assert_eq!(
            req.tools.len(),
            raw["tools"].as_array().map_or(0, Vec::len),
            "{name}"
        );
        assert_eq!(
            req.stream,
            raw["stream"].as_bool().unwrap_or(false),
            "{name}"
        );
        if let Some(b) = raw["thinking"]["budget_tokens"].as_u64() {
            let got = req.reasoning.as_ref().and_then(|r| r.budget_tokens);
            assert_eq!(got.map(u64::from), Some(b), "{name}");
        }
        let again = decode_request(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(again, req, "{name}");
    }
    // A `/v1/messages/count_tokens` body: valid there, but `/v1/messages` requires `max_tokens`.
    let err = decode_request(&fixture("error-404-not-found.request.json")).unwrap_err();
    assert!(err.message.contains("max_tokens"), "{err}");
    let img = decode_request(&fixture("image-url-input.request.json")).unwrap();
    assert!(matches!(
        &img.messages[0].content[1],
        ContentBlock::Image { source: MediaSource::Url { url }, .. } if url.starts_with("https://")
    ));
}

fn rich_request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5".into(),
        system: vec![
            ContentBlock::text("be brief"),
            ContentBlock::text("be kind"),
        ],
        messages: vec![
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::text("look"),
                    ContentBlock::Image {
                        source: MediaSource::Base64 {
                            data: "aGk=".into(),
                        },
                        media_type: Some("image/png".into()),
                        detail: None,
                    },
                    ContentBlock::Image {
                        source: MediaSource::Url {
                            url: "https://example.com/a.jpg".into(),
                        },
                        media_type: None,
                        detail: None,
                    },
                    ContentBlock::Document {
                        source: MediaSource::Base64 {
                            data: "JVBE".into(),
                        },
                        media_type: Some("application/pdf".into()),
                        title: Some("doc.pdf".into()),
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Thinking {
                        text: "think".into(),
                        signature: Some("sig".into()),
                    },
                    ContentBlock::RedactedThinking { data: "xx".into() },
                    ContentBlock::ToolUse {
                        id: "toolu_1".into(),
                        name: "get".into(),
                        input: json!({"q": 1}),
                    },
                ],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "toolu_1".into(),
                    content: vec![ContentBlock::text("fail")],
                    is_error: true,
                }],
            },
        ],
        tools: vec![ToolDef {
            name: "get".into(),
            description: Some("gets".into()),
            parameters: json!({"type": "object", "properties": {"q": {"type": "integer"}}}),
            strict: None,
        }],
        tool_choice: Some(ToolChoice::Named { name: "get".into() }),
        parallel_tool_calls: Some(false),
        sampling: Sampling {
            max_tokens: Some(5000),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop: vec!["END".into()],
            ..Sampling::default()
        },
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(2048),
            ..ReasoningConfig::default()
        }),
        response_format: None,
        stream: true,
        stream_usage: false,
        user: Some("u1".into()),
    }
}

#[test]
fn request_round_trips() {
    let req = rich_request();
    let body = encode_request(&req).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["tool_choice"],
        json!({"type": "tool", "name": "get", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        v["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert_eq!(v["metadata"]["user_id"], "u1");
    assert_eq!(decode_request(&body).unwrap(), req);

    let mut required = req.clone();
    required.tool_choice = Some(ToolChoice::Required);
    required.parallel_tool_calls = None;
    required.reasoning = Some(ReasoningConfig {
        effort: Some(ReasoningEffort::None),
        ..ReasoningConfig::default()
    });
    let body = encode_request(&required).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["tool_choice"], json!({"type": "any"}));
    assert_eq!(v["thinking"], json!({"type": "disabled"}));
    assert_eq!(decode_request(&body).unwrap(), required);
}

#[test]
fn request_encoding_hoists_merges_and_defaults() {
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![
            Message {
                role: Role::User,
                content: vec![ContentBlock::text("a")],
            },
            Message {
                role: Role::System,
                content: vec![ContentBlock::text("sys")],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::text("b")],
            },
            Message {
                role: Role::Assistant,
                content: vec![],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "t".into(),
                    content: vec![],
                    is_error: false,
                }],
            },
        ],
        ..ChatRequest::default()
    };
    let v: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
    assert_eq!(v["max_tokens"], 4096);
    assert_eq!(v["system"], json!([{"type": "text", "text": "sys"}]));
    assert_eq!(
        v["messages"],
        json!([{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t"},
            {"type": "text", "text": "a"}, {"type": "text", "text": "b"}
        ]}])
    );
}

#[test]
fn request_encoding_reports_losses() {
    let mut gs = rich_request();
    gs.messages[0].content[2] = ContentBlock::Image {
        source: MediaSource::Url {
            url: "gs://bucket/a.png".into(),
        },
        media_type: Some("image/png".into()),
        detail: None,
    };
    let loss = encode_request(&gs).unwrap_err();
    assert_eq!(loss.field, "messages[0].content[2].source.url");

    let mut n = rich_request();
    n.sampling.n = Some(2);
    assert_eq!(encode_request(&n).unwrap_err().field, "n");

    let mut rf = rich_request();
    rf.response_format = Some(ResponseFormat::JsonObject);
    assert_eq!(encode_request(&rf).unwrap_err().field, "response_format");

    let mut data_url = rich_request();
    data_url.messages[0].content[2] = ContentBlock::Image {
        source: MediaSource::Url {
            url: "data:image/png;base64,aGk=".into(),
        },
        media_type: None,
        detail: None,
    };
    let v: Value = serde_json::from_slice(&encode_request(&data_url).unwrap()).unwrap();
    assert_eq!(
        v["messages"][0]["content"][2]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": "aGk="})
    );
}

fn structured_request(format: ResponseFormat) -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentBlock::text("Paris weather?")],
        }],
        response_format: Some(format),
        ..ChatRequest::default()
    }
}

fn weather_schema() -> ResponseFormat {
    ResponseFormat::JsonSchema {
        name: "weather".into(),
        schema: json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
            "required": ["city", "temp"],
            "additionalProperties": false
        }),
        strict: Some(true),
    }
}

#[test]
fn json_schema_becomes_a_forced_tool() {
    let v: Value =
        serde_json::from_slice(&encode_request(&structured_request(weather_schema())).unwrap())
            .unwrap();
    assert_eq!(
        v["tools"],
        json!([{
            "name": "json_response",
            "description": "Give the response (`weather`): call this tool with it as input.",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
                "required": ["city", "temp"],
                "additionalProperties": false
            }
        }])
    );
    assert_eq!(
        v["tool_choice"],
        json!({"type": "tool", "name": "json_response", "disable_parallel_tool_use": true})
    );

    let v: Value = serde_json::from_slice(
        &encode_request(&structured_request(ResponseFormat::JsonObject)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        v["tools"][0]["input_schema"],
        json!({"type": "object", "additionalProperties": true})
    );
    assert_eq!(v["tool_choice"]["name"], FORCED_TOOL);

    // A schema without a root type gets `object`.
    let v: Value = serde_json::from_slice(
        &encode_request(&structured_request(ResponseFormat::JsonSchema {
            name: "x".into(),
            schema: json!({"properties": {"a": {"type": "integer"}}}),
            strict: None,
        }))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v["tools"][0]["input_schema"]["type"], "object");

    // Free text adds nothing.
    let v: Value =
        serde_json::from_slice(&encode_request(&structured_request(ResponseFormat::Text)).unwrap())
            .unwrap();
    assert!(v.get("tools").is_none() && v.get("tool_choice").is_none());
}

#[test]
fn forced_tool_follows_client_tools_when_tool_choice_is_none() {
    let mut req = structured_request(weather_schema());
    req.tools = rich_request().tools;
    req.tool_choice = Some(ToolChoice::None);
    let v: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
    let names: Vec<&str> = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get", FORCED_TOOL]);
    assert_eq!(
        v["tool_choice"],
        json!({"type": "tool", "name": "json_response", "disable_parallel_tool_use": true})
    );
}

#[test]
fn structured_output_losses() {
    let tools = rich_request().tools;
    let cases: Vec<(&str, ChatRequest)> = vec![
        ("tools, default choice", {
            let mut r = structured_request(weather_schema());
            r.tools = tools.clone();
            r
        }),
        ("tools, auto", {
            let mut r = structured_request(ResponseFormat::JsonObject);
            r.tools = tools.clone();
            r.tool_choice = Some(ToolChoice::Auto);
            r
        }),
        ("tools, required", {
            let mut r = structured_request(weather_schema());
            r.tools = tools.clone();
            r.tool_choice = Some(ToolChoice::Required);
            r
        }),
        ("named choice", {
            let mut r = structured_request(weather_schema());
            r.tools = tools.clone();
            r.tool_choice = Some(ToolChoice::Named { name: "get".into() });
            r
        }),
        ("name clash", {
            let mut r = structured_request(weather_schema());
            r.tools = vec![ToolDef {
                name: FORCED_TOOL.into(),
                description: None,
                parameters: json!({"type": "object"}),
                strict: None,
            }];
            r.tool_choice = Some(ToolChoice::None);
            r
        }),
        ("thinking budget", {
            let mut r = structured_request(weather_schema());
            r.reasoning = Some(ReasoningConfig {
                budget_tokens: Some(2048),
                ..ReasoningConfig::default()
            });
            r
        }),
        ("thinking effort", {
            let mut r = structured_request(ResponseFormat::JsonObject);
            r.reasoning = Some(ReasoningConfig {
                effort: Some(ReasoningEffort::Low),
                ..ReasoningConfig::default()
            });
            r
        }),
        (
            "array root",
            structured_request(ResponseFormat::JsonSchema {
                name: "list".into(),
                schema: json!({"type": "array", "items": {"type": "string"}}),
                strict: None,
            }),
        ),
    ];
    for (what, req) in cases {
        let loss = encode_request(&req).unwrap_err();
        assert_eq!(loss.field, "response_format", "{what}");
    }
    let mut tools_auto = structured_request(weather_schema());
    tools_auto.tools = tools;
    let loss = encode_request(&tools_auto).unwrap_err();
    assert!(
        loss.reason.contains(
            "response_format with tools cannot be combined when the provider is Anthropic"
        ),
        "{loss}"
    );

    // Thinking explicitly off is fine.
    let mut off = structured_request(weather_schema());
    off.reasoning = Some(ReasoningConfig {
        effort: Some(ReasoningEffort::None),
        ..ReasoningConfig::default()
    });
    let v: Value = serde_json::from_slice(&encode_request(&off).unwrap()).unwrap();
    assert_eq!(v["thinking"], json!({"type": "disabled"}));
    assert_eq!(v["tool_choice"]["name"], FORCED_TOOL);
}

#[test]
fn tool_schemas_are_cleaned_for_anthropic() {
    let mut req = rich_request();
    req.tools[0].parameters = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"q": {"type": "integer"}}
    });
    req.tools.push(ToolDef {
        name: "ping".into(),
        description: None,
        parameters: Value::Null,
        strict: None,
    });
    let v: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
    assert_eq!(
        v["tools"][0]["input_schema"],
        json!({"type": "object", "properties": {"q": {"type": "integer"}}})
    );
    assert_eq!(v["tools"][1]["input_schema"], json!({"type": "object"}));
}

#[test]
fn forced_tool_answers_unwrap_to_json_text() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
        "content":[{"type":"tool_use","id":"toolu_1","name":"json_response",
                    "input":{"city":"Paris","temp":21.5}}],
        "stop_reason":"tool_use","stop_sequence":null,
        "usage":{"input_tokens":10,"output_tokens":5}}"#;
    let mut resp = decode_response(body).unwrap();
    unwrap_response(&mut resp);
    assert_eq!(
        resp.content,
        vec![ContentBlock::text(r#"{"city":"Paris","temp":21.5}"#)]
    );
    assert_eq!(resp.stop_reason, Some(StopReason::EndTurn));
    let v: Value = serde_json::from_slice(&encode_response(&resp)).unwrap();
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["type"], "text");
}

#[test]
fn forced_tool_streams_unwrap_to_json_text() {
    // A recorded tool call, renamed as if it were the forced tool.
    let events: Vec<StreamEvent> = decode_all(&raw_events("stream-tool-use.sse"))
        .into_iter()
        .map(|e| match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { id, .. },
            } => StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse {
                    id,
                    name: FORCED_TOOL.into(),
                },
            },
            other => other,
        })
        .collect();
    let tool_index = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { .. },
            } => Some(*index),
            _ => None,
        })
        .unwrap();
    let input: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::ToolInput { partial_json },
            } if *index == tool_index => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();

    let mut unwrap = UnwrapStream::new();
    let mut out = Vec::new();
    for e in events.clone() {
        unwrap.map(e, &mut out);
    }
    assert_eq!(out.len(), events.len());
    assert!(out.contains(&StreamEvent::BlockStart {
        index: tool_index,
        block: BlockStart::Text
    }));
    assert!(!out.iter().any(|e| matches!(
        e,
        StreamEvent::BlockStart {
            block: BlockStart::ToolUse { .. },
            ..
        } | StreamEvent::BlockDelta {
            delta: BlockDelta::ToolInput { .. },
            ..
        }
    )));
    let text: String = out
        .iter()
        .filter_map(|e| match e {
            StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Text { text },
            } if *index == tool_index => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, input);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"location": "Paris"})
    );
    let stop = out.iter().find_map(|e| match e {
        StreamEvent::MessageDelta { stop_reason, .. } => stop_reason.clone(),
        _ => None,
    });
    assert_eq!(stop, Some(StopReason::EndTurn));
    // The rewritten stream still encodes as a valid Anthropic stream.
    let mut enc = StreamEncoder::new();
    let mut buf = BytesMut::new();
    for e in &out {
        enc.encode(e, &mut buf);
    }
    let mut raw = Vec::new();
    SseSplitter::new().push(buf.freeze(), &mut raw);
    assert_eq!(decode_all(&raw), out);
}

#[test]
fn request_decoding_rejects_invalid_bodies() {
    assert!(decode_request(b"{}").is_err());
    assert!(decode_request(br#"{"model":"m","messages":[]}"#).is_err());
    assert!(decode_request(
        br#"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}"#
    )
    .is_err());
    let ok = decode_request(
        br#"{"model":"m","max_tokens":1,"system":"s","messages":[{"role":"user","content":"x"}]}"#,
    )
    .unwrap();
    assert_eq!(ok.system, vec![ContentBlock::text("s")]);
    assert_eq!(ok.messages[0].content, vec![ContentBlock::text("x")]);
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let _ = dec.push(&bytes, &mut out);
    }

    #[test]
    fn stream_decoder_never_panics_on_json_shaped_events(
        ty in prop::sample::select(vec![
            "message_start", "content_block_start", "content_block_delta",
            "content_block_stop", "message_delta", "error", "ping",
        ]),
        index in 0u64..4,
        body in "[a-z_{}:\",0-9]{0,40}",
    ) {
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let event = format!("data: {{\"type\":\"{ty}\",\"index\":{index},{body}}}\n\n");
        let _ = dec.push(event.as_bytes(), &mut out);
        let event = format!("data: {{\"type\":\"{ty}\",\"index\":{index}}}\n\n");
        let _ = dec.push(event.as_bytes(), &mut out);
    }
}
