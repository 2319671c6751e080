//! Golden tests on recorded OpenAI traffic, round trips and robustness properties.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::canonical::{
    BlockDelta, BlockStart, ChatRequest, ChatResponse, ContentBlock, MediaSource, Message,
    ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Sampling, StopReason, StreamEvent,
    ToolChoice, ToolDef,
};
use crate::sse::{event_data, SseSplitter};
use crate::Usage;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/providers/openai-chat/"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

fn split(body: &[u8]) -> Vec<Bytes> {
    let mut splitter = SseSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(body), &mut events);
    events.extend(splitter.finish());
    events
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

fn encode_stream(events: &[StreamEvent], include_usage: bool) -> Vec<u8> {
    let mut enc = StreamEncoder::new(include_usage);
    let mut out = BytesMut::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    out.to_vec()
}

/// What a stream says, independent of framing.
#[derive(Debug, Default, PartialEq)]
struct Summary {
    text: String,
    reasoning: String,
    /// (id, name, arguments) in order.
    tools: Vec<(String, String, String)>,
    finish: Vec<String>,
    usage: Option<Usage>,
}

/// The expected summary, read straight from the fixture's JSON chunks.
fn fixture_summary(body: &[u8]) -> Summary {
    let mut s = Summary::default();
    let mut by_index: Vec<(u64, String, String, String)> = Vec::new();
    for event in split(body) {
        let Some(data) = event_data(&event) else {
            continue;
        };
        if &*data == b"[DONE]" {
            continue;
        }
        let v: Value = serde_json::from_slice(&data).unwrap();
        if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
            s.usage = Some(Usage {
                prompt_tokens: u["prompt_tokens"].as_u64().unwrap(),
                completion_tokens: u["completion_tokens"].as_u64().unwrap(),
                cached_tokens: u["prompt_tokens_details"]["cached_tokens"]
                    .as_u64()
                    .unwrap_or(0),
                reasoning_tokens: u["completion_tokens_details"]["reasoning_tokens"]
                    .as_u64()
                    .unwrap_or(0),
                cache_write_tokens: 0,
            });
        }
        for c in v["choices"].as_array().unwrap() {
            let d = &c["delta"];
            s.text += d["content"].as_str().unwrap_or("");
            s.reasoning += d["reasoning_content"].as_str().unwrap_or("");
            for tc in d["tool_calls"].as_array().into_iter().flatten() {
                let idx = tc["index"].as_u64().unwrap();
                if !by_index.iter().any(|t| t.0 == idx) {
                    by_index.push((idx, String::new(), String::new(), String::new()));
                }
                let t = by_index.iter_mut().find(|t| t.0 == idx).unwrap();
                t.1 += tc["id"].as_str().unwrap_or("");
                t.2 += tc["function"]["name"].as_str().unwrap_or("");
                t.3 += tc["function"]["arguments"].as_str().unwrap_or("");
            }
            if let Some(f) = c["finish_reason"].as_str() {
                s.finish.push(f.to_owned());
            }
        }
    }
    s.tools = by_index.into_iter().map(|t| (t.1, t.2, t.3)).collect();
    s
}

/// The summary of canonical events, checking block structure along the way.
fn event_summary(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    let mut open: Option<usize> = None;
    let mut next = 0;
    let mut kinds = std::collections::HashMap::new();
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
                if let BlockStart::ToolUse { id, name } = block {
                    s.tools.push((id.clone(), name.clone(), String::new()));
                }
                kinds.insert(*index, block.clone());
            }
            StreamEvent::BlockDelta { index, delta } => {
                assert_eq!(open, Some(*index));
                match delta {
                    BlockDelta::Text { text } => s.text += text,
                    BlockDelta::Thinking { text } => s.reasoning += text,
                    BlockDelta::ToolInput { partial_json } => {
                        s.tools.last_mut().unwrap().2 += partial_json
                    }
                    BlockDelta::Signature { .. } => {}
                }
            }
            StreamEvent::BlockStop { index } => {
                assert_eq!(open, Some(*index));
                open = None;
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                assert_eq!(open, None);
                if let Some(r) = stop_reason {
                    s.finish.push(super::wire::finish_reason(r).to_owned());
                }
                if let Some(u) = usage {
                    s.usage = Some(*u);
                }
            }
            _ => {}
        }
    }
    s
}

