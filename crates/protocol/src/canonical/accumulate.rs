//! Rebuilds a complete answer from its stream events, for the few places that must keep the
//! whole answer (llmux's store of Responses-API conversations).

use super::{BlockDelta, BlockStart, ChatResponse, ContentBlock, StreamEvent};

/// Collects stream events into a [`ChatResponse`].
#[derive(Debug, Default)]
pub struct Accumulator {
    response: Option<ChatResponse>,
    /// Per open block: its canonical index and, for tool calls, the argument text so far.
    open: Vec<(usize, usize, String)>,
}

impl Accumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    fn response(&mut self) -> &mut ChatResponse {
        self.response.get_or_insert_with(|| ChatResponse {
            id: String::new(),
            model: String::new(),
            content: Vec::new(),
            stop_reason: None,
            usage: None,
            created: None,
        })
    }

    /// Takes one event into account.
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::MessageStart { id, model, usage } => {
                let r = self.response();
                r.id.clone_from(id);
                r.model.clone_from(model);
                r.usage = *usage;
            }
            StreamEvent::BlockStart { index, block } => {
                let content = match block {
                    BlockStart::Text => ContentBlock::text(""),
                    BlockStart::Thinking => ContentBlock::Thinking {
                        text: String::new(),
                        signature: None,
                    },
                    BlockStart::RedactedThinking { data } => {
                        ContentBlock::RedactedThinking { data: data.clone() }
                    }
                    BlockStart::ToolUse { id, name } => ContentBlock::ToolUse {
                        id: id.clone(),
                        name: name.clone(),
                        input: serde_json::Value::Object(serde_json::Map::new()),
                    },
                };
                let r = self.response();
                r.content.push(content);
                let at = r.content.len() - 1;
                self.open.push((*index, at, String::new()));
            }
            StreamEvent::BlockDelta { index, delta } => {
                let Some(pos) = self.open.iter().position(|(i, _, _)| i == index) else {
                    return;
                };
                let at = self.open[pos].1;
                if let BlockDelta::ToolInput { partial_json } = delta {
                    self.open[pos].2.push_str(partial_json);
                    return;
                }
                let Some(block) = self.response().content.get_mut(at) else {
                    return;
                };
                match (block, delta) {
                    (ContentBlock::Text { text }, BlockDelta::Text { text: t })
                    | (ContentBlock::Thinking { text, .. }, BlockDelta::Thinking { text: t }) => {
                        text.push_str(t)
                    }
                    (
                        ContentBlock::Thinking { signature, .. },
                        BlockDelta::Signature { signature: s },
                    ) => *signature = Some(s.clone()),
                    _ => {}
                }
            }
            StreamEvent::BlockStop { index } => {
                let Some(pos) = self.open.iter().position(|(i, _, _)| i == index) else {
                    return;
                };
                let (_, at, json) = self.open.remove(pos);
                if let Some(ContentBlock::ToolUse { input, .. }) =
                    self.response().content.get_mut(at)
                {
                    if let Ok(v) = serde_json::from_str(&json) {
                        *input = v;
                    }
                }
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                let r = self.response();
                if stop_reason.is_some() {
                    r.stop_reason.clone_from(stop_reason);
                }
                if usage.is_some() {
                    r.usage = *usage;
                }
            }
            StreamEvent::MessageStop | StreamEvent::Ping | StreamEvent::Error { .. } => {}
        }
    }

    /// The answer so far (`None` before any event).
    pub fn finish(self) -> Option<ChatResponse> {
        self.response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::StopReason;

    #[test]
    fn rebuilds_text_and_tool_calls() {
        let events = [
            StreamEvent::MessageStart {
                id: "r1".into(),
                model: "m".into(),
                usage: None,
            },
            StreamEvent::BlockStart {
                index: 0,
                block: BlockStart::Text,
            },
            StreamEvent::BlockDelta {
                index: 0,
                delta: BlockDelta::Text { text: "Hel".into() },
            },
            StreamEvent::BlockDelta {
                index: 0,
                delta: BlockDelta::Text { text: "lo".into() },
            },
            StreamEvent::BlockStop { index: 0 },
            StreamEvent::BlockStart {
                index: 1,
                block: BlockStart::ToolUse {
                    id: "c1".into(),
                    name: "f".into(),
                },
            },
            StreamEvent::BlockDelta {
                index: 1,
                delta: BlockDelta::ToolInput {
                    partial_json: "{\"a\":".into(),
                },
            },
            StreamEvent::BlockDelta {
                index: 1,
                delta: BlockDelta::ToolInput {
                    partial_json: "1}".into(),
                },
            },
            StreamEvent::BlockStop { index: 1 },
            StreamEvent::MessageDelta {
                stop_reason: Some(StopReason::ToolUse),
                usage: None,
            },
            StreamEvent::MessageStop,
        ];
        let mut acc = Accumulator::new();
        for e in &events {
            acc.push(e);
        }
        let r = acc.finish().unwrap();
        assert_eq!(r.id, "r1");
        assert_eq!(r.content[0], ContentBlock::text("Hello"));
        assert_eq!(
            r.content[1],
            ContentBlock::ToolUse {
                id: "c1".into(),
                name: "f".into(),
                input: serde_json::json!({"a": 1})
            }
        );
        assert_eq!(r.stop_reason, Some(StopReason::ToolUse));
    }
}
