//! NDJSON streams: golden fixtures, exact encoding and round trips.

use bytes::BytesMut;
use serde_json::{json, Value};

use super::super::*;
use super::{
    check_cut, check_grammar, compact, decode_lines, encode_chat, fixture_summary, lines, summary,
};
use crate::canonical::{BlockDelta, BlockStart, StopReason, StreamEvent};
use crate::dialects::{Framing, StreamDecode, StreamEncode};
use crate::Usage;

/// The fixture streams, as NDJSON lines (pretty-printed chunks of the docs made into lines).
fn streams() -> Vec<(&'static str, Vec<String>)> {
    let own = |t: &str| lines(t).into_iter().map(str::to_owned).collect::<Vec<_>>();
    vec![
        ("chat-stream", own(fixture!("chat-stream.ndjson"))),
        ("generate-stream", own(fixture!("generate-stream.ndjson"))),
        (
            "docs-generate-stream",
            own(fixture!("docs-generate-stream.ndjson")),
        ),
        (
            "docs-chat-stream",
            vec![
                compact(fixture!("docs-chat-stream-first-chunk.json")),
                compact(fixture!("docs-chat-stream-final-chunk.json")),
            ],
        ),
        (
            "docs-chat-stream-tool-call",
            vec![
                compact(fixture!("docs-chat-stream-first-chunk.json")),
                compact(fixture!("docs-chat-stream-tool-call-chunk.json")),
                compact(fixture!("docs-chat-stream-tool-call-final.json")),
            ],
        ),
    ]
}

#[test]
fn golden_streams_decode_to_fixture_content() {
    for (name, lines) in streams() {
        let events = decode_lines(&lines);
        check_grammar(&events);
        let expected = fixture_summary(&lines);
        assert!(
            !expected.text.is_empty() || !expected.calls.is_empty(),
            "{name}"
        );
        assert!(expected.stop.is_some(), "{name}");
        assert_eq!(summary(&events), expected, "{name}");
    }
}

#[test]
fn golden_stream_specifics() {
    let events = decode_lines(&lines(fixture!("chat-stream.ndjson")));
    let s = summary(&events);
    assert_eq!(s.text, "This is test completion response");
    assert_eq!(s.stop, Some(StopReason::EndTurn));
    assert_eq!(
        s.usage,
        Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 239,
            ..Usage::default()
        })
    );
    assert_eq!(
        events[0],
        StreamEvent::MessageStart {
            id: "ollama-20240702114516216898458".into(),
            model: "phi3".into(),
            usage: None,
        }
    );
    // One text block across the five content lines.
    let starts = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::BlockStart { .. }))
        .count();
    assert_eq!(starts, 1);

    let (_, tool_lines) = streams().pop().unwrap();
    let events = decode_lines(&tool_lines);
    let s = summary(&events);
    assert_eq!(
        s.calls,
        vec![("get_weather".to_owned(), json!({"city": "Tokyo"}))]
    );
    assert_eq!(s.text, "The");
    assert_eq!(s.stop, Some(StopReason::ToolUse));
    assert!(events.contains(&StreamEvent::BlockStart {
        index: 1,
        block: BlockStart::ToolUse {
            id: "call_0".into(),
            name: "get_weather".into()
        }
    }));
}

