//! `ndjson::LineSplitter`: lines never hold `\n`, are never blank, and do not depend on how the
//! input is cut.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use llmux_protocol::ndjson::LineSplitter;

fn split(pieces: &[&[u8]]) -> Vec<Bytes> {
    let mut splitter = LineSplitter::new();
    let mut lines = Vec::new();
    for piece in pieces {
        splitter.push(Bytes::copy_from_slice(piece), &mut lines);
    }
    lines.extend(splitter.finish());
    assert!(!splitter.has_pending(), "pending bytes after finish");
    lines
}

fuzz_target!(|data: &[u8]| {
    let lines = split(&llmux_fuzz::chunks(data));
    let mut total = 0;
    for line in &lines {
        assert!(!line.contains(&b'\n'), "line holds a newline: {line:?}");
        assert!(
            line.iter().any(|b| !b.is_ascii_whitespace()),
            "blank line: {line:?}"
        );
        total += line.len();
    }
    assert!(total <= data.len(), "lines longer than the input");
    assert_eq!(lines, split(&[data]), "chunking changed the lines");
});