const STREAMS: [&str; 5] = [
    "stream-text.sse",
    "stream-tool-call.sse",
    "stream-tool-calls-parallel.sse",
    "stream-finish-length-usage.sse",
    "stream-text-after-tool-result.sse",
];

#[test]
fn stream_fixtures_decode_to_their_content() {
    for name in STREAMS {
        let body = fixture(name);
        let expected = fixture_summary(&body);
        let events = decode_stream(&body);
        assert_eq!(event_summary(&events), expected, "{name}");
        assert_eq!(expected.finish.len(), 1, "{name}");
    }
}

#[test]
fn stream_text_details() {
    let body = fixture("stream-text.sse");
    let events = decode_stream(&body);
    let s = fixture_summary(&body);
    assert!(!s.text.is_empty());
    assert_eq!(s.finish, ["stop"]);
    let first: Value = serde_json::from_slice(&event_data(&split(&body)[0]).unwrap()).unwrap();
    assert_eq!(
        events[0],
        StreamEvent::MessageStart {
            id: first["id"].as_str().unwrap().to_owned(),
            model: first["model"].as_str().unwrap().to_owned(),
            usage: None,
        }
    );
}

#[test]
fn stream_tool_calls_are_separate_blocks_with_json_arguments() {
    for name in ["stream-tool-call.sse", "stream-tool-calls-parallel.sse"] {
        let s = event_summary(&decode_stream(&fixture(name)));
        assert!(!s.tools.is_empty(), "{name}");
        for (id, fname, args) in &s.tools {
            assert!(id.starts_with("call_"), "{name}");
            assert!(!fname.is_empty());
            serde_json::from_str::<Value>(args).unwrap();
        }
        assert_eq!(s.finish, ["tool_calls"]);
    }
    let parallel = event_summary(&decode_stream(&fixture("stream-tool-calls-parallel.sse")));
    assert!(parallel.tools.len() >= 2);
}

#[test]
fn stream_usage_and_length() {
    let body = fixture("stream-finish-length-usage.sse");
    let events = decode_stream(&body);
    let s = event_summary(&events);
    assert_eq!(s.finish, ["length"]);
    let usage = s.usage.unwrap();
    assert_eq!(Some(usage), fixture_summary(&body).usage);
    // The finish chunk and the usage chunk that follows it become one MessageDelta.
    let deltas: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::MessageDelta { .. }))
        .collect();
    assert_eq!(
        deltas,
        [&StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::MaxTokens),
            usage: Some(usage)
        }]
    );
}

#[test]
fn stream_round_trip_fixture_decode_encode_decode() {
    for name in STREAMS {
        let events = decode_stream(&fixture(name));
        let encoded = encode_stream(&events, true);
        assert_eq!(decode_stream(&encoded), events, "{name}");
    }
}

