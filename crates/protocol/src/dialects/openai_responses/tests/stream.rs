//! Streams: golden tests on recorded SSE, encoder wire shape, round trips.

use super::*;

#[test]
fn stream_text_golden() {
    let events = decode_stream(STREAM_TEXT.as_bytes());
    let wire = payloads(STREAM_TEXT);
    let resp = completed(STREAM_TEXT);
    assert_eq!(
        events[0],
        StreamEvent::MessageStart {
            id: wire[0]["response"]["id"].as_str().unwrap().to_owned(),
            model: wire[0]["response"]["model"].as_str().unwrap().to_owned(),
            usage: None,
        }
    );
    let s = summarize(&events);
    let done = events_of(&wire, "response.output_text.done")
        .next()
        .unwrap();
    assert_eq!(s.text, done["text"].as_str().unwrap());
    assert_eq!(s.text, "The capital of France is Paris.");
    assert_eq!(s.kinds, ["text"]);
    assert_eq!(s.stops, [StopReason::EndTurn]);
    assert_eq!(s.usage, Some(wire_usage(&resp["usage"])));
    assert_eq!(s.usage.unwrap().prompt_tokens, 278);
}

#[test]
fn stream_function_call_golden() {
    let s = summarize(&decode_stream(STREAM_CALL.as_bytes()));
    let wire = payloads(STREAM_CALL);
    let item = &events_of(&wire, "response.output_item.done")
        .next()
        .unwrap()["item"];
    assert_eq!(
        s.tools,
        [(
            item["call_id"].as_str().unwrap().to_owned(),
            item["name"].as_str().unwrap().to_owned(),
            item["arguments"].as_str().unwrap().to_owned(),
        )]
    );
    assert_eq!(s.tools[0].0, "call_kL0PCQV7M2WMoVX8V8OtYSAL");
    assert_eq!(s.tools[0].2, r#"{"country":"France"}"#);
    assert_eq!(s.stops, [StopReason::ToolUse]);
    assert_eq!(s.usage, Some(wire_usage(&completed(STREAM_CALL)["usage"])));
}

#[test]
fn stream_reasoning_summary_golden() {
    let s = summarize(&decode_stream(STREAM_SUMMARY.as_bytes()));
    let resp = completed(STREAM_SUMMARY);
    let reasoning = &resp["output"][0];
    let summary: Vec<&str> = reasoning["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(summary.len(), 4);
    assert_eq!(s.thinking, summary.join("\n\n"));
    // OpenAI re-encrypts per event: the signature is the one of the item's `output_item.done`.
    let wire = payloads(STREAM_SUMMARY);
    let done = events_of(&wire, "response.output_item.done")
        .next()
        .unwrap();
    assert_eq!(done["item"]["id"], reasoning["id"]);
    assert_eq!(
        s.signatures,
        [done["item"]["encrypted_content"].as_str().unwrap()]
    );
    assert_eq!(
        s.text,
        resp["output"][1]["content"][0]["text"].as_str().unwrap()
    );
    assert_eq!(s.kinds, ["thinking", "text"]);
    assert_eq!(s.stops, [StopReason::EndTurn]);
    let usage = s.usage.unwrap();
    assert_eq!(usage, wire_usage(&resp["usage"]));
    assert_eq!(usage.reasoning_tokens, 1408);
}

#[test]
fn stream_reasoning_function_call_usage_golden() {
    let s = summarize(&decode_stream(STREAM_REASONING_CALL.as_bytes()));
    let wire = payloads(STREAM_REASONING_CALL);
    let done = events_of(&wire, "response.output_item.done")
        .next()
        .unwrap();
    // The encrypted content of `output_item.done`, not the earlier one of `.added`.
    assert_eq!(
        s.redacted,
        [done["item"]["encrypted_content"].as_str().unwrap()]
    );
    assert_eq!(s.kinds, ["redacted", "tool"]);
    assert_eq!(
        s.tools,
        [(
            "call_CWXgs68YprAjp6t0371hiPOI".to_owned(),
            "final_result".to_owned(),
            r#"{"result":6666}"#.to_owned()
        )]
    );
    assert_eq!(s.stops, [StopReason::ToolUse]);
    let usage = s.usage.unwrap();
    assert_eq!(
        usage,
        wire_usage(&completed(STREAM_REASONING_CALL)["usage"])
    );
    assert_eq!(
        (usage.completion_tokens, usage.reasoning_tokens),
        (469, 448)
    );
}

#[test]
fn stream_error_chunks_become_one_error() {
    let events = decode_stream(reframe(STREAM_ERROR).as_bytes());
    let first: Value = serde_json::from_str(STREAM_ERROR.lines().next().unwrap()).unwrap();
    let error_line: Value = serde_json::from_str(STREAM_ERROR.lines().nth(2).unwrap()).unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::MessageStart {
                id: first["response"]["id"].as_str().unwrap().to_owned(),
                model: first["response"]["model"].as_str().unwrap().to_owned(),
                usage: None,
            },
            StreamEvent::Error {
                kind: "insufficient_quota".into(),
                message: error_line["error"]["message"].as_str().unwrap().to_owned(),
            },
        ]
    );
}

