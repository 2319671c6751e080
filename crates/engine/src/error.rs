//! The one error type of the request path. The server turns it into a response in the
//! client's dialect in exactly one place.

use std::time::Duration;

/// Who caused an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client sent something wrong.
    Client,
    /// The provider failed or misbehaved.
    Upstream,
    /// llmux itself.
    Gateway,
}

/// What went wrong, with the details a message needs.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The body is not the JSON object the endpoint expects.
    #[error("{0}")]
    InvalidJson(String),
    /// The request is valid JSON but not a valid request of its API (decoder message).
    #[error("{0}")]
    InvalidRequest(String),
    /// The request uses something the target provider cannot take.
    #[error("provider `{provider}` cannot take {loss}")]
    Untranslatable {
        /// Provider id.
        provider: String,
        /// The field and the reason.
        loss: String,
    },
    /// The provider answered with an error (translated calls; same-protocol calls pass the
    /// provider's body through instead).
    #[error("provider `{provider}` answered {status}: {message}")]
    UpstreamStatus {
        /// Provider id.
        provider: String,
        /// The provider's HTTP status.
        status: u16,
        /// The provider's error message.
        message: String,
        /// The provider's `Retry-After`, passed on to the client.
        retry_after: Option<String>,
    },
    /// A field has the wrong type or value.
    #[error("{message}")]
    InvalidField {
        /// The offending parameter.
        param: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// No provider or virtual model serves this model name.
    #[error("the model `{model}` does not exist or is not served by this gateway; list the available models with GET /v1/models")]
    ModelNotFound {
        /// The requested name.
        model: String,
    },
    /// The body is larger than `server.body_limit`.
    #[error("the request body is larger than the limit of {limit} bytes; send a smaller request or raise `server.body_limit`")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The route does not exist.
    #[error("unknown endpoint {method} {path}")]
    RouteNotFound {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
    },
    /// The route exists for other methods.
    #[error(
        "{method} is not allowed on {path}; inference endpoints take POST, model listings GET"
    )]
    MethodNotAllowed {
        /// HTTP method used.
        method: String,
        /// Request path.
        path: String,
    },
    /// The provider speaks another protocol and no translation exists for this pair yet.
    #[error("the model `{model}` is served by provider `{provider}`, which speaks {provider_dialect}; requests in {client_dialect} cannot be translated to it")]
    UnsupportedTranslation {
        /// Requested model.
        model: String,
        /// Provider id.
        provider: String,
        /// The provider's protocol.
        provider_dialect: &'static str,
        /// The client's protocol.
        client_dialect: &'static str,
    },
    /// The provider could not be reached.
    #[error("could not reach provider `{provider}`: {detail}")]
    UpstreamUnreachable {
        /// Provider id.
        provider: String,
        /// Connection error (never contains secrets).
        detail: String,
    },
    /// The provider did not answer in time.
    #[error("provider `{provider}` did not {what} within {after:?}")]
    UpstreamTimeout {
        /// Provider id.
        provider: String,
        /// What it did not do (`send the response head`, `send more data`, ...).
        what: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The provider broke the connection or sent something unusable.
    #[error("provider `{provider}` failed mid-response: {detail}")]
    UpstreamBroken {
        /// Provider id.
        provider: String,
        /// What happened.
        detail: String,
    },
    /// No member that could serve the model can take a request now.
    #[error(
        "no upstream for `{model}` can take a request now ({reason}); retry after {retry_after} s"
    )]
    NoUpstreamAvailable {
        /// The requested model.
        model: String,
        /// Why (breakers open, rate limits).
        reason: String,
        /// Whole seconds until one may be available again.
        retry_after: String,
    },
    /// One of llmux's own rate limits refused the request.
    #[error(
        "too many requests: the rate limit of {scope} is exhausted; retry after {retry_after} s"
    )]
    RateLimited {
        /// What is limited (`client 10.0.0.1`, `forward tenant-a`).
        scope: String,
        /// Whole seconds until a request would be admitted.
        retry_after: String,
    },
    /// The client's llmux key is missing, unknown, revoked, expired, not allowed the model,
    /// or out of budget.
    #[error("{0}")]
    KeyDenied(crate::keys::KeyDenied),
    /// A bug or resource problem in llmux.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An error on the request path.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct GatewayError {
    kind: ErrorKind,
    /// Upstream attempts made before giving up, when the request went through a group or
    /// fallbacks (told to the client in `x-llmux-attempts`).
    attempts: Option<u32>,
}

