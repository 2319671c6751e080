//! Structured output through a forced tool call, for providers without a `response_format`
//! (Anthropic's classic Messages API).
//!
//! The request encoder adds one tool, [`FORCED_TOOL`], whose input schema is the requested
//! schema (any JSON object for `json_object`), and forces the model to call it. The model's
//! call is then turned back into what the client asked for: a text answer holding the JSON.
//! [`wants_forced_tool`] tells whether a request goes this way; [`unwrap_response`] and
//! [`UnwrapStream`] undo the wrapping on complete answers and on streams.
//!
//! Decisions, as the Anthropic encoder applies them:
//! - a request with tools of its own and `tool_choice` auto (or unset) is refused: forcing
//!   the JSON tool would forbid the client's tools, and leaving the choice to the model would
//!   not guarantee JSON. `tool_choice: none` is accepted (the client's tools stay declared, for
//!   the history, and the JSON tool is forced); a required or named choice conflicts and is
//!   refused, as is a client tool already named [`FORCED_TOOL`];
//! - extended thinking is refused: Anthropic rejects a forced `tool_choice` with thinking on;
//! - parallel tool use is disabled, so that the answer holds exactly one JSON document;
//! - the schema's root must be an object (tool inputs are objects).

use super::content::ContentBlock;
use super::request::{ChatRequest, ResponseFormat};
use super::response::{ChatResponse, StopReason};
use super::stream::{BlockDelta, BlockStart, StreamEvent};

/// Name of the tool that carries structured output.
pub const FORCED_TOOL: &str = "json_response";

/// Whether `req` asks for JSON output (`json_object` or `json_schema`), so that a provider
/// without native structured output gets the forced tool and its answer must be unwrapped.
pub fn wants_forced_tool(req: &ChatRequest) -> bool {
    matches!(
        req.response_format,
        Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. })
    )
}

/// Turns calls of [`FORCED_TOOL`] in a complete answer into text blocks holding their input as
/// compact JSON; a `ToolUse` stop reason becomes `EndTurn` when no other tool call remains.
pub fn unwrap_response(resp: &mut ChatResponse) {
    let mut unwrapped = false;
    for block in &mut resp.content {
        if let ContentBlock::ToolUse { name, input, .. } = block {
            if name == FORCED_TOOL {
                *block = ContentBlock::Text {
                    text: input.to_string(),
                };
                unwrapped = true;
            }
        }
    }
    let other_calls = resp
        .content
        .iter()
        .any(|b| matches!(b, ContentBlock::ToolUse { .. }));
    if unwrapped && !other_calls && resp.stop_reason == Some(StopReason::ToolUse) {
        resp.stop_reason = Some(StopReason::EndTurn);
    }
}

/// Rewrites a stream so that calls of [`FORCED_TOOL`] arrive as text.
///
/// The call's block starts as a text block and its input fragments become text deltas (the
/// fragments of a tool input concatenate to exactly its JSON, so the text does too). A
/// `ToolUse` stop reason becomes `EndTurn` when the forced call was the only tool call of the
/// message. Every other event passes unchanged.
#[derive(Debug, Default)]
pub struct UnwrapStream {
    /// Indices of the blocks of the current message that are forced calls.
    forced: Vec<usize>,
    /// The current message has a tool call other than the forced one.
    other_calls: bool,
}