#[test]
fn stream_encoder_wire_shape() {
    let events = vec![
        StreamEvent::MessageStart {
            id: "chatcmpl-1".into(),
            model: "m".into(),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Text,
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::Text { text: "Hi".into() },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::ToolUse {
                id: "call_1".into(),
                name: "f".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 1,
            delta: BlockDelta::ToolInput {
                partial_json: "{}".into(),
            },
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::ToolUse),
            usage: Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 4,
                ..Usage::default()
            }),
        },
        StreamEvent::MessageStop,
    ];
    let bytes = encode_stream(&events, true);
    let chunks: Vec<Bytes> = split(&bytes);
    assert_eq!(&*event_data(chunks.last().unwrap()).unwrap(), b"[DONE]");
    let json: Vec<Value> = chunks[..chunks.len() - 1]
        .iter()
        .map(|c| serde_json::from_slice(&event_data(c).unwrap()).unwrap())
        .collect();
    assert_eq!(json.len(), 6);
    let created = &json[0]["created"];
    for c in &json {
        assert_eq!(c["id"], "chatcmpl-1");
        assert_eq!(c["model"], "m");
        assert_eq!(&c["created"], created);
        assert_eq!(c["object"], "chat.completion.chunk");
    }
    assert_eq!(
        json[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    assert_eq!(json[1]["choices"][0]["delta"], json!({"content": "Hi"}));
    let call = &json[2]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(call["index"], 0);
    assert_eq!(call["id"], "call_1");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "f");
    let args = &json[3]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(args, &json!({"index": 0, "function": {"arguments": "{}"}}));
    assert_eq!(json[4]["choices"][0]["delta"], json!({}));
    assert_eq!(json[4]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(json[5]["choices"], json!([]));
    assert_eq!(json[5]["usage"]["total_tokens"], 7);

    let without_usage = encode_stream(&events, false);
    assert_eq!(split(&without_usage).len(), 6);
}

#[test]
fn stream_thinking_then_text_and_missing_done() {
    let body = concat!(
        "data: {\"id\":\"x\",\"model\":\"deepseek\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"hm\"}}]}\n\n",
        "data: {\"id\":\"x\",\"model\":\"deepseek\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n",
        "data: {\"id\":\"x\",\"model\":\"deepseek\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    );
    let events = decode_stream(body.as_bytes());
    assert_eq!(
        events[1],
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking
        }
    );
    let s = event_summary(&events);
    assert_eq!((s.reasoning.as_str(), s.text.as_str()), ("hm", "ok"));
    let again = decode_stream(&encode_stream(&events, false));
    assert_eq!(again, events);
}

#[test]
fn stream_rejects_n_above_one() {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    let err = dec
        .push(
            b"data: {\"id\":\"x\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"a\"}}]}\n\n",
            &mut out,
        )
        .unwrap_err();
    assert!(err.message.contains("n > 1"));
}

#[test]
fn nonstream_fixtures_decode() {
    for name in [
        "nonstream-text.json",
        "nonstream-reasoning-usage.json",
        "nonstream-tool-call.json",
        "nonstream-tool-calls-parallel.json",
        "image-url-input.json",
    ] {
        let body = fixture(name);
        let raw: Value = serde_json::from_slice(&body).unwrap();
        let resp = decode_response(&body).unwrap();
        assert_eq!(resp.id, raw["id"], "{name}");
        assert_eq!(resp.model, raw["model"]);
        assert_eq!(resp.created, raw["created"].as_u64());
        let choice = &raw["choices"][0];
        assert_eq!(
            resp.stop_reason.as_ref().map(super::wire::finish_reason),
            choice["finish_reason"].as_str()
        );
        let text: String = resp
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, choice["message"]["content"].as_str().unwrap_or(""));
        let calls: Vec<_> = resp
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse { id, name, input } => Some((id, name, input)),
                _ => None,
            })
            .collect();
        let wire_calls = choice["message"]["tool_calls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(calls.len(), wire_calls.len());
        for ((id, fname, input), w) in calls.iter().zip(&wire_calls) {
            assert_eq!(**id, w["id"]);
            assert_eq!(**fname, w["function"]["name"]);
            let args: Value =
                serde_json::from_str(w["function"]["arguments"].as_str().unwrap()).unwrap();
            assert_eq!(**input, args);
        }
        let usage = resp.usage.unwrap();
        let u = &raw["usage"];
        assert_eq!(usage.prompt_tokens, u["prompt_tokens"].as_u64().unwrap());
        assert_eq!(
            usage.completion_tokens,
            u["completion_tokens"].as_u64().unwrap()
        );
        assert_eq!(
            usage.reasoning_tokens,
            u["completion_tokens_details"]["reasoning_tokens"]
                .as_u64()
                .unwrap_or(0)
        );
        assert_eq!(
            decode_response(&encode_response(&resp)).unwrap(),
            resp,
            "{name}"
        );
    }
}

