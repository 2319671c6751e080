//! Golden tests on recorded Gemini traffic, round trips and robustness properties.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::canonical::schema_clean::for_gemini;
use crate::canonical::{
    BlockDelta, BlockStart, ChatRequest, ChatResponse, ContentBlock, MediaSource, Message,
    ReasoningConfig, ResponseFormat, Role, Sampling, StopReason, StreamEvent, ToolChoice, ToolDef,
};
use crate::sse::{event_data, SseSplitter};
use crate::Usage;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/providers/gemini/"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

/// The SSE events of a fixture: `.sse` as is, `.chunks.jsonl` re-framed line by line.
fn events_of(name: &str) -> Vec<Bytes> {
    let body = fixture(name);
    let body = if name.ends_with(".jsonl") {
        let mut framed = Vec::new();
        for line in body
            .split(|b| *b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
        {
            framed.extend_from_slice(b"data: ");
            framed.extend_from_slice(line);
            framed.extend_from_slice(b"\r\n\r\n");
        }
        framed
    } else {
        body
    };
    split(&body)
}

fn split(body: &[u8]) -> Vec<Bytes> {
    let mut splitter = SseSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(body), &mut events);
    events.extend(splitter.finish());
    events
}

fn decode_events(events: &[Bytes]) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for event in events {
        dec.push(event, &mut out).unwrap();
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

/// What a stream says, independent of framing.
#[derive(Debug, Default, PartialEq)]
struct Summary {
    text: String,
    thoughts: String,
    signatures: Vec<String>,
    /// (name, args) in order.
    calls: Vec<(String, Value)>,
    finish: Vec<String>,
    usage: Option<Usage>,
}

/// The expected summary, read straight from the fixture's JSON chunks.
fn fixture_summary(events: &[Bytes]) -> Summary {
    let mut s = Summary::default();
    for event in events {
        let Some(data) = event_data(event) else {
            continue;
        };
        let v: Value = serde_json::from_slice(&data).unwrap();
        if let Some(u) = v.get("usageMetadata") {
            if u.get("promptTokenCount").is_some() {
                let thoughts = u["thoughtsTokenCount"].as_u64().unwrap_or(0);
                s.usage = Some(Usage {
                    prompt_tokens: u["promptTokenCount"].as_u64().unwrap(),
                    completion_tokens: u["candidatesTokenCount"].as_u64().unwrap_or(0) + thoughts,
                    cached_tokens: u["cachedContentTokenCount"].as_u64().unwrap_or(0),
                    reasoning_tokens: thoughts,
                    cache_write_tokens: 0,
                });
            }
        }
        let cand = &v["candidates"][0];
        for part in cand["content"]["parts"].as_array().into_iter().flatten() {
            if let Some(sig) = part["thoughtSignature"].as_str() {
                s.signatures.push(sig.to_owned());
            }
            if let Some(call) = part.get("functionCall") {
                if let Some(name) = call["name"].as_str() {
                    s.calls.push((
                        name.to_owned(),
                        call.get("args").cloned().unwrap_or(json!({})),
                    ));
                }
                if let Some(pieces) = call["partialArgs"].as_array() {
                    let args = s.calls.last_mut().unwrap().1.as_object_mut().unwrap();
                    for p in pieces {
                        let key = p["jsonPath"].as_str().unwrap().trim_start_matches("$.");
                        let piece = p["stringValue"].as_str().unwrap();
                        let entry = args.entry(key).or_insert(json!(""));
                        *entry = json!(format!("{}{piece}", entry.as_str().unwrap()));
                    }
                }
            } else if part["thought"] == json!(true) {
                s.thoughts.push_str(part["text"].as_str().unwrap_or(""));
            } else if let Some(t) = part["text"].as_str() {
                s.text.push_str(t);
            }
        }
        if let Some(f) = cand["finishReason"].as_str() {
            s.finish.push(f.to_owned());
        }
    }
    s
}

/// The summary of canonical events (finish reasons rendered back to Gemini names).
fn canonical_summary(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    let mut tool_json: Vec<(usize, String, String)> = Vec::new();
    for e in events {
        match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { name, .. },
            } => tool_json.push((*index, name.clone(), String::new())),
            StreamEvent::BlockDelta { index, delta } => match delta {
                BlockDelta::Text { text } => s.text.push_str(text),
                BlockDelta::Thinking { text } => s.thoughts.push_str(text),
                BlockDelta::Signature { signature } => s.signatures.push(signature.clone()),
                BlockDelta::ToolInput { partial_json } => {
                    let t = tool_json.iter_mut().find(|t| t.0 == *index).unwrap();
                    t.2.push_str(partial_json);
                }
            },
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if let Some(r) = stop_reason {
                    s.finish.push(super::wire::stop_reason_to_wire(r));
                }
                s.usage = *usage;
            }
            _ => {}
        }
    }
    s.calls = tool_json
        .into_iter()
        .map(|(_, n, j)| (n, serde_json::from_str(&j).unwrap()))
        .collect();
    s
}

