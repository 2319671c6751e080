//! Round-trip properties of the five dialect codecs over the canonical model.
//!
//! Every property is table-driven over [`CODECS`]: one row per dialect, holding its codec
//! functions and what it carries of the canonical model (`Caps` for requests, `RespCaps` for
//! answers). Losses a codec documents are generated anyway and accounted for by a normaliser
//! that quotes the documentation ([`norm_request`], [`norm_response`], [`norm_stop`],
//! [`norm_usage`]); the generators leave out only what a dialect has no room for at all.
//!
//! 1. Requests: a canonical request from a dialect's portable subset survives
//!    `decode_request(encode_request(req))` up to [`norm_request`], and encoding reports no
//!    `Loss` for it.
//! 2. Answers: `decode_response(encode_response(resp))` keeps content, stop reason and usage up
//!    to [`norm_response`] (what the dialect cannot express: ids, `created`, merged text, ...).
//! 3. Streams: a well-formed canonical event sequence, encoded by the dialect's `StreamEncoder`,
//!    framed (SSE or NDJSON) and decoded by its `StreamDecoder`, keeps its text, thinking text,
//!    tool names and arguments, stop reason and usage ([`Seen`]: block boundaries and indices
//!    may legitimately differ), and ends with exactly one `MessageStop`.
//! 4. Cross-dialect: for every ordered pair (A, B), an answer from the portable subset of both,
//!    encoded and decoded by B (the provider) and then by A (the client), keeps its text,
//!    thinking text, tool calls, stop reason and usage.
//!
//! Properties 1 to 3 found three codec bugs, now fixed; each one's minimal case stays as a
//! `bug_*` regression test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use bytes::{Bytes, BytesMut};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use llmux_protocol::canonical::{
    BlockDelta, BlockStart, ChatRequest, ChatResponse, ContentBlock, Loss, Message,
    ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Sampling, StopReason, StreamEvent,
    ToolChoice, ToolDef,
};
use llmux_protocol::dialects::{
    anthropic, gemini, ollama, openai_chat, openai_responses, DecodeError, Framing, StreamDecode,
    StreamEncode,
};
use llmux_protocol::ndjson::LineSplitter;
use llmux_protocol::sse::SseSplitter;
use llmux_protocol::{Dialect, Usage};

/// Cases per property (each case checks every dialect, or every pair of dialects).
const CASES: u32 = 64;

/// [`CASES`] cases, and no regression files written next to this one.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The codec table
// ---------------------------------------------------------------------------------------------

/// One dialect: its codec functions and the portable subset of the canonical model.
struct Codec {
    dialect: Dialect,
    encode_request: fn(&ChatRequest) -> Result<Vec<u8>, Loss>,
    decode_request: fn(&[u8]) -> Result<ChatRequest, DecodeError>,
    encode_response: fn(&ChatResponse) -> Vec<u8>,
    decode_response: fn(&[u8]) -> Result<ChatResponse, DecodeError>,
    stream_encoder: fn() -> Box<dyn StreamEncode>,
    stream_decoder: fn() -> Box<dyn StreamDecode>,
    request: Caps,
    response: RespCaps,
}

/// What a dialect's requests can carry, for the request generator.
struct Caps {
    /// `Role::System` messages after the first message (kept, or hoisted as documented).
    mid_system: bool,
    /// Redacted thinking in assistant history (kept, or dropped as documented).
    redacted_history: bool,
    /// Tool call ids are carried; otherwise they are `call_<n>`, counted over the conversation.
    call_ids_kept: bool,
    /// Tool definitions may set `strict` (kept, or dropped as documented).
    tool_strict: bool,
    tool_choice: ChoiceCaps,
    parallel: ParallelCaps,
    top_k: bool,
    stop: bool,
    seed: bool,
    penalties: bool,
    /// Largest `n` carried (0: none).
    max_n: u32,
    reasoning: fn() -> BoxedStrategy<Option<ReasoningConfig>>,
    response_format: fn() -> BoxedStrategy<Option<ResponseFormat>>,
}

#[derive(Clone, Copy, PartialEq)]
enum ChoiceCaps {
    All,
    /// Ollama: `auto` (what it always does) and `none` (sends no tools); the others are a Loss.
    AutoOrNone,
}

#[derive(Clone, Copy, PartialEq)]
enum ParallelCaps {
    Any,
    /// Anthropic: only `false`, as `disable_parallel_tool_use` (needs tools to be allowed).
    DisableWithTools,
    /// `false` is a Loss and `true` is the default: not generated.
    None,
}

/// What a dialect's answers carry faithfully, for the cross-dialect generator.
struct RespCaps {
    stops: &'static [StopKind],
    /// Usage counts beyond prompt and completion tokens.
    cached: bool,
    reasoning: bool,
    cache_write: bool,
}

/// Kinds of stop reason an answer can carry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum StopKind {
    /// `EndTurn` without tool calls, `ToolUse` with.
    Natural,
    MaxTokens,
    ContentFilter,
    /// Generated with text: the Responses API carries a refusal as refusal text.
    Refusal,
    StopSequence,
    Other,
}

fn enc_openai() -> Box<dyn StreamEncode> {
    Box::new(openai_chat::StreamEncoder::new(true))
}
fn dec_openai() -> Box<dyn StreamDecode> {
    Box::new(openai_chat::StreamDecoder::new())
}
fn enc_anthropic() -> Box<dyn StreamEncode> {
    Box::new(anthropic::StreamEncoder::new())
}
fn dec_anthropic() -> Box<dyn StreamDecode> {
    Box::new(anthropic::StreamDecoder::new())
}
fn enc_gemini() -> Box<dyn StreamEncode> {
    Box::new(gemini::StreamEncoder::new())
}
fn dec_gemini() -> Box<dyn StreamDecode> {
    Box::new(gemini::StreamDecoder::new())
}
fn enc_ollama() -> Box<dyn StreamEncode> {
    Box::new(ollama::StreamEncoder::new())
}
fn dec_ollama() -> Box<dyn StreamDecode> {
    Box::new(ollama::StreamDecoder::new())
}
fn enc_responses() -> Box<dyn StreamEncode> {
    Box::new(openai_responses::StreamEncoder::new())
}
fn dec_responses() -> Box<dyn StreamDecode> {
    Box::new(openai_responses::StreamDecoder::new())
}