impl From<ErrorKind> for GatewayError {
    fn from(kind: ErrorKind) -> Self {
        GatewayError {
            kind,
            attempts: None,
        }
    }
}

impl GatewayError {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Upstream attempts made before this error, when several could be made.
    pub fn attempts(&self) -> Option<u32> {
        self.attempts
    }

    /// Notes how many upstream attempts were made before this error.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = Some(attempts);
        self
    }

    /// Who is at fault.
    pub fn side(&self) -> Side {
        match self.kind {
            ErrorKind::InvalidJson(_)
            | ErrorKind::InvalidRequest(_)
            | ErrorKind::Untranslatable { .. }
            | ErrorKind::InvalidField { .. }
            | ErrorKind::ModelNotFound { .. }
            | ErrorKind::PayloadTooLarge { .. }
            | ErrorKind::RouteNotFound { .. }
            | ErrorKind::MethodNotAllowed { .. }
            | ErrorKind::UnsupportedTranslation { .. }
            | ErrorKind::RateLimited { .. }
            | ErrorKind::KeyDenied(_) => Side::Client,
            ErrorKind::UpstreamUnreachable { .. }
            | ErrorKind::NoUpstreamAvailable { .. }
            | ErrorKind::UpstreamTimeout { .. }
            | ErrorKind::UpstreamStatus { .. }
            | ErrorKind::UpstreamBroken { .. } => Side::Upstream,
            ErrorKind::Internal(_) => Side::Gateway,
        }
    }

    /// Whether trying again (maybe elsewhere) could succeed.
    pub fn retryable(&self) -> bool {
        self.side() == Side::Upstream
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self.kind {
            ErrorKind::InvalidJson(_)
            | ErrorKind::InvalidRequest(_)
            | ErrorKind::Untranslatable { .. }
            | ErrorKind::InvalidField { .. } => 400,
            // A rate limit or overload stays what it is; a rejected provider key is not the
            // client's fault (502); other provider errors keep their class.
            ErrorKind::UpstreamStatus { status, .. } => match status {
                401 | 403 => 502,
                s @ 400..=599 => s,
                _ => 502,
            },
            ErrorKind::UnsupportedTranslation { .. } => 400,
            ErrorKind::ModelNotFound { .. } | ErrorKind::RouteNotFound { .. } => 404,
            ErrorKind::MethodNotAllowed { .. } => 405,
            ErrorKind::PayloadTooLarge { .. } => 413,
            ErrorKind::UpstreamUnreachable { .. } | ErrorKind::UpstreamBroken { .. } => 502,
            ErrorKind::UpstreamTimeout { .. } => 504,
            ErrorKind::NoUpstreamAvailable { .. } => 503,
            ErrorKind::RateLimited { .. } => 429,
            ErrorKind::KeyDenied(ref denied) => denied.status(),
            ErrorKind::Internal(_) => 500,
        }
    }

    /// Low-cardinality label for logs and metrics; also OpenAI's `code`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::InvalidJson(_) => "invalid_json",
            ErrorKind::InvalidRequest(_) => "invalid_request",
            ErrorKind::Untranslatable { .. } => "untranslatable",
            ErrorKind::UpstreamStatus { .. } => "upstream_status",
            ErrorKind::InvalidField { .. } => "invalid_field",
            ErrorKind::ModelNotFound { .. } => "model_not_found",
            ErrorKind::PayloadTooLarge { .. } => "payload_too_large",
            ErrorKind::RouteNotFound { .. } => "unknown_url",
            ErrorKind::MethodNotAllowed { .. } => "method_not_allowed",
            ErrorKind::UnsupportedTranslation { .. } => "unsupported_translation",
            ErrorKind::UpstreamUnreachable { .. } => "upstream_unreachable",
            ErrorKind::UpstreamTimeout { .. } => "upstream_timeout",
            ErrorKind::UpstreamBroken { .. } => "upstream_broken",
            ErrorKind::NoUpstreamAvailable { .. } => "no_upstream_available",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::KeyDenied(ref denied) => denied.code(),
            ErrorKind::Internal(_) => "internal_error",
        }
    }

    /// Seconds (or a date) the client should wait before retrying, when the provider said.
    pub fn retry_after(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::UpstreamStatus { retry_after, .. } => retry_after.as_deref(),
            ErrorKind::NoUpstreamAvailable { retry_after, .. }
            | ErrorKind::RateLimited { retry_after, .. } => Some(retry_after),
            _ => None,
        }
    }

    /// The request parameter at fault, if any.
    pub fn param(&self) -> Option<&'static str> {
        match &self.kind {
            ErrorKind::InvalidField { param, .. } => Some(param),
            ErrorKind::ModelNotFound { .. } | ErrorKind::UnsupportedTranslation { .. } => {
                Some("model")
            }
            _ => None,
        }
    }

    /// llmux's own rate limit on `scope`, admitting again after `wait`.
    pub fn rate_limited(scope: impl Into<String>, wait: Duration) -> Self {
        GatewayError::from(ErrorKind::RateLimited {
            scope: scope.into(),
            retry_after: whole_seconds(wait).to_string(),
        })
    }

    /// Shorthand for an invalid field.
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        GatewayError::from(ErrorKind::InvalidField {
            param,
            message: message.into(),
        })
    }
}

