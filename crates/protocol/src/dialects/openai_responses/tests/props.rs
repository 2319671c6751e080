//! Robustness: no decoder panics on any input; streams stay well formed.

use super::*;

/// Templates of stream events with holes for indices, to drive the decoder's state machine.
const EVENT_TEMPLATES: [&str; 14] = [
    r#"{"type":"response.created","response":{"id":"resp_1","model":"m"}}"#,
    r#"{"type":"response.output_item.added","output_index":O,"item":{"type":"function_call","call_id":"c","name":"f"}}"#,
    r#"{"type":"response.output_item.added","output_index":O,"item":{"type":"message","content":[]}}"#,
    r#"{"type":"response.content_part.added","output_index":O,"content_index":C,"part":{"type":"output_text","text":""}}"#,
    r#"{"type":"response.output_text.delta","output_index":O,"content_index":C,"delta":"t"}"#,
    r#"{"type":"response.output_text.done","output_index":O,"content_index":C,"text":"t"}"#,
    r#"{"type":"response.function_call_arguments.delta","output_index":O,"delta":"{"}"#,
    r#"{"type":"response.function_call_arguments.done","output_index":O,"arguments":"{}"}"#,
    r#"{"type":"response.reasoning_summary_part.added","output_index":O,"summary_index":C,"part":{"type":"summary_text","text":""}}"#,
    r#"{"type":"response.reasoning_summary_text.delta","output_index":O,"summary_index":C,"delta":"r"}"#,
    r#"{"type":"response.output_item.done","output_index":O,"item":{"type":"reasoning","summary":[],"encrypted_content":"e"}}"#,
    r#"{"type":"response.output_item.done","output_index":O,"item":{"type":"message","content":[{"type":"output_text","text":"x"}]}}"#,
    r#"{"type":"response.output_item.done","output_index":O,"item":{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}}"#,
    r#"{"type":"response.completed","response":{"status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":2}}}"#,
];

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let _ = previous_response_id(&bytes);
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let _ = dec.push(&bytes, &mut out);
        let mut framed = b"data: ".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = dec.push(&framed, &mut out);
        dec.finish(&mut out);
    }

    #[test]
    fn json_shaped_input_never_panics(
        s in "\\{\"(model|input|output|type|response|item|tools|tool_choice|reasoning|text)\":(\\[|\\{|\"|[0-9]|null|true)[ -~]{0,80}",
    ) {
        let _ = decode_request(s.as_bytes());
        let _ = decode_response(s.as_bytes());
        let mut dec = StreamDecoder::new();
        let _ = dec.push(format!("data: {s}\n\n").as_bytes(), &mut Vec::new());
    }

    #[test]
    fn any_event_sequence_keeps_blocks_well_formed(
        picks in proptest::collection::vec((0usize..EVENT_TEMPLATES.len(), 0u64..3, 0u64..2), 0..40),
    ) {
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        for (t, o, c) in picks {
            let data = EVENT_TEMPLATES[t].replace('O', &o.to_string()).replace('C', &c.to_string());
            dec.push(format!("data: {data}\n\n").as_bytes(), &mut out).unwrap();
        }
        dec.finish(&mut out);
        let mut open = None;
        let mut next = 0;
        for e in &out {
            match e {
                StreamEvent::BlockStart { index, .. } => {
                    prop_assert_eq!(open, None);
                    prop_assert_eq!(*index, next);
                    next += 1;
                    open = Some(*index);
                }
                StreamEvent::BlockDelta { index, .. } => prop_assert_eq!(open, Some(*index)),
                StreamEvent::BlockStop { index } => {
                    prop_assert_eq!(open, Some(*index));
                    open = None;
                }
                StreamEvent::MessageDelta { .. } | StreamEvent::MessageStop => prop_assert_eq!(open, None),
                _ => {}
            }
        }
        let encoded = encode_stream(&out);
        prop_assert!(std::str::from_utf8(&encoded).is_ok());
    }

    #[test]
    fn encoder_numbers_every_event(texts in proptest::collection::vec("[ -~]{0,12}", 0..8)) {
        let mut events = vec![StreamEvent::MessageStart { id: "r".into(), model: "m".into(), usage: None }];
        for (i, t) in texts.iter().enumerate() {
            events.push(StreamEvent::BlockStart { index: i, block: crate::canonical::BlockStart::Text });
            events.push(StreamEvent::BlockDelta { index: i, delta: crate::canonical::BlockDelta::Text { text: t.clone() } });
        }
        events.push(StreamEvent::MessageStop);
        let wire = encoded_events(&events);
        for (n, (name, payload)) in wire.iter().enumerate() {
            prop_assert_eq!(&payload["type"], name.as_str());
            prop_assert_eq!(payload["sequence_number"].as_u64(), Some(n as u64));
        }
        let decoded = decode_stream(&encode_stream(&events));
        let s = summarize(&decoded);
        prop_assert_eq!(s.text, texts.concat());
    }
}
