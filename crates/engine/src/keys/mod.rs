//! llmux proxy keys: generation (CSPRNG), SHA-256 storage form, constant-time checks, the
//! per-key authorization decision, and finding the key a client presented in its request.
//!
//! Nothing here does IO except [`generate`], which reads the OS random source. Storage is
//! the `KeyStore` trait in `llmux-store`; the server converts its rows to [`KeyRecord`].

mod extract;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use extract::presented_key;

/// Every llmux key starts with this.
pub const KEY_PREFIX: &str = "llmux-";
/// Random characters after [`KEY_PREFIX`]: 32 URL-safe base64 characters, 192 bits.
pub const KEY_RANDOM_CHARS: usize = 32;
/// Random bytes behind a key's secret part (24 bytes encode to exactly 32 characters).
pub const KEY_RANDOM_BYTES: usize = 24;
/// Random bytes behind a key id (9 bytes encode to 12 characters).
pub const ID_RANDOM_BYTES: usize = 9;
/// How many random characters the display prefix shows.
const VISIBLE_CHARS: usize = 4;

/// URL-safe base64 alphabet (RFC 4648 §5): keys survive headers and `?key=` unescaped.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A freshly made key: the secret is shown to the operator once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKey {
    /// Stable public id (`key_` + 12 URL-safe characters), used in usage rows and the API.
    pub id: String,
    /// The whole key, `llmux-` + 32 characters. Show once, then drop.
    pub secret: String,
    /// SHA-256 hex of `secret`: what is stored.
    pub hash: String,
    /// Display form, `llmux-AbCd…`.
    pub prefix: String,
}

impl std::fmt::Debug for NewKey {
    // The secret never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Makes a new key from the operating system's CSPRNG (`getrandom`: the OS source directly,
/// no user-space generator state to seed or fork). Fails only if the OS source fails.
pub fn generate() -> Result<NewKey, getrandom::Error> {
    let mut secret = [0u8; KEY_RANDOM_BYTES];
    let mut id = [0u8; ID_RANDOM_BYTES];
    getrandom::fill(&mut secret)?;
    getrandom::fill(&mut id)?;
    Ok(key_from_bytes(&secret, &id))
}

/// Builds a key from given random bytes (what [`generate`] draws); deterministic, for tests
/// and for callers with their own CSPRNG.
pub fn key_from_bytes(secret: &[u8; KEY_RANDOM_BYTES], id: &[u8; ID_RANDOM_BYTES]) -> NewKey {
    let secret = format!("{KEY_PREFIX}{}", base64url(secret));
    NewKey {
        id: format!("key_{}", base64url(id)),
        hash: hash_key(&secret),
        prefix: display_prefix(&secret),
        secret,
    }
}

/// Unpadded URL-safe base64; inputs here are multiples of 3 bytes, so no padding arises.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

/// Whether `s` has the shape of an llmux key (prefix and 32 URL-safe characters). Cheap
/// pre-check before a store lookup; it says nothing about whether the key exists.
pub fn is_well_formed(s: &str) -> bool {
    s.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        rest.len() == KEY_RANDOM_CHARS && rest.bytes().all(|b| ALPHABET.contains(&b))
    })
}

/// SHA-256 of the whole key, lowercase hex: the only form a key is stored in. A plain hash
/// (no salt, no slow KDF) is enough: keys carry 192 random bits, nothing to brute-force.
pub fn hash_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    hex
}

/// The display form of a key: `llmux-` and its first four random characters, then `…`.
pub fn display_prefix(key: &str) -> String {
    let visible: String = key
        .strip_prefix(KEY_PREFIX)
        .unwrap_or(key)
        .chars()
        .take(VISIBLE_CHARS)
        .collect();
    format!("{KEY_PREFIX}{visible}…")
}

/// Compares two digests in constant time (`subtle`): how long it takes does not depend on
/// where they first differ, so timing cannot reveal a stored hash byte by byte. Lengths
/// are public (always 64 for SHA-256 hex); different lengths are unequal.
pub fn digests_equal(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// One llmux key as the data plane sees it (converted from the store's row).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    /// Stable public id.
    pub id: String,
    /// Operator-chosen name (who the key belongs to).
    pub name: String,
    /// SHA-256 hex of the key.
    pub hash: String,
    /// Display form, `llmux-AbCd…`.
    pub prefix: String,
    /// Models the key may use, by requested name; empty means all. `*` matches any run of
    /// characters (`gpt-*`, `*-mini`, `claude-*-sonnet*`).
    pub models: Vec<String>,
    /// Requests per minute, if limited.
    pub rpm: Option<u32>,
    /// Tokens per minute, if limited.
    pub tpm: Option<u64>,
    /// Spending cap in US dollars, if any.
    pub budget_usd: Option<f64>,
    /// Dollars spent so far.
    pub spent_usd: f64,
    /// Wall-clock expiry, if any.
    pub expires_at: Option<SystemTime>,
    /// Revoked keys are refused for good.
    pub revoked: bool,
    /// Tags recorded on every request made with the key.
    pub tags: Vec<String>,
    /// When the key was made.
    pub created_at: SystemTime,
}

