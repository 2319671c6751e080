//! `/api/generate`: requests, answers and streams.

use bytes::BytesMut;
use serde_json::{json, Value};

use super::super::*;
use super::{check_grammar, decode_lines, lines, summary};
use crate::canonical::{
    BlockDelta, BlockStart, ChatResponse, ContentBlock, ReasoningEffort, ResponseFormat, Role,
    StopReason, StreamEvent,
};
use crate::dialects::StreamEncode;
use crate::Usage;

fn decode(body: Value) -> crate::canonical::ChatRequest {
    decode_generate_request(body.to_string().as_bytes()).unwrap()
}

#[test]
fn golden_generate_request() {
    let text = fixture!("generate-nonstream.request.json");
    let v: Value = serde_json::from_str(text).unwrap();
    let req = decode_generate_request(text.as_bytes()).unwrap();
    assert_eq!(req.model, v["model"].as_str().unwrap());
    assert!(!req.stream);
    assert!(req.system.is_empty());
    assert_eq!(req.messages.len(), 1);
    assert_eq!(req.messages[0].role, Role::User);
    assert_eq!(
        req.messages[0].content,
        vec![ContentBlock::text(v["prompt"].as_str().unwrap())]
    );
    assert!(req.sampling.stop.is_empty());
}

#[test]
fn generate_request_fields() {
    let req = decode(json!({
        "model": "llava", "prompt": "What is this?", "system": "Be terse.",
        "images": ["iVBORw0KGgoAAAANSUhEUg=="], "format": "json", "think": "low",
        "options": {"num_predict": 10, "temperature": 0.1}, "raw": true,
        "keep_alive": 0, "context": [1, 2, 3], "template": "{{ .Prompt }}", "suffix": ""
    }));
    assert!(req.stream);
    assert_eq!(req.system, vec![ContentBlock::text("Be terse.")]);
    assert_eq!(req.messages[0].content.len(), 2);
    assert!(matches!(
        &req.messages[0].content[1],
        ContentBlock::Image { media_type: Some(m), .. } if m == "image/png"
    ));
    assert_eq!(req.response_format, Some(ResponseFormat::JsonObject));
    assert_eq!(
        req.reasoning.and_then(|r| r.effort),
        Some(ReasoningEffort::Low)
    );
    assert_eq!(req.sampling.max_tokens, Some(10));

    // No prompt: Ollama's "load the model" request.
    let req = decode(json!({"model": "llama3.2"}));
    assert!(req.messages.is_empty());

    let e = decode_generate_request(br#"{"model":"m","prompt":"def f(","suffix":"    return x"}"#)
        .unwrap_err();
    assert!(e.message.contains("suffix"), "{e}");
    assert!(decode_generate_request(br#"{"think":"max"}"#).is_err());
    assert!(decode_generate_request(br#"{"prompt":1}"#).is_err());
}

fn answer() -> ChatResponse {
    ChatResponse {
        id: "x".into(),
        model: "gemma4".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "hm".into(),
                signature: Some("s".into()),
            },
            ContentBlock::text("That's a "),
            ContentBlock::text("question!"),
            ContentBlock::ToolUse {
                id: "c".into(),
                name: "f".into(),
                input: json!({}),
            },
        ],
        stop_reason: Some(StopReason::MaxTokens),
        usage: Some(Usage {
            prompt_tokens: 67,
            completion_tokens: 22,
            ..Usage::default()
        }),
        created: Some(0),
    }
}

#[test]
fn encodes_generate_answers() {
    let body = String::from_utf8(encode_generate_response(&answer())).unwrap();
    assert_eq!(
        body,
        concat!(
            r#"{"model":"gemma4","created_at":"1970-01-01T00:00:00Z","response":"That's a question!","#,
            r#""thinking":"hm","done":true,"done_reason":"length","total_duration":0,"load_duration":0,"#,
            r#""prompt_eval_count":67,"prompt_eval_duration":0,"eval_count":22,"eval_duration":0}"#
        )
    );
    // It is an answer the decoder reads back (`context` omitted, as allowed).
    let back = decode_response(body.as_bytes()).unwrap();
    assert_eq!(back.stop_reason, Some(StopReason::MaxTokens));
    assert_eq!(back.usage, answer().usage);
    // The fixture's keys, `context` aside.
    let fixture: serde_json::Map<String, Value> =
        serde_json::from_str(fixture!("generate-nonstream.json")).unwrap();
    let ours: serde_json::Map<String, Value> = serde_json::from_str(&body).unwrap();
    for key in fixture.keys().filter(|k| *k != "context") {
        assert!(ours.contains_key(key), "{key}");
    }
}

#[test]
fn generate_stream_lines() {
    let events = vec![
        StreamEvent::MessageStart {
            id: "r".into(),
            model: "gemma4".into(),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking,
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::Thinking { text: "so".into() },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::BlockDelta {
            index: 1,
            delta: BlockDelta::Text {
                text: "That".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 1,
            delta: BlockDelta::Text { text: "'s".into() },
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolUse {
                id: "c".into(),
                name: "f".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "{}".into(),
            },
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::EndTurn),
            usage: Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 4,
                ..Usage::default()
            }),
        },
        StreamEvent::MessageStop,
    ];
    let mut enc = GenerateStreamEncoder::with_created(0);
    assert_eq!(StreamEncode::content_type(&enc), "application/x-ndjson");
    let mut out = BytesMut::new();
    for e in &events {
        enc.encode(e, &mut out);
    }
    let text = String::from_utf8(out.to_vec()).unwrap();
    let head = r#"{"model":"gemma4","created_at":"1970-01-01T00:00:00Z","#;
    let expected = [
        r#""response":"","thinking":"so","done":false}"#,
        r#""response":"That","done":false}"#,
        r#""response":"'s","done":false}"#,
        r#""response":"","done":true,"done_reason":"stop","total_duration":0,"load_duration":0,"prompt_eval_count":3,"prompt_eval_duration":0,"eval_count":4,"eval_duration":0}"#,
    ]
    .map(|tail| format!("{head}{tail}\n"))
    .concat();
    assert_eq!(text, expected);

    // The chat decoder reads generate lines back.
    let decoded = decode_lines(&lines(&text));
    check_grammar(&decoded);
    let s = summary(&decoded);
    assert_eq!((s.text.as_str(), s.thinking.as_str()), ("That's", "so"));
    assert_eq!(s.stop, Some(StopReason::EndTurn));

    let mut enc = GenerateStreamEncoder::new();
    let mut out = BytesMut::new();
    enc.encode(
        &StreamEvent::Error {
            kind: "error".into(),
            message: "boom".into(),
        },
        &mut out,
    );
    enc.encode(&StreamEvent::MessageStop, &mut out);
    assert_eq!(&out[..], b"{\"error\":\"boom\"}\n");
}
