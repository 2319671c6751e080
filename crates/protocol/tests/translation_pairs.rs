//! Translation pairs, driven by captured provider traffic: a provider's real answer is decoded
//! into the canonical model, encoded for a client of the *other* dialect, and decoded again.
//! What a client sees must keep the text, tool calls, stop reason and usage of the original.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use bytes::{Bytes, BytesMut};
use llmux_protocol::canonical::{BlockDelta, BlockStart, ContentBlock, StopReason, StreamEvent};
use llmux_protocol::dialects::{anthropic, openai_chat};
use llmux_protocol::sse::SseSplitter;
use llmux_protocol::Usage;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn events_of(body: Vec<u8>) -> Vec<Bytes> {
    let mut splitter = SseSplitter::new();
    let mut out = Vec::new();
    splitter.push(Bytes::from(body), &mut out);
    out.extend(splitter.finish());
    out
}

fn decode_anthropic(body: Vec<u8>) -> Vec<StreamEvent> {
    let mut dec = anthropic::StreamDecoder::new();
    let mut out = Vec::new();
    for ev in events_of(body) {
        dec.push(&ev, &mut out).unwrap();
    }
    out
}

fn decode_openai(body: Vec<u8>) -> Vec<StreamEvent> {
    let mut dec = openai_chat::StreamDecoder::new();
    let mut out = Vec::new();
    for ev in events_of(body) {
        dec.push(&ev, &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

/// What a client can observe of a streamed answer.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    text: String,
    thinking: String,
    tools: Vec<(String, String, serde_json::Value)>,
    stop: Option<StopReason>,
    usage: Option<(u64, u64)>,
}

fn seen(events: &[StreamEvent]) -> Seen {
    let mut s = Seen::default();
    let mut args: Vec<String> = Vec::new();
    for e in events {
        match e {
            StreamEvent::BlockStart {
                block: BlockStart::ToolUse { id, name },
                ..
            } => {
                s.tools
                    .push((id.clone(), name.clone(), serde_json::Value::Null));
                args.push(String::new());
            }
            StreamEvent::BlockDelta { delta, .. } => match delta {
                BlockDelta::Text { text } => s.text.push_str(text),
                BlockDelta::Thinking { text } => s.thinking.push_str(text),
                BlockDelta::ToolInput { partial_json } => {
                    args.last_mut().unwrap().push_str(partial_json)
                }
                BlockDelta::Signature { .. } => {}
            },
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if stop_reason.is_some() {
                    s.stop = stop_reason.clone();
                }
                if let Some(u) = usage {
                    s.usage = Some((u.prompt_tokens, u.completion_tokens));
                }
            }
            _ => {}
        }
    }
    for (tool, a) in s.tools.iter_mut().zip(args) {
        tool.2 = if a.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&a).unwrap()
        };
    }
    s
}

fn encode_openai(events: &[StreamEvent]) -> Vec<u8> {
    let mut enc = openai_chat::StreamEncoder::new(true);
    let mut out = BytesMut::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    out.to_vec()
}

fn encode_anthropic(events: &[StreamEvent]) -> Vec<u8> {
    let mut enc = anthropic::StreamEncoder::new();
    let mut out = BytesMut::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    out.to_vec()
}

#[test]
fn anthropic_provider_streams_reach_openai_clients() {
    for file in [
        "anthropic/stream-text.sse",
        "anthropic/stream-tool-use.sse",
        "anthropic/stream-thinking.sse",
    ] {
        let original = decode_anthropic(fixture(file));
        let wire = encode_openai(&original);
        // Every event is a well-formed OpenAI chunk, and the stream ends with [DONE].
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"), "{file}");
        let client = decode_openai(wire);
        let (want, got) = (seen(&original), seen(&client));
        assert_eq!(got, want, "{file}");
        assert!(
            !want.text.is_empty() || !want.tools.is_empty(),
            "{file} carries content"
        );
    }
}

