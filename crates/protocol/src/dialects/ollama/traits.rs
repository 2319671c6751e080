//! The dialect-neutral stream traits for the Ollama codec.

use bytes::BytesMut;

use super::{GenerateStreamEncoder, StreamDecoder, StreamEncoder};
use crate::canonical::StreamEvent;
use crate::dialects::{DecodeError, Framing, StreamDecode, StreamEncode};

/// Ollama's stream content type.
const NDJSON: &str = "application/x-ndjson";

impl StreamDecode for StreamDecoder {
    fn framing(&self) -> Framing {
        Framing::Ndjson
    }
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        StreamDecoder::push(self, raw_event, out)
    }
    fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        StreamDecoder::finish(self, out)
    }
}

impl StreamEncode for StreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        StreamEncoder::encode(self, event, out)
    }
    fn content_type(&self) -> &'static str {
        NDJSON
    }
}

impl StreamEncode for GenerateStreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        GenerateStreamEncoder::encode(self, event, out)
    }
    fn content_type(&self) -> &'static str {
        NDJSON
    }
}
