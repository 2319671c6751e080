//! `options`, `think` and `format`: shared by `/api/chat` and `/api/generate`.

use serde_json::{json, Map, Value};

use crate::canonical::{Loss, ReasoningConfig, ReasoningEffort, ResponseFormat, Sampling};
use crate::dialects::DecodeError;

fn err(field: &str, what: &str) -> DecodeError {
    DecodeError::new(format!("`{field}`: {what}"))
}

fn number(options: &Map<String, Value>, key: &str) -> Result<Option<f64>, DecodeError> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| err(&format!("options.{key}"), "expected a number")),
    }
}

fn integer(options: &Map<String, Value>, key: &str) -> Result<Option<i64>, DecodeError> {
    let bad = || err(&format!("options.{key}"), "expected an integer");
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        // Exact integers as they are (seeds use all 64 bits); `1.0` style floats accepted.
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(Some(f as i64)),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

/// Canonical sampling for an `options` object. Options without a canonical field (`num_ctx`,
/// `repeat_penalty`, `min_p`, `mirostat`, ...) are ignored, see the module notes.
pub(super) fn decode_options(options: Option<Value>) -> Result<Sampling, DecodeError> {
    let options = match options {
        None | Some(Value::Null) => return Ok(Sampling::default()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(err("options", "expected an object")),
    };
    let stop = match options.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("options.stop", "expected a list of strings"))?,
        Some(_) => return Err(err("options.stop", "expected a list of strings")),
    };
    Ok(Sampling {
        // Negative values mean "until the context is full": no canonical limit.
        max_tokens: integer(&options, "num_predict")?.and_then(|n| u32::try_from(n).ok()),
        temperature: number(&options, "temperature")?,
        top_p: number(&options, "top_p")?,
        top_k: integer(&options, "top_k")?.and_then(|n| u32::try_from(n).ok()),
        stop,
        seed: integer(&options, "seed")?,
        presence_penalty: number(&options, "presence_penalty")?,
        frequency_penalty: number(&options, "frequency_penalty")?,
        n: None,
    })
}

/// The `options` object for canonical sampling (empty when nothing is set). `n` above 1 is a
/// [`Loss`]: Ollama answers with one choice.
pub(super) fn encode_options(s: &Sampling) -> Result<Map<String, Value>, Loss> {
    if s.n.is_some_and(|n| n > 1) {
        return Err(Loss::new(
            "sampling.n",
            "Ollama returns a single choice; send one request per choice",
        ));
    }
    let mut o = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            o.insert(key.to_owned(), v);
        }
    };
    put("num_predict", s.max_tokens.map(|v| json!(v)));
    put("temperature", s.temperature.map(|v| json!(v)));
    put("top_p", s.top_p.map(|v| json!(v)));
    put("top_k", s.top_k.map(|v| json!(v)));
    put("seed", s.seed.map(|v| json!(v)));
    put("presence_penalty", s.presence_penalty.map(|v| json!(v)));
    put("frequency_penalty", s.frequency_penalty.map(|v| json!(v)));
    if !s.stop.is_empty() {
        put("stop", Some(json!(s.stop)));
    }
    Ok(o)
}

/// Canonical reasoning settings for `think`.
pub(super) fn decode_think(think: Option<Value>) -> Result<Option<ReasoningConfig>, DecodeError> {
    let (effort, include) = match think {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Bool(true)) => (None, true),
        Some(Value::Bool(false)) => (Some(ReasoningEffort::None), false),
        Some(Value::String(s)) => match s.as_str() {
            "low" => (Some(ReasoningEffort::Low), true),
            "medium" => (Some(ReasoningEffort::Medium), true),
            "high" => (Some(ReasoningEffort::High), true),
            other => {
                return Err(err(
                    "think",
                    &format!("invalid value `{other}` (expected true, false, \"low\", \"medium\" or \"high\")"),
                ))
            }
        },
        Some(_) => return Err(err("think", "expected a boolean or \"low\", \"medium\", \"high\"")),
    };
    Ok(Some(ReasoningConfig {
        effort,
        budget_tokens: None,
        include_thoughts: Some(include),
    }))
}

/// The `think` value for canonical reasoning settings, if any. An effort becomes its level
/// (`minimal` is `low`); a token budget alone can only switch thinking on (`0`: off).
pub(super) fn encode_think(r: Option<&ReasoningConfig>) -> Option<Value> {
    let r = r?;
    match r.effort {
        Some(ReasoningEffort::None) => Some(json!(false)),
        Some(ReasoningEffort::Minimal | ReasoningEffort::Low) => Some(json!("low")),
        Some(ReasoningEffort::Medium) => Some(json!("medium")),
        Some(ReasoningEffort::High) => Some(json!("high")),
        None => match (r.include_thoughts, r.budget_tokens) {
            (Some(include), _) => Some(json!(include)),
            (None, Some(budget)) => Some(json!(budget > 0)),
            (None, None) => None,
        },
    }
}

/// The canonical response format for `format`.
pub(super) fn decode_format(format: Option<Value>) -> Result<Option<ResponseFormat>, DecodeError> {
    match format {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s == "json" => Ok(Some(ResponseFormat::JsonObject)),
        Some(schema @ Value::Object(_)) => Ok(Some(ResponseFormat::JsonSchema {
            name: "response".to_owned(),
            schema,
            strict: None,
        })),
        Some(_) => Err(err("format", "expected \"json\" or a JSON schema object")),
    }
}

/// The `format` value for a canonical response format (plain text: none).
pub(super) fn encode_format(f: Option<&ResponseFormat>) -> Option<Value> {
    match f? {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => Some(json!("json")),
        ResponseFormat::JsonSchema { schema, .. } => Some(schema.clone()),
    }
}