/// Checks the event grammar: one start, balanced blocks, one delta, one stop at the end.
fn check_grammar(events: &[StreamEvent]) {
    assert!(matches!(
        events.first(),
        Some(StreamEvent::MessageStart { .. })
    ));
    assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
    let mut open: Option<usize> = None;
    let mut next = 0;
    for e in events {
        match e {
            StreamEvent::BlockStart { index, .. } => {
                assert!(open.is_none());
                assert_eq!(*index, next);
                next += 1;
                open = Some(*index);
            }
            StreamEvent::BlockDelta { index, .. } => assert_eq!(open, Some(*index)),
            StreamEvent::BlockStop { index } => {
                assert_eq!(open, Some(*index));
                open = None;
            }
            _ => {}
        }
    }
    assert!(open.is_none());
    let deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::MessageDelta { .. }))
        .count();
    assert_eq!(deltas, 1);
}

const STREAMS: &[&str] = &[
    "stream-text.sse",
    "stream-function-call.sse",
    "stream-thinking.sse",
    "stream-function-call-thought-signature.sse",
    "stream-text-after-function-response.sse",
    "stream-thinking-signature.chunks.jsonl",
    "vertex-stream-function-call-args-parallel.chunks.jsonl",
];

#[test]
fn golden_streams_decode_to_fixture_content() {
    for name in STREAMS {
        let events = events_of(name);
        let decoded = decode_events(&events);
        check_grammar(&decoded);
        let expected = fixture_summary(&events);
        assert_eq!(canonical_summary(&decoded), expected, "{name}");
        assert_eq!(expected.finish.len(), 1, "{name}");
        assert!(expected.usage.is_some(), "{name}");
    }
}

#[test]
fn golden_stream_specifics() {
    let text = canonical_summary(&decode_events(&events_of("stream-text.sse")));
    assert!(!text.text.is_empty());
    assert_eq!(text.finish, ["STOP"]);

    let decoded = decode_events(&events_of("stream-function-call.sse"));
    let s = canonical_summary(&decoded);
    assert!(!s.calls.is_empty());
    assert!(decoded.iter().any(|e| matches!(
        e,
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::ToolUse),
            ..
        }
    )));

    let thinking = canonical_summary(&decode_events(&events_of("stream-thinking.sse")));
    assert!(!thinking.thoughts.is_empty());
    assert!(!thinking.text.is_empty());
    let usage = thinking.usage.unwrap();
    assert_eq!(usage.reasoning_tokens, 787);

    let sig = decode_events(&events_of("stream-function-call-thought-signature.sse"));
    let s = canonical_summary(&sig);
    assert_eq!(s.signatures.len(), 1);
    assert_eq!(s.calls[0].0, "get_country");

    let vertex = canonical_summary(&decode_events(&events_of(
        "vertex-stream-function-call-args-parallel.chunks.jsonl",
    )));
    assert_eq!(
        vertex.calls,
        vec![
            ("getWeather".to_owned(), json!({"location": "Boston"})),
            (
                "getWeather".to_owned(),
                json!({"location": "San Francisco"})
            ),
        ]
    );
}

#[test]
fn golden_streams_reencode_to_the_same_content() {
    for name in STREAMS {
        let decoded = decode_events(&events_of(name));
        let reencoded = encode_stream(&decoded);
        let again = decode_events(&split(&reencoded));
        check_grammar(&again);
        assert_eq!(
            canonical_summary(&again),
            canonical_summary(&decoded),
            "{name}"
        );
        // The re-encoded stream is itself valid Gemini: its fixture summary matches.
        let wire = fixture_summary(&split(&reencoded));
        assert_eq!(wire.calls, canonical_summary(&decoded).calls, "{name}");
    }
}

