//! Helpers shared by the llmux fuzz targets: cutting input into pieces, and running decoded
//! canonical values through every dialect's encoders (errors allowed, panics not).

use bytes::BytesMut;
use llmux_protocol::canonical::{forced_tool, ChatRequest, ChatResponse, StreamEvent};
use llmux_protocol::dialects::{
    anthropic, gemini, ollama, openai_chat, openai_responses, StreamDecode, StreamEncode,
};
use llmux_protocol::Dialect;

/// A fixed `created` timestamp for encoders that take one, so runs are reproducible.
const CREATED: u64 = 1_700_000_000;

/// Cuts `data` into consecutive chunks (possibly empty) whose sizes come from a small PRNG
/// seeded by the first byte, so that libFuzzer can explore chunk boundaries. The chunks
/// concatenate to exactly `data`.
pub fn chunks(data: &[u8]) -> Vec<&[u8]> {
    let seed = data.first().copied().unwrap_or(0);
    let max = [1usize, 2, 3, 7, 16, 64, 256, 4096][usize::from(seed & 7)];
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = (state as usize) % (max + 1);
        let end = (at + size).min(data.len());
        out.push(&data[at..end]);
        at = end;
    }
    out
}

/// Splits `data` after every occurrence of `sep`, each piece keeping its separator; the last
/// piece is whatever follows the last separator (omitted when empty).
pub fn split_keep<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            out.push(&data[start..i + sep.len()]);
            start = i + sep.len();
            i = start;
        } else {
            i += 1;
        }
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// Splits `data` at every `\n` (removed), as an NDJSON stream is cut into lines.
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == b'\n').collect()
}

fn assert_json(body: &[u8], what: &str) {
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(body) {
        panic!(
            "{what} produced invalid JSON ({e}): {}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Encodes `req` with every dialect's `encode_request` but `skip`'s; a successful encoding
/// must be valid JSON.
pub fn encode_request_all(req: &ChatRequest, skip: Option<Dialect>) {
    type Encode = fn(&ChatRequest) -> Result<Vec<u8>, llmux_protocol::canonical::Loss>;
    let encoders: [(Dialect, Encode); 5] = [
        (Dialect::OpenAiChat, openai_chat::encode_request),
        (Dialect::OpenAiResponses, openai_responses::encode_request),
        (Dialect::Anthropic, anthropic::encode_request),
        (Dialect::Gemini, gemini::encode_request),
        (Dialect::Ollama, ollama::encode_request),
    ];
    for (dialect, encode) in encoders {
        if Some(dialect) == skip {
            continue;
        }
        if let Ok(body) = encode(req) {
            assert_json(&body, dialect.as_str());
        }
    }
    // What the gateway derives from a request besides its provider body.
    let _ = forced_tool::wants_forced_tool(req);
    let _ = openai_responses::RequestEcho::from_request(req);
}

/// Encodes `resp` with every dialect's response encoders (each must yield valid JSON), then
/// again after the forced-tool unwrapping the gateway applies to Anthropic answers.
pub fn encode_response_all(resp: &ChatResponse) {
    encode_response_once(resp);
    let mut unwrapped = resp.clone();
    forced_tool::unwrap_response(&mut unwrapped);
    encode_response_once(&unwrapped);
}

fn encode_response_once(resp: &ChatResponse) {
    assert_json(&openai_chat::encode_response(resp), "openai_chat");
    assert_json(&openai_responses::encode_response(resp), "openai_responses");
    let echo = openai_responses::RequestEcho::default();
    assert_json(
        &openai_responses::encode_response_with(resp, &echo),
        "openai_responses (echo)",
    );
    assert_json(&anthropic::encode_response(resp), "anthropic");
    assert_json(&gemini::encode_response(resp), "gemini");
    assert_json(&ollama::encode_response(resp), "ollama");
    assert_json(&ollama::encode_generate_response(resp), "ollama generate");
}

/// One instance of every client-side stream encoder.
pub fn all_stream_encoders() -> Vec<Box<dyn StreamEncode>> {
    vec![
        Box::new(openai_chat::StreamEncoder::new(true)),
        Box::new(openai_chat::StreamEncoder::new(false)),
        Box::new(openai_responses::StreamEncoder::new()),
        Box::new(anthropic::StreamEncoder::new()),
        Box::new(gemini::StreamEncoder::new()),
        Box::new(gemini::StreamEncoder::json_array()),
        Box::new(ollama::StreamEncoder::with_created(CREATED)),
        Box::new(ollama::GenerateStreamEncoder::with_created(CREATED)),
    ]
}

/// Feeds `pieces` to `decoder` as the gateway does, then `finish`, and re-encodes the decoded
/// events with every stream encoder, directly and through the forced-tool unwrapper.
///
/// Decoding goes on after a piece is rejected (the usage tap of the passthrough path ignores
/// errors), but like the translating path the encoders only see the events decoded up to and
/// including the first rejected piece, and `finish`'s events only when nothing was rejected.
pub fn run_stream(mut decoder: impl StreamDecode, pieces: &[&[u8]]) {
    let mut events: Vec<StreamEvent> = Vec::new();
    let mut scratch = Vec::new();
    let mut failed = false;
    for piece in pieces {
        scratch.clear();
        let result = decoder.push(piece, &mut scratch);
        if !failed {
            events.append(&mut scratch);
        }
        failed |= result.is_err();
    }
    scratch.clear();
    decoder.finish(&mut scratch);
    if !failed {
        events.append(&mut scratch);
    }
    encode_stream_all(&events);

    let mut unwrap = forced_tool::UnwrapStream::new();
    let mut unwrapped = Vec::new();
    for ev in events {
        unwrap.map(ev, &mut unwrapped);
    }
    encode_stream_all(&unwrapped);
}

/// Encodes `events` with a fresh instance of every stream encoder.
pub fn encode_stream_all(events: &[StreamEvent]) {
    for mut encoder in all_stream_encoders() {
        let mut out = BytesMut::new();
        for ev in events {
            encoder.encode(ev, &mut out);
        }
        let _ = encoder.content_type();
    }
}
