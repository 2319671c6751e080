//! `/api/chat` requests: decoding, option tables, round trips and losses.

use serde_json::{json, Value};

use super::super::*;
use crate::canonical::{
    ChatRequest, ContentBlock, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, Sampling, ToolChoice, ToolDef,
};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUg==";
const JPEG: &str = "/9j/4AAQSkZJRgA=";

fn decode(body: Value) -> ChatRequest {
    decode_request(body.to_string().as_bytes()).unwrap()
}

fn decode_err(body: Value) -> String {
    decode_request(body.to_string().as_bytes())
        .unwrap_err()
        .message
}

fn wire(req: &ChatRequest) -> Value {
    serde_json::from_slice(&encode_request(req).unwrap()).unwrap()
}

fn image(data: &str, mime: &str) -> ContentBlock {
    ContentBlock::Image {
        source: MediaSource::Base64 { data: data.into() },
        media_type: Some(mime.into()),
        detail: None,
    }
}

fn tool_use(id: &str, name: &str, input: Value) -> ContentBlock {
    ContentBlock::ToolUse {
        id: id.into(),
        name: name.into(),
        input,
    }
}

fn tool_result(id: &str, text: &str) -> ContentBlock {
    ContentBlock::ToolResult {
        tool_use_id: id.into(),
        content: vec![ContentBlock::text(text)],
        is_error: false,
    }
}

/// A canonical request in the form the decoder produces, using every mapped field.
fn rich_request() -> ChatRequest {
    ChatRequest {
        model: "qwen3:8b".into(),
        system: vec![ContentBlock::text("Be brief.")],
        messages: vec![
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::text("Weather and time?"),
                    image(PNG, "image/png"),
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Thinking {
                        text: "two tools".into(),
                        signature: None,
                    },
                    ContentBlock::text("Let me check."),
                    tool_use("call_0", "weather", json!({"city": "Paris"})),
                    tool_use("call_1", "time", json!({"tz": "CET"})),
                ],
            },
            Message {
                role: Role::User,
                content: vec![
                    tool_result("call_0", "sunny"),
                    tool_result("call_1", "noon"),
                ],
            },
            Message {
                role: Role::System,
                content: vec![ContentBlock::text("Answer in French.")],
            },
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::text("Ensoleillé, midi.")],
            },
        ],
        tools: vec![ToolDef {
            name: "weather".into(),
            description: Some("Weather of a city".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            strict: None,
        }],
        sampling: Sampling {
            max_tokens: Some(128),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop: vec!["END".into(), "STOP".into()],
            seed: Some(7),
            presence_penalty: Some(0.1),
            frequency_penalty: Some(0.2),
            n: None,
        },
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::High),
            budget_tokens: None,
            include_thoughts: Some(true),
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "response".into(),
            schema: json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
            strict: None,
        }),
        stream: true,
        ..ChatRequest::default()
    }
}

#[test]
fn decodes_a_full_ollama_request() {
    let body = json!({
        "model": "qwen3:8b",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather and time?", "images": [PNG]},
            {"role": "assistant", "content": "Let me check.", "thinking": "two tools", "tool_calls": [
                {"function": {"name": "weather", "arguments": {"city": "Paris"}}},
                {"function": {"index": 1, "name": "time", "arguments": {"tz": "CET"}}}
            ]},
            // Answered out of order: matched by `tool_name`.
            {"role": "tool", "tool_name": "time", "content": "noon"},
            {"role": "tool", "tool_name": "weather", "content": "sunny"},
            {"role": "system", "content": "Answer in French."},
            {"role": "assistant", "content": "Ensoleillé, midi."}
        ],
        "tools": [{"type": "function", "function": {
            "name": "weather", "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}
        }}],
        "format": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "options": {"num_predict": 128, "temperature": 0.5, "top_p": 0.9, "top_k": 40,
                    "stop": ["END", "STOP"], "seed": 7, "presence_penalty": 0.1,
                    "frequency_penalty": 0.2, "num_ctx": 8192, "repeat_penalty": 1.1},
        "think": "high",
        "keep_alive": "5m"
    });
    let mut expected = rich_request();
    expected.messages[2].content.reverse();
    assert_eq!(decode(body), expected);
}