static CODECS: [Codec; 5] = [
    Codec {
        dialect: Dialect::OpenAiChat,
        encode_request: openai_chat::encode_request,
        decode_request: openai_chat::decode_request,
        encode_response: openai_chat::encode_response,
        decode_response: openai_chat::decode_response,
        stream_encoder: enc_openai,
        stream_decoder: dec_openai,
        request: Caps {
            mid_system: true,
            redacted_history: false, // a Loss
            call_ids_kept: true,
            tool_strict: true,
            tool_choice: ChoiceCaps::All,
            parallel: ParallelCaps::Any,
            top_k: false, // a Loss
            stop: true,
            seed: true,
            penalties: true,
            max_n: 4,
            reasoning: reasoning_without_thoughts,
            response_format: format_any,
        },
        response: RespCaps {
            stops: &[
                StopKind::Natural,
                StopKind::MaxTokens,
                StopKind::ContentFilter,
                StopKind::Other,
            ],
            cached: true,
            reasoning: true,
            cache_write: false,
        },
    },
    Codec {
        dialect: Dialect::Anthropic,
        encode_request: anthropic::encode_request,
        decode_request: anthropic::decode_request,
        encode_response: anthropic::encode_response,
        decode_response: anthropic::decode_response,
        stream_encoder: enc_anthropic,
        stream_decoder: dec_anthropic,
        request: Caps {
            mid_system: true,
            redacted_history: true,
            call_ids_kept: true,
            tool_strict: false,
            tool_choice: ChoiceCaps::All,
            parallel: ParallelCaps::DisableWithTools,
            top_k: true,
            stop: true,
            seed: false,      // a Loss
            penalties: false, // a Loss unless zero
            max_n: 0,
            reasoning: reasoning_without_thoughts,
            // A JSON format is sent as a forced tool, which reads back as that tool.
            response_format: format_none,
        },
        response: RespCaps {
            stops: &[
                StopKind::Natural,
                StopKind::MaxTokens,
                StopKind::Refusal,
                StopKind::StopSequence,
                StopKind::Other,
            ],
            cached: true,
            reasoning: false,
            cache_write: true,
        },
    },
    Codec {
        dialect: Dialect::Gemini,
        encode_request: gemini::encode_request,
        decode_request: gemini::decode_request,
        encode_response: gemini::encode_response,
        decode_response: gemini::decode_response,
        stream_encoder: enc_gemini,
        stream_decoder: dec_gemini,
        request: Caps {
            mid_system: false,       // a Loss
            redacted_history: false, // a Loss
            call_ids_kept: true,
            tool_strict: true,
            tool_choice: ChoiceCaps::All,
            parallel: ParallelCaps::None,
            top_k: true,
            stop: true,
            seed: true,
            penalties: true,
            max_n: 1,
            reasoning: reasoning_gemini,
            response_format: format_json,
        },
        response: RespCaps {
            stops: &[
                StopKind::Natural,
                StopKind::MaxTokens,
                StopKind::ContentFilter,
                StopKind::Other,
            ],
            cached: true,
            reasoning: true,
            cache_write: false,
        },
    },
    Codec {
        dialect: Dialect::Ollama,
        encode_request: ollama::encode_request,
        decode_request: ollama::decode_request,
        encode_response: ollama::encode_response,
        decode_response: ollama::decode_response,
        stream_encoder: enc_ollama,
        stream_decoder: dec_ollama,
        request: Caps {
            mid_system: true,
            redacted_history: false, // a Loss
            call_ids_kept: false,
            tool_strict: true,
            tool_choice: ChoiceCaps::AutoOrNone,
            parallel: ParallelCaps::None,
            top_k: true,
            stop: true,
            seed: true,
            penalties: true,
            max_n: 0,
            reasoning: reasoning_any,
            response_format: format_json,
        },
        response: RespCaps {
            stops: &[
                StopKind::Natural,
                StopKind::MaxTokens,
                StopKind::ContentFilter,
                StopKind::Refusal,
                StopKind::Other,
            ],
            cached: false,
            reasoning: false,
            cache_write: false,
        },
    },
    Codec {
        dialect: Dialect::OpenAiResponses,
        encode_request: openai_responses::encode_request,
        decode_request: openai_responses::decode_request,
        encode_response: openai_responses::encode_response,
        decode_response: openai_responses::decode_response,
        stream_encoder: enc_responses,
        stream_decoder: dec_responses,
        request: Caps {
            mid_system: true,
            redacted_history: true,
            call_ids_kept: true,
            tool_strict: true,
            tool_choice: ChoiceCaps::All,
            parallel: ParallelCaps::Any,
            // Stop sequences, top_k, seed, penalties and n > 1 are a Loss.
            top_k: false,
            stop: false,
            seed: false,
            penalties: false,
            max_n: 0,
            reasoning: reasoning_any,
            response_format: format_any,
        },
        response: RespCaps {
            stops: &[
                StopKind::Natural,
                StopKind::MaxTokens,
                StopKind::ContentFilter,
                StopKind::Refusal,
            ],
            cached: true,
            reasoning: true,
            cache_write: true,
        },
    },
];

/// One strategy per codec, as one strategy of a vector (index `i` is for `CODECS[i]`).
fn per_codec<T: std::fmt::Debug + 'static>(
    f: impl Fn(&'static Codec) -> BoxedStrategy<T>,
) -> Vec<BoxedStrategy<T>> {
    CODECS.iter().map(f).collect()
}

// ---------------------------------------------------------------------------------------------
// Leaf generators
// ---------------------------------------------------------------------------------------------

/// Non-empty text of any printable characters, newlines and tabs included.
fn text() -> BoxedStrategy<String> {
    "[\\PC\n\t]{1,12}".boxed()
}

fn tool_name() -> BoxedStrategy<String> {
    "[a-z][a-z0-9_]{0,7}".boxed()
}

/// Opaque signatures: some OpenAI encrypted reasoning (`gAAAAA...`), some not.
fn signature() -> BoxedStrategy<String> {
    prop_oneof!["gAAAAA[A-Za-z0-9_=-]{0,10}", "[A-Za-z0-9+/=]{1,16}"].boxed()
}

/// Floats with at most two decimals, in `0..=max_hundredths / 100`.
fn decimal(max_hundredths: i32) -> BoxedStrategy<f64> {
    (0..=max_hundredths)
        .prop_map(|n| f64::from(n) / 100.0)
        .boxed()
}

fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        "[\\PC\n]{0,8}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        (-100_000i32..100_000).prop_map(|n| json!(f64::from(n) / 100.0)),
    ]
    .boxed()
}

/// Tool-call arguments: a JSON object with nested arrays and objects.
fn args() -> BoxedStrategy<Value> {
    let value = json_leaf().prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    btree_map("[a-z_]{1,6}", value, 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// Arguments that were not valid JSON, kept as a JSON string of the raw text (as the OpenAI
/// and Responses decoders document).
fn raw_args() -> BoxedStrategy<Value> {
    "\\{\"[a-z]{0,4}\":?".prop_map(Value::from).boxed()
}

/// Tool-result text: plain, or JSON, including Gemini's `result` / `error` shapes.
fn result_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => text(),
        1 => args().prop_map(|v| v.to_string()),
        1 => (prop_oneof![Just("result"), Just("error")], text())
            .prop_map(|(k, t)| json!({ k: t }).to_string()),
    ]
    .boxed()
}

/// A simple object schema: typed properties, some described, some required.
fn schema() -> BoxedStrategy<Value> {
    let prop = (
        "[a-z]{1,6}",
        prop_oneof![
            Just("string"),
            Just("integer"),
            Just("number"),
            Just("boolean")
        ],
        option::of("[a-zA-Z ]{0,12}"),
        any::<bool>(),
    );
    vec(prop, 0..4)
        .prop_map(|props| {
            let mut properties = Map::new();
            let mut required: Vec<Value> = Vec::new();
            for (name, ty, description, req) in props {
                let mut s = json!({ "type": ty });
                if let Some(d) = description {
                    s["description"] = json!(d);
                }
                if req && !required.contains(&json!(name)) {
                    required.push(json!(name));
                }
                properties.insert(name, s);
            }
            json!({ "type": "object", "properties": properties, "required": required })
        })
        .boxed()
}

fn effort() -> BoxedStrategy<ReasoningEffort> {
    prop_oneof![
        Just(ReasoningEffort::None),
        Just(ReasoningEffort::Minimal),
        Just(ReasoningEffort::Low),
        Just(ReasoningEffort::Medium),
        Just(ReasoningEffort::High),
    ]
    .boxed()
}

fn reasoning(
    effort: Option<ReasoningEffort>,
    budget_tokens: Option<u32>,
    include_thoughts: Option<bool>,
) -> ReasoningConfig {
    ReasoningConfig {
        effort,
        budget_tokens,
        include_thoughts,
    }
}

/// Any reasoning settings.
fn reasoning_any() -> BoxedStrategy<Option<ReasoningConfig>> {
    option::of(
        (
            option::of(effort()),
            option::of(0u32..32_000),
            option::of(any::<bool>()),
        )
            .prop_map(|(e, b, i)| reasoning(e, b, i)),
    )
    .boxed()
}

/// An effort and a budget, without `include_thoughts` (OpenAI Chat and Anthropic have no
/// field for it).
fn reasoning_without_thoughts() -> BoxedStrategy<Option<ReasoningConfig>> {
    option::of(
        (option::of(effort()), option::of(0u32..32_000)).prop_map(|(e, b)| reasoning(e, b, None)),
    )
    .boxed()
}

/// Gemini's `thinkingConfig`: `thinkingLevel`, `thinkingBudget`, `includeThoughts`, at least one.
/// (Effort `none` is sent as a zero budget, which reads back as a budget: not generated.)
fn reasoning_gemini() -> BoxedStrategy<Option<ReasoningConfig>> {
    let level = prop_oneof![
        Just(ReasoningEffort::Minimal),
        Just(ReasoningEffort::Low),
        Just(ReasoningEffort::Medium),
        Just(ReasoningEffort::High),
    ];
    option::of(
        (
            option::of(level),
            option::of(0u32..32_000),
            option::of(any::<bool>()),
        )
            .prop_filter("some thinking setting", |(e, b, i)| {
                e.is_some() || b.is_some() || i.is_some()
            })
            .prop_map(|(e, b, i)| reasoning(e, b, i)),
    )
    .boxed()
}