impl KeyRecord {
    /// Whether `presented` is this key: hashes it and compares digests in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        digests_equal(&hash_key(presented), &self.hash)
    }

    /// Whether the key may use `model` (see [`KeyRecord::models`]).
    pub fn allows_model(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|p| wildcard_match(p, model))
    }
}

/// Why a request's key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDenied {
    /// No key in any of the places clients put one.
    #[error("no API key was sent; pass your llmux key as `Authorization: Bearer <key>` (or `x-api-key`, `x-goog-api-key`, `api-key`)")]
    Missing,
    /// A key was sent but it is not a known llmux key.
    #[error("the API key is not valid for this gateway; check that you are sending the llmux key your operator gave you, not a provider key")]
    Invalid,
    /// The key was revoked.
    #[error("this API key has been revoked; ask the gateway operator for a new key")]
    Revoked,
    /// The key is past its expiry.
    #[error("this API key has expired; ask the gateway operator to extend it or issue a new key")]
    Expired,
    /// The key may not use the model.
    #[error("this API key may not use the model `{model}`; use one of the models the key allows or ask the operator to add it")]
    ModelNotAllowed {
        /// The requested model.
        model: String,
    },
    /// The key's budget is used up.
    #[error(
        "this API key has used its whole budget; ask the gateway operator to raise the budget"
    )]
    BudgetSpent,
}

impl KeyDenied {
    /// The HTTP status, following what providers answer for the same cases: 401 for a
    /// missing, unknown, revoked or expired key (OpenAI `invalid_api_key`, Anthropic
    /// `authentication_error`, Gemini's 401); 403 for a valid key without access to the
    /// model (Anthropic `permission_error`, Gemini `PERMISSION_DENIED`); 429 for a spent
    /// budget (OpenAI `insufficient_quota`: clients back off and surface it, not re-auth).
    pub fn status(&self) -> u16 {
        match self {
            KeyDenied::Missing | KeyDenied::Invalid | KeyDenied::Revoked | KeyDenied::Expired => {
                401
            }
            KeyDenied::ModelNotAllowed { .. } => 403,
            KeyDenied::BudgetSpent => 429,
        }
    }

    /// A stable machine-readable code for error bodies (OpenAI-style `code`).
    pub fn code(&self) -> &'static str {
        match self {
            KeyDenied::Missing => "missing_api_key",
            KeyDenied::Invalid => "invalid_api_key",
            KeyDenied::Revoked => "revoked_api_key",
            KeyDenied::Expired => "expired_api_key",
            KeyDenied::ModelNotAllowed { .. } => "model_not_allowed",
            KeyDenied::BudgetSpent => "insufficient_quota",
        }
    }
}

/// Decides whether `key` may make a request for `model` at wall-clock `now` (injected).
/// Checks in order: revoked, expired (at or after `expires_at`), model, budget (refused
/// once `spent_usd >= budget_usd`). Rate limits are enforced elsewhere. `now` is a
/// `SystemTime`, not an `Instant`: expiry is a calendar date that must survive restarts.
pub fn authorize(key: &KeyRecord, model: &str, now: SystemTime) -> Result<(), KeyDenied> {
    if key.revoked {
        return Err(KeyDenied::Revoked);
    }
    if key.expires_at.is_some_and(|at| now >= at) {
        return Err(KeyDenied::Expired);
    }
    if !key.allows_model(model) {
        return Err(KeyDenied::ModelNotAllowed {
            model: model.to_owned(),
        });
    }
    if key.budget_usd.is_some_and(|b| key.spent_usd >= b) {
        return Err(KeyDenied::BudgetSpent);
    }
    Ok(())
}

/// Glob match where `*` matches any run of characters (possibly empty) and everything
/// else matches itself, case-sensitively. Greedy matcher that backtracks only to
/// the last star: at worst pattern × text steps, never exponential.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Position after the last `*` seen, and the text position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi + 1, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the star swallow one more character and retry.
            pi = sp;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}
