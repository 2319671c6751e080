//! Non-streamed `response` objects: golden tests, wire shape, round trips.

use super::*;

#[test]
fn nonstream_fixtures_decode() {
    for body in RESPONSES {
        let raw: Value = serde_json::from_str(body).unwrap();
        let resp = decode_response(body.as_bytes()).unwrap();
        assert_eq!(resp.id, raw["id"]);
        assert_eq!(resp.model, raw["model"]);
        assert_eq!(resp.created, raw["created_at"].as_u64());
        assert_eq!(resp.usage, Some(wire_usage(&raw["usage"])));
        let mut text = String::new();
        let mut calls = Vec::new();
        for item in raw["output"].as_array().unwrap() {
            match item["type"].as_str().unwrap() {
                "message" => text += item["content"][0]["text"].as_str().unwrap(),
                "function_call" => calls.push(ContentBlock::ToolUse {
                    id: item["call_id"].as_str().unwrap().to_owned(),
                    name: item["name"].as_str().unwrap().to_owned(),
                    input: serde_json::from_str(item["arguments"].as_str().unwrap()).unwrap(),
                }),
                other => panic!("unexpected item {other}"),
            }
        }
        let got_text: String = resp
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(got_text, text);
        let got_calls: Vec<_> = resp
            .content
            .iter()
            .filter(|b| matches!(b, ContentBlock::ToolUse { .. }))
            .cloned()
            .collect();
        assert_eq!(got_calls, calls);
        let expected_stop = if calls.is_empty() {
            StopReason::EndTurn
        } else {
            StopReason::ToolUse
        };
        assert_eq!(resp.stop_reason, Some(expected_stop));
        assert_eq!(decode_response(&encode_response(&resp)).unwrap(), resp);
    }
}

#[test]
fn nonstream_golden_values() {
    let text = decode_response(NONSTREAM_TEXT.as_bytes()).unwrap();
    assert_eq!(
        text.content,
        [ContentBlock::text("The capital of France is Paris.")]
    );
    let parallel = decode_response(NONSTREAM_PARALLEL.as_bytes()).unwrap();
    assert_eq!(
        parallel.content,
        [
            ContentBlock::ToolUse {
                id: "call_LWVp74L5HaH2KNvgVz9PJsrj".into(),
                name: "get_location".into(),
                input: json!({"loc_name": "Londos"}),
            },
            ContentBlock::ToolUse {
                id: "call_YnRAWeTyxI91m5uNa5bxXwVO".into(),
                name: "get_location".into(),
                input: json!({"loc_name": "London"}),
            },
        ]
    );
}

#[test]
fn error_bodies_do_not_decode_as_answers() {
    for (body, code) in [
        (ERROR_400, "decimal_below_min_value"),
        (ERROR_429, "insufficient_quota"),
    ] {
        let err = decode_response(body.as_bytes()).unwrap_err();
        assert!(err.message.contains(code), "{err}");
    }
    let failed = json!({"id": "resp_1", "status": "failed", "output": [],
                        "error": {"code": "server_error", "message": "boom"}});
    let err = decode_response(failed.to_string().as_bytes()).unwrap_err();
    assert!(err.message.contains("boom"));
}

#[test]
fn response_decode_reasoning_refusal_and_incomplete() {
    let body = json!({
        "id": "resp_1", "model": "o3", "created_at": 5.0, "status": "incomplete",
        "incomplete_details": {"reason": "content_filter"},
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}], "encrypted_content": "gAAAAAx"},
            {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAAAAy"},
            {"type": "reasoning", "id": "rs_3", "summary": []},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{broken"},
            {"type": "message", "id": "msg_1", "role": "assistant", "content": [
                {"type": "output_text", "text": "t", "annotations": [{"type": "url_citation"}]},
                {"type": "refusal", "refusal": "r"}]},
        ],
    });
    let resp = decode_response(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        resp.content,
        [
            ContentBlock::Thinking {
                text: "a\n\nb".into(),
                signature: Some("gAAAAAx".into())
            },
            ContentBlock::RedactedThinking {
                data: "gAAAAAy".into()
            },
            ContentBlock::ToolUse {
                id: "call_1".into(),
                name: "f".into(),
                input: json!("{broken")
            },
            ContentBlock::text("t"),
            ContentBlock::text("r"),
        ]
    );
    assert_eq!(resp.stop_reason, Some(StopReason::ContentFilter));
    assert_eq!(resp.created, Some(5));
    assert_eq!(resp.usage, None);

    let refusal = json!({"id": "resp_2", "status": "completed", "output": [
        {"type": "message", "content": [{"type": "refusal", "refusal": "I can't"}]}]});
    let resp = decode_response(refusal.to_string().as_bytes()).unwrap();
    assert_eq!(resp.stop_reason, Some(StopReason::Refusal));
}

