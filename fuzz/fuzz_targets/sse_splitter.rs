//! `SseSplitter`: however the input is cut, the events plus the `finish` remainder are the input
//! bytes, and the events are the same as when the input comes in one piece.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use llmux_protocol::sse::{event_data, event_name, SseSplitter};

fn split(pieces: &[&[u8]]) -> (Vec<Bytes>, Option<Bytes>) {
    let mut splitter = SseSplitter::new();
    let mut events = Vec::new();
    for piece in pieces {
        splitter.push(Bytes::copy_from_slice(piece), &mut events);
    }
    let rest = splitter.finish();
    assert!(!splitter.has_pending(), "pending bytes after finish");
    (events, rest)
}

fuzz_target!(|data: &[u8]| {
    let (events, rest) = split(&llmux_fuzz::chunks(data));
    let mut joined = Vec::with_capacity(data.len());
    for ev in &events {
        assert!(!ev.is_empty(), "empty event");
        assert!(
            matches!(ev.last(), Some(b'\n' | b'\r')),
            "event does not end with a line terminator: {ev:?}"
        );
        joined.extend_from_slice(ev);
        let _ = event_data(ev);
        let _ = event_name(ev);
    }
    if let Some(rest) = &rest {
        assert!(!rest.is_empty(), "finish returned an empty remainder");
        joined.extend_from_slice(rest);
        let _ = event_data(rest);
        let _ = event_name(rest);
    }
    assert_eq!(joined, data, "events + remainder differ from the input");

    let (whole, whole_rest) = split(&[data]);
    assert_eq!(events, whole, "chunking changed the events");
    assert_eq!(rest, whole_rest, "chunking changed the remainder");
});