#[test]
fn stream_defaults_to_true() {
    let req = decode(json!({"model": "m", "messages": []}));
    assert!(req.stream);
    let req = decode(json!({"model": "m", "messages": [], "stream": false}));
    assert!(!req.stream);
    assert_eq!(wire(&req)["stream"], json!(false));
    let req = ChatRequest {
        stream: true,
        ..req
    };
    assert_eq!(wire(&req)["stream"], json!(true));
}

#[test]
fn request_round_trip() {
    let req = rich_request();
    let body = wire(&req);
    assert_eq!(body["think"], "high");
    assert_eq!(body["options"]["num_predict"], 128);
    assert_eq!(body["format"]["type"], "object");
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(body["messages"][1]["images"], json!([PNG]));
    assert_eq!(body["messages"][2]["thinking"], "two tools");
    assert_eq!(
        body["messages"][2]["tool_calls"][1],
        json!({"function": {"name": "time", "arguments": {"tz": "CET"}}})
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "content": "sunny", "tool_name": "weather"})
    );
    assert_eq!(body["messages"][4]["tool_name"], "time");
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(decode_request(&encode_request(&req).unwrap()).unwrap(), req);
}

#[test]
fn option_mapping_table() {
    type Check = fn(&Sampling) -> bool;
    let table: &[(&str, Value, Check)] = &[
        ("num_predict", json!(64), |s| s.max_tokens == Some(64)),
        ("num_predict", json!(-1), |s| s.max_tokens.is_none()),
        ("num_predict", json!(-2), |s| s.max_tokens.is_none()),
        ("temperature", json!(0), |s| s.temperature == Some(0.0)),
        ("temperature", json!(1.5), |s| s.temperature == Some(1.5)),
        ("top_p", json!(0.25), |s| s.top_p == Some(0.25)),
        ("top_k", json!(20), |s| s.top_k == Some(20)),
        ("top_k", json!(20.0), |s| s.top_k == Some(20)),
        ("stop", json!(["a", "b"]), |s| s.stop == ["a", "b"]),
        ("stop", json!("a"), |s| s.stop == ["a"]),
        ("stop", json!([]), |s| s.stop.is_empty()),
        ("seed", json!(-3), |s| s.seed == Some(-3)),
        ("presence_penalty", json!(0.5), |s| {
            s.presence_penalty == Some(0.5)
        }),
        ("frequency_penalty", json!(0.75), |s| {
            s.frequency_penalty == Some(0.75)
        }),
        // No canonical field: ignored (the context size is a serving-side setting).
        ("num_ctx", json!(32768), |s| *s == Sampling::default()),
        ("repeat_penalty", json!(1.1), |s| *s == Sampling::default()),
        ("mirostat", json!(2), |s| *s == Sampling::default()),
    ];
    for (key, value, check) in table {
        let req = decode(json!({"model": "m", "messages": [], "options": {*key: value}}));
        assert!(
            check(&req.sampling),
            "options.{key} = {value}: {:?}",
            req.sampling
        );
    }
    for (key, value) in [
        ("temperature", json!("hot")),
        ("top_k", json!(1.5)),
        ("num_predict", json!("many")),
        ("stop", json!([1])),
        ("seed", json!(true)),
    ] {
        let e = decode_err(json!({"model": "m", "messages": [], "options": {key: value}}));
        assert!(e.contains(&format!("options.{key}")), "{e}");
    }
    assert!(decode_err(json!({"model": "m", "options": [1]})).contains("options"));
}