fn json_schema_format() -> BoxedStrategy<ResponseFormat> {
    ("[a-z_]{1,8}", schema(), option::of(any::<bool>()))
        .prop_map(|(name, schema, strict)| ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        })
        .boxed()
}

fn format_any() -> BoxedStrategy<Option<ResponseFormat>> {
    option::of(prop_oneof![
        Just(ResponseFormat::Text),
        Just(ResponseFormat::JsonObject),
        json_schema_format(),
    ])
    .boxed()
}

fn format_none() -> BoxedStrategy<Option<ResponseFormat>> {
    Just(None).boxed()
}

/// JSON or a schema (plain text is no setting at all in Gemini and Ollama).
fn format_json() -> BoxedStrategy<Option<ResponseFormat>> {
    option::of(prop_oneof![
        Just(ResponseFormat::JsonObject),
        json_schema_format()
    ])
    .boxed()
}

fn stop_reason() -> BoxedStrategy<StopReason> {
    prop_oneof![
        Just(StopReason::EndTurn),
        Just(StopReason::MaxTokens),
        option::of("[a-z]{1,4}").prop_map(|sequence| StopReason::StopSequence { sequence }),
        Just(StopReason::ToolUse),
        Just(StopReason::ContentFilter),
        Just(StopReason::Refusal),
        "x_[a-z]{1,6}".prop_map(|value| StopReason::Other { value }),
    ]
    .boxed()
}

/// Usage that keeps the canonical invariants (cached and cache-write tokens are part of the
/// prompt, reasoning tokens part of the completion), with only the counts asked for.
fn usage_with(cached: bool, reasoning: bool, cache_write: bool) -> BoxedStrategy<Usage> {
    let n = || 0u64..100_000;
    (n(), n(), n(), n(), n())
        .prop_map(move |(extra_in, extra_out, c, r, w)| {
            let c = if cached { c } else { 0 };
            let r = if reasoning { r } else { 0 };
            let w = if cache_write { w } else { 0 };
            Usage {
                prompt_tokens: extra_in + c + w,
                completion_tokens: extra_out + r,
                cached_tokens: c,
                reasoning_tokens: r,
                cache_write_tokens: w,
            }
        })
        .boxed()
}

fn usage() -> BoxedStrategy<Usage> {
    usage_with(true, true, true)
}