#[test]
fn stream_flat_error_and_failed_response() {
    let flat = "event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\",\"param\":null,\"sequence_number\":1}\n\n";
    assert_eq!(
        decode_stream(flat.as_bytes()),
        [StreamEvent::Error {
            kind: "rate_limit_exceeded".into(),
            message: "slow down".into()
        }]
    );
    let failed = "data: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"output\":[]}}\n\n";
    let events = decode_stream(failed.as_bytes());
    assert_eq!(
        events.last(),
        Some(&StreamEvent::Error {
            kind: "server_error".into(),
            message: "boom".into()
        })
    );
}

#[test]
fn stream_incomplete_and_items_without_deltas() {
    let body = concat!(
        "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_9\",\"model\":\"m\",\"output\":[]}}\n\n",
        "data: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"plan\"}]}}\n\n",
        "data: {\"type\":\"response.output_item.done\",\"output_index\":1,\"item\":{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"no\"}]}}\n\n",
        "data: {\"type\":\"response.output_item.done\",\"output_index\":2,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":\"{}\"}}\n\n",
        "data: {\"type\":\"response.output_item.done\",\"output_index\":3,\"item\":{\"type\":\"web_search_call\",\"id\":\"ws_1\"}}\n\n",
        "data: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"resp_9\",\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[],\"usage\":null}}\n\n",
    );
    let events = decode_stream(body.as_bytes());
    let s = summarize(&events);
    assert_eq!(s.kinds, ["thinking", "text", "tool"]);
    assert_eq!((s.thinking.as_str(), s.text.as_str()), ("plan", "no"));
    assert_eq!(s.tools[0], ("call_1".into(), "f".into(), "{}".into()));
    assert_eq!(s.stops, [StopReason::MaxTokens]);
    assert_eq!(s.usage, None);
}

#[test]
fn stream_fixture_round_trips_through_the_encoder() {
    for body in STREAMS {
        let events = decode_stream(body.as_bytes());
        let encoded = encode_stream(&events);
        assert_eq!(decode_stream(&encoded), events);
    }
}

#[test]
fn canonical_stream_round_trips() {
    for stop in [
        StopReason::ToolUse,
        StopReason::MaxTokens,
        StopReason::ContentFilter,
    ] {
        let events = canonical_stream(stop);
        assert_eq!(decode_stream(&encode_stream(&events)), events);
    }
}

