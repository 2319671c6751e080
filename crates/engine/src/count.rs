//! Token counting endpoints (Anthropic `messages/count_tokens`, Gemini `:countTokens`).
//!
//! When the model's provider speaks the client's API and has a counting endpoint, the count
//! is the provider's own. Otherwise llmux estimates it from the request's text (about four
//! characters a token, plus a small overhead per message and per tool), and says so.

use bytes::Bytes;
use http::Method;
use llmux_protocol::canonical::{ChatRequest, ContentBlock};
use llmux_protocol::{Dialect, RawObject};
use serde_json::Value;

use crate::error::{ErrorKind, GatewayError};
use crate::gateway::Gateway;
use crate::passthrough::{inspect, upstream_headers, Inbound, Target};
use crate::translate::{decode_client_request, provider_error, read_all};
use crate::upstream;

/// A token count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Counted by the provider.
    Exact(u64),
    /// Estimated by llmux (the provider cannot count, or speaks another API).
    Estimate(u64),
}

impl Counted {
    /// The number, exact or estimated.
    pub fn tokens(self) -> u64 {
        match self {
            Counted::Exact(n) | Counted::Estimate(n) => n,
        }
    }
}

impl Gateway {
    /// Counts the input tokens of a chat request in the client's dialect.
    pub async fn count_tokens(&self, inbound: Inbound) -> Result<Counted, GatewayError> {
        let snapshot = self.snapshot();
        let target = Target {
            dialect: inbound.dialect,
            path: inbound.path.as_ref(),
        };
        let body = normalise(inbound.dialect, &inbound.body)?;
        let inspected = inspect(&body, llmux_providers::Operation::ChatCompletions, target)?;
        // A forward's path rules choose the group whatever the model.
        let route = snapshot.resolve(inbound.group.as_deref().unwrap_or(&inspected.model))?;
        let provider = route.provider;
        let native = provider.kind.dialect() == inbound.dialect;
        if native && matches!(inbound.dialect, Dialect::Anthropic | Dialect::Gemini) {
            let (url, out) = match inbound.dialect {
                Dialect::Anthropic => {
                    let mut object = inspected.object;
                    object.set("model", route.model).map_err(internal)?;
                    (
                        format!("{}/messages/count_tokens", provider.base_url),
                        object.to_vec(),
                    )
                }
                _ => (
                    format!("{}/models/{}:countTokens", provider.base_url, route.model),
                    body.to_vec(),
                ),
            };
            let headers = upstream_headers(&inbound, provider);
            let response =
                upstream::send(provider, Method::POST, &url, headers, Bytes::from(out)).await?;
            if !response.status.is_success() {
                return Err(provider_error(&provider.id, response).await);
            }
            let bytes = read_all(&provider.id, response.body, provider.timeouts.total).await?;
            let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let n = value["input_tokens"]
                .as_u64()
                .or_else(|| value["totalTokens"].as_u64());
            return n.map(Counted::Exact).ok_or_else(|| {
                ErrorKind::UpstreamBroken {
                    provider: provider.id.clone(),
                    detail: "the token count answer has no count".into(),
                }
                .into()
            });
        }
        let request = decode_client_request(
            inbound.dialect,
            llmux_providers::Operation::ChatCompletions,
            &body,
        )?;
        Ok(Counted::Estimate(estimate(&request)))
    }
}

fn internal(e: impl std::fmt::Display) -> GatewayError {
    ErrorKind::Internal(e.to_string()).into()
}

/// Makes a counting body decodable as a chat request: Anthropic's has no `max_tokens`;
/// Gemini's may wrap the request in `generateContentRequest`.
fn normalise(dialect: Dialect, body: &Bytes) -> Result<Bytes, GatewayError> {
    let mut object =
        RawObject::parse(body).map_err(|e| GatewayError::from(ErrorKind::InvalidJson(e.0)))?;
    match dialect {
        Dialect::Anthropic if !object.contains("max_tokens") => {
            object.set("max_tokens", &1).map_err(internal)?;
            Ok(Bytes::from(object.to_vec()))
        }
        Dialect::Gemini => match object.get("generateContentRequest") {
            Some(inner) => Ok(Bytes::copy_from_slice(inner.get().as_bytes())),
            None => Ok(body.clone()),
        },
        _ => Ok(body.clone()),
    }
}

/// Characters per token assumed by the estimate (English prose averages about four).
const CHARS_PER_TOKEN: usize = 4;
/// Tokens of framing per message (role markers, separators).
const PER_MESSAGE: u64 = 4;
/// Tokens per image, a middle value between providers' formulas.
const PER_IMAGE: u64 = 258;

/// An estimate of a request's input tokens.
pub fn estimate(request: &ChatRequest) -> u64 {
    let mut chars = 0usize;
    let mut extra = 0u64;
    let add_blocks = |blocks: &[ContentBlock], chars: &mut usize, extra: &mut u64| {
        for block in blocks {
            match block {
                ContentBlock::Text { text } | ContentBlock::Thinking { text, .. } => {
                    *chars += text.len()
                }
                ContentBlock::ToolUse { name, input, .. } => {
                    *chars += name.len() + input.to_string().len()
                }
                ContentBlock::ToolResult { content, .. } => {
                    for b in content {
                        match b {
                            ContentBlock::Text { text } => *chars += text.len(),
                            _ => *extra += PER_IMAGE,
                        }
                    }
                }
                ContentBlock::Image { .. } | ContentBlock::Document { .. } => *extra += PER_IMAGE,
                ContentBlock::RedactedThinking { data } => *chars += data.len() / 4,
            }
        }
    };
    add_blocks(&request.system, &mut chars, &mut extra);
    for message in &request.messages {
        extra += PER_MESSAGE;
        add_blocks(&message.content, &mut chars, &mut extra);
    }
    for tool in &request.tools {
        chars += tool.name.len()
            + tool.description.as_deref().map_or(0, str::len)
            + tool.parameters.to_string().len();
        extra += PER_MESSAGE;
    }
    (chars.div_ceil(CHARS_PER_TOKEN) as u64) + extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmux_protocol::canonical::{Message, Role};

    #[test]
    fn estimate_grows_with_text_and_counts_overheads() {
        let mut req = ChatRequest::default();
        assert_eq!(estimate(&req), 0);
        req.messages.push(Message {
            role: Role::User,
            content: vec![ContentBlock::text("a".repeat(40))],
        });
        assert_eq!(estimate(&req), 10 + PER_MESSAGE);
        req.system.push(ContentBlock::text("b".repeat(8)));
        assert_eq!(estimate(&req), 12 + PER_MESSAGE);
    }
}