#[test]
fn error_line_mid_stream() {
    let lines = lines(fixture!("docs-error-mid-stream.ndjson"));
    let events = decode_lines(&lines);
    let s = summary(&events);
    let expected = fixture_summary(&lines);
    assert_eq!(s.text, expected.text);
    assert_eq!(
        s.errors,
        ["an error was encountered while running the model"]
    );
    assert_eq!(s.stop, None);
    check_cut(&events);
    assert!(events.contains(&StreamEvent::Error {
        kind: "error".into(),
        message: "an error was encountered while running the model".into()
    }));

    // An error before anything else: just the error, and `finish` adds nothing.
    let events = decode_lines(&[r#"{"error":"model 'x' not found"}"#]);
    assert_eq!(
        events,
        vec![StreamEvent::Error {
            kind: "error".into(),
            message: "model 'x' not found".into()
        }]
    );
}

#[test]
fn blank_lines_and_garbage() {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for blank in [&b""[..], b"   ", b"\r", b"\t \r"] {
        dec.push(blank, &mut out).unwrap();
    }
    assert!(out.is_empty());
    assert!(dec.push(b"{not json", &mut out).is_err());
    assert!(dec.push(b"[1]", &mut out).is_err());
    dec.finish(&mut out);
    assert!(out.is_empty());
    assert_eq!(StreamDecode::framing(&dec), Framing::Ndjson);
    // A line with a trailing `\r` (CRLF framing) decodes.
    dec.push(
        b"{\"message\":{\"content\":\"a\"},\"done\":true}\r",
        &mut out,
    )
    .unwrap();
    assert_eq!(summary(&out).text, "a");
    // Lines after `done` are ignored.
    let n = out.len();
    dec.push(b"{\"message\":{\"content\":\"late\"}}", &mut out)
        .unwrap();
    dec.finish(&mut out);
    assert_eq!(out.len(), n);
}

#[test]
fn block_kinds_change_and_cut_streams_finish() {
    let events = decode_lines(&[
        r#"{"model":"qwen3","message":{"role":"assistant","content":"","thinking":"Let "}}"#,
        r#"{"model":"qwen3","message":{"role":"assistant","content":"","thinking":"me think"}}"#,
        r#"{"model":"qwen3","message":{"role":"assistant","content":"Sure."}}"#,
        r#"{"model":"qwen3","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},{"function":{"name":"b","arguments":{}}}]}}"#,
        r#"{"model":"qwen3","message":{"role":"assistant","content":"","thinking":"again"}}"#,
    ]);
    check_cut(&events);
    let starts: Vec<&BlockStart> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::BlockStart { block, .. } => Some(block),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        [
            &BlockStart::Thinking,
            &BlockStart::Text,
            &BlockStart::ToolUse {
                id: "call_0".into(),
                name: "a".into()
            },
            &BlockStart::ToolUse {
                id: "call_1".into(),
                name: "b".into()
            },
            &BlockStart::Thinking,
        ]
    );
    let s = summary(&events);
    assert_eq!(s.thinking, "Let me thinkagain");
    // Cut without a `done` line: no stop reason, no usage, no end.
    assert_eq!((s.stop, s.usage), (None, None));
    assert_eq!(events.len(), 17);
}

fn text_stream() -> Vec<StreamEvent> {
    vec![
        StreamEvent::MessageStart {
            id: "r1".into(),
            model: "llama3.2".into(),
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
        StreamEvent::Ping,
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
                id: "toolu_1".into(),
                name: "get_weather".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "{\"city\":".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 2,
            delta: BlockDelta::ToolInput {
                partial_json: "\"Tokyo\"}".into(),
            },
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::ToolUse),
            usage: Some(Usage {
                prompt_tokens: 169,
                completion_tokens: 15,
                ..Usage::default()
            }),
        },
        StreamEvent::MessageStop,
    ]
}

#[test]
fn encodes_exact_lines() {
    let head = r#"{"model":"llama3.2","created_at":"1970-01-01T00:00:00Z","#;
    let expected = [
        r#""message":{"role":"assistant","content":"","thinking":"hm"},"done":false}"#,
        r#""message":{"role":"assistant","content":"Hel"},"done":false}"#,
        r#""message":{"role":"assistant","content":"lo"},"done":false}"#,
        r#""message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}"#,
        r#""message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":0,"load_duration":0,"prompt_eval_count":169,"prompt_eval_duration":0,"eval_count":15,"eval_duration":0}"#,
    ]
    .map(|tail| format!("{head}{tail}\n"))
    .concat();
    assert_eq!(encode_chat(&text_stream()), expected);
}

#[test]
fn stream_round_trip() {
    let bytes = encode_chat(&text_stream());
    let decoded = decode_lines(&lines(&bytes));
    check_grammar(&decoded);
    assert_eq!(summary(&decoded), summary(&text_stream()));
}