fn texts(texts: &[String]) -> Vec<ContentBlock> {
    texts.iter().map(ContentBlock::text).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Requests
// ---------------------------------------------------------------------------------------------

/// One turn of a well-formed conversation: an optional system message (mid-conversation), a
/// user message, an assistant answer, and the results of its tool calls (all, in call order).
#[derive(Debug, Clone)]
struct Turn {
    system: Option<Vec<String>>,
    user: Vec<String>,
    thinking: Option<(String, Option<String>)>,
    redacted: Option<String>,
    texts: Vec<String>,
    calls: Vec<(String, Value)>,
    /// One per call (extra ones unused): result texts and `is_error`.
    results: Vec<(Vec<String>, bool)>,
    id_prefix: String,
}

fn turn(c: &'static Caps) -> BoxedStrategy<Turn> {
    let system = if c.mid_system {
        option::of(vec(text(), 1..=3)).boxed()
    } else {
        Just(None).boxed()
    };
    let redacted = if c.redacted_history {
        option::of(signature()).boxed()
    } else {
        Just(None).boxed()
    };
    (
        system,
        vec(text(), 1..=3),
        option::of((text(), option::of(signature()))),
        redacted,
        vec(text(), 0..=3),
        vec((tool_name(), args()), 0..3),
        vec((vec(result_text(), 0..=2), any::<bool>()), 3),
        "[A-Za-z]{1,6}",
    )
        .prop_map(
            |(system, user, thinking, redacted, texts, calls, results, id_prefix)| Turn {
                system,
                user,
                thinking,
                redacted,
                texts,
                calls,
                results,
                id_prefix,
            },
        )
        .boxed()
}

/// The messages of a conversation of `turns`.
fn conversation(c: &Caps, turns: Vec<Turn>) -> Vec<Message> {
    let mut messages = Vec::new();
    let mut calls = 0usize;
    for t in turns {
        if let Some(system) = t.system.filter(|_| !messages.is_empty()) {
            messages.push(Message {
                role: Role::System,
                content: texts(&system),
            });
        }
        messages.push(Message {
            role: Role::User,
            content: texts(&t.user),
        });
        let mut answer = Vec::new();
        if let Some((text, signature)) = t.thinking {
            answer.push(ContentBlock::Thinking { text, signature });
        }
        if let Some(data) = t.redacted {
            answer.push(ContentBlock::RedactedThinking { data });
        }
        answer.extend(texts(&t.texts));
        if t.texts.is_empty() && t.calls.is_empty() {
            answer.push(ContentBlock::text("ok"));
        }
        let mut results = Vec::new();
        for ((name, input), (result, is_error)) in t.calls.into_iter().zip(t.results) {
            let id = if c.call_ids_kept {
                format!("{}_{calls}", t.id_prefix)
            } else {
                format!("call_{calls}")
            };
            calls += 1;
            answer.push(ContentBlock::ToolUse {
                id: id.clone(),
                name,
                input,
            });
            results.push(ContentBlock::ToolResult {
                tool_use_id: id,
                content: texts(&result),
                is_error,
            });
        }
        messages.push(Message {
            role: Role::Assistant,
            content: answer,
        });
        if !results.is_empty() {
            messages.push(Message {
                role: Role::User,
                content: results,
            });
        }
    }
    messages
}

fn tool_def(c: &'static Caps) -> BoxedStrategy<ToolDef> {
    let strict = if c.tool_strict {
        option::of(any::<bool>()).boxed()
    } else {
        Just(None).boxed()
    };
    (tool_name(), option::of("[ -~]{0,20}"), schema(), strict)
        .prop_map(|(name, description, parameters, strict)| ToolDef {
            name,
            description,
            parameters,
            strict,
        })
        .boxed()
}

fn tool_choice(c: &'static Caps) -> BoxedStrategy<Option<ToolChoice>> {
    match c.tool_choice {
        ChoiceCaps::All => option::of(prop_oneof![
            Just(ToolChoice::Auto),
            Just(ToolChoice::None),
            Just(ToolChoice::Required),
            tool_name().prop_map(|name| ToolChoice::Named { name }),
        ])
        .boxed(),
        ChoiceCaps::AutoOrNone => {
            option::of(prop_oneof![Just(ToolChoice::Auto), Just(ToolChoice::None)]).boxed()
        }
    }
}

fn sampling(codec: &'static Codec) -> BoxedStrategy<Sampling> {
    let c = &codec.request;
    let flag = |on: bool, s: BoxedStrategy<Option<u32>>| if on { s } else { Just(None).boxed() };
    let stop = if c.stop {
        vec("[a-z\n]{1,5}", 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    let seed = if c.seed {
        option::of(any::<i64>()).boxed()
    } else {
        Just(None).boxed()
    };
    let penalty = || {
        if c.penalties {
            option::of((-200i32..=200).prop_map(|n| f64::from(n) / 100.0)).boxed()
        } else {
            Just(None).boxed()
        }
    };
    (
        option::of(1u32..100_000),
        option::of(decimal(200)),
        option::of(decimal(100)),
        flag(c.top_k, option::of(1u32..500).boxed()),
        stop,
        seed,
        penalty(),
        penalty(),
        flag(c.max_n > 0, option::of(1..=c.max_n.max(1)).boxed()),
    )
        .prop_map(
            |(max_tokens, temperature, top_p, top_k, stop, seed, presence, frequency, n)| {
                Sampling {
                    max_tokens,
                    temperature,
                    top_p,
                    top_k,
                    stop,
                    seed,
                    presence_penalty: presence,
                    frequency_penalty: frequency,
                    n,
                }
            },
        )
        .boxed()
}

/// A request from the portable subset of `codec`.
fn request(codec: &'static Codec) -> BoxedStrategy<ChatRequest> {
    let c = &codec.request;
    (
        (
            "[a-z0-9.-]{1,12}",
            vec(text(), 0..=3),
            vec(turn(c), 1..4),
            vec(tool_def(c), 0..3),
        ),
        tool_choice(c),
        any::<bool>(),
        sampling(codec),
        (c.reasoning)(),
        (c.response_format)(),
        (any::<bool>(), any::<bool>()),
        option::of("[a-z0-9-]{1,10}"),
    )
        .prop_map(
            move |(
                (model, system, turns, tools),
                tool_choice,
                parallel,
                sampling,
                reasoning,
                response_format,
                (stream, stream_usage),
                user,
            )| {
                let parallel_tool_calls = match c.parallel {
                    ParallelCaps::Any => Some(parallel),
                    ParallelCaps::DisableWithTools => {
                        (parallel && !tools.is_empty() && tool_choice != Some(ToolChoice::None))
                            .then_some(false)
                    }
                    ParallelCaps::None => None,
                };
                ChatRequest {
                    model,
                    system: texts(&system),
                    messages: conversation(c, turns),
                    tools,
                    tool_choice,
                    parallel_tool_calls,
                    sampling,
                    reasoning,
                    response_format,
                    stream,
                    stream_usage: stream_usage && stream,
                    user,
                }
            },
        )
        .boxed()
}

/// Applies `f` to every content list of the request: system, messages, tool-result content.
fn each_content(req: &mut ChatRequest, f: &dyn Fn(&mut Vec<ContentBlock>)) {
    f(&mut req.system);
    for m in &mut req.messages {
        for b in &mut m.content {
            if let ContentBlock::ToolResult { content, .. } = b {
                f(content);
            }
        }
        f(&mut m.content);
    }
}

/// Every tool result's `is_error` cleared.
fn clear_is_error(req: &mut ChatRequest) {
    for m in &mut req.messages {
        for b in &mut m.content {
            if let ContentBlock::ToolResult { is_error, .. } = b {
                *is_error = false;
            }
        }
    }
}

/// The effort OpenAI-family encoders use for a bare budget: "≤ 1024 → low, ≤ 8192 → medium,
/// more → high".
fn budget_effort(budget: u32) -> ReasoningEffort {
    match budget {
        0..=1024 => ReasoningEffort::Low,
        1025..=8192 => ReasoningEffort::Medium,
        _ => ReasoningEffort::High,
    }
}

/// The text of a block that is text.
fn text_of(b: &ContentBlock) -> Option<&str> {
    match b {
        ContentBlock::Text { text } => Some(text),
        _ => None,
    }
}

/// A tool result through a Gemini `functionResponse` (module notes: "a function response's
/// `{"result": "..."}` is the tool result's text, `{"error": "..."}` an error result, and any
/// other JSON is kept as its text"). The encoder sends the result's text (its text blocks
/// concatenated: one response holds one value) as that JSON object when it is one and the
/// result is no error, else as `{"result": text}` or `{"error": text}`.
fn gemini_result(content: &[ContentBlock], is_error: bool) -> (Vec<ContentBlock>, bool) {
    let text: String = content.iter().filter_map(text_of).collect();
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) if !is_error => v,
        _ if is_error => json!({ "error": text }),
        _ => json!({ "result": text }),
    };
    if let Value::Object(m) = &response {
        if m.len() == 1 {
            if let Some(Value::String(s)) = m.get("result") {
                return (vec![ContentBlock::text(s)], false);
            }
            if let Some(Value::String(s)) = m.get("error") {
                return (vec![ContentBlock::text(s)], true);
            }
        }
    }
    (vec![ContentBlock::text(response.to_string())], false)
}

/// What `decode_request(encode_request(req))` gives for a portable `req`: the losses each
/// codec documents (quoted from its module or function docs), and nothing else.
fn norm_request(d: Dialect, req: &ChatRequest) -> ChatRequest {
    let mut r = req.clone();
    match d {
        Dialect::OpenAiChat => {
            // "Thinking blocks in assistant history are omitted"; "A tool result's `is_error`
            // flag has no wire form"; "When `stream` is true, `stream_options.include_usage` is
            // always requested".
            for m in &mut r.messages {
                m.content
                    .retain(|b| !matches!(b, ContentBlock::Thinking { .. }));
            }
            clear_is_error(&mut r);
            r.stream_usage = r.stream;
            // A `tool` message always has content: an empty result is sent as `""`.
            for m in &mut r.messages {
                for b in &mut m.content {
                    if let ContentBlock::ToolResult { content, .. } = b {
                        if content.is_empty() {
                            content.push(ContentBlock::text(""));
                        }
                    }
                }
            }
            // "`reasoning.budget_tokens` without an effort maps to `reasoning_effort`".
            r.reasoning = r
                .reasoning
                .and_then(|x| x.effort.or(x.budget_tokens.map(budget_effort)))
                .map(|e| reasoning(Some(e), None, None));
        }
        Dialect::Anthropic => {
            // "`system` blocks and `Role::System` messages from the conversation are hoisted
            // into `system`"; "consecutive messages of the same role are merged, messages left
            // without content are dropped, and tool results move to the front of a user turn".
            let mut merged: Vec<Message> = Vec::new();
            for m in r.messages.drain(..) {
                if m.role == Role::System {
                    r.system.extend(m.content);
                    continue;
                }
                if m.content.is_empty() {
                    continue;
                }
                match merged.last_mut() {
                    Some(prev) if prev.role == m.role => prev.content.extend(m.content),
                    _ => merged.push(m),
                }
            }
            for m in &mut merged {
                if m.role == Role::User {
                    m.content
                        .sort_by_key(|b| !matches!(b, ContentBlock::ToolResult { .. }));
                }
            }
            r.messages = merged;
            // `stream_usage` is OpenAI's `stream_options.include_usage` (its canonical doc):
            // Anthropic has no such field, its streams always carry usage.
            r.stream_usage = false;
            // `disable_parallel_tool_use` exists only inside a `tool_choice`: without one, the
            // encoder writes Anthropic's default (`auto`), which reads back as such.
            if r.parallel_tool_calls == Some(false) && r.tool_choice.is_none() {
                r.tool_choice = Some(ToolChoice::Auto);
            }
            // "a reasoning budget becomes `thinking: {type: enabled}`; an effort without a
            // budget maps to 1024 / 2048 / 8192 / 16384 tokens (minimal / low / medium / high);
            // effort `none` becomes `thinking: {type: disabled}`"; "`max_tokens` defaults to
            // 4096 (or the thinking budget plus 4096 when thinking is on)".
            let budget = r.reasoning.as_ref().and_then(|x| {
                x.budget_tokens.or_else(|| match x.effort? {
                    ReasoningEffort::None => None,
                    ReasoningEffort::Minimal => Some(1024),
                    ReasoningEffort::Low => Some(2048),
                    ReasoningEffort::Medium => Some(8192),
                    ReasoningEffort::High => Some(16384),
                })
            });
            let disabled = r
                .reasoning
                .as_ref()
                .is_some_and(|x| x.effort == Some(ReasoningEffort::None));
            r.reasoning = match budget {
                Some(b) => Some(reasoning(None, Some(b), None)),
                None if disabled => Some(reasoning(Some(ReasoningEffort::None), None, None)),
                None => None,
            };
            r.sampling
                .max_tokens
                .get_or_insert(budget.map_or(4096, |b| b.saturating_add(4096)));
        }
        Dialect::Gemini => {
            // "the model is part of the URL, never of the body"; "`stream` chooses the URL";
            // "Not carried: `user` (Gemini has no end-user field) and tools' `strict`".
            r.model.clear();
            r.stream = false;
            r.stream_usage = false;
            r.user = None;
            for t in &mut r.tools {
                t.strict = None;
            }
            // A response schema has no name on the wire (it reads back as `response`) and no
            // `strict`.
            if let Some(ResponseFormat::JsonSchema { name, strict, .. }) = &mut r.response_format {
                *name = "response".into();
                *strict = None;
            }
            for m in &mut r.messages {
                for b in &mut m.content {
                    if let ContentBlock::ToolResult {
                        content, is_error, ..
                    } = b
                    {
                        (*content, *is_error) = gemini_result(content, *is_error);
                    }
                }
            }
        }
        Dialect::Ollama => {
            // "Not carried: `user`, tools' `strict`, a JSON schema's name and `strict`,
            // thinking signatures, and a tool result's `is_error`"; "`tool_choice: none` sends
            // no tools" (and `auto`, what Ollama always does, reads back as no choice).
            r.user = None;
            // `stream_usage` is OpenAI's `stream_options.include_usage`: no Ollama field.
            r.stream_usage = false;
            for t in &mut r.tools {
                t.strict = None;
            }
            if let Some(ResponseFormat::JsonSchema { name, strict, .. }) = &mut r.response_format {
                *name = "response".into();
                *strict = None;
            }
            clear_is_error(&mut r);
            if r.tool_choice == Some(ToolChoice::None) {
                r.tools.clear();
            }
            r.tool_choice = None;
            // A message is one `content` string ("Text (joined by newlines)"), one `thinking`
            // string and its `tool_calls`, in that order.
            each_content(&mut r, &|blocks| {
                let thinking: String = blocks
                    .iter()
                    .filter_map(|b| match b {
                        ContentBlock::Thinking { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                let text: Vec<&str> = blocks.iter().filter_map(text_of).collect();
                let mut out = Vec::new();
                if !thinking.is_empty() {
                    out.push(ContentBlock::Thinking {
                        text: thinking,
                        signature: None,
                    });
                }
                if !text.is_empty() {
                    out.push(ContentBlock::text(text.join("\n")));
                }
                out.extend(
                    blocks
                        .iter()
                        .filter(|b| {
                            !matches!(b, ContentBlock::Text { .. } | ContentBlock::Thinking { .. })
                        })
                        .cloned(),
                );
                *blocks = out;
            });
            // `think`: "An effort becomes its level (`minimal` is `low`); a token budget alone
            // can only switch thinking on (`0`: off)"; read back, "`true` asks for thoughts,
            // `false` for none (effort `none`), `"low"`, `"medium"`, `"high"` for that effort
            // with thoughts".
            let think = r.reasoning.as_ref().and_then(|x| match x.effort {
                Some(ReasoningEffort::None) => Some(Err(false)),
                Some(ReasoningEffort::Minimal | ReasoningEffort::Low) => {
                    Some(Ok(ReasoningEffort::Low))
                }
                Some(e) => Some(Ok(e)),
                None => x
                    .include_thoughts
                    .or(x.budget_tokens.map(|b| b > 0))
                    .map(Err),
            });
            r.reasoning = think.map(|t| match t {
                Ok(level) => reasoning(Some(level), None, Some(true)),
                Err(true) => reasoning(None, None, Some(true)),
                Err(false) => reasoning(Some(ReasoningEffort::None), None, Some(false)),
            });
        }
        Dialect::OpenAiResponses => {
            // "thinking and redacted thinking are carried as `reasoning` items only when their
            // opaque data is OpenAI encrypted reasoning; reasoning from other providers is
            // dropped"; a `reasoning` item "with no text is redacted thinking".
            let openai = |s: &str| s.starts_with("gAAAAA");
            for m in &mut r.messages {
                m.content =
                    m.content
                        .drain(..)
                        .filter_map(|b| match b {
                            ContentBlock::Thinking {
                                text,
                                signature: Some(sig),
                            } if openai(&sig) => Some(if text.is_empty() {
                                ContentBlock::RedactedThinking { data: sig }
                            } else {
                                ContentBlock::Thinking {
                                    text,
                                    signature: Some(sig),
                                }
                            }),
                            ContentBlock::RedactedThinking { data } if openai(&data) => {
                                Some(ContentBlock::RedactedThinking { data })
                            }
                            ContentBlock::Thinking { .. }
                            | ContentBlock::RedactedThinking { .. } => None,
                            other => Some(other),
                        })
                        .collect();
            }
            // "a tool result's `is_error` has no wire form; tools with unspecified `strict` are
            // sent with `strict: false`"; "Responses streams always carry usage, so
            // `stream_usage` is true".
            clear_is_error(&mut r);
            for t in &mut r.tools {
                t.strict.get_or_insert(false);
            }
            r.stream_usage = true;
            // A bare budget maps to an effort (as in Chat); "`reasoning.include_thoughts` asks
            // for `summary: auto`" (so only `true` has a wire form).
            r.reasoning = r.reasoning.and_then(|x| {
                let effort = x.effort.or(x.budget_tokens.map(budget_effort));
                let include = (x.include_thoughts == Some(true)).then_some(true);
                (effort.is_some() || include.is_some()).then(|| reasoning(effort, None, include))
            });
        }
    }
    r
}

/// The first place where two JSON values differ, as a JSON pointer with both sides.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys().filter(|k| !x.contains_key(*k)))
            .find_map(|k| {
                let null = Value::Null;
                let (va, vb) = (x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null));
                first_difference(&format!("{path}/{k}"), va, vb)
            }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(&format!("{path}/{i}"), va, vb)),
        _ if a == b => None,
        _ => Some(format!("at `{path}`: got {a}, want {b}")),
    }
}

/// Fails with the first difference between `got` and `want` (then `context`) unless equal.
fn assert_same<T: serde::Serialize + PartialEq + std::fmt::Debug>(
    got: &T,
    want: &T,
    context: impl FnOnce() -> String,
) -> Result<(), TestCaseError> {
    if got == want {
        return Ok(());
    }
    let (a, b) = (
        serde_json::to_value(got).unwrap(),
        serde_json::to_value(want).unwrap(),
    );
    let diff = first_difference("", &a, &b).unwrap_or_else(|| format!("{got:?} != {want:?}"));
    Err(TestCaseError::fail(format!("{diff}\n{}", context())))
}

fn check_request(codec: &Codec, req: &ChatRequest) -> Result<(), TestCaseError> {
    let d = codec.dialect;
    let body = (codec.encode_request)(req)
        .map_err(|loss| TestCaseError::fail(format!("{d}: portable request lost {loss}")))?;
    let wire = String::from_utf8_lossy(&body);
    let back = (codec.decode_request)(&body).map_err(|e| {
        TestCaseError::fail(format!("{d}: cannot decode its own body: {e}\n{wire}"))
    })?;
    assert_same(&back, &norm_request(d, req), || {
        format!("{d} request body: {wire}")
    })
}

// ---------------------------------------------------------------------------------------------
// 2. Answers
// ---------------------------------------------------------------------------------------------

/// An answer's content: thinking, redacted thinking, text, tool calls (in that order).
#[derive(Debug, Clone)]
struct GenAnswer {
    thinking: Option<(String, Option<String>)>,
    redacted: Option<String>,
    texts: Vec<String>,
    calls: Vec<(String, Value)>,
    id_prefix: String,
}

/// `thinking`: how thinking is generated; `redacted`: with redacted thinking; `raw`: with
/// tool calls whose arguments were not valid JSON ([`raw_args`]).
fn answer(
    thinking: BoxedStrategy<Option<(String, Option<String>)>>,
    redacted: bool,
    raw: bool,
) -> BoxedStrategy<GenAnswer> {
    let redacted = if redacted {
        option::of(signature()).boxed()
    } else {
        Just(None).boxed()
    };
    let input = if raw {
        prop_oneof![4 => args(), 1 => raw_args()].boxed()
    } else {
        args()
    };
    (
        thinking,
        redacted,
        vec(text(), 0..3),
        vec((tool_name(), input), 0..3),
        "[A-Za-z]{1,6}",
    )
        .prop_map(|(thinking, redacted, texts, calls, id_prefix)| GenAnswer {
            thinking,
            redacted,
            texts,
            calls,
            id_prefix,
        })
        .boxed()
}

fn answer_content(a: GenAnswer) -> Vec<ContentBlock> {
    let mut content = Vec::new();
    if let Some((text, signature)) = a.thinking {
        content.push(ContentBlock::Thinking { text, signature });
    }
    if let Some(data) = a.redacted {
        content.push(ContentBlock::RedactedThinking { data });
    }
    content.extend(texts(&a.texts));
    for (n, (name, input)) in a.calls.into_iter().enumerate() {
        content.push(ContentBlock::ToolUse {
            id: format!("{}_{n}", a.id_prefix),
            name,
            input,
        });
    }
    content
}

/// Any answer: thinking (its text possibly empty: a signature-only block is a real shape),
/// redacted thinking, text, tool calls, any stop reason, usage and creation time.
fn response(_codec: &'static Codec) -> BoxedStrategy<ChatResponse> {
    let thinking = option::of(("[\\PC\n]{0,12}", option::of(signature()))).boxed();
    (
        "[a-z0-9_]{1,12}",
        "[a-z0-9.-]{1,12}",
        answer(thinking, true, true),
        option::of(stop_reason()),
        option::of(usage()),
        option::of(0u64..4_000_000_000),
    )
        .prop_map(
            |(id, model, answer, stop_reason, usage, created)| ChatResponse {
                id,
                model,
                content: answer_content(answer),
                stop_reason,
                usage,
                created,
            },
        )
        .boxed()
}

fn has_calls(content: &[ContentBlock]) -> bool {
    content
        .iter()
        .any(|b| matches!(b, ContentBlock::ToolUse { .. }))
}

fn has_text(content: &[ContentBlock]) -> bool {
    content
        .iter()
        .any(|b| matches!(b, ContentBlock::Text { .. }))
}

/// The stop reason a dialect gives back, given whether the answer has tool calls and text.
fn norm_stop(d: Dialect, stop: Option<&StopReason>, calls: bool, text: bool) -> Option<StopReason> {
    use StopReason as S;
    let natural = || if calls { S::ToolUse } else { S::EndTurn };
    match d {
        // `finish_reason`: `stop` for EndTurn and StopSequence, `content_filter` for
        // ContentFilter and Refusal.
        Dialect::OpenAiChat => stop.map(|s| match s {
            S::StopSequence { .. } => S::EndTurn,
            S::Refusal => S::ContentFilter,
            other => other.clone(),
        }),
        // "`ContentFilter` (which Anthropic does not have) becomes `refusal`".
        Dialect::Anthropic => stop.map(|s| match s {
            S::ContentFilter => S::Refusal,
            other => other.clone(),
        }),
        // `STOP` reads back as EndTurn, or ToolUse when the candidate holds calls; `SAFETY` is
        // a content filter.
        Dialect::Gemini => stop.map(|s| match s {
            S::EndTurn | S::ToolUse | S::StopSequence { .. } => natural(),
            S::Refusal => S::ContentFilter,
            other => other.clone(),
        }),
        // "`done_reason`: `stop` is an end of turn (a tool use when the answer holds calls)";
        // an answer always has a `done_reason`.
        Dialect::Ollama => Some(match stop {
            None | Some(S::EndTurn | S::ToolUse | S::StopSequence { .. }) => natural(),
            Some(other) => other.clone(),
        }),
        // "`MaxTokens` and `ContentFilter` make the status `incomplete`"; a completed response
        // is a refusal (refusal parts, given text to hold them), a tool use, or an end of turn.
        Dialect::OpenAiResponses => Some(match stop {
            Some(S::MaxTokens) => S::MaxTokens,
            Some(S::ContentFilter) => S::ContentFilter,
            Some(S::Refusal) if text => S::Refusal,
            _ => natural(),
        }),
    }
}

/// The usage a dialect gives back.
fn norm_usage(d: Dialect, usage: Option<&Usage>) -> Option<Usage> {
    match d {
        // OpenAI "caches automatically and reports no cache writes"; Gemini has no such count.
        Dialect::OpenAiChat | Dialect::Gemini => usage.map(|u| Usage {
            cache_write_tokens: 0,
            ..*u
        }),
        // "missing usage is written as zeros, since Anthropic always reports usage"; it has no
        // reasoning-token count.
        Dialect::Anthropic => Some(Usage {
            reasoning_tokens: 0,
            ..usage.copied().unwrap_or_default()
        }),
        // "Ollama reports no cached or reasoning token counts"; answers always carry counts.
        Dialect::Ollama => {
            let u = usage.copied().unwrap_or_default();
            Some(Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                ..Usage::default()
            })
        }
        Dialect::OpenAiResponses => usage.copied(),
    }
}