/// A wait in whole seconds, rounded up, at least 1 (the form of `Retry-After`).
pub fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_table() {
        let cases: Vec<(GatewayError, u16, Side, bool, &str)> = vec![
            (
                ErrorKind::InvalidJson("x".into()).into(),
                400,
                Side::Client,
                false,
                "invalid_json",
            ),
            (
                GatewayError::invalid("model", "x"),
                400,
                Side::Client,
                false,
                "invalid_field",
            ),
            (
                ErrorKind::ModelNotFound { model: "m".into() }.into(),
                404,
                Side::Client,
                false,
                "model_not_found",
            ),
            (
                ErrorKind::PayloadTooLarge { limit: 1 }.into(),
                413,
                Side::Client,
                false,
                "payload_too_large",
            ),
            (
                ErrorKind::UpstreamUnreachable {
                    provider: "p".into(),
                    detail: "refused".into(),
                }
                .into(),
                502,
                Side::Upstream,
                true,
                "upstream_unreachable",
            ),
            (
                ErrorKind::UpstreamTimeout {
                    provider: "p".into(),
                    what: "answer",
                    after: Duration::from_secs(1),
                }
                .into(),
                504,
                Side::Upstream,
                true,
                "upstream_timeout",
            ),
            (
                ErrorKind::Internal("bug".into()).into(),
                500,
                Side::Gateway,
                false,
                "internal_error",
            ),
        ];
        for (err, status, side, retry, code) in cases {
            assert_eq!(err.status(), status, "{err}");
            assert_eq!(err.side(), side, "{err}");
            assert_eq!(err.retryable(), retry, "{err}");
            assert_eq!(err.code(), code, "{err}");
        }
    }

    #[test]
    fn model_not_found_says_how_to_list_models() {
        let e: GatewayError = ErrorKind::ModelNotFound {
            model: "gpt-9".into(),
        }
        .into();
        let msg = e.to_string();
        assert!(
            msg.contains("`gpt-9`") && msg.contains("GET /v1/models"),
            "{msg}"
        );
    }
}
