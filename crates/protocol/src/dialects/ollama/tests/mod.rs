//! Golden tests on recorded Ollama traffic, round trips, option tables and robustness
//! properties.

use bytes::BytesMut;
use serde_json::Value;

use super::*;
use crate::canonical::{BlockDelta, BlockStart, StopReason, StreamEvent};
use crate::Usage;

/// A fixture of `tests/fixtures/providers/ollama/`, embedded at build time.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            "../../../../../../tests/fixtures/providers/ollama/",
            $name
        ))
    };
}

mod chat_request;
mod chat_response;
mod embed;
mod generate;
mod helpers;
mod props;
mod stream;

/// The non-blank lines of an NDJSON text.
fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// A pretty-printed JSON fixture as one NDJSON line.
fn compact(json: &str) -> String {
    serde_json::from_str::<Value>(json).unwrap().to_string()
}

/// Decodes NDJSON lines with a fresh decoder, then finishes it.
fn decode_lines<S: AsRef<str>>(lines: &[S]) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for line in lines {
        dec.push(line.as_ref().as_bytes(), &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

/// Encodes events as an `/api/chat` stream created at the Unix epoch.
fn encode_chat(events: &[StreamEvent]) -> String {
    let mut enc = StreamEncoder::with_created(0);
    let mut out = BytesMut::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// What a stream says, independent of its framing.
#[derive(Debug, Default, PartialEq)]
struct Summary {
    text: String,
    thinking: String,
    /// (name, arguments) in order.
    calls: Vec<(String, Value)>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    errors: Vec<String>,
}

/// The summary of canonical events.
fn summary(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    let mut tools: Vec<(usize, String, String)> = Vec::new();
    for e in events {
        match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { name, .. },
            } => tools.push((*index, name.clone(), String::new())),
            StreamEvent::BlockDelta { index, delta } => match delta {
                BlockDelta::Text { text } => s.text.push_str(text),
                BlockDelta::Thinking { text } => s.thinking.push_str(text),
                BlockDelta::ToolInput { partial_json } => {
                    let t = tools.iter_mut().find(|t| t.0 == *index).unwrap();
                    t.2.push_str(partial_json);
                }
                BlockDelta::Signature { .. } => {}
            },
            StreamEvent::MessageDelta { stop_reason, usage } => {
                s.stop.clone_from(stop_reason);
                s.usage = *usage;
            }
            StreamEvent::Error { message, .. } => s.errors.push(message.clone()),
            _ => {}
        }
    }
    s.calls = tools
        .into_iter()
        .map(|(_, n, j)| (n, serde_json::from_str(&j).unwrap()))
        .collect();
    s
}

/// The summary an NDJSON fixture states, read straight from its JSON lines.
fn fixture_summary<S: AsRef<str>>(lines: &[S]) -> Summary {
    let mut s = Summary::default();
    let mut calls_seen = false;
    for line in lines {
        let v: Value = serde_json::from_str(line.as_ref()).unwrap();
        if let Some(e) = v["error"].as_str() {
            s.errors.push(e.to_owned());
            continue;
        }
        s.text
            .push_str(v["message"]["content"].as_str().unwrap_or(""));
        s.text.push_str(v["response"].as_str().unwrap_or(""));
        s.thinking
            .push_str(v["message"]["thinking"].as_str().unwrap_or(""));
        for call in v["message"]["tool_calls"].as_array().into_iter().flatten() {
            calls_seen = true;
            s.calls.push((
                call["function"]["name"].as_str().unwrap().to_owned(),
                call["function"]["arguments"].clone(),
            ));
        }
        if v["done"] == Value::Bool(true) {
            s.stop = Some(match v["done_reason"].as_str().unwrap_or("stop") {
                "stop" if calls_seen => StopReason::ToolUse,
                "stop" => StopReason::EndTurn,
                "length" => StopReason::MaxTokens,
                other => panic!("unexpected done_reason {other}"),
            });
            if v.get("eval_count").is_some() {
                s.usage = Some(Usage {
                    prompt_tokens: v["prompt_eval_count"].as_u64().unwrap(),
                    completion_tokens: v["eval_count"].as_u64().unwrap(),
                    ..Usage::default()
                });
            }
        }
    }
    s
}

/// Checks the event grammar: one start, balanced sequential blocks, one delta, stop last.
fn check_grammar(events: &[StreamEvent]) {
    assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
    check_blocks(events);
}

/// The grammar of a stream that was cut: everything but the final stop.
fn check_cut(events: &[StreamEvent]) {
    assert!(!events.contains(&StreamEvent::MessageStop), "{events:?}");
    check_blocks(events);
}

/// One start, balanced sequential blocks, at most one delta.
fn check_blocks(events: &[StreamEvent]) {
    assert!(matches!(
        events.first(),
        Some(StreamEvent::MessageStart { .. })
    ));
    let mut open: Option<usize> = None;
    let mut next = 0;
    for e in events {
        match e {
            StreamEvent::BlockStart { index, .. } => {
                assert!(open.is_none(), "{events:?}");
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
    assert!(deltas <= 1, "{events:?}");
}