#[test]
fn stream_encoder_wire_shape() {
    let wire = encoded_events(&canonical_stream(StopReason::ToolUse));
    for (n, (name, payload)) in wire.iter().enumerate() {
        assert_eq!(payload["type"], name.as_str());
        assert_eq!(payload["sequence_number"], n as u64);
    }
    let types: Vec<&str> = wire.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        types,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let created = &wire[0].1["response"];
    assert_eq!(created["id"], "resp_abc");
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["output"], json!([]));
    assert_eq!(created["usage"], Value::Null);
    let msg_added = &wire[11].1;
    assert_eq!(msg_added["output_index"], 2);
    assert_eq!(
        msg_added["item"],
        json!({"type": "message", "id": "msg_abc_2", "status": "in_progress", "role": "assistant", "content": []})
    );
    assert_eq!(
        wire[13].1,
        json!({"type": "response.output_text.delta", "sequence_number": 13, "item_id": "msg_abc_2",
               "output_index": 2, "content_index": 0, "delta": "Hi ", "logprobs": []})
    );
    assert_eq!(wire[15].1["text"], "Hi there");
    assert_eq!(wire[16].1["part"]["text"], "Hi there");
    let call_added = &wire[18].1["item"];
    assert_eq!(
        *call_added,
        json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "", "status": "in_progress"})
    );
    assert_eq!(wire[21].1["arguments"], "{\"a\":1}");
    assert_eq!(wire[21].1["name"], "f");
    let done = &wire[26].1["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["incomplete_details"], Value::Null);
    let output = done["output"].as_array().unwrap();
    assert_eq!(output.len(), 5);
    assert_eq!(output[0]["summary"][0]["text"], "Let me think");
    assert_eq!(output[0]["encrypted_content"], "sig");
    assert_eq!(output[1]["encrypted_content"], "gAAAAAopaque");
    assert_eq!(output[2]["content"][0]["text"], "Hi there");
    assert_eq!(output[3]["arguments"], "{\"a\":1}");
    assert_eq!(output[4]["arguments"], "");
    assert_eq!(done["usage"]["total_tokens"], 17);
    assert_eq!(done["usage"]["input_tokens_details"]["cached_tokens"], 2);
    assert_eq!(
        done["usage"]["output_tokens_details"]["reasoning_tokens"],
        3
    );
}

#[test]
fn stream_encoder_incomplete_error_and_unclosed_blocks() {
    let mut events = canonical_stream(StopReason::MaxTokens);
    // Drop the last BlockStop: MessageStop must close the block itself.
    events.retain(|e| *e != StreamEvent::BlockStop { index: 4 });
    let wire = encoded_events(&events);
    let (name, last) = wire.last().unwrap();
    assert_eq!(name, "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(wire[wire.len() - 2].0, "response.output_item.done");

    let error = encoded_events(&[StreamEvent::Error {
        kind: "overloaded_error".into(),
        message: "busy".into(),
    }]);
    assert_eq!(
        error,
        [(
            "error".to_owned(),
            json!({"type": "error", "sequence_number": 0, "code": "overloaded_error", "message": "busy", "param": null})
        )]
    );
}

#[test]
fn stream_encoder_echoes_the_request() {
    let req = sample_request();
    let mut enc = StreamEncoder::with_request(RequestEcho::from_request(&req));
    let mut out = BytesMut::new();
    enc.encode(
        &StreamEvent::MessageStart {
            id: "x".into(),
            model: "m".into(),
            usage: None,
        },
        &mut out,
    );
    let first: Value = serde_json::from_slice(&event_data(&split(&out)[0]).unwrap()).unwrap();
    let r = &first["response"];
    assert_eq!(r["id"], "resp_x");
    assert_eq!(r["instructions"], "Be brief.");
    assert_eq!(r["temperature"], 0.5);
    assert_eq!(r["tools"][0]["name"], "lookup");
    assert_eq!(
        r["tool_choice"],
        json!({"type": "function", "name": "lookup"})
    );
    assert_eq!(r["text"]["format"]["type"], "json_schema");
    assert_eq!(
        r["reasoning"],
        json!({"effort": "medium", "summary": "auto"})
    );
    assert_eq!(r["max_output_tokens"], 100);
}