#[test]
fn request_fixtures_decode() {
    let names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".request.json"))
        .collect();
    assert!(names.len() >= 10);
    for name in names {
        let body = fixture(&name);
        let raw: Value = serde_json::from_slice(&body).unwrap();
        let req = decode_request(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.model, raw["model"], "{name}");
        let wire_msgs = raw["messages"].as_array().unwrap();
        let leading_system = wire_msgs
            .iter()
            .take_while(|m| m["role"] == "system" || m["role"] == "developer")
            .count();
        assert_eq!(req.system.len(), leading_system, "{name}");
        let tool_runs = wire_msgs
            .windows(2)
            .filter(|w| w[0]["role"] == "tool" && w[1]["role"] == "tool")
            .count();
        assert_eq!(
            req.messages.len(),
            wire_msgs.len() - leading_system - tool_runs,
            "{name}"
        );
        assert_eq!(
            req.tools.len(),
            raw["tools"].as_array().map_or(0, Vec::len),
            "{name}"
        );
        assert_eq!(req.stream, raw["stream"] == true);
        // Re-encoding keeps the same request.
        let again = decode_request(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(again.messages, req.messages, "{name}");
        assert_eq!(again.tools, req.tools, "{name}");
    }
}

#[test]
fn image_request_uses_base64_source() {
    let req = decode_request(&fixture("image-url-input.request.json")).unwrap();
    let ContentBlock::Image {
        source, media_type, ..
    } = &req.messages[0].content[1]
    else {
        panic!("no image");
    };
    assert!(matches!(source, MediaSource::Base64 { data } if data.starts_with("iVBOR")));
    assert_eq!(media_type.as_deref(), Some("image/png"));
}

#[test]
fn tool_result_request_fixture() {
    let req = decode_request(&fixture("stream-text-after-tool-result.request.json")).unwrap();
    assert_eq!(req.messages.len(), 3);
    assert!(matches!(
        &req.messages[1].content[0],
        ContentBlock::ToolUse { name, input, .. } if name == "get_capital" && input["country"] == "UK"
    ));
    assert_eq!(req.messages[2].role, Role::User);
    assert!(matches!(
        &req.messages[2].content[0],
        ContentBlock::ToolResult { tool_use_id, .. } if tool_use_id.starts_with("call_")
    ));
    assert!(req.stream_usage);
    assert_eq!(req.tool_choice, Some(ToolChoice::Auto));
}

fn sample_request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o".into(),
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
                        detail: None,
                    },
                    ContentBlock::Document {
                        source: MediaSource::Base64 {
                            data: "JVBE".into(),
                        },
                        media_type: Some("application/pdf".into()),
                        title: Some("a.pdf".into()),
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::text("Let me look."),
                    ContentBlock::ToolUse {
                        id: "call_1".into(),
                        name: "lookup".into(),
                        input: json!({"q": "x"}),
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
                        content: vec![ContentBlock::text("two")],
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
            strict: Some(true),
        }],
        tool_choice: Some(ToolChoice::Named {
            name: "lookup".into(),
        }),
        parallel_tool_calls: Some(true),
        sampling: Sampling {
            max_tokens: Some(100),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: None,
            stop: vec!["END".into()],
            seed: Some(7),
            presence_penalty: Some(0.1),
            frequency_penalty: Some(0.2),
            n: Some(1),
        },
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            ..ReasoningConfig::default()
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

#[test]
fn request_round_trip() {
    let req = sample_request();
    let body = encode_request(&req).unwrap();
    assert_eq!(decode_request(&body).unwrap(), req);
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(wire["stream_options"]["include_usage"], true);
    assert_eq!(wire["messages"][3]["role"], "tool");
    assert_eq!(
        wire["messages"][2]["tool_calls"][0]["function"]["arguments"],
        "{\"q\":\"x\"}"
    );
}

