//! Robustness: no decoder panics on arbitrary input; encoders always write valid NDJSON.

use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::time::{format_rfc3339, parse_rfc3339};
use super::super::*;
use crate::canonical::{BlockDelta, BlockStart, StopReason, StreamEvent};
use crate::Usage;

fn event() -> impl Strategy<Value = StreamEvent> {
    let index = 0usize..4;
    prop_oneof![
        ".{0,6}".prop_map(|model| StreamEvent::MessageStart {
            id: "r".into(),
            model,
            usage: None
        }),
        (index.clone(), 0u8..4, ".{0,4}").prop_map(|(index, kind, name)| {
            let block = match kind {
                0 => BlockStart::Text,
                1 => BlockStart::Thinking,
                2 => BlockStart::RedactedThinking { data: name },
                _ => BlockStart::ToolUse {
                    id: "c".into(),
                    name,
                },
            };
            StreamEvent::BlockStart { index, block }
        }),
        (index.clone(), 0u8..4, ".{0,6}").prop_map(|(index, kind, text)| {
            let delta = match kind {
                0 => BlockDelta::Text { text },
                1 => BlockDelta::Thinking { text },
                2 => BlockDelta::Signature { signature: text },
                _ => BlockDelta::ToolInput { partial_json: text },
            };
            StreamEvent::BlockDelta { index, delta }
        }),
        index.prop_map(|index| StreamEvent::BlockStop { index }),
        (any::<bool>(), 0u64..1000).prop_map(|(stop, n)| StreamEvent::MessageDelta {
            stop_reason: stop.then_some(StopReason::MaxTokens),
            usage: Some(Usage {
                prompt_tokens: n,
                ..Usage::default()
            }),
        }),
        Just(StreamEvent::MessageStop),
        Just(StreamEvent::Ping),
        ".{0,6}".prop_map(|message| StreamEvent::Error {
            kind: "e".into(),
            message
        }),
    ]
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let _ = decode_generate_request(&bytes);
        let _ = decode_embed_request(&bytes);
        let _ = from_openai_embeddings(&bytes, &EmbedRequest::default());
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        for line in bytes.split(|b| *b == b'\n') {
            let _ = dec.push(line, &mut out);
        }
        dec.finish(&mut out);
    }

    #[test]
    fn text_helpers_never_panic(s in ".{0,40}") {
        let _ = detect_image_mime(&s);
        let _ = parse_rfc3339(&s);
    }

    #[test]
    fn structured_input_never_panics(
        texts in proptest::collection::vec(".{0,8}", 0..6),
        flags in proptest::collection::vec(any::<bool>(), 6),
        reason in proptest::option::of("[a-z_]{0,8}"),
        count in proptest::option::of(any::<u64>()),
    ) {
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let mut messages = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let args = if flags[i % 6] { json!({"k": t}) } else { json!(t) };
            let chunk = json!({
                "model": t, "created_at": t,
                "message": {"role": "assistant", "content": t, "thinking": if flags[0] { t } else { "" },
                            "tool_calls": [{"function": {"name": t, "arguments": args}}]},
                "done": flags[(i + 1) % 6], "done_reason": reason, "eval_count": count,
            });
            let _ = dec.push(chunk.to_string().as_bytes(), &mut out);
            let _ = decode_response(chunk.to_string().as_bytes());
            let role = ["system", "user", "assistant", "tool"][i % 4];
            messages.push(json!({"role": role, "content": t, "tool_name": t, "images": [t],
                                 "tool_calls": [{"function": {"name": t, "arguments": args}}]}));
        }
        dec.finish(&mut out);
        let body = json!({"model": "m", "messages": messages, "think": flags[1], "format": reason,
                          "options": {"num_predict": count, "stop": texts}});
        if let Ok(req) = decode_request(body.to_string().as_bytes()) {
            // Whatever decodes, encodes, or names what it cannot carry.
            let _ = encode_request(&req);
        }
    }

    #[test]
    fn encoders_write_one_json_value_per_line(events in proptest::collection::vec(event(), 0..24)) {
        let mut chat = StreamEncoder::with_created(0);
        let mut generate = GenerateStreamEncoder::with_created(0);
        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
        for e in &events {
            chat.encode(e, &mut a);
            generate.encode(e, &mut b);
        }
        for out in [a, b] {
            let text = String::from_utf8(out.to_vec()).unwrap();
            prop_assert!(text.is_empty() || text.ends_with('\n'));
            for line in text.lines() {
                prop_assert!(serde_json::from_str::<Value>(line).is_ok(), "{line}");
            }
            // And the chat decoder reads them back.
            let mut dec = StreamDecoder::new();
            let mut got = Vec::new();
            for line in text.lines() {
                prop_assert!(dec.push(line.as_bytes(), &mut got).is_ok());
            }
        }
    }

    #[test]
    fn timestamps_round_trip(secs in 0u64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        prop_assert_eq!(parse_rfc3339(&format_rfc3339(secs, nanos)), Some(secs));
    }
}
