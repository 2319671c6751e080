//! The dialect-neutral stream traits for this codec's decoder and encoder.

use super::{StreamDecoder, StreamEncoder};
use crate::canonical::StreamEvent;
use crate::dialects::{DecodeError, StreamDecode, StreamEncode};

impl StreamDecode for StreamDecoder {
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        StreamDecoder::push(self, raw_event, out)
    }
    fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        StreamDecoder::finish(self, out)
    }
}

impl StreamEncode for StreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        StreamEncoder::encode(self, event, out)
    }
}