#[test]
fn golden_nonstream_responses() {
    let r = decode_response(&fixture("nonstream-text.json")).unwrap();
    let raw: Value = serde_json::from_slice(&fixture("nonstream-text.json")).unwrap();
    let text: String = raw["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["thought"] != json!(true))
        .filter_map(|p| p["text"].as_str())
        .collect();
    let got: String = r
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(got, text);
    assert_eq!(r.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(r.model, raw["modelVersion"].as_str().unwrap());
    assert_eq!(
        r.usage.unwrap().prompt_tokens,
        raw["usageMetadata"]["promptTokenCount"].as_u64().unwrap()
    );

    let r = decode_response(&fixture("nonstream-function-calls-parallel.json")).unwrap();
    let calls: Vec<(&str, &str)> = r
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, .. } => Some((id.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("call_0", "generate_topic"),
            ("call_1", "generate_topic"),
            ("call_2", "generate_topic")
        ]
    );
    assert!(matches!(
        &r.content[0],
        ContentBlock::Thinking { text, signature: Some(_) } if text.is_empty()
    ));
    assert_eq!(r.stop_reason, Some(StopReason::ToolUse));
    let u = r.usage.unwrap();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens),
        (83, 220, 190)
    );
    // Re-encoding gives the signature back to the first call.
    let wire: Value = serde_json::from_slice(&encode_response(&r)).unwrap();
    let parts = wire["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 3);
    assert!(parts[0]["thoughtSignature"].is_string());
    assert_eq!(decode_response(&encode_response(&r)).unwrap(), r);

    let r = decode_response(&fixture("image-file-uri-input.json")).unwrap();
    assert!(matches!(&r.content[..], [ContentBlock::Text { .. }]));
    assert_eq!(r.id, "AXQ7aPy0L-PPnvgPkLyl8Qg");
}

#[test]
fn golden_requests_decode() {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".request.json"))
        .collect();
    names.sort();
    assert!(names.len() >= 7);
    for name in &names {
        let req = decode_request(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(req.model.is_empty());
        let raw: Value = serde_json::from_slice(&fixture(name)).unwrap();
        assert_eq!(
            req.messages.len(),
            raw["contents"].as_array().unwrap().len(),
            "{name}"
        );
        // Whatever decodes re-encodes and decodes the same, up to schema cleaning (these
        // fixtures send `additionalProperties`, which Gemini's `parameters` does not take).
        let back = decode_request(&encode_request(&req).unwrap()).unwrap();
        let mut cleaned = req.clone();
        for t in &mut cleaned.tools {
            t.parameters = for_gemini(&t.parameters);
        }
        if let Some(ResponseFormat::JsonSchema { schema, .. }) = &mut cleaned.response_format {
            *schema = for_gemini(schema);
        }
        assert_eq!(back, cleaned, "{name}");
    }

    let req = decode_request(&fixture("image-file-uri-input.request.json")).unwrap();
    assert!(matches!(
        &req.messages[0].content[1],
        ContentBlock::Image { source: MediaSource::Url { url }, media_type: Some(m), .. }
            if url.starts_with("https://") && m == "image/png"
    ));

    let req = decode_request(&fixture("stream-text-after-function-response.request.json")).unwrap();
    let ContentBlock::ToolResult {
        tool_use_id,
        content,
        ..
    } = &req.messages[2].content[0]
    else {
        panic!("expected a tool result");
    };
    assert_eq!(tool_use_id, "pyd_ai_0e1a07b3c2b64d2ab3ad2efbe18e1b97");
    assert_eq!(
        content,
        &vec![ContentBlock::text(r#"{"return_value":"Paris"}"#)]
    );
}

fn rich_request() -> ChatRequest {
    ChatRequest {
        model: String::new(),
        system: vec![ContentBlock::text("Be brief.")],
        messages: vec![
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::text("Look:"),
                    ContentBlock::Image {
                        source: MediaSource::Base64 {
                            data: "AAAA".into(),
                        },
                        media_type: Some("image/png".into()),
                        detail: None,
                    },
                    ContentBlock::Image {
                        source: MediaSource::Url {
                            url: "gs://bucket/cat.jpg".into(),
                        },
                        media_type: Some("image/jpeg".into()),
                        detail: None,
                    },
                    ContentBlock::Document {
                        source: MediaSource::Url {
                            url: "https://example.com/a.pdf".into(),
                        },
                        media_type: Some("application/pdf".into()),
                        title: None,
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Thinking {
                        text: "hmm".into(),
                        signature: Some("sig-a".into()),
                    },
                    ContentBlock::Thinking {
                        text: String::new(),
                        signature: Some("sig-b".into()),
                    },
                    ContentBlock::ToolUse {
                        id: "t1".into(),
                        name: "weather".into(),
                        input: json!({"city": "Paris"}),
                    },
                    ContentBlock::ToolUse {
                        id: "t2".into(),
                        name: "time".into(),
                        input: json!({}),
                    },
                ],
            },
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::ToolResult {
                        tool_use_id: "t1".into(),
                        content: vec![ContentBlock::text("sunny")],
                        is_error: false,
                    },
                    ContentBlock::ToolResult {
                        tool_use_id: "t2".into(),
                        content: vec![ContentBlock::text("boom")],
                        is_error: true,
                    },
                ],
            },
        ],
        tools: vec![ToolDef {
            name: "weather".into(),
            description: Some("Weather".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            strict: None,
        }],
        tool_choice: Some(ToolChoice::Named {
            name: "weather".into(),
        }),
        sampling: Sampling {
            max_tokens: Some(100),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop: vec!["END".into()],
            seed: Some(7),
            presence_penalty: Some(0.1),
            frequency_penalty: Some(0.2),
            n: Some(1),
        },
        reasoning: Some(ReasoningConfig {
            effort: None,
            budget_tokens: Some(1024),
            include_thoughts: Some(true),
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "response".into(),
            schema: json!({"type": "object"}),
            strict: None,
        }),
        ..ChatRequest::default()
    }
}

