//! Usage read from the end of a Gemini answer without parsing the whole of it.

use std::sync::LazyLock;

use memchr::memmem::FinderRev;

use super::wire::UsageMetadata;
use crate::Usage;

static KEY: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"\"usageMetadata\""));

/// Reads the last `usageMetadata` object in `tail`: the end of a `generateContent` answer, of
/// one `streamGenerateContent` event, or of the JSON-array form of a stream (where each element
/// carries cumulative counts, so the last one is the total).
pub fn tail_usage(tail: &[u8]) -> Option<Usage> {
    let start = crate::openai::object_member_start(tail, &KEY)?;
    let mut values =
        serde_json::Deserializer::from_slice(&tail[start..]).into_iter::<UsageMetadata>();
    values.next()?.ok()?.to_usage()
}