/// Thinking text and text merged into one block each, then the tool calls.
fn merged_content(content: &[ContentBlock]) -> Vec<ContentBlock> {
    let mut thinking = String::new();
    let mut text = String::new();
    let mut calls = Vec::new();
    for b in content {
        match b {
            ContentBlock::Thinking { text: t, .. } => thinking.push_str(t),
            ContentBlock::Text { text: t } => text.push_str(t),
            ContentBlock::ToolUse { .. } => calls.push(b.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if !thinking.is_empty() {
        out.push(ContentBlock::Thinking {
            text: thinking,
            signature: None,
        });
    }
    if !text.is_empty() {
        out.push(ContentBlock::text(text));
    }
    out.extend(calls);
    out
}

/// The content a dialect gives back for an answer's content.
fn norm_content(d: Dialect, content: &[ContentBlock]) -> Vec<ContentBlock> {
    match d {
        // "Text blocks are concatenated into `content`, thinking text goes to
        // `reasoning_content`"; redacted thinking "left out".
        Dialect::OpenAiChat => merged_content(content),
        // Likewise ("Blocks Ollama cannot show ... and thinking signatures are left out"), and
        // "tool calls get ids `call_0`, `call_1`, ...".
        Dialect::Ollama => {
            let mut n = 0;
            merged_content(content)
                .into_iter()
                .map(|b| match b {
                    ContentBlock::ToolUse { name, input, .. } => {
                        n += 1;
                        ContentBlock::ToolUse {
                            id: format!("call_{}", n - 1),
                            name,
                            input,
                        }
                    }
                    other => other,
                })
                .collect()
        }
        Dialect::Anthropic => content.to_vec(),
        // "Blocks Gemini cannot show (redacted thinking, tool results) are left out of the
        // answer; a tool call whose arguments are not a JSON object gets `{}`."
        Dialect::Gemini => content
            .iter()
            .filter(|b| !matches!(b, ContentBlock::RedactedThinking { .. }))
            .cloned()
            .map(|b| match b {
                ContentBlock::ToolUse { id, name, input } if !input.is_object() => {
                    ContentBlock::ToolUse {
                        id,
                        name,
                        input: Value::Object(serde_json::Map::new()),
                    }
                }
                other => other,
            })
            .collect(),
        // "each thinking block a `reasoning` item (its text as one summary part, its signature
        // as `encrypted_content`)"; read back, a reasoning item "with no text is redacted
        // thinking", and one with neither carries nothing.
        Dialect::OpenAiResponses => content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Thinking { text, signature } => {
                    let sig = signature.clone().filter(|s| !s.is_empty());
                    if !text.is_empty() {
                        Some(ContentBlock::Thinking {
                            text: text.clone(),
                            signature: sig,
                        })
                    } else {
                        sig.map(|data| ContentBlock::RedactedThinking { data })
                    }
                }
                other => Some(other.clone()),
            })
            .collect(),
    }
}

/// What a dialect gives back for `resp`, id and creation time included.
fn norm_response(d: Dialect, resp: &ChatResponse) -> ChatResponse {
    let content = norm_content(d, &resp.content);
    let stop_reason = norm_stop(
        d,
        resp.stop_reason.as_ref(),
        has_calls(&content),
        has_text(&content),
    );
    let (id, created) = match d {
        // `created` is written as 0 when unknown.
        Dialect::OpenAiChat => (resp.id.clone(), Some(resp.created.unwrap_or(0))),
        // "`created` is `None`: Anthropic does not report it"; nor does Gemini.
        Dialect::Anthropic | Dialect::Gemini => (resp.id.clone(), None),
        // "The id is derived from `created_at` (Ollama gives none)": not compared.
        Dialect::Ollama => (String::new(), resp.created),
        // Responses ids are `resp_` ids.
        Dialect::OpenAiResponses => {
            let id = if resp.id.starts_with("resp_") {
                resp.id.clone()
            } else {
                format!("resp_{}", resp.id)
            };
            (id, resp.created)
        }
    };
    ChatResponse {
        id,
        model: resp.model.clone(),
        content,
        stop_reason,
        usage: norm_usage(d, resp.usage.as_ref()),
        created,
    }
}

fn check_response(codec: &Codec, resp: &ChatResponse) -> Result<(), TestCaseError> {
    let d = codec.dialect;
    let body = (codec.encode_response)(resp);
    let wire = String::from_utf8_lossy(&body);
    let mut back = (codec.decode_response)(&body).map_err(|e| {
        TestCaseError::fail(format!("{d}: cannot decode its own answer: {e}\n{wire}"))
    })?;
    let mut want = norm_response(d, resp);
    if d == Dialect::Ollama {
        back.id.clear();
    }
    if want.created.is_none() && matches!(d, Dialect::Ollama | Dialect::OpenAiResponses) {
        // An unknown creation time is written as the current time.
        want.created = back.created;
    }
    assert_same(&back, &want, || format!("{d} answer body: {wire}"))
}

// ---------------------------------------------------------------------------------------------
// 3. Streams
// ---------------------------------------------------------------------------------------------

/// What a client can observe of an answer, whatever its block boundaries and indices.
#[derive(Debug, Default, PartialEq, serde::Serialize)]
struct Seen {
    text: String,
    thinking: String,
    /// Tool name and arguments (parsed, for streams; `{}` when none were sent).
    tools: Vec<(String, Value)>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
}

fn seen_response(resp: &ChatResponse) -> Seen {
    let mut s = Seen::default();
    for b in &resp.content {
        match b {
            ContentBlock::Text { text } => s.text.push_str(text),
            ContentBlock::Thinking { text, .. } => s.thinking.push_str(text),
            ContentBlock::ToolUse { name, input, .. } => {
                s.tools.push((name.clone(), input.clone()))
            }
            _ => {}
        }
    }
    s.stop = resp.stop_reason.clone();
    s.usage = resp.usage;
    s
}

fn seen_stream(events: &[StreamEvent]) -> Seen {
    let mut s = Seen::default();
    // Per tool block: its canonical index, its position in `s.tools` and its argument text.
    let mut args: Vec<(usize, usize, String)> = Vec::new();
    let mut start_usage = None;
    for e in events {
        match e {
            StreamEvent::MessageStart { usage, .. } => start_usage = *usage,
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse { name, .. },
            } => {
                args.push((*index, s.tools.len(), String::new()));
                s.tools.push((name.clone(), Value::Null));
            }
            StreamEvent::BlockDelta { index, delta } => match delta {
                BlockDelta::Text { text } => s.text.push_str(text),
                BlockDelta::Thinking { text } => s.thinking.push_str(text),
                BlockDelta::ToolInput { partial_json } => {
                    if let Some(a) = args.iter_mut().rev().find(|(i, _, _)| i == index) {
                        a.2.push_str(partial_json);
                    }
                }
                BlockDelta::Signature { .. } => {}
            },
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if stop_reason.is_some() {
                    s.stop.clone_from(stop_reason);
                }
                if usage.is_some() {
                    s.usage = *usage;
                }
            }
            _ => {}
        }
    }
    for (_, at, json) in args {
        s.tools[at].1 = if json.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&json).unwrap_or(Value::String(json))
        };
    }
    if s.usage.is_none() {
        s.usage = start_usage;
    }
    s
}