#[test]
fn response_round_trip_and_stop_reasons() {
    let resp = sample_response();
    assert_eq!(decode_response(&encode_response(&resp)).unwrap(), resp);
    for (stop, status, reason) in [
        (StopReason::EndTurn, "completed", Value::Null),
        (
            StopReason::MaxTokens,
            "incomplete",
            json!("max_output_tokens"),
        ),
        (
            StopReason::ContentFilter,
            "incomplete",
            json!("content_filter"),
        ),
        (StopReason::Refusal, "completed", Value::Null),
    ] {
        let r = ChatResponse {
            stop_reason: Some(stop.clone()),
            content: vec![ContentBlock::text("x")],
            ..resp.clone()
        };
        let body = encode_response(&r);
        let wire: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(wire["status"], status);
        assert_eq!(wire["incomplete_details"]["reason"], reason);
        assert_eq!(decode_response(&body).unwrap().stop_reason, Some(stop));
    }
    let sequence = ChatResponse {
        stop_reason: Some(StopReason::StopSequence { sequence: None }),
        content: vec![ContentBlock::text("x")],
        ..resp
    };
    let back = decode_response(&encode_response(&sequence)).unwrap();
    assert_eq!(back.stop_reason, Some(StopReason::EndTurn));
}

#[test]
fn response_encode_wire_shape() {
    let mut resp = sample_response();
    resp.id = "chatcmpl-7".into();
    let body = encode_response(&resp);
    let text = String::from_utf8(body.clone()).unwrap();
    // Field order as OpenAI sends it.
    let order = [
        "\"id\"",
        "\"object\"",
        "\"created_at\"",
        "\"status\"",
        "\"error\"",
        "\"incomplete_details\"",
        "\"instructions\"",
        "\"model\"",
        "\"output\"",
        "\"parallel_tool_calls\"",
        "\"tool_choice\"",
        "\"tools\"",
        "\"usage\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(wire["id"], "resp_chatcmpl-7");
    assert_eq!(wire["object"], "response");
    assert_eq!(wire["created_at"], 123);
    assert_eq!(wire["error"], Value::Null);
    assert_eq!(wire["instructions"], Value::Null);
    assert_eq!(wire["tools"], json!([]));
    assert_eq!(wire["tool_choice"], "auto");
    assert_eq!(wire["text"], json!({"format": {"type": "text"}}));
    assert_eq!(wire["metadata"], json!({}));
    assert!(wire.get("output_text").is_none());
    let output = &wire["output"];
    assert_eq!(
        output[0],
        json!({"type": "reasoning", "id": "rs_chatcmpl-7_0",
               "summary": [{"type": "summary_text", "text": "hmm"}], "encrypted_content": "gAAAAAsig"})
    );
    assert_eq!(
        output[2],
        json!({"type": "message", "id": "msg_chatcmpl-7_2", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "Answer"}]})
    );
    assert_eq!(
        output[3],
        json!({"type": "function_call", "id": "fc_a", "call_id": "call_a", "name": "f",
               "arguments": "{\"a\":[1,2]}", "status": "completed"})
    );
    assert_eq!(
        wire["usage"],
        json!({"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 1},
               "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5}, "total_tokens": 30})
    );
    let refused = ChatResponse {
        stop_reason: Some(StopReason::Refusal),
        content: vec![ContentBlock::text("no")],
        ..sample_response()
    };
    let wire: Value = serde_json::from_slice(&encode_response(&refused)).unwrap();
    assert_eq!(
        wire["output"][0]["content"],
        json!([{"type": "refusal", "refusal": "no"}])
    );
}
