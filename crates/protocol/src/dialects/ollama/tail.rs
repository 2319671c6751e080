//! Usage read from the end of an Ollama answer without parsing the whole of it.

use memchr::memmem;

use crate::Usage;

/// Reads the token counts of the last answer object in `tail`: the end of a non-streamed
/// `/api/chat` or `/api/generate` answer, or of an NDJSON stream (whose final `done` line
/// carries the counts). `tail` may start mid-document (inside `context`, say); the counts
/// must be whole. `None` when there is no `eval_count`.
pub fn tail_usage(tail: &[u8]) -> Option<Usage> {
    const EVAL: &[u8] = b"\"eval_count\"";
    const PROMPT: &[u8] = b"\"prompt_eval_count\"";
    let eval_at = memmem::rfind(tail, EVAL)?;
    let completion_tokens = number_after(tail.get(eval_at + EVAL.len()..)?)?;
    // Only the object holding `eval_count`: each answer object starts with `created_at` near
    // its beginning, and earlier stream lines carry no counts anyway.
    let from = memmem::rfind(&tail[..eval_at], b"\"created_at\"").unwrap_or(0);
    let prompt_tokens = memmem::rfind(&tail[from..eval_at], PROMPT)
        .and_then(|at| tail.get(from + at + PROMPT.len()..))
        .and_then(number_after)
        .unwrap_or(0);
    Some(Usage {
        prompt_tokens,
        completion_tokens,
        ..Usage::default()
    })
}

/// The unsigned integer after a key: `  : 123`.
fn number_after(rest: &[u8]) -> Option<u64> {
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}