/// One block of a generated stream.
#[derive(Debug, Clone)]
enum GenBlock {
    Text(Vec<String>),
    Thinking(Vec<String>, Option<String>),
    /// Name and arguments, sent in pieces cut at these character positions.
    Tool(String, Value, Vec<usize>),
}

fn gen_block() -> BoxedStrategy<GenBlock> {
    prop_oneof![
        vec("[\\PC\n]{0,8}", 1..4).prop_map(GenBlock::Text),
        (vec("[\\PC\n]{0,8}", 1..4), option::of(signature()))
            .prop_map(|(t, s)| GenBlock::Thinking(t, s)),
        (tool_name(), args(), vec(0usize..64, 0..4)).prop_map(|(n, a, c)| GenBlock::Tool(n, a, c)),
    ]
    .boxed()
}

/// `s` cut into pieces at the character positions `cuts`.
fn pieces(s: &str, cuts: &[usize]) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (chars.len() + 1)).collect();
    at.push(chars.len());
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for to in at {
        if to > from {
            out.push(chars[from..to].iter().collect());
            from = to;
        }
    }
    out
}

/// A well-formed canonical stream: `MessageStart` (with the input counts, or none), maybe a
/// `Ping`, whole blocks of several deltas, `MessageDelta` with stop reason and usage,
/// `MessageStop`.
fn stream(_codec: &'static Codec) -> BoxedStrategy<Vec<StreamEvent>> {
    let stop = stop_reason();
    (
        ("[a-z0-9_]{1,12}", "[a-z0-9.-]{1,12}", "[A-Za-z]{1,6}"),
        any::<bool>(),
        vec(gen_block(), 0..5),
        stop,
        usage(),
        any::<bool>(),
    )
        .prop_map(
            |((id, model, id_prefix), start_usage, blocks, stop, usage, ping)| {
                let mut events = vec![StreamEvent::MessageStart {
                    id,
                    model,
                    usage: start_usage.then_some(Usage {
                        prompt_tokens: usage.prompt_tokens,
                        cached_tokens: usage.cached_tokens,
                        cache_write_tokens: usage.cache_write_tokens,
                        ..Usage::default()
                    }),
                }];
                if ping {
                    events.push(StreamEvent::Ping);
                }
                for (index, block) in blocks.into_iter().enumerate() {
                    let (start, deltas): (BlockStart, Vec<BlockDelta>) = match block {
                        GenBlock::Text(texts) => (
                            BlockStart::Text,
                            texts
                                .into_iter()
                                .map(|text| BlockDelta::Text { text })
                                .collect(),
                        ),
                        GenBlock::Thinking(texts, signature) => (
                            BlockStart::Thinking,
                            texts
                                .into_iter()
                                .map(|text| BlockDelta::Thinking { text })
                                .chain(
                                    signature.map(|signature| BlockDelta::Signature { signature }),
                                )
                                .collect(),
                        ),
                        GenBlock::Tool(name, args, cuts) => (
                            BlockStart::ToolUse {
                                id: format!("{id_prefix}_{index}"),
                                name,
                            },
                            pieces(&args.to_string(), &cuts)
                                .into_iter()
                                .map(|partial_json| BlockDelta::ToolInput { partial_json })
                                .collect(),
                        ),
                    };
                    events.push(StreamEvent::BlockStart {
                        index,
                        block: start,
                    });
                    events.extend(
                        deltas
                            .into_iter()
                            .map(|delta| StreamEvent::BlockDelta { index, delta }),
                    );
                    events.push(StreamEvent::BlockStop { index });
                }
                events.push(StreamEvent::MessageDelta {
                    stop_reason: Some(stop),
                    usage: Some(usage),
                });
                events.push(StreamEvent::MessageStop);
                events
            },
        )
        .boxed()
}

