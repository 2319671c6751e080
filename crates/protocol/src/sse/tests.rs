use super::*;
use proptest::prelude::*;

fn split_all(chunks: &[&[u8]]) -> (Vec<Bytes>, Option<Bytes>) {
    let mut s = SseSplitter::new();
    let mut out = Vec::new();
    for c in chunks {
        s.push(Bytes::copy_from_slice(c), &mut out);
    }
    let rest = s.finish();
    (out, rest)
}

#[test]
fn splits_lf_events_in_one_chunk() {
    let (events, rest) = split_all(&[b"data: a\n\ndata: b\n\n"]);
    assert_eq!(
        events,
        vec![Bytes::from("data: a\n\n"), Bytes::from("data: b\n\n")]
    );
    assert!(rest.is_none());
}

#[test]
fn table_of_terminators() {
    // (input, expected events, expected leftover)
    type Case<'a> = (&'a [u8], &'a [&'a [u8]], Option<&'a [u8]>);
    let cases: &[Case] = &[
        (b"data: x\r\n\r\n", &[b"data: x\r\n\r\n"], None),
        (
            b"data: x\r\rdata: y\r\r",
            &[b"data: x\r\r"],
            Some(b"data: y\r\r"),
        ),
        (
            b"data: x\n\r\ndata: y",
            &[b"data: x\n\r\n"],
            Some(b"data: y"),
        ),
        (b"event: e\ndata: x\n\n", &[b"event: e\ndata: x\n\n"], None),
        (b"data: x\n", &[], Some(b"data: x\n")),
        (b"\n\n", &[b"\n\n"], None),
    ];
    for (input, want, leftover) in cases {
        let (events, rest) = split_all(&[input]);
        let want: Vec<Bytes> = want.iter().map(|w| Bytes::copy_from_slice(w)).collect();
        assert_eq!(events, want, "input {:?}", String::from_utf8_lossy(input));
        assert_eq!(
            rest.as_deref(),
            *leftover,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn crlf_split_between_chunks_waits_for_the_lf() {
    let (events, rest) = split_all(&[b"data: x\r\n\r", b"\ndata: y\r\n\r\n"]);
    assert_eq!(
        events,
        vec![
            Bytes::from("data: x\r\n\r\n"),
            Bytes::from("data: y\r\n\r\n")
        ]
    );
    assert!(rest.is_none());
}

#[test]
fn whole_events_are_zero_copy_slices() {
    let chunk = Bytes::from_static(b"data: a\n\ndata: b\n\n");
    let mut s = SseSplitter::new();
    let mut out = Vec::new();
    s.push(chunk.clone(), &mut out);
    assert_eq!(out[0].as_ptr(), chunk.as_ptr());
}

#[test]
fn event_data_joins_lines_and_strips_one_space() {
    assert_eq!(
        event_data(b"data: {\"a\":1}\n\n").as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
    assert_eq!(
        event_data(b"data:x\ndata:  y\n\n").as_deref(),
        Some(&b"x\n y"[..])
    );
    assert_eq!(event_data(b"event: ping\n\n"), None);
    assert_eq!(event_data(b": comment\r\n\r\n"), None);
    assert_eq!(
        event_name(b"event: message_start\r\ndata: {}\r\n\r\n"),
        Some(&b"message_start"[..])
    );
}

#[test]
fn replays_captured_fixtures_event_by_event() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/providers"
    );
    for (file, events) in [
        ("openai-chat/stream-text.sse", 0usize),
        ("gemini/stream-text.sse", 0),
        ("anthropic/stream-text.sse", 0),
    ] {
        let body = std::fs::read(format!("{dir}/{file}")).unwrap();
        let _ = events;
        // One chunk, and byte-by-byte: same events, nothing lost.
        let (whole, rest_whole) = split_all(&[&body]);
        let singles: Vec<&[u8]> = body.chunks(1).collect();
        let (bytewise, rest_bytes) = split_all(&singles);
        assert_eq!(whole, bytewise, "{file}");
        assert_eq!(rest_whole, rest_bytes, "{file}");
        let mut joined: Vec<u8> = whole.iter().flat_map(|e| e.to_vec()).collect();
        joined.extend_from_slice(rest_whole.as_deref().unwrap_or_default());
        assert_eq!(joined, body, "{file}");
        assert!(whole.len() > 2, "{file} has events");
        assert!(whole
            .iter()
            .all(|e| event_data(e).is_some() || event_name(e).is_some()));
    }
}

fn terminator() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
}

proptest! {
    /// However a stream is cut into chunks, the splitter yields the same events and loses no byte.
    #[test]
    fn chunking_does_not_change_events(
        payloads in proptest::collection::vec("[a-z{}\":, ]{0,20}", 1..8),
        terms in proptest::collection::vec(terminator(), 8),
        cuts in proptest::collection::vec(0usize..200, 0..6),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let t = terms[i % terms.len()];
            let ev = format!("data: {p}{t}{t}");
            expected.push(ev.clone().into_bytes());
            stream.extend_from_slice(ev.as_bytes());
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts { chunks.push(&stream[prev..c]); prev = c; }
        chunks.push(&stream[prev..]);
        let (events, rest) = split_all(&chunks);
        // A lone trailing `\r\r` is complete only once we know no `\n` follows; finish() returns it.
        let mut got: Vec<Vec<u8>> = events.iter().map(|e| e.to_vec()).collect();
        if let Some(r) = rest { got.push(r.to_vec()); }
        prop_assert_eq!(got, expected);
    }

    /// Arbitrary bytes never panic and are returned in full.
    #[test]
    fn arbitrary_bytes_are_preserved(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
        let cut = cut.min(data.len());
        let (events, rest) = split_all(&[&data[..cut], &data[cut..]]);
        let mut joined: Vec<u8> = events.iter().flat_map(|e| e.to_vec()).collect();
        joined.extend_from_slice(rest.as_deref().unwrap_or_default());
        prop_assert_eq!(joined, data);
    }
}

/// A long event fed one byte at a time comes out whole and once (the pending buffer is
/// scanned incrementally, not re-copied per byte).
#[test]
fn long_event_in_single_bytes() {
    let mut event = b"data: ".to_vec();
    event.extend(std::iter::repeat_n(b'a', 200_000));
    event.extend_from_slice(b"\n\ndata: b\n\n");
    let mut s = SseSplitter::new();
    let mut out = Vec::new();
    for b in &event {
        s.push(Bytes::copy_from_slice(&[*b]), &mut out);
    }
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].len(), 200_008);
    assert_eq!(&out[1][..], b"data: b\n\n");
    assert_eq!(s.finish(), None);
}
