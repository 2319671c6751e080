//! Azure OpenAI: deployment-scoped URLs with an `api-version` query parameter.

use crate::Operation;

/// The API version used when the configuration names none.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

/// The URL of `op` for `deployment` on an Azure OpenAI resource.
///
/// `endpoint` is the resource URL, e.g. `https://my-resource.openai.azure.com`.
pub fn url(endpoint: &str, deployment: &str, op: Operation, api_version: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let deployment = encode_segment(deployment);
    format!(
        "{endpoint}/openai/deployments/{deployment}{}?api-version={api_version}",
        op.path()
    )
}

/// Percent-encodes the characters that cannot appear in a path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_urls() {
        assert_eq!(
            url("https://r.openai.azure.com/", "gpt-4o", Operation::ChatCompletions, "2024-10-21"),
            "https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            url("https://r", "my dep/x", Operation::Embeddings, "v"),
            "https://r/openai/deployments/my%20dep%2Fx/embeddings?api-version=v"
        );
    }
}
