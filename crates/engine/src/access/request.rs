//! The per-request half of access control, once the engine knows the model: the request's
//! tags (and its model without an `@tag` suffix), then the key's admission for that model.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use llmux_protocol::Usage;

use super::{KeyEntry, Refusal};
use crate::error::{ErrorKind, GatewayError};
use crate::passthrough::Inbound;
use crate::pricing::Pricing;
use crate::snapshot::{Plan, Serving, Snapshot};
use crate::tags::{request_tags, TagInput};

/// The header a client names its tags in (seed 004).
pub const TAG_HEADER: &str = "x-proxy-tag";

/// Output tokens assumed for a budget estimate when the request sets no maximum.
const DEFAULT_OUTPUT_ESTIMATE: u64 = 1024;

/// Works out the request's tags into `inbound.caller` and returns the model to resolve
/// (the requested one without an `@tag` suffix). A present but invalid tag is a 400.
pub fn tag_request(
    snapshot: &Snapshot,
    inbound: &mut Inbound,
    model: &str,
) -> Result<String, GatewayError> {
    let (model, tags) = tags_of(snapshot, &inbound.headers, inbound.key.as_deref(), model)?;
    inbound.caller.tags = tags;
    Ok(model)
}

/// The tags of a request with `headers`, made with `key`, for `model`: the model without
/// its `@tag` suffix, and the tags.
pub fn tags_of(
    snapshot: &Snapshot,
    headers: &http::HeaderMap,
    key: Option<&KeyEntry>,
    model: &str,
) -> Result<(String, Vec<String>), GatewayError> {
    let auth = snapshot.config.auth.mode;
    let bearer = crate::keys::presented_key(headers, None);
    const TAG_NAME: http::HeaderName = http::HeaderName::from_static(TAG_HEADER);
    let header = headers.get(TAG_NAME).and_then(|v| v.to_str().ok());
    let key_tags: &[String] = key.map_or(&[], |k| &k.record.tags);
    let tagged = request_tags(TagInput {
        auth,
        bearer,
        header,
        model,
        key_tags,
        default_tag: &snapshot.config.usage.default_tag,
    })
    .map_err(|e| GatewayError::invalid("tags", e.to_string()))?;
    Ok((tagged.model, tagged.tags))
}

/// Admits the request against its llmux key, if it has one: the model must be allowed, and
/// the key's window and budget must hold the request's estimate. The admission goes into
/// `inbound.caller`, to be settled when the request's record is emitted.
pub fn admit_request(
    snapshot: &Snapshot,
    inbound: &mut Inbound,
    plan: &Plan<'_>,
    model: &str,
    max_output: Option<u64>,
) -> Result<(), GatewayError> {
    let Some(key) = inbound.key.as_deref() else {
        return Ok(());
    };
    let output = max_output.unwrap_or(DEFAULT_OUTPUT_ESTIMATE);
    let prompt = prompt_estimate(inbound.body.len());
    let estimate_usd = estimate_cost(&snapshot.pricing, plan, model, prompt, output);
    let admission = admit(key, inbound.body.len(), estimate_usd, model, output)?;
    inbound.caller.admission = Some(Arc::new(admission));
    Ok(())
}

/// Admits a request of `body_len` bytes for `model`, estimated to cost `estimate_usd`
/// (`None`: unknown), that may produce `output` tokens.
pub fn admit(
    key: &KeyEntry,
    body_len: usize,
    estimate_usd: Option<f64>,
    model: &str,
    output: u64,
) -> Result<super::Admission, GatewayError> {
    let prompt = prompt_estimate(body_len);
    key.admit(
        model,
        prompt.saturating_add(output),
        estimate_usd,
        SystemTime::now(),
        Instant::now(),
    )
    .map_err(|refusal| refused(key, refusal))
}

/// Characters / 4: the same rough count the member windows use before usage is known.
fn prompt_estimate(body_len: usize) -> u64 {
    u64::try_from(body_len / 4).unwrap_or(u64::MAX)
}

/// The error of a refused request.
pub fn refused(key: &KeyEntry, refusal: Refusal) -> GatewayError {
    match refusal {
        Refusal::Denied(denied) => GatewayError::from(ErrorKind::KeyDenied(denied)),
        Refusal::RateLimited(wait) => {
            GatewayError::rate_limited(format!("key `{}`", key.record.name), wait)
        }
    }
}

/// The cost of `prompt` input and `output` output tokens on the plan's first choice (its
/// first member for a group) at the snapshot's prices; `None` when its price is unknown.
fn estimate_cost(
    pricing: &Pricing,
    plan: &Plan<'_>,
    requested: &str,
    prompt: u64,
    output: u64,
) -> Option<f64> {
    let served = match &plan.serving {
        Serving::One(route) => route.served(requested),
        Serving::Group(group) => {
            let member = group.members.first()?;
            crate::pricing::Served {
                provider: member.provider.pricing.provider_ref(),
                provider_id: &member.provider.id,
                model: &member.model,
                requested,
            }
        }
    };
    let usage = Usage {
        prompt_tokens: prompt,
        completion_tokens: output,
        ..Usage::default()
    };
    pricing.cost_of(&served, &usage, None)
}
