//! What OpenAI's two APIs (Chat Completions and Responses) share on the wire: `data:` URLs
//! for inline images and files, and text-only content.

use serde_json::{json, Value};

use crate::canonical::{ContentBlock, Loss, MediaSource};

/// Splits a `data:<type>;base64,<data>` URL; any other URL stays a URL.
pub(crate) fn media_from_url(url: &str) -> (MediaSource, Option<String>) {
    if let Some((head, data)) = url.strip_prefix("data:").and_then(|r| r.split_once(',')) {
        if let Some(media_type) = head.strip_suffix(";base64") {
            let media_type = (!media_type.is_empty()).then(|| media_type.to_owned());
            return (
                MediaSource::Base64 {
                    data: data.to_owned(),
                },
                media_type,
            );
        }
    }
    (
        MediaSource::Url {
            url: url.to_owned(),
        },
        None,
    )
}

/// A `data:` URL for base64 data (`application/octet-stream` when the type is unknown).
pub(crate) fn data_url(data: &str, media_type: Option<&str>) -> String {
    format!(
        "data:{};base64,{data}",
        media_type.unwrap_or("application/octet-stream")
    )
}

/// The URL OpenAI's APIs take for an image: a `data:` URL for inline bytes, the URL itself
/// for http(s); any other scheme (`gs://`, a Files-API URI) is a [`Loss`](Loss).
pub(crate) fn image_url(
    source: &MediaSource,
    media_type: Option<&str>,
    field: &str,
) -> Result<String, Loss> {
    match source {
        MediaSource::Base64 { data } => Ok(data_url(data, media_type)),
        MediaSource::Url { url }
            if url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("data:") =>
        {
            Ok(url.clone())
        }
        MediaSource::Url { url } => {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(Loss::new(
                field,
                format!("OpenAI fetches images only from http(s) URLs, not `{scheme}:`; send the image inline as base64"),
            ))
        }
    }
}

/// Text of blocks that must all be text: a string for one block, otherwise an array of parts
/// of type `part_type` (`text` in Chat Completions, `input_text` in Responses).
pub(crate) fn text_content(
    blocks: &[ContentBlock],
    field: &str,
    part_type: &str,
) -> Result<Value, Loss> {
    let mut parts = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            ContentBlock::Text { text } => parts.push(text.as_str()),
            _ => return Err(Loss::new(field, "only text is accepted here")),
        }
    }
    Ok(match parts.as_slice() {
        [one] => Value::String((*one).to_owned()),
        _ => Value::Array(
            parts
                .iter()
                .map(|t| json!({"type": part_type, "text": t}))
                .collect(),
        ),
    })
}
