//! Images: Ollama sends bare base64, without a MIME type.

use crate::canonical::{ContentBlock, Loss, MediaSource};

/// The MIME type of a base64-encoded image, from its first bytes (PNG, JPEG, GIF, WebP).
///
/// Only the first 16 characters are decoded; standard and URL-safe alphabets are accepted.
pub fn detect_image_mime(base64: &str) -> Option<&'static str> {
    let head = decode_prefix(base64.trim_start().as_bytes());
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP".as_slice()) {
        Some("image/webp")
    } else {
        None
    }
}

/// Decodes up to 12 bytes from the start of base64 text, stopping at the first byte outside
/// the alphabet.
fn decode_prefix(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in text.iter().take(16) {
        let Some(v) = sextet(c) else { break };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    out
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// A canonical image for one `images[]` entry (a `data:` URL is accepted too).
pub(super) fn image_block(data: String) -> ContentBlock {
    if let Some((mime, payload)) = split_data_url(&data) {
        let media_type = Some(mime.to_owned()).filter(|m| !m.is_empty());
        let payload = payload.to_owned();
        return ContentBlock::Image {
            media_type: media_type.or_else(|| detect_image_mime(&payload).map(str::to_owned)),
            source: MediaSource::Base64 { data: payload },
            detail: None,
        };
    }
    ContentBlock::Image {
        media_type: detect_image_mime(&data).map(str::to_owned),
        source: MediaSource::Base64 { data },
        detail: None,
    }
}

/// The base64 text Ollama takes for a canonical image source.
pub(super) fn image_to_wire(source: &MediaSource, field: &str) -> Result<String, Loss> {
    match source {
        MediaSource::Base64 { data } => Ok(data.clone()),
        MediaSource::Url { url } => match split_data_url(url) {
            Some((_, payload)) => Ok(payload.to_owned()),
            None => Err(Loss::new(
                field,
                "Ollama takes only inline base64 images, not image URLs; send the image bytes",
            )),
        },
    }
}

/// `(mime, base64)` of a `data:<mime>;base64,<data>` URL.
fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, payload) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, payload))
}
