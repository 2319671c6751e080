//! The enumerated label values of the metrics: why an upstream attempt failed, what a breaker
//! did with a call, and which limiter refused a request.

use crate::error::{ErrorKind, GatewayError};
use crate::routing::breaker::Outcome;

/// Why an upstream attempt did not give the answer: the dispatcher's verdict, or for a
/// transport failure the error's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamError {
    /// A 429 from the member.
    RateLimited,
    /// A status worth another attempt (5xx, 408, 401/403...).
    Failed,
    /// The member cannot take this request (a protocol that cannot carry it).
    Unsuitable,
    /// The prompt did not fit the model's context window.
    ContextLength,
    /// No connection could be made.
    Unreachable,
    /// No response head in time.
    Timeout,
    /// The connection broke before the head (or the first stream event).
    Broken,
}

impl UpstreamError {
    /// Every kind, in the order they are written.
    pub const ALL: [UpstreamError; 7] = [
        UpstreamError::RateLimited,
        UpstreamError::Failed,
        UpstreamError::Unsuitable,
        UpstreamError::ContextLength,
        UpstreamError::Unreachable,
        UpstreamError::Timeout,
        UpstreamError::Broken,
    ];

    /// The `error` label; a transport failure's is its [`GatewayError::code`].
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamError::RateLimited => "rate_limited",
            UpstreamError::Failed => "failed",
            UpstreamError::Unsuitable => "unsuitable",
            UpstreamError::ContextLength => "context_length",
            UpstreamError::Unreachable => "upstream_unreachable",
            UpstreamError::Timeout => "upstream_timeout",
            UpstreamError::Broken => "upstream_broken",
        }
    }

    /// The transport failure `e` is, if it is one.
    pub fn transport(e: &GatewayError) -> Option<Self> {
        match e.kind() {
            ErrorKind::UpstreamUnreachable { .. } => Some(UpstreamError::Unreachable),
            ErrorKind::UpstreamTimeout { .. } => Some(UpstreamError::Timeout),
            ErrorKind::UpstreamBroken { .. } => Some(UpstreamError::Broken),
            _ => None,
        }
    }
}

/// What a breaker did with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerCall {
    /// Admitted; the member answered.
    Success,
    /// Admitted; the member failed.
    Failure,
    /// Admitted; the member answered 429.
    RateLimited,
    /// Refused: the breaker is open (or its probe is out).
    Rejected,
}

impl BreakerCall {
    pub(super) const ALL: [BreakerCall; 4] = [
        BreakerCall::Success,
        BreakerCall::Failure,
        BreakerCall::RateLimited,
        BreakerCall::Rejected,
    ];

    /// The `result` label.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerCall::Success => "success",
            BreakerCall::Failure => "failure",
            BreakerCall::RateLimited => "rate_limited",
            BreakerCall::Rejected => "rejected",
        }
    }
}

impl From<Outcome> for BreakerCall {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Success => BreakerCall::Success,
            Outcome::Failure => BreakerCall::Failure,
            Outcome::RateLimited => BreakerCall::RateLimited,
        }
    }
}

/// Where llmux itself refused a request for rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitScope {
    /// The per-client-address limiter.
    ClientIp,
    /// A listener's (forward's) own limiter.
    Forward,
    /// A member's requests- or tokens-per-minute window.
    Member,
}

impl RateLimitScope {
    pub(super) const ALL: [RateLimitScope; 3] = [
        RateLimitScope::ClientIp,
        RateLimitScope::Forward,
        RateLimitScope::Member,
    ];

    /// The `scope` label.
    pub fn as_str(self) -> &'static str {
        match self {
            RateLimitScope::ClientIp => "client_ip",
            RateLimitScope::Forward => "forward",
            RateLimitScope::Member => "member",
        }
    }
}
