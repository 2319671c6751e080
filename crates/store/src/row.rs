//! The per-request usage row and the status classes filters use.

/// Everything stored about one request (issue 5's usage record). Serialises field for field
/// (the JSON of the admin usage API and of `llmux usage --json`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct UsageRow {
    /// When the request finished, in milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// Stable id of the llmux key used, if any.
    pub key_id: Option<String>,
    /// Display name of that key.
    pub key_name: Option<String>,
    /// Tags of the request, in the order they were resolved.
    pub tags: Vec<String>,
    /// Client IP address.
    pub client_ip: Option<String>,
    /// Reverse-DNS host of the client, when lookups are on.
    pub client_host: Option<String>,
    /// Client API the request came in on (`openai`, `anthropic`, ...).
    pub client_api: String,
    /// Serving provider id.
    pub provider: String,
    /// Group member that served it, when routed through a group.
    pub member: Option<String>,
    /// Model name the client asked for.
    pub requested_model: String,
    /// Model id actually sent upstream.
    pub resolved_model: String,
    /// HTTP status returned to the client.
    pub status: u16,
    /// Error kind when the request failed.
    pub error_kind: Option<String>,
    /// Upstream attempts made.
    pub attempts: u32,
    /// Prompt tokens, cached ones included (normalised before storing).
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's cache.
    pub cached_tokens: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens (part of the completion).
    pub reasoning_tokens: u64,
    /// Time to first token in milliseconds, if any token came.
    pub ttft_ms: Option<f64>,
    /// Total duration in milliseconds.
    pub duration_ms: f64,
    /// Output tokens per second of generation, if measurable.
    pub output_tokens_per_s: Option<f64>,
    /// Cost in US dollars; `None` when the price is unknown (never a guessed number).
    pub cost_usd: Option<f64>,
    /// Whether the response was streamed.
    pub stream: bool,
}

/// A class of HTTP status, as the filters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// 1xx.
    Informational,
    /// 2xx.
    Success,
    /// 3xx.
    Redirect,
    /// 4xx.
    ClientError,
    /// 5xx.
    ServerError,
}

impl StatusClass {
    /// The class of `status`, if it is a valid HTTP status (100..=599).
    pub fn of(status: u16) -> Option<Self> {
        match status {
            100..=199 => Some(Self::Informational),
            200..=299 => Some(Self::Success),
            300..=399 => Some(Self::Redirect),
            400..=499 => Some(Self::ClientError),
            500..=599 => Some(Self::ServerError),
            _ => None,
        }
    }

    /// The half-open status range `[low, high)` of the class.
    pub fn range(self) -> (u16, u16) {
        let low = match self {
            Self::Informational => 100,
            Self::Success => 200,
            Self::Redirect => 300,
            Self::ClientError => 400,
            Self::ServerError => 500,
        };
        (low, low + 100)
    }
}