#[test]
fn request_losses_and_thinking() {
    let mut req = sample_request();
    req.messages[1].content.insert(
        0,
        ContentBlock::Thinking {
            text: "secret".into(),
            signature: None,
        },
    );
    let body = encode_request(&req).unwrap();
    assert!(!String::from_utf8(body).unwrap().contains("secret"));

    req.messages[1].content[0] = ContentBlock::RedactedThinking { data: "x".into() };
    assert!(encode_request(&req).is_err());

    let mut req = sample_request();
    req.messages[0].content.push(ContentBlock::Document {
        source: MediaSource::Url {
            url: "https://x/a.pdf".into(),
        },
        media_type: None,
        title: None,
    });
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "messages[0].content"
    );
}

#[test]
fn request_reasoning_content_and_bad_arguments() {
    let body = json!({
        "model": "deepseek-reasoner",
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "yo", "reasoning_content": "thought"},
        ],
        "max_tokens": 5,
        "stop": "x",
    });
    let req = decode_request(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.system.len(), 2);
    assert_eq!(req.sampling.max_tokens, Some(5));
    assert_eq!(req.sampling.stop, ["x"]);
    assert!(
        matches!(&req.messages[1].content[0], ContentBlock::Thinking { text, .. } if text == "thought")
    );

    let bad = json!({
        "model": "m",
        "messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{nope"}}]}],
    });
    let err = decode_request(bad.to_string().as_bytes()).unwrap_err();
    assert!(
        err.message
            .contains("messages[0].tool_calls[0].function.arguments"),
        "{err}"
    );
}

#[test]
fn response_round_trip() {
    let resp = ChatResponse {
        id: "chatcmpl-9".into(),
        model: "deepseek-reasoner".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "hmm".into(),
                signature: None,
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
            cache_write_tokens: 0,
        }),
        created: Some(123),
    };
    let body = encode_response(&resp);
    assert_eq!(decode_response(&body).unwrap(), resp);
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(wire["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(wire["choices"][0]["message"]["reasoning_content"], "hmm");
    for (stop, finish) in [
        (StopReason::EndTurn, "stop"),
        (StopReason::StopSequence { sequence: None }, "stop"),
        (StopReason::MaxTokens, "length"),
        (StopReason::ContentFilter, "content_filter"),
        (StopReason::Refusal, "content_filter"),
        (
            StopReason::Other {
                value: "weird".into(),
            },
            "weird",
        ),
    ] {
        let r = ChatResponse {
            stop_reason: Some(stop),
            ..resp.clone()
        };
        let wire: Value = serde_json::from_slice(&encode_response(&r)).unwrap();
        assert_eq!(wire["choices"][0]["finish_reason"], finish);
    }
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let _ = dec.push(&bytes, &mut out);
        let mut framed = b"data: ".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = dec.push(&framed, &mut out);
        dec.finish(&mut out);
    }

    #[test]
    fn json_shaped_input_never_panics(s in "\\{\"(model|choices|messages|id)\":(\\[|\\{|\"|[0-9]|null|true)[ -~]{0,80}") {
        let _ = decode_request(s.as_bytes());
        let _ = decode_response(s.as_bytes());
        let mut dec = StreamDecoder::new();
        let _ = dec.push(format!("data: {s}\n\n").as_bytes(), &mut Vec::new());
    }
}

fn decode_general(body: &[u8]) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::general_only();
    let mut out = Vec::new();
    for event in split(body) {
        dec.push(&event, &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

/// The fast path for text chunks decodes exactly as the general path does.
#[test]
fn fast_path_matches_the_general_path_on_captured_streams() {
    for name in STREAMS {
        let body = fixture(name);
        assert_eq!(decode_stream(&body), decode_general(&body), "{name}");
    }
}

proptest! {
    /// Any text, escapes and non-ASCII included, decodes the same both ways.
    #[test]
    fn fast_path_matches_the_general_path(pieces in proptest::collection::vec("\\PC{0,12}", 1..8)) {
        let mut body = String::from("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        for p in &pieces {
            let chunk = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": p}, "logprobs": null, "finish_reason": null}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        body.push_str("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        prop_assert_eq!(decode_stream(body.as_bytes()), decode_general(body.as_bytes()));
    }
}