/// The raw pieces (SSE events or NDJSON lines) of a stream body.
fn frame(framing: Framing, body: Bytes) -> Vec<Bytes> {
    let mut out = Vec::new();
    match framing {
        Framing::Sse => {
            let mut s = SseSplitter::new();
            s.push(body, &mut out);
            out.extend(s.finish());
        }
        Framing::Ndjson => {
            let mut s = LineSplitter::new();
            s.push(body, &mut out);
            out.extend(s.finish());
        }
    }
    out
}

/// `events` through `codec`'s stream encoder, framing and stream decoder.
fn stream_through(codec: &Codec, events: &[StreamEvent]) -> Result<Vec<StreamEvent>, String> {
    let mut enc = (codec.stream_encoder)();
    let mut wire = BytesMut::new();
    for e in events {
        enc.encode(e, &mut wire);
    }
    let wire = wire.freeze();
    let mut dec = (codec.stream_decoder)();
    let mut out = Vec::new();
    for piece in frame(dec.framing(), wire.clone()) {
        dec.push(&piece, &mut out).map_err(|e| {
            format!(
                "{}: cannot decode its own stream: {e}\n{}",
                codec.dialect,
                String::from_utf8_lossy(&wire)
            )
        })?;
    }
    dec.finish(&mut out);
    Ok(out)
}

