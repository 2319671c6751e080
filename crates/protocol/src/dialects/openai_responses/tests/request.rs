//! Request bodies: recorded requests, mapping tables, losses, round trips.

use super::*;

#[test]
fn request_fixtures_decode_and_round_trip() {
    for (name, body) in REQUESTS {
        let raw: Value = serde_json::from_str(body).unwrap();
        let req = decode_request(body.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.model, raw["model"], "{name}");
        assert_eq!(req.stream, raw["stream"] == true, "{name}");
        assert!(req.stream_usage);
        assert_eq!(
            req.tools.len(),
            raw["tools"].as_array().map_or(0, Vec::len),
            "{name}"
        );
        // Empty `instructions` are no system prompt.
        assert!(req.system.is_empty(), "{name}");
        let again = decode_request(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(again, req, "{name}");
    }
}

#[test]
fn request_fixture_details() {
    let text = decode_request(REQ_STREAM_TEXT.as_bytes()).unwrap();
    // pydantic-ai's history: a function_call item and its output.
    assert_eq!(
        text.messages,
        [
            Message {
                role: Role::User,
                content: vec![ContentBlock::text("What is the capital of France?")],
            },
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::ToolUse {
                    id: "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2".into(),
                    name: "get_capital".into(),
                    input: json!({"country": "France"}),
                }],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2".into(),
                    content: vec![ContentBlock::text("Paris")],
                    is_error: false,
                }],
            },
        ]
    );
    assert_eq!(text.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(text.tools[0].description.as_deref(), Some(""));
    assert_eq!(text.tools[0].strict, Some(true));

    let image = decode_request(REQ_IMAGE.as_bytes()).unwrap();
    assert_eq!(
        image.messages[0].content[1],
        ContentBlock::Image {
            source: MediaSource::Url {
                url: "https://t3.ftcdn.net/jpg/00/85/79/92/360_F_85799278_0BBGV9OAdQDTLnKwAPBCcg1J7QtiieJY.jpg".into()
            },
            media_type: None,
            detail: Some("auto".into()),
        }
    );
    let call = decode_request(REQ_CALL.as_bytes()).unwrap();
    assert_eq!(call.tools[0].description, None);
    assert_eq!(call.tools[0].parameters["required"], json!(["country"]));

    let reasoning = decode_request(REQ_REASONING_CALL.as_bytes()).unwrap();
    assert_eq!(reasoning.tool_choice, Some(ToolChoice::Required));
    assert_eq!(
        reasoning.reasoning,
        Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            budget_tokens: None,
            include_thoughts: None,
        })
    );
    let summary = decode_request(REQ_SUMMARY.as_bytes()).unwrap();
    assert_eq!(
        summary.reasoning,
        Some(ReasoningConfig {
            effort: Some(ReasoningEffort::High),
            budget_tokens: None,
            include_thoughts: Some(true),
        })
    );
    let bad_temp = decode_request(REQ_ERROR_400.as_bytes()).unwrap();
    assert_eq!(bad_temp.sampling.temperature, Some(-1.0));
}

