//! Non-streamed `/api/chat` answers: golden fixtures, exact encoding and round trips.

use serde_json::{json, Value};

use super::super::*;
use crate::canonical::{ChatResponse, ContentBlock, StopReason};
use crate::Usage;

fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn usage_of(v: &Value) -> Usage {
    Usage {
        prompt_tokens: v["prompt_eval_count"].as_u64().unwrap(),
        completion_tokens: v["eval_count"].as_u64().unwrap(),
        ..Usage::default()
    }
}

/// (name, arguments) of the tool calls in a fixture's `message`.
fn fixture_calls(v: &Value) -> Vec<(String, Value)> {
    v["message"]["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["function"]["name"].as_str().unwrap().to_owned(),
                c["function"].get("arguments").cloned().unwrap_or(json!({})),
            )
        })
        .collect()
}

fn calls(r: &ChatResponse) -> Vec<(String, Value)> {
    r.content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolUse { name, input, .. } => Some((name.clone(), input.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn golden_text_answer() {
    let text = fixture!("chat-nonstream.json");
    let v = raw(text);
    let r = decode_response(text.as_bytes()).unwrap();
    assert_eq!(
        r.content,
        vec![ContentBlock::text(
            v["message"]["content"].as_str().unwrap()
        )]
    );
    assert_eq!(r.model, v["model"].as_str().unwrap());
    assert_eq!(r.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(r.usage, Some(usage_of(&v)));
    // 2024-10-16T11:08:38.60342187Z
    assert_eq!(r.created, Some(1_729_076_918));
    assert_eq!(r.id, "ollama-2024101611083860342187");
}

#[test]
fn golden_tool_call_answers() {
    for text in [
        fixture!("chat-nonstream-tool-call.json"),
        fixture!("chat-nonstream-tool-calls-parallel.json"),
        fixture!("docs-chat-nonstream-tool-call.json"),
    ] {
        let v = raw(text);
        let r = decode_response(text.as_bytes()).unwrap();
        assert_eq!(calls(&r), fixture_calls(&v));
        assert_eq!(r.stop_reason, Some(StopReason::ToolUse));
        assert_eq!(r.usage, Some(usage_of(&v)));
        let ids: Vec<String> = r
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = (0..ids.len()).map(|n| format!("call_{n}")).collect();
        assert_eq!(ids, expected);
        // No empty text block for `"content": ""`.
        assert!(r
            .content
            .iter()
            .all(|b| !matches!(b, ContentBlock::Text { .. })));
    }
    let r =
        decode_response(fixture!("chat-nonstream-tool-calls-parallel.json").as_bytes()).unwrap();
    assert_eq!(calls(&r).len(), 5);
    assert_eq!(
        calls(&r)[3],
        ("MyPlugin_InvalidArguments".to_owned(), json!({}))
    );
}

#[test]
fn golden_generate_answer_and_errors() {
    let text = fixture!("generate-nonstream.json");
    let v = raw(text);
    let r = decode_response(text.as_bytes()).unwrap();
    assert_eq!(
        r.content,
        vec![ContentBlock::text(v["response"].as_str().unwrap())]
    );
    assert_eq!(r.usage, Some(usage_of(&v)));

    let e = decode_response(fixture!("docs-error.json").as_bytes()).unwrap_err();
    let v = raw(fixture!("docs-error.json"));
    assert!(e.message.contains(v["error"].as_str().unwrap()), "{e}");
    assert!(decode_response(b"{\"error\":{\"message\":\"boom\"}}")
        .unwrap_err()
        .message
        .contains("boom"));
    assert!(decode_response(b"nope").is_err());
}

#[test]
fn done_reasons() {
    for (done_reason, calls, expected) in [
        (Some("stop"), false, StopReason::EndTurn),
        (None, false, StopReason::EndTurn),
        (Some("stop"), true, StopReason::ToolUse),
        (Some("length"), false, StopReason::MaxTokens),
        (Some("length"), true, StopReason::MaxTokens),
        (
            Some("load"),
            false,
            StopReason::Other {
                value: "load".into(),
            },
        ),
    ] {
        let mut body =
            json!({"model": "m", "message": {"role": "assistant", "content": "x"}, "done": true});
        if let Some(r) = done_reason {
            body["done_reason"] = json!(r);
        }
        if calls {
            body["message"]["tool_calls"] = json!([{"function": {"name": "f", "arguments": {}}}]);
        }
        let r = decode_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(r.stop_reason, Some(expected), "{body}");
    }
    let r = decode_response(br#"{"message":{"content":"x"},"done":false}"#).unwrap();
    assert_eq!(r.stop_reason, None);
    assert_eq!(r.usage, None);
}

fn rich_response() -> ChatResponse {
    ChatResponse {
        id: "ollama-20240702114516".into(),
        model: "qwen3".into(),
        content: vec![
            ContentBlock::Thinking {
                text: "hmm".into(),
                signature: None,
            },
            ContentBlock::text("Hello"),
            ContentBlock::ToolUse {
                id: "call_0".into(),
                name: "f".into(),
                input: json!({"a": [1, 2]}),
            },
        ],
        stop_reason: Some(StopReason::ToolUse),
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 30,
            ..Usage::default()
        }),
        created: Some(1_719_920_716),
    }
}

#[test]
fn encodes_exactly_ollamas_shape() {
    let body = String::from_utf8(encode_response(&rich_response())).unwrap();
    assert_eq!(
        body,
        concat!(
            r#"{"model":"qwen3","created_at":"2024-07-02T11:45:16Z","#,
            r#""message":{"role":"assistant","content":"Hello","thinking":"hmm","#,
            r#""tool_calls":[{"function":{"name":"f","arguments":{"a":[1,2]}}}]},"#,
            r#""done_reason":"stop","done":true,"total_duration":0,"load_duration":0,"#,
            r#""prompt_eval_count":10,"prompt_eval_duration":0,"eval_count":30,"eval_duration":0}"#
        )
    );
    // The fixture's keys, in the fixture's order.
    let keys = |v: &str| -> Vec<String> {
        let v: serde_json::Map<String, Value> = serde_json::from_str(v).unwrap();
        let mut k: Vec<String> = v.keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&body), keys(fixture!("chat-nonstream.json")));
}

#[test]
fn response_round_trip() {
    let r = rich_response();
    assert_eq!(decode_response(&encode_response(&r)).unwrap(), r);

    // Without a creation time, `created_at` is now and still parses.
    let mut r = rich_response();
    r.created = None;
    r.stop_reason = Some(StopReason::MaxTokens);
    r.content
        .push(ContentBlock::RedactedThinking { data: "x".into() });
    let back = decode_response(&encode_response(&r)).unwrap();
    assert!(back.created.unwrap() > 1_700_000_000);
    assert_eq!(back.stop_reason, Some(StopReason::MaxTokens));
    assert_eq!(back.content, rich_response().content);

    let v: Value = serde_json::from_slice(&encode_response(&ChatResponse {
        id: String::new(),
        model: "m".into(),
        content: vec![],
        stop_reason: None,
        usage: None,
        created: Some(0),
    }))
    .unwrap();
    assert_eq!(v["message"], json!({"role": "assistant", "content": ""}));
    assert_eq!(v["done_reason"], "stop");
    assert_eq!(v["created_at"], "1970-01-01T00:00:00Z");
    assert_eq!(v["eval_count"], 0);
}
