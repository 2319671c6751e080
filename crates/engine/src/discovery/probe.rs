//! Signatures: what an answer to `GET /api/tags` or `GET /v1/models` says about the server
//! that sent it, and the models it lists.

use serde_json::Value;

use super::Flavor;

/// The model names of an Ollama `GET /api/tags` answer (`{"models": [{"name": ...}]}`), or
/// `None` when the body is not one.
pub fn classify_tags(body: &[u8]) -> Option<Vec<String>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let list = value.get("models")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|m| m.get("name").or_else(|| m.get("model"))?.as_str())
            .map(str::to_owned)
            .collect(),
    )
}

/// The server and models of an OpenAI `GET /v1/models` answer (`{"data": [{"id": ...}]}`), or
/// `None` when the body is not one. The models' `owned_by` names the server when it can
/// (`vllm`; LM Studio's `organization_owner`; LiteLLM's `openai` or `litellm`); otherwise the
/// port's well-known server (`expect`), else a generic OpenAI-compatible one.
pub fn classify_models(body: &[u8], expect: Option<Flavor>) -> Option<(Flavor, Vec<String>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let list = value.get("data")?.as_array()?;
    let models: Vec<String> = list
        .iter()
        .filter_map(|m| m.get("id")?.as_str())
        .map(str::to_owned)
        .collect();
    let signed = list.iter().find_map(|m| {
        if m.get("max_model_len").is_some() {
            return Some(Flavor::Vllm);
        }
        match m.get("owned_by")?.as_str()? {
            "vllm" => Some(Flavor::Vllm),
            "organization_owner" => Some(Flavor::LmStudio),
            "openai" | "litellm" => Some(Flavor::LiteLlm),
            _ => None,
        }
    });
    let by_port = expect.filter(|f| *f != Flavor::Ollama);
    let flavor = signed.or(by_port).unwrap_or(Flavor::OpenAiCompatible);
    Some((flavor, models))
}
