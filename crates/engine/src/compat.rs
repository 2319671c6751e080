//! The compatibility matrix of `docs/compatibility.md`, computed from the code itself: which
//! client API reaches which provider protocol and how, and which request features each
//! provider's encoder carries or refuses. A test compares the document with this output, so
//! the document cannot drift from what llmux does.

use llmux_protocol::canonical::{
    ChatRequest, ContentBlock, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, ToolChoice, ToolDef,
};
use llmux_protocol::Dialect;
use llmux_providers::Operation;

/// Client APIs, as served by llmux's surfaces.
const CLIENTS: [(Dialect, &str); 5] = [
    (Dialect::OpenAiChat, "OpenAI Chat Completions"),
    (Dialect::OpenAiResponses, "OpenAI Responses"),
    (Dialect::Anthropic, "Anthropic Messages"),
    (Dialect::Gemini, "Gemini generateContent"),
    (Dialect::Ollama, "Ollama /api/chat"),
];

/// Provider protocols, with the provider types that speak them.
const PROVIDERS: [(Dialect, &str); 5] = [
    (Dialect::OpenAiChat, "OpenAI family¹"),
    (Dialect::Anthropic, "Anthropic"),
    (Dialect::Gemini, "Gemini"),
    (Dialect::Ollama, "Ollama"),
    (Dialect::OpenAiResponses, "Responses-only²"),
];

/// How a client's chat request reaches a provider.
fn route(client: Dialect, provider: Dialect) -> &'static str {
    if client == provider {
        "passthrough"
    } else if client == Dialect::OpenAiResponses && provider == Dialect::OpenAiChat {
        "passthrough to `openai` providers, translated for the others"
    } else if crate::translate::supported(client, Operation::ChatCompletions, provider) {
        "translated"
    } else {
        "refused"
    }
}

fn user(blocks: Vec<ContentBlock>) -> Message {
    Message {
        role: Role::User,
        content: blocks,
    }
}

fn base() -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        messages: vec![user(vec![ContentBlock::text("hi")])],
        ..ChatRequest::default()
    }
}

fn tool() -> ToolDef {
    ToolDef {
        name: "get_weather".into(),
        description: Some("Weather of a city".into()),
        parameters: serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        strict: None,
    }
}

fn image(source: MediaSource) -> ChatRequest {
    let mut r = base();
    r.messages = vec![user(vec![ContentBlock::Image {
        source,
        media_type: Some("image/png".into()),
        detail: None,
    }])];
    r
}

/// One request per feature, in the order of the table.
fn probes() -> Vec<(&'static str, ChatRequest)> {
    let mut out = Vec::new();
    let mut r = base();
    r.system = vec![ContentBlock::text("Be brief.")];
    out.push(("system prompt", r));
    out.push((
        "image, base64",
        image(MediaSource::Base64 {
            data: "iVBORw0KGgo=".into(),
        }),
    ));
    out.push((
        "image, https URL",
        image(MediaSource::Url {
            url: "https://example.com/cat.png".into(),
        }),
    ));
    out.push((
        "image, gs:// URL",
        image(MediaSource::Url {
            url: "gs://bucket/cat.png".into(),
        }),
    ));
    let mut r = base();
    r.messages = vec![user(vec![ContentBlock::Document {
        source: MediaSource::Base64 {
            data: "JVBERi0xLjQ=".into(),
        },
        media_type: Some("application/pdf".into()),
        title: None,
    }])];
    out.push(("PDF document, base64", r));
    let mut r = base();
    r.tools = vec![tool()];
    r.tool_choice = Some(ToolChoice::Auto);
    out.push(("tools, tool_choice auto", r));
    let mut r = base();
    r.tools = vec![tool()];
    r.tool_choice = Some(ToolChoice::Required);
    out.push(("tool_choice required", r));
    let mut r = base();
    r.tools = vec![tool()];
    r.tool_choice = Some(ToolChoice::Named {
        name: "get_weather".into(),
    });
    out.push(("tool_choice named", r));
    let mut r = base();
    r.tools = vec![tool()];
    r.parallel_tool_calls = Some(false);
    out.push(("parallel_tool_calls false", r));
    let mut r = base();
    r.response_format = Some(ResponseFormat::JsonObject);
    out.push(("JSON object output", r));
    let mut r = base();
    r.response_format = Some(ResponseFormat::JsonSchema {
        name: "place".into(),
        schema: serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        strict: Some(true),
    });
    out.push(("JSON schema output", r));
    let mut r = base();
    r.response_format = Some(ResponseFormat::JsonObject);
    r.tools = vec![tool()];
    out.push(("JSON output together with tools", r));
    let mut r = base();
    r.reasoning = Some(ReasoningConfig {
        effort: Some(ReasoningEffort::High),
        ..ReasoningConfig::default()
    });
    out.push(("reasoning effort", r));
    let mut r = base();
    r.reasoning = Some(ReasoningConfig {
        budget_tokens: Some(2048),
        ..ReasoningConfig::default()
    });
    out.push(("reasoning token budget", r));
    let mut r = base();
    r.sampling.max_tokens = Some(100);
    r.sampling.temperature = Some(0.5);
    r.sampling.top_p = Some(0.9);
    out.push(("max_tokens, temperature, top_p", r));
    let mut r = base();
    r.sampling.stop = vec!["END".into()];
    out.push(("stop sequences", r));
    let mut r = base();
    r.sampling.top_k = Some(40);
    out.push(("top_k", r));
    let mut r = base();
    r.sampling.seed = Some(7);
    out.push(("seed", r));
    let mut r = base();
    r.sampling.presence_penalty = Some(0.5);
    r.sampling.frequency_penalty = Some(0.5);
    out.push(("presence / frequency penalty", r));
    let mut r = base();
    r.sampling.n = Some(2);
    out.push(("n > 1", r));
    let mut r = base();
    r.user = Some("user-123".into());
    out.push(("end-user id", r));
    out
}

/// A table cell for one probe on one provider encoder.
fn cell(provider: Dialect, request: &ChatRequest) -> String {
    let Some(codec) = crate::translate::codec(provider) else {
        return "n/a".into();
    };
    match (codec.encode_request)(request) {
        Ok(_) => "yes".into(),
        Err(loss) => format!("no: {}", loss.reason.replace('|', "\\|")),
    }
}

/// The generated part of `docs/compatibility.md`.
pub fn matrix_markdown() -> String {
    let mut out = String::new();
    out.push_str("### Which client API reaches which provider\n\n| client API \\ provider |");
    for (_, name) in PROVIDERS {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(PROVIDERS.len()));
    out.push('\n');
    for (client, name) in CLIENTS {
        out.push_str(&format!("| {name} |"));
        for (provider, _) in PROVIDERS {
            out.push_str(&format!(" {} |", route(client, provider)));
        }
        out.push('\n');
    }
    out.push_str("\n### Request features a translated call carries, per provider protocol\n\n");
    out.push_str("`yes`: carried; `no`: the request is refused with a 400 `untranslatable` error naming the field, with the reason shown. Same-protocol calls (passthrough) carry everything the provider itself accepts.\n\n| feature |");
    for (_, name) in PROVIDERS {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(PROVIDERS.len()));
    out.push('\n');
    for (feature, request) in probes() {
        out.push_str(&format!("| {feature} |"));
        for (provider, _) in PROVIDERS {
            out.push_str(&format!(" {} |", cell(provider, &request)));
        }
        out.push('\n');
    }
    out
}