fn check_stream(codec: &Codec, events: &[StreamEvent]) -> Result<(), TestCaseError> {
    let d = codec.dialect;
    let got = stream_through(codec, events).map_err(TestCaseError::fail)?;
    let stops = got
        .iter()
        .filter(|e| matches!(e, StreamEvent::MessageStop))
        .count();
    prop_assert_eq!(stops, 1, "{}: one MessageStop: {:?}", d, got);
    prop_assert_eq!(got.last(), Some(&StreamEvent::MessageStop), "{}", d);
    let original = seen_stream(events);
    let text = events.iter().any(|e| {
        matches!(
            e,
            StreamEvent::BlockStart {
                block: BlockStart::Text,
                ..
            }
        )
    });
    let want = Seen {
        stop: norm_stop(d, original.stop.as_ref(), !original.tools.is_empty(), text),
        usage: norm_usage(d, original.usage.as_ref()),
        ..original
    };
    assert_same(&seen_stream(&got), &want, || {
        format!("{d} stream, decoded: {got:?}")
    })
}

// ---------------------------------------------------------------------------------------------
// 4. Cross-dialect
// ---------------------------------------------------------------------------------------------

/// An answer both `a` and `b` carry: thinking text, text, tool calls with object arguments,
/// a stop reason of a kind both have, and usage with the counts both have.
fn portable_response(a: &RespCaps, b: &RespCaps) -> BoxedStrategy<ChatResponse> {
    let kinds: Vec<StopKind> = a
        .stops
        .iter()
        .copied()
        .filter(|k| b.stops.contains(k))
        .collect();
    let thinking = option::of((text(), option::of(signature()))).boxed();
    (
        ("[a-z0-9_]{1,12}", "[a-z0-9.-]{1,12}"),
        answer(thinking, false, false),
        proptest::sample::select(kinds),
        option::of("[a-z]{1,4}"),
        "x_[a-z]{1,6}",
        usage_with(
            a.cached && b.cached,
            a.reasoning && b.reasoning,
            a.cache_write && b.cache_write,
        ),
    )
        .prop_map(|((id, model), mut answer, kind, sequence, other, usage)| {
            if kind == StopKind::Refusal && answer.texts.is_empty() {
                answer.texts.push("I cannot help with that.".into());
            }
            let calls = !answer.calls.is_empty();
            let stop = match kind {
                StopKind::Natural if calls => StopReason::ToolUse,
                StopKind::Natural => StopReason::EndTurn,
                StopKind::MaxTokens => StopReason::MaxTokens,
                StopKind::ContentFilter => StopReason::ContentFilter,
                StopKind::Refusal => StopReason::Refusal,
                StopKind::StopSequence => StopReason::StopSequence { sequence },
                StopKind::Other => StopReason::Other { value: other },
            };
            ChatResponse {
                id,
                model,
                content: answer_content(answer),
                stop_reason: Some(stop),
                usage: Some(usage),
                created: None,
            }
        })
        .boxed()
}

/// Every ordered pair of distinct dialects `(a, b)`, as indices into [`CODECS`].
fn pairs() -> Vec<(usize, usize)> {
    let n = CODECS.len();
    (0..n)
        .flat_map(|a| (0..n).map(move |b| (a, b)))
        .filter(|(a, b)| a != b)
        .collect()
}

/// `resp` from provider `b` reaches client `a`: encoded and decoded by `b`, then by `a`.
fn check_cross(a: &Codec, b: &Codec, resp: &ChatResponse) -> Result<(), TestCaseError> {
    let body_b = (b.encode_response)(resp);
    let via_b = (b.decode_response)(&body_b).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: {e}\n{}",
            b.dialect,
            String::from_utf8_lossy(&body_b)
        ))
    })?;
    let body_a = (a.encode_response)(&via_b);
    let via_a = (a.decode_response)(&body_a).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: {e}\n{}",
            a.dialect,
            String::from_utf8_lossy(&body_a)
        ))
    })?;
    assert_same(&seen_response(&via_a), &seen_response(resp), || {
        format!(
            "{} provider -> {} client\n{}\n{}",
            b.dialect,
            a.dialect,
            String::from_utf8_lossy(&body_b),
            String::from_utf8_lossy(&body_a)
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn requests_hold(reqs: &[ChatRequest]) -> Result<(), TestCaseError> {
    CODECS
        .iter()
        .zip(reqs)
        .try_for_each(|(codec, req)| check_request(codec, req))
}

fn responses_hold(resps: &[ChatResponse]) -> Result<(), TestCaseError> {
    CODECS
        .iter()
        .zip(resps)
        .try_for_each(|(codec, resp)| check_response(codec, resp))
}

fn streams_hold(streams: &[Vec<StreamEvent>]) -> Result<(), TestCaseError> {
    CODECS
        .iter()
        .zip(streams)
        .try_for_each(|(codec, events)| check_stream(codec, events))
}

proptest! {
    #![proptest_config(config())]

    /// 1. A portable request survives encode → decode, up to documented normalisation.
    #[test]
    fn requests_round_trip(reqs in per_codec(request)) {
        requests_hold(&reqs)?;
    }

    /// 2. An answer survives encode → decode: content, stop reason and usage.
    #[test]
    fn responses_round_trip(resps in per_codec(response)) {
        responses_hold(&resps)?;
    }

    /// 3. A stream survives encoder → framing → decoder, as far as a client can see.
    #[test]
    fn streams_round_trip(streams in per_codec(stream)) {
        streams_hold(&streams)?;
    }

    /// 4. An answer portable to both dialects crosses provider B → client A intact.
    #[test]
    fn responses_cross_dialects(resps in pairs()
        .into_iter()
        .map(|(a, b)| portable_response(&CODECS[a].response, &CODECS[b].response))
        .collect::<Vec<_>>())
    {
        for ((a, b), resp) in pairs().into_iter().zip(&resps) {
            check_cross(&CODECS[a], &CODECS[b], resp)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Minimal cases of the bugs these properties found (fixed; kept as regression tests)
// ---------------------------------------------------------------------------------------------

fn codec(d: Dialect) -> &'static Codec {
    CODECS.iter().find(|c| c.dialect == d).unwrap()
}

fn run(check: Result<(), TestCaseError>) {
    if let Err(e) = check {
        panic!("{e}");
    }
}

/// Bug 1: an Ollama seed beyond ±2^53 does not survive the codec's own round trip.
#[test]
fn bug_ollama_seed() {
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentBlock::text("hi")],
        }],
        sampling: Sampling {
            seed: Some((1 << 53) + 1),
            ..Sampling::default()
        },
        ..ChatRequest::default()
    };
    run(check_request(codec(Dialect::Ollama), &req));
}

/// Bug 2: a refusal streamed to a Responses client arrives as an ordinary end of turn.
#[test]
fn bug_responses_stream_refusal() {
    let events = [
        StreamEvent::MessageStart {
            id: "r".into(),
            model: "m".into(),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Text,
        },
        StreamEvent::BlockDelta {
            index: 0,
            delta: BlockDelta::Text {
                text: "I can't help with that.".into(),
            },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::MessageDelta {
            stop_reason: Some(StopReason::Refusal),
            usage: Some(Usage::default()),
        },
        StreamEvent::MessageStop,
    ];
    run(check_stream(codec(Dialect::OpenAiResponses), &events));
}

/// Bug 3: one call with raw (invalid-JSON) arguments empties a Gemini answer.
#[test]
fn bug_gemini_answer_with_raw_arguments() {
    let resp = ChatResponse {
        id: "r".into(),
        model: "m".into(),
        content: vec![
            ContentBlock::text("Let me look."),
            ContentBlock::ToolUse {
                id: "c".into(),
                name: "f".into(),
                input: Value::String("{\"a\":".into()),
            },
        ],
        stop_reason: Some(StopReason::ToolUse),
        usage: None,
        created: None,
    };
    run(check_response(codec(Dialect::Gemini), &resp));
}