#[test]
fn request_round_trip() {
    let req = rich_request();
    let body = encode_request(&req).unwrap();
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert!(wire.get("model").is_none());
    assert_eq!(wire["contents"][1]["role"], "model");
    assert_eq!(wire["contents"][1]["parts"][1]["thoughtSignature"], "sig-b");
    assert_eq!(
        wire["contents"][2]["parts"][0]["functionResponse"]["name"],
        "weather"
    );
    assert_eq!(
        wire["contents"][2]["parts"][0]["functionResponse"]["response"],
        json!({"result": "sunny"})
    );
    assert_eq!(wire["toolConfig"]["functionCallingConfig"]["mode"], "ANY");
    assert_eq!(
        wire["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(decode_request(&body).unwrap(), req);
}

#[test]
fn request_losses() {
    let mut req = rich_request();
    req.messages[2].content[0] = ContentBlock::ToolResult {
        tool_use_id: "unknown".into(),
        content: vec![],
        is_error: false,
    };
    let loss = encode_request(&req).unwrap_err();
    assert_eq!(loss.field, "messages[2].content[0].tool_use_id");

    let mut req = rich_request();
    req.messages.push(Message {
        role: Role::System,
        content: vec![ContentBlock::text("x")],
    });
    assert_eq!(encode_request(&req).unwrap_err().field, "messages[3].role");

    let mut req = rich_request();
    req.messages[1]
        .content
        .push(ContentBlock::RedactedThinking { data: "x".into() });
    assert!(encode_request(&req).is_err());
}

#[test]
fn tool_choice_and_format_mapping() {
    for (choice, mode) in [
        (ToolChoice::Auto, "AUTO"),
        (ToolChoice::None, "NONE"),
        (ToolChoice::Required, "ANY"),
    ] {
        let req = ChatRequest {
            tool_choice: Some(choice.clone()),
            response_format: Some(ResponseFormat::JsonObject),
            ..ChatRequest::default()
        };
        let body = encode_request(&req).unwrap();
        let wire: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(wire["toolConfig"]["functionCallingConfig"]["mode"], mode);
        assert_eq!(decode_request(&body).unwrap(), req);
    }
}

#[test]
fn schemas_are_cleaned_for_gemini() {
    let params = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": false,
        "$defs": {"Unit": {"type": "string", "enum": ["c", "f"]}},
        "properties": {
            "city": {"type": ["string", "null"], "format": "hostname"},
            "unit": {"$ref": "#/$defs/Unit", "default": "c"}
        },
        "required": ["city"]
    });
    let cleaned = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "nullable": true},
            "unit": {"type": "string", "enum": ["c", "f"]}
        },
        "required": ["city"]
    });
    let req = ChatRequest {
        tools: vec![
            ToolDef {
                name: "weather".into(),
                description: None,
                parameters: params.clone(),
                strict: None,
            },
            ToolDef {
                name: "ping".into(),
                description: None,
                parameters: Value::Null,
                strict: None,
            },
        ],
        response_format: Some(ResponseFormat::JsonSchema {
            name: "w".into(),
            schema: params,
            strict: Some(true),
        }),
        ..ChatRequest::default()
    };
    let wire: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
    let decls = &wire["tools"][0]["functionDeclarations"];
    assert_eq!(decls[0]["parameters"], cleaned);
    assert_eq!(decls[1], json!({"name": "ping"}));
    assert_eq!(wire["generationConfig"]["responseSchema"], cleaned);
    assert!(wire["generationConfig"].get("responseJsonSchema").is_none());
}