#[test]
fn think_and_format_tables() {
    let cfg = |effort, include| {
        Some(ReasoningConfig {
            effort,
            budget_tokens: None,
            include_thoughts: Some(include),
        })
    };
    for (think, expected) in [
        (json!(true), cfg(None, true)),
        (json!(false), cfg(Some(ReasoningEffort::None), false)),
        (json!("low"), cfg(Some(ReasoningEffort::Low), true)),
        (json!("medium"), cfg(Some(ReasoningEffort::Medium), true)),
        (json!("high"), cfg(Some(ReasoningEffort::High), true)),
        (Value::Null, None),
    ] {
        let req = decode(json!({"model": "m", "think": think}));
        assert_eq!(req.reasoning, expected, "{think}");
        let back = wire(&req);
        assert_eq!(back.get("think").cloned().unwrap_or(Value::Null), think);
    }
    for bad in [json!("extreme"), json!(2)] {
        assert!(decode_err(json!({"think": bad})).contains("think"));
    }
    for (format, expected) in [
        (json!("json"), Some(ResponseFormat::JsonObject)),
        (json!(""), None),
        (
            json!({"type": "object"}),
            Some(ResponseFormat::JsonSchema {
                name: "response".into(),
                schema: json!({"type": "object"}),
                strict: None,
            }),
        ),
    ] {
        let req = decode(json!({"model": "m", "format": format}));
        assert_eq!(req.response_format, expected, "{format}");
    }
    assert!(decode_err(json!({"format": 3})).contains("format"));
    assert!(decode_err(json!({"format": "yaml"})).contains("format"));
}

#[test]
fn canonical_reasoning_maps_to_think() {
    for (reasoning, think) in [
        (
            ReasoningConfig {
                effort: Some(ReasoningEffort::Minimal),
                ..Default::default()
            },
            Some(json!("low")),
        ),
        (
            ReasoningConfig {
                budget_tokens: Some(2048),
                ..Default::default()
            },
            Some(json!(true)),
        ),
        (
            ReasoningConfig {
                budget_tokens: Some(0),
                ..Default::default()
            },
            Some(json!(false)),
        ),
        (ReasoningConfig::default(), None),
    ] {
        let req = ChatRequest {
            reasoning: Some(reasoning),
            ..ChatRequest::default()
        };
        assert_eq!(wire(&req).get("think").cloned(), think);
    }
    let req = ChatRequest {
        response_format: Some(ResponseFormat::JsonObject),
        ..ChatRequest::default()
    };
    assert_eq!(wire(&req)["format"], "json");
    let req = ChatRequest {
        response_format: Some(ResponseFormat::Text),
        ..ChatRequest::default()
    };
    assert!(wire(&req).get("format").is_none());
}