#[test]
fn openai_provider_streams_reach_anthropic_clients() {
    for file in [
        "openai-chat/stream-text.sse",
        "openai-chat/stream-tool-call.sse",
        "openai-chat/stream-tool-calls-parallel.sse",
        "openai-chat/stream-finish-length-usage.sse",
    ] {
        let original = decode_openai(fixture(file));
        let wire = encode_anthropic(&original);
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(text.starts_with("event: message_start\n"), "{file}");
        assert!(
            text.trim_end()
                .ends_with("data: {\"type\":\"message_stop\"}"),
            "{file}: {}",
            &text[text.len().saturating_sub(80)..]
        );
        let client = decode_anthropic(wire);
        let mut want = seen(&original);
        // Anthropic's wire format always carries usage: an upstream stream without usage
        // reaches an Anthropic client as zeros. (llmux asks OpenAI-family upstreams for usage.)
        want.usage.get_or_insert((0, 0));
        assert_eq!(seen(&client), want, "{file}");
    }
}

fn response_seen(
    content: &[ContentBlock],
    stop: &Option<StopReason>,
    usage: &Option<Usage>,
) -> Seen {
    let mut s = Seen::default();
    for b in content {
        match b {
            ContentBlock::Text { text } => s.text.push_str(text),
            ContentBlock::Thinking { text, .. } => s.thinking.push_str(text),
            ContentBlock::ToolUse { id, name, input } => {
                s.tools.push((id.clone(), name.clone(), input.clone()))
            }
            _ => {}
        }
    }
    s.stop = stop.clone();
    s.usage = usage.map(|u| (u.prompt_tokens, u.completion_tokens));
    s
}

#[test]
fn nonstream_answers_cross_both_ways() {
    for file in [
        "anthropic/nonstream-text.json",
        "anthropic/nonstream-tool-use-parallel.json",
        "anthropic/nonstream-tool-use-no-args.json",
    ] {
        let original = anthropic::decode_response(&fixture(file)).unwrap();
        let client =
            openai_chat::decode_response(&openai_chat::encode_response(&original)).unwrap();
        assert_eq!(
            response_seen(&client.content, &client.stop_reason, &client.usage),
            response_seen(&original.content, &original.stop_reason, &original.usage),
            "{file}"
        );
    }
    for file in [
        "openai-chat/nonstream-text.json",
        "openai-chat/nonstream-tool-call.json",
        "openai-chat/nonstream-tool-calls-parallel.json",
    ] {
        let original = openai_chat::decode_response(&fixture(file)).unwrap();
        let client = anthropic::decode_response(&anthropic::encode_response(&original)).unwrap();
        assert_eq!(
            response_seen(&client.content, &client.stop_reason, &client.usage),
            response_seen(&original.content, &original.stop_reason, &original.usage),
            "{file}"
        );
    }
}

#[test]
fn openai_requests_reach_anthropic_with_their_conversation_and_tools() {
    for file in [
        "openai-chat/nonstream-tool-call.request.json",
        "openai-chat/stream-text-after-tool-result.request.json",
        "openai-chat/image-url-input.request.json",
    ] {
        let original = openai_chat::decode_request(&fixture(file)).unwrap();
        let body =
            anthropic::encode_request(&original).unwrap_or_else(|loss| panic!("{file}: {loss}"));
        let back = anthropic::decode_request(&body).unwrap();
        assert_eq!(back.model, original.model, "{file}");
        assert_eq!(back.tools.len(), original.tools.len(), "{file}");
        let tools = |r: &llmux_protocol::canonical::ChatRequest| {
            r.tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
        };
        assert_eq!(tools(&back), tools(&original), "{file}");
        // Every tool call and tool result survives, in order.
        let calls = |r: &llmux_protocol::canonical::ChatRequest| {
            r.messages
                .iter()
                .flat_map(|m| m.content.iter())
                .filter_map(|b| match b {
                    ContentBlock::ToolUse { id, .. } => Some(format!("use:{id}")),
                    ContentBlock::ToolResult { tool_use_id, .. } => {
                        Some(format!("result:{tool_use_id}"))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(calls(&back), calls(&original), "{file}");
    }
}