impl UnwrapStream {
    /// A rewriter at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the rewritten form of `ev` to `out`.
    pub fn map(&mut self, ev: StreamEvent, out: &mut Vec<StreamEvent>) {
        let ev = match ev {
            StreamEvent::MessageStart { .. } => {
                self.forced.clear();
                self.other_calls = false;
                ev
            }
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { id, name },
            } => {
                if name == FORCED_TOOL {
                    self.forced.push(index);
                    StreamEvent::BlockStart {
                        index,
                        block: BlockStart::Text,
                    }
                } else {
                    self.other_calls = true;
                    StreamEvent::BlockStart {
                        index,
                        block: BlockStart::ToolUse { id, name },
                    }
                }
            }
            StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::ToolInput { partial_json },
            } if self.forced.contains(&index) => StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Text { text: partial_json },
            },
            StreamEvent::MessageDelta {
                stop_reason: Some(StopReason::ToolUse),
                usage,
            } if !self.forced.is_empty() && !self.other_calls => StreamEvent::MessageDelta {
                stop_reason: Some(StopReason::EndTurn),
                usage,
            },
            other => other,
        };
        out.push(ev);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::canonical::ToolDef;

    fn call(id: &str, name: &str, input: serde_json::Value) -> ContentBlock {
        ContentBlock::ToolUse {
            id: id.into(),
            name: name.into(),
            input,
        }
    }

    fn response(content: Vec<ContentBlock>) -> ChatResponse {
        ChatResponse {
            id: "msg_1".into(),
            model: "m".into(),
            content,
            stop_reason: Some(StopReason::ToolUse),
            usage: None,
            created: None,
        }
    }

    #[test]
    fn wants_forced_tool_only_for_json_formats() {
        let mut req = ChatRequest::default();
        assert!(!wants_forced_tool(&req));
        req.response_format = Some(ResponseFormat::Text);
        assert!(!wants_forced_tool(&req));
        req.response_format = Some(ResponseFormat::JsonObject);
        assert!(wants_forced_tool(&req));
        req.response_format = Some(ResponseFormat::JsonSchema {
            name: "x".into(),
            schema: json!({"type": "object"}),
            strict: None,
        });
        assert!(wants_forced_tool(&req));
        // Tools alone do not matter.
        req.response_format = None;
        req.tools.push(ToolDef {
            name: FORCED_TOOL.into(),
            description: None,
            parameters: json!({}),
            strict: None,
        });
        assert!(!wants_forced_tool(&req));
    }

    #[test]
    fn unwrap_response_turns_the_forced_call_into_text() {
        let mut resp = response(vec![
            ContentBlock::Thinking {
                text: "t".into(),
                signature: None,
            },
            call(
                "toolu_1",
                FORCED_TOOL,
                json!({"a": [1, 2], "b": {"c": null}}),
            ),
        ]);
        unwrap_response(&mut resp);
        assert_eq!(
            resp.content[1],
            ContentBlock::text(r#"{"a":[1,2],"b":{"c":null}}"#)
        );
        assert_eq!(resp.stop_reason, Some(StopReason::EndTurn));
        assert!(matches!(resp.content[0], ContentBlock::Thinking { .. }));
    }

    #[test]
    fn unwrap_response_keeps_other_calls_and_their_stop_reason() {
        let mut resp = response(vec![
            call("toolu_1", FORCED_TOOL, json!({})),
            call("toolu_2", "other", json!({"x": 1})),
        ]);
        unwrap_response(&mut resp);
        assert_eq!(resp.content[0], ContentBlock::text("{}"));
        assert_eq!(resp.content[1], call("toolu_2", "other", json!({"x": 1})));
        assert_eq!(resp.stop_reason, Some(StopReason::ToolUse));

        // Without the forced call nothing changes.
        let mut resp = response(vec![call("toolu_2", "other", json!({}))]);
        let before = resp.clone();
        unwrap_response(&mut resp);
        assert_eq!(resp, before);

        // Other stop reasons (a truncated answer) are kept.
        let mut resp = response(vec![call("toolu_1", FORCED_TOOL, json!({"a": 1}))]);
        resp.stop_reason = Some(StopReason::MaxTokens);
        unwrap_response(&mut resp);
        assert_eq!(resp.stop_reason, Some(StopReason::MaxTokens));
        assert_eq!(resp.content[0], ContentBlock::text(r#"{"a":1}"#));
    }

    fn run(events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let mut u = UnwrapStream::new();
        let mut out = Vec::new();
        for e in events {
            u.map(e, &mut out);
        }
        out
    }

    fn start(index: usize, name: &str) -> StreamEvent {
        StreamEvent::BlockStart {
            index,
            block: BlockStart::ToolUse {
                id: format!("toolu_{index}"),
                name: name.into(),
            },
        }
    }

    fn input(index: usize, json: &str) -> StreamEvent {
        StreamEvent::BlockDelta {
            index,
            delta: BlockDelta::ToolInput {
                partial_json: json.into(),
            },
        }
    }

    fn stop(reason: StopReason) -> StreamEvent {
        StreamEvent::MessageDelta {
            stop_reason: Some(reason),
            usage: None,
        }
    }

    #[test]
    fn stream_rewrites_only_the_forced_block() {
        let msg = StreamEvent::MessageStart {
            id: "m".into(),
            model: "m".into(),
            usage: None,
        };
        let out = run(vec![
            msg.clone(),
            start(0, FORCED_TOOL),
            input(0, "{\"a\""),
            input(0, ":1}"),
            StreamEvent::BlockStop { index: 0 },
            stop(StopReason::ToolUse),
            StreamEvent::MessageStop,
        ]);
        assert_eq!(
            out,
            vec![
                msg.clone(),
                StreamEvent::BlockStart {
                    index: 0,
                    block: BlockStart::Text
                },
                StreamEvent::BlockDelta {
                    index: 0,
                    delta: BlockDelta::Text {
                        text: "{\"a\"".into()
                    }
                },
                StreamEvent::BlockDelta {
                    index: 0,
                    delta: BlockDelta::Text { text: ":1}".into() }
                },
                StreamEvent::BlockStop { index: 0 },
                stop(StopReason::EndTurn),
                StreamEvent::MessageStop,
            ]
        );

        // Another tool call in the same message keeps `tool_use` and its own events.
        let events = vec![
            msg.clone(),
            start(0, FORCED_TOOL),
            input(0, "{}"),
            start(1, "other"),
            input(1, "{}"),
            stop(StopReason::ToolUse),
        ];
        let out = run(events.clone());
        assert_eq!(out[3..], events[3..]);

        // Without a forced call the stream passes unchanged, and state resets per message.
        let events = vec![
            msg.clone(),
            start(0, FORCED_TOOL),
            StreamEvent::MessageStop,
            msg,
            start(0, "other"),
            input(0, "{}"),
            stop(StopReason::ToolUse),
        ];
        let out = run(events.clone());
        assert_eq!(out[3..], events[3..]);
    }
}