#[test]
fn tool_results_match_calls_by_name_then_order() {
    let req = decode(json!({"messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "a", "arguments": {}}},
            {"function": {"name": "b", "arguments": "{\"x\":1}"}},
            {"function": {"name": "c"}}
        ]},
        {"role": "tool", "content": "first"},
        {"role": "tool", "tool_name": "c", "content": "for c"},
        {"role": "tool", "tool_name": "zzz", "content": "unmatched name"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "a", "arguments": {}}}]},
        {"role": "tool", "tool_name": "a", "content": "second a"},
        {"role": "tool", "content": "no call left"},
        {"role": "tool", "tool_call_id": "explicit", "content": "by id"}
    ]}));
    let ids = |m: &Message| -> Vec<String> {
        m.content
            .iter()
            .map(|b| match b {
                ContentBlock::ToolUse { id, .. } => id.clone(),
                ContentBlock::ToolResult { tool_use_id, .. } => tool_use_id.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(ids(&req.messages[1]), ["call_0", "call_1", "call_2"]);
    assert_eq!(
        req.messages[1].content[1],
        tool_use("call_1", "b", json!({"x": 1}))
    );
    assert_eq!(
        req.messages[1].content[2],
        tool_use("call_2", "c", json!({}))
    );
    assert_eq!(ids(&req.messages[2]), ["call_0", "call_2", "call_1"]);
    assert_eq!(ids(&req.messages[3]), ["call_3"]);
    assert_eq!(ids(&req.messages[4]), ["call_3", "call_4", "explicit"]);
    assert_eq!(req.messages.len(), 5);
}

#[test]
fn images_get_their_detected_type() {
    let req = decode(
        json!({"messages": [{"role": "user", "content": "", "images": [
            JPEG, "data:image/webp;base64,UklGRiQAAABXRUJQVlA4IA==", "AAAA"
        ]}]}),
    );
    let types: Vec<Option<&str>> = req.messages[0]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::Image { media_type, .. } => media_type.as_deref(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(types, [Some("image/jpeg"), Some("image/webp"), None]);
    assert!(matches!(
        &req.messages[0].content[1],
        ContentBlock::Image { source: MediaSource::Base64 { data }, .. } if data == "UklGRiQAAABXRUJQVlA4IA=="
    ));
}

#[test]
fn malformed_requests_are_decode_errors() {
    assert!(
        decode_err(json!({"messages": [{"role": "robot", "content": "x"}]}))
            .contains("messages[0].role")
    );
    assert!(
        decode_err(json!({"tools": [{"type": "retrieval", "function": {}}]}))
            .contains("tools[0].type")
    );
    assert!(decode_request(b"not json").is_err());
    assert!(decode_request(b"[]").is_err());
    assert!(
        decode_err(json!({"messages": [{"role": "user", "content": [1]}]})).contains("invalid")
    );
}

fn user(content: Vec<ContentBlock>) -> ChatRequest {
    ChatRequest {
        messages: vec![Message {
            role: Role::User,
            content,
        }],
        ..ChatRequest::default()
    }
}

#[test]
fn encoding_losses() {
    let url_image = user(vec![ContentBlock::Image {
        source: MediaSource::Url {
            url: "https://example.com/cat.png".into(),
        },
        media_type: None,
        detail: None,
    }]);
    let loss = encode_request(&url_image).unwrap_err();
    assert_eq!(loss.field, "messages[0].content[0]");
    assert!(loss.reason.contains("only inline base64 images"));

    let doc = user(vec![ContentBlock::Document {
        source: MediaSource::Base64 {
            data: "JVBER".into(),
        },
        media_type: Some("application/pdf".into()),
        title: None,
    }]);
    assert_eq!(
        encode_request(&doc).unwrap_err().field,
        "messages[0].content[0]"
    );

    let mut n2 = user(vec![ContentBlock::text("hi")]);
    n2.sampling.n = Some(2);
    assert_eq!(encode_request(&n2).unwrap_err().field, "sampling.n");
    n2.sampling.n = Some(1);
    assert!(encode_request(&n2).is_ok());

    for choice in [ToolChoice::Required, ToolChoice::Named { name: "f".into() }] {
        let mut req = rich_request();
        req.tool_choice = Some(choice);
        assert_eq!(encode_request(&req).unwrap_err().field, "tool_choice");
    }
    let mut req = rich_request();
    req.parallel_tool_calls = Some(false);
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "parallel_tool_calls"
    );

    let mut req = rich_request();
    req.messages[1]
        .content
        .push(ContentBlock::RedactedThinking { data: "x".into() });
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "messages[1].content[4]"
    );

    let mut req = rich_request();
    req.messages[1].content[2] = tool_use("call_0", "weather", json!("Paris"));
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "messages[1].content[2].input"
    );

    let tool_use_in_user = user(vec![tool_use("x", "f", json!({}))]);
    assert!(encode_request(&tool_use_in_user).is_err());
}

#[test]
fn encoding_choices_that_translate() {
    let mut req = rich_request();
    req.tool_choice = Some(ToolChoice::None);
    assert!(wire(&req).get("tools").is_none());
    req.tool_choice = Some(ToolChoice::Auto);
    req.parallel_tool_calls = Some(true);
    req.user = Some("alice".into());
    let body = wire(&req);
    assert_eq!(body["tools"].as_array().unwrap().len(), 1);
    assert!(body.get("user").is_none());

    // A `data:` URL is inline data: its base64 goes to `images`.
    let data_url = user(vec![ContentBlock::Image {
        source: MediaSource::Url {
            url: format!("data:image/png;base64,{PNG}"),
        },
        media_type: None,
        detail: None,
    }]);
    assert_eq!(wire(&data_url)["messages"][0]["images"], json!([PNG]));

    // Mixed user content: text before a tool result stays a user message, in order.
    let mixed = user(vec![
        ContentBlock::text("a"),
        tool_result("t9", "r"),
        ContentBlock::text("b"),
        ContentBlock::text("c"),
    ]);
    assert_eq!(
        wire(&mixed)["messages"],
        json!([
            {"role": "user", "content": "a"},
            {"role": "tool", "content": "r"},
            {"role": "user", "content": "b\nc"}
        ])
    );
    // No options, format or think when nothing is set.
    let body = wire(&ChatRequest::default());
    assert_eq!(body, json!({"model": "", "messages": [], "stream": false}));
}