#[test]
fn golden_streams_reencode_to_the_same_content() {
    for (name, lines_in) in streams() {
        let decoded = decode_lines(&lines_in);
        let text = encode_chat(&decoded);
        let again = decode_lines(&lines(&text));
        check_grammar(&again);
        let mut expected = summary(&decoded);
        // The final line always carries counts: unknown usage comes back as zeros.
        expected.usage = Some(expected.usage.unwrap_or_default());
        assert_eq!(summary(&again), expected, "{name}");
        // Every line is a valid Ollama chat chunk.
        for line in lines(&text) {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["message"]["role"], "assistant", "{name}");
            assert!(v["done"].is_boolean());
        }
    }
}

#[test]
fn errors_end_the_encoded_stream() {
    let mut events = text_stream();
    events.truncate(9);
    events.push(StreamEvent::Error {
        kind: "overloaded_error".into(),
        message: "Overloaded".into(),
    });
    events.extend([
        StreamEvent::MessageDelta {
            stop_reason: None,
            usage: None,
        },
        StreamEvent::MessageStop,
    ]);
    let text = encode_chat(&events);
    let all = lines(&text);
    assert_eq!(all.len(), 4);
    assert_eq!(all[3], r#"{"error":"Overloaded"}"#);
    let s = summary(&decode_lines(&all));
    assert_eq!(s.errors, ["Overloaded"]);
    assert_eq!(s.text, "Hello");
}

#[test]
fn invalid_tool_arguments_become_an_empty_object_and_trait_objects_work() {
    let events = [
        StreamEvent::MessageStart {
            id: "r".into(),
            model: "m".into(),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::ToolUse {
                id: "c".into(),
                name: "f".into(),
            },
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::ToolInput {
                partial_json: "{\"broken".into(),
            },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::MessageStop,
    ];
    let mut enc: Box<dyn StreamEncode> = Box::new(StreamEncoder::with_created(0));
    assert_eq!(enc.content_type(), "application/x-ndjson");
    let mut out = BytesMut::new();
    for e in &events {
        enc.encode(e, &mut out);
    }
    let text = String::from_utf8(out.to_vec()).unwrap();
    let first: Value = serde_json::from_str(lines(&text)[0]).unwrap();
    assert_eq!(
        first["message"]["tool_calls"][0]["function"]["arguments"],
        json!({})
    );
    let last: Value = serde_json::from_str(lines(&text)[1]).unwrap();
    assert_eq!(last["eval_count"], 0);
    // Nothing after the final line.
    enc.encode(&StreamEvent::MessageStop, &mut out);
    assert_eq!(lines(std::str::from_utf8(&out).unwrap()).len(), 2);

    let mut dec: Box<dyn StreamDecode> = Box::new(StreamDecoder::new());
    let mut got = Vec::new();
    dec.push(lines(&text)[0].as_bytes(), &mut got).unwrap();
    dec.finish(&mut got);
    assert_eq!(summary(&got).calls, vec![("f".to_owned(), json!({}))]);
}

#[test]
fn tail_usage_reads_the_final_counts() {
    let usage = |p, c| {
        Some(Usage {
            prompt_tokens: p,
            completion_tokens: c,
            ..Usage::default()
        })
    };
    assert_eq!(
        tail_usage(fixture!("chat-stream.ndjson").as_bytes()),
        usage(10, 239)
    );
    assert_eq!(
        tail_usage(fixture!("chat-nonstream.json").as_bytes()),
        usage(38, 45)
    );
    assert_eq!(
        tail_usage(fixture!("docs-chat-nonstream-tool-call.json").as_bytes()),
        usage(169, 18)
    );
    // A tail that starts inside `context`.
    let full = fixture!("generate-nonstream.json");
    assert_eq!(
        tail_usage(&full.as_bytes()[full.len() - 200..]),
        usage(67, 22)
    );
    // No prompt count in the last object: 0, not an earlier object's.
    let two = b"{\"created_at\":\"x\",\"prompt_eval_count\":5,\"eval_count\":1}\n{\"created_at\":\"y\",\"eval_count\":2}";
    assert_eq!(tail_usage(two), usage(0, 2));
    assert_eq!(
        tail_usage(fixture!("docs-generate-stream.ndjson").as_bytes()),
        None
    );
    assert_eq!(tail_usage(fixture!("docs-error.json").as_bytes()), None);
    assert_eq!(tail_usage(b"\"eval_count\": x"), None);
    assert_eq!(tail_usage(b"\"eval_count\""), None);
}