#[test]
fn request_round_trip() {
    let req = sample_request();
    let body = encode_request(&req).unwrap();
    assert_eq!(decode_request(&body).unwrap(), req);
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(wire["store"], false);
    assert_eq!(wire["instructions"], "Be brief.");
    assert_eq!(wire["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(
        wire["reasoning"],
        json!({"effort": "medium", "summary": "auto"})
    );
    assert_eq!(wire["max_output_tokens"], 100);
    assert_eq!(
        wire["text"]["format"],
        json!({"type": "json_schema", "name": "r", "schema": {"type": "object"}, "strict": true})
    );
    let input = wire["input"].as_array().unwrap();
    let types: Vec<&str> = input.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "message",
            "reasoning",
            "message",
            "function_call",
            "reasoning",
            "function_call",
            "function_call_output",
            "function_call_output",
            "message",
            "message"
        ]
    );
    assert_eq!(
        input[0]["content"][1]["image_url"],
        "data:image/png;base64,AAAA"
    );
    assert_eq!(
        input[0]["content"][3],
        json!({"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"})
    );
    assert_eq!(
        input[1],
        json!({"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}], "encrypted_content": "gAAAAAenc"})
    );
    assert_eq!(input[3]["arguments"], "{\"q\":\"x\"}");
    assert_eq!(
        input[6],
        json!({"type": "function_call_output", "call_id": "call_1", "output": "one"})
    );
    assert_eq!(input[8]["role"], "system");
}

#[test]
fn request_system_blocks_and_foreign_reasoning() {
    let mut req = sample_request();
    req.system = vec![ContentBlock::text("a"), ContentBlock::text("b")];
    let body = encode_request(&req).unwrap();
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert!(wire.get("instructions").is_none());
    assert_eq!(wire["input"][0]["role"], "system");
    assert_eq!(decode_request(&body).unwrap().system, req.system);

    // Reasoning that OpenAI did not encrypt cannot go back to it and is not needed.
    req.messages[1].content[0] = ContentBlock::Thinking {
        text: "claude thought".into(),
        signature: Some("EqQBCkYIBxgCKkAsig".into()),
    };
    req.messages[1].content[3] = ContentBlock::RedactedThinking {
        data: "EmwKAhgBEgy".into(),
    };
    req.messages[1].content.push(ContentBlock::Thinking {
        text: "unsigned".into(),
        signature: None,
    });
    let body = String::from_utf8(encode_request(&req).unwrap()).unwrap();
    for gone in [
        "claude thought",
        "EqQB",
        "EmwK",
        "unsigned",
        "\"reasoning\",\"summary\"",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
}

#[test]
fn request_losses() {
    type Edit = fn(&mut ChatRequest);
    let cases: [(&str, Edit); 7] = [
        ("stop", |r| r.sampling.stop = vec!["END".into()]),
        ("n", |r| r.sampling.n = Some(2)),
        ("top_k", |r| r.sampling.top_k = Some(5)),
        ("seed", |r| r.sampling.seed = Some(7)),
        ("presence_penalty", |r| {
            r.sampling.presence_penalty = Some(0.5)
        }),
        ("frequency_penalty", |r| {
            r.sampling.frequency_penalty = Some(0.5)
        }),
        ("system", |r| {
            r.system.push(ContentBlock::Image {
                source: MediaSource::Url {
                    url: "https://x/a.png".into(),
                },
                media_type: None,
                detail: None,
            })
        }),
    ];
    for (field, edit) in &cases {
        let mut req = sample_request();
        edit(&mut req);
        assert_eq!(encode_request(&req).unwrap_err().field, *field);
    }
    let mut req = sample_request();
    req.messages[1].content.push(ContentBlock::Image {
        source: MediaSource::Url {
            url: "https://x/a.png".into(),
        },
        media_type: None,
        detail: None,
    });
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "messages[1].content[5]"
    );
    let mut req = sample_request();
    req.messages[0].content.push(ContentBlock::ToolUse {
        id: "c".into(),
        name: "f".into(),
        input: json!({}),
    });
    assert_eq!(
        encode_request(&req).unwrap_err().field,
        "messages[0].content"
    );
    // Neutral values are no loss.
    let mut req = sample_request();
    req.sampling.n = Some(1);
    req.sampling.presence_penalty = Some(0.0);
    assert!(encode_request(&req).is_ok());
}

#[test]
fn request_input_forms() {
    let req = decode_json(json!({"model": "m", "input": "hello"})).unwrap();
    assert_eq!(
        req.messages,
        [Message {
            role: Role::User,
            content: vec![ContentBlock::text("hello")]
        }]
    );
    let req = decode_json(json!({
        "model": "m",
        "instructions": "sys",
        "input": [
            {"role": "developer", "content": [{"type": "input_text", "text": "dev"}]},
            {"role": "user", "content": [
                {"type": "input_file", "filename": "x.pdf", "file_data": "data:application/pdf;base64,JVBE"},
                {"type": "input_file", "file_data": "JVBE"},
                {"type": "input_file", "file_url": "https://x/y.pdf"},
            ]},
            {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
             "content": [{"type": "output_text", "text": "first", "annotations": []}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "raw"}]},
            {"type": "reasoning", "id": "rs_2", "summary": []},
            {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": ""},
            {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "out"}]},
            {"type": "function_call_output", "call_id": "c2", "output": ""},
            {"role": "system", "content": "later"},
        ],
    }))
    .unwrap();
    assert_eq!(
        req.system,
        [ContentBlock::text("sys"), ContentBlock::text("dev")]
    );
    assert_eq!(
        req.messages[0].content,
        [
            ContentBlock::Document {
                source: MediaSource::Base64 {
                    data: "JVBE".into()
                },
                media_type: Some("application/pdf".into()),
                title: Some("x.pdf".into()),
            },
            ContentBlock::Document {
                source: MediaSource::Base64 {
                    data: "JVBE".into()
                },
                media_type: None,
                title: None,
            },
            ContentBlock::Document {
                source: MediaSource::Url {
                    url: "https://x/y.pdf".into()
                },
                media_type: None,
                title: None,
            },
        ]
    );
    assert_eq!(
        req.messages[1],
        Message {
            role: Role::Assistant,
            content: vec![
                ContentBlock::text("first"),
                ContentBlock::Thinking {
                    text: "raw".into(),
                    signature: None
                },
                ContentBlock::ToolUse {
                    id: "c1".into(),
                    name: "f".into(),
                    input: json!({})
                },
            ],
        }
    );
    assert_eq!(
        req.messages[2].content,
        [
            ContentBlock::ToolResult {
                tool_use_id: "c1".into(),
                content: vec![ContentBlock::text("out")],
                is_error: false,
            },
            ContentBlock::ToolResult {
                tool_use_id: "c2".into(),
                content: vec![],
                is_error: false
            },
        ]
    );
    assert_eq!(req.messages[3].role, Role::System);
    assert_eq!(req.messages.len(), 4);
}