fn rich_response() -> ChatResponse {
    ChatResponse {
        id: "resp-1".into(),
        model: "gemini-2.5-pro".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "thinking".into(),
                signature: Some("s1".into()),
            },
            ContentBlock::text("Hello"),
            ContentBlock::Thinking {
                text: String::new(),
                signature: Some("s2".into()),
            },
            ContentBlock::ToolUse {
                id: "c1".into(),
                name: "f".into(),
                input: json!({"a": [1, 2]}),
            },
        ],
        stop_reason: Some(StopReason::ToolUse),
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 30,
            cached_tokens: 4,
            reasoning_tokens: 20,
            cache_write_tokens: 0,
        }),
        created: None,
    }
}

#[test]
fn response_round_trip_and_finish_reasons() {
    let r = rich_response();
    assert_eq!(decode_response(&encode_response(&r)).unwrap(), r);
    for (wire, canon) in [
        ("MAX_TOKENS", StopReason::MaxTokens),
        ("SAFETY", StopReason::ContentFilter),
        ("RECITATION", StopReason::ContentFilter),
        (
            "OTHER",
            StopReason::Other {
                value: "OTHER".into(),
            },
        ),
    ] {
        let body =
            json!({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": wire}]});
        let r = decode_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(r.stop_reason, Some(canon));
    }
}

#[test]
fn stream_round_trip() {
    let events = vec![
        StreamEvent::MessageStart {
            id: "r1".into(),
            model: "gemini-x".into(),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking,
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::Thinking { text: "hm".into() },
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::Signature {
                signature: "sig".into(),
            },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::BlockDelta {
            index: 1,
            delta: BlockDelta::Text { text: "Hel".into() },
        },
        StreamEvent::BlockDelta {
            index: 1,
            delta: BlockDelta::Text { text: "lo".into() },
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolUse {
                id: "c1".into(),
                name: "f".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "{\"a\":".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "1}".into(),
            },
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::ToolUse),
            usage: Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 9,
                cached_tokens: 0,
                reasoning_tokens: 3,
                cache_write_tokens: 0,
            }),
        },
        StreamEvent::MessageStop,
    ];
    let bytes = encode_stream(&events);
    assert!(bytes.ends_with(b"\r\n\r\n"));
    let decoded = decode_events(&split(&bytes));
    // Gemini sends a call's arguments whole: the two fragments come back as one.
    let mut expected = events.clone();
    expected.splice(
        10..12,
        [StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "{\"a\":1}".into(),
            },
        }],
    );
    assert_eq!(decoded, expected);
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
    fn stream_decoder_never_panics_on_json_chunks(
        texts in proptest::collection::vec(".{0,8}", 0..6),
        thought in any::<bool>(),
        finish in proptest::option::of("[A-Z_]{1,10}"),
    ) {
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        for t in &texts {
            let chunk = json!({"candidates": [{"content": {"parts": [
                {"text": t, "thought": thought},
                {"functionCall": {"name": t, "willContinue": thought, "partialArgs": [{"jsonPath": format!("$.{t}"), "stringValue": t}]}}
            ]}, "finishReason": finish}]});
            let _ = dec.push(format!("data: {chunk}\r\n\r\n").as_bytes(), &mut out);
        }
        dec.finish(&mut out);
    }
}
