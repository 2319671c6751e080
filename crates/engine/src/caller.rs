//! Who sent a request: the llmux key it presented (if any), its tags and its address. The
//! server finds the key and the address; the engine adds the tags and the key's admission
//! once the model is known, and copies the caller into the request's record.

use std::net::IpAddr;
use std::sync::Arc;

/// The llmux key a request was admitted with, as records and metrics name it (never the
/// secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentity {
    /// The key's id (`key_...`).
    pub id: String,
    /// The name the operator gave the key.
    pub name: String,
}

/// The caller of one request.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The key, when the request presented a valid llmux key.
    pub key: Option<Arc<KeyIdentity>>,
    /// The request's tags, in priority order (see [`crate::tags`]).
    pub tags: Vec<String>,
    /// The client's address, when the connection has one.
    pub client_ip: Option<IpAddr>,
    /// What the request holds against its key (budget, window), settled with the record.
    pub admission: Option<Arc<crate::access::Admission>>,
}

impl Caller {
    /// The key's id, if any.
    pub fn key_id(&self) -> Option<&str> {
        self.key.as_deref().map(|k| k.id.as_str())
    }

    /// The key's name, if any.
    pub fn key_name(&self) -> Option<&str> {
        self.key.as_deref().map(|k| k.name.as_str())
    }
}