#[test]
fn request_decode_errors() {
    let base = |extra: Value| {
        let mut v = json!({"model": "m", "input": "hi"});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        decode_json(v).unwrap_err().message
    };
    for tool in [
        "web_search",
        "web_search_preview",
        "file_search",
        "computer_use_preview",
        "code_interpreter",
    ] {
        let msg = base(json!({"tools": [{"type": tool}]}));
        assert_eq!(
            msg,
            format!("`tools[0]`: built-in tool `{tool}` is only available with OpenAI providers")
        );
    }
    assert!(base(json!({"conversation": "conv_1"})).contains("conversation"));
    assert!(base(json!({"prompt": {"id": "pmpt_1"}})).contains("prompt"));
    assert!(base(json!({"background": true})).contains("background"));
    assert!(base(json!({"reasoning": {"effort": "extreme"}})).contains("reasoning.effort"));
    let input_err = |item: Value| {
        decode_json(json!({"model": "m", "input": [item]}))
            .unwrap_err()
            .message
    };
    let msg = input_err(
        json!({"role": "user", "content": [{"type": "input_image", "file_id": "file-1", "detail": "auto"}]}),
    );
    assert!(
        msg.contains("input[0].content[0]") && msg.contains("file_id"),
        "{msg}"
    );
    let msg = input_err(
        json!({"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}),
    );
    assert!(msg.contains("file_id"), "{msg}");
    assert!(input_err(json!({"type": "item_reference", "id": "msg_1"})).contains("item references"));
    assert!(input_err(json!({"role": "tool", "content": "x"})).contains("unknown role `tool`"));
    assert!(input_err(
        json!({"type": "function_call", "call_id": "c", "name": "f", "arguments": "{nope"})
    )
    .contains("input[0].arguments"));
    assert!(input_err(json!({"type": "function_call_output", "output": "x"})).contains("call_id"));
    assert!(
        input_err(json!({"type": "computer_call_output", "call_id": "c"}))
            .contains("`computer_call_output`")
    );
    assert!(input_err(json!({"content": "x"})).contains("`type` or a `role`"));
    assert!(decode_request(b"{\"input\":\"x\"}")
        .unwrap_err()
        .message
        .contains("model"));
}

#[test]
fn tool_choice_table() {
    for (wire, expected) in [
        (json!("auto"), Ok(ToolChoice::Auto)),
        (json!("none"), Ok(ToolChoice::None)),
        (json!("required"), Ok(ToolChoice::Required)),
        (
            json!({"type": "function", "name": "f"}),
            Ok(ToolChoice::Named { name: "f".into() }),
        ),
        (json!("sometimes"), Err("unknown value")),
        (
            json!({"type": "allowed_tools", "mode": "auto", "tools": []}),
            Err("allowed_tools"),
        ),
        (
            json!({"type": "web_search_preview"}),
            Err("built-in tool `web_search_preview`"),
        ),
        (json!({"type": "function"}), Err("`name` is required")),
        (json!(3), Err("expected a string or an object")),
    ] {
        let got = decode_json(json!({"model": "m", "input": "x", "tool_choice": wire.clone()}));
        match expected {
            Ok(choice) => {
                let req = got.unwrap();
                assert_eq!(req.tool_choice, Some(choice), "{wire}");
                let body: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
                assert_eq!(body["tool_choice"], wire);
            }
            Err(text) => assert!(got.unwrap_err().message.contains(text), "{wire}"),
        }
    }
}

#[test]
fn text_format_table() {
    for (format, expected) in [
        (json!({"type": "text"}), ResponseFormat::Text),
        (json!({"type": "json_object"}), ResponseFormat::JsonObject),
        (
            json!({"type": "json_schema", "name": "s", "schema": {"type": "object"}, "strict": true}),
            ResponseFormat::JsonSchema {
                name: "s".into(),
                schema: json!({"type": "object"}),
                strict: Some(true),
            },
        ),
        (
            json!({"type": "json_schema", "name": "s", "schema": {"type": "object"}}),
            ResponseFormat::JsonSchema {
                name: "s".into(),
                schema: json!({"type": "object"}),
                strict: None,
            },
        ),
    ] {
        let req = decode_json(json!({"model": "m", "input": "x", "text": {"format": format.clone(), "verbosity": "low"}})).unwrap();
        assert_eq!(req.response_format, Some(expected));
        let body: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(body["text"]["format"], format);
    }
    assert!(
        decode_json(json!({"model": "m", "input": "x", "text": {"format": {"type": "yaml"}}}))
            .is_err()
    );
}

#[test]
fn reasoning_table() {
    let effort = |e| Some(e);
    for (wire, expected_effort, expected_thoughts) in [
        (
            json!({"effort": "none"}),
            effort(ReasoningEffort::None),
            None,
        ),
        (
            json!({"effort": "minimal"}),
            effort(ReasoningEffort::Minimal),
            None,
        ),
        (
            json!({"effort": "low", "summary": null}),
            effort(ReasoningEffort::Low),
            None,
        ),
        (
            json!({"effort": "medium", "summary": "auto"}),
            effort(ReasoningEffort::Medium),
            Some(true),
        ),
        (
            json!({"effort": "high", "summary": "detailed"}),
            effort(ReasoningEffort::High),
            Some(true),
        ),
        (
            json!({"effort": "xhigh"}),
            effort(ReasoningEffort::High),
            None,
        ),
        (json!({"summary": "concise"}), None, Some(true)),
        (json!({"generate_summary": "auto"}), None, Some(true)),
        (json!({"summary": "none"}), None, Some(false)),
    ] {
        let req =
            decode_json(json!({"model": "m", "input": "x", "reasoning": wire.clone()})).unwrap();
        let r = req.reasoning.clone().unwrap();
        assert_eq!(
            (r.effort, r.include_thoughts),
            (expected_effort, expected_thoughts),
            "{wire}"
        );
        let body: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(
            body["reasoning"]["summary"] == "auto",
            expected_thoughts == Some(true)
        );
        let encrypted = expected_effort.is_some_and(|e| e != ReasoningEffort::None);
        assert_eq!(body.get("include").is_some(), encrypted, "{wire}");
    }
    let req = decode_json(json!({"model": "m", "input": "x", "reasoning": {}})).unwrap();
    assert_eq!(req.reasoning, None);
    for (budget, wire) in [(512, "low"), (4096, "medium"), (20000, "high")] {
        let mut req = sample_request();
        req.reasoning = Some(ReasoningConfig {
            effort: None,
            budget_tokens: Some(budget),
            include_thoughts: None,
        });
        let body: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
        assert_eq!(body["reasoning"], json!({"effort": wire}));
    }
}

#[test]
fn tools_without_strict_or_parameters_are_sent_lax() {
    let mut req = sample_request();
    req.tools = vec![ToolDef {
        name: "t".into(),
        description: None,
        parameters: Value::Null,
        strict: None,
    }];
    let body: Value = serde_json::from_slice(&encode_request(&req).unwrap()).unwrap();
    assert_eq!(
        body["tools"][0],
        json!({"type": "function", "name": "t", "parameters": {"type": "object", "properties": {}}, "strict": false})
    );
}

#[test]
fn previous_response_id_helper() {
    assert_eq!(
        previous_response_id(br#"{"model":"m","previous_response_id":"resp_1","input":"x"}"#),
        Some("resp_1".into())
    );
    assert_eq!(
        previous_response_id(br#"{"model":"m","previous_response_id":null}"#),
        None
    );
    assert_eq!(previous_response_id(REQ_NONSTREAM_TEXT.as_bytes()), None);
    assert_eq!(previous_response_id(b"not json"), None);
}
