//! Parameter profiles of virtual models: `defaults < caller < clamp`, merged on any JSON field,
//! nested objects included (`chat_template_kwargs.enable_thinking`).

use llmux_protocol::RawObject;
use serde_json::{Map, Value};

use crate::error::{ErrorKind, GatewayError};

/// The parameter profile of a virtual model.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Applied where the caller sent nothing.
    pub defaults: Option<Map<String, Value>>,
    /// Forced over what the caller sent.
    pub clamp: Option<Map<String, Value>>,
}

impl Profile {
    /// True when the profile changes nothing.
    pub fn is_empty(&self) -> bool {
        self.defaults.as_ref().is_none_or(Map::is_empty)
            && self.clamp.as_ref().is_none_or(Map::is_empty)
    }

    /// Applies the profile to a request body. Only the top-level fields the profile names are
    /// decoded; every other field stays as the caller sent it.
    pub fn apply(&self, body: &mut RawObject<'_>) -> Result<(), GatewayError> {
        if let Some(defaults) = &self.defaults {
            for (key, dflt) in defaults {
                let merged = match body.get(key) {
                    None => dflt.clone(),
                    Some(raw) => {
                        if !dflt.is_object() {
                            continue; // the caller's value wins
                        }
                        let mut caller = decode(key, raw.get())?;
                        if !caller.is_object() {
                            continue;
                        }
                        let mut base = dflt.clone();
                        deep_merge(&mut base, std::mem::take(&mut caller));
                        base
                    }
                };
                set(body, key, &merged)?;
            }
        }
        if let Some(clamp) = &self.clamp {
            for (key, forced) in clamp {
                let merged = match body.get(key) {
                    Some(raw) if forced.is_object() => {
                        let mut caller = decode(key, raw.get())?;
                        if caller.is_object() {
                            deep_merge(&mut caller, forced.clone());
                            caller
                        } else {
                            forced.clone()
                        }
                    }
                    _ => forced.clone(),
                };
                set(body, key, &merged)?;
            }
        }
        Ok(())
    }
}

fn decode(key: &str, raw: &str) -> Result<Value, GatewayError> {
    serde_json::from_str(raw).map_err(|e| {
        GatewayError::from(ErrorKind::InvalidJson(format!(
            "field `{key}` could not be read: {e}"
        )))
    })
}

fn set(body: &mut RawObject<'_>, key: &str, value: &Value) -> Result<(), GatewayError> {
    body.set(key, value)
        .map_err(|e| ErrorKind::Internal(format!("profile field `{key}`: {e}")).into())
}

/// Merges `top` into `base`: objects merge key by key (recursively), anything else replaces.
pub fn deep_merge(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(defaults: Value, clamp: Value) -> Profile {
        Profile {
            defaults: defaults.as_object().cloned(),
            clamp: clamp.as_object().cloned(),
        }
    }

    fn apply(p: &Profile, body: Value) -> Value {
        let text = serde_json::to_vec(&body).unwrap();
        let mut obj = RawObject::parse(&text).unwrap();
        p.apply(&mut obj).unwrap();
        serde_json::from_slice(&obj.to_vec()).unwrap()
    }

    #[test]
    fn merge_order_table() {
        let p = profile(
            json!({"temperature": 0.2, "max_tokens": 512, "chat_template_kwargs": {"enable_thinking": true, "x": 1}}),
            json!({"max_tokens": 100, "chat_template_kwargs": {"enable_thinking": false}}),
        );
        let cases = [
            // caller sends nothing: defaults, then clamp
            (
                json!({"model": "m"}),
                json!({"model": "m", "temperature": 0.2, "max_tokens": 100, "chat_template_kwargs": {"enable_thinking": false, "x": 1}}),
            ),
            // caller wins over defaults
            (
                json!({"temperature": 0.9}),
                json!({"temperature": 0.9, "max_tokens": 100, "chat_template_kwargs": {"enable_thinking": false, "x": 1}}),
            ),
            // clamp wins over caller
            (
                json!({"max_tokens": 4000}),
                json!({"temperature": 0.2, "max_tokens": 100, "chat_template_kwargs": {"enable_thinking": false, "x": 1}}),
            ),
            // nested: caller's field kept, default's other fields filled, clamp forced
            (
                json!({"chat_template_kwargs": {"x": 7, "y": 2, "enable_thinking": true}}),
                json!({"temperature": 0.2, "max_tokens": 100, "chat_template_kwargs": {"enable_thinking": false, "x": 7, "y": 2}}),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(apply(&p, body.clone()), want, "body {body}");
        }
    }

    #[test]
    fn keeps_unknown_fields_and_their_order() {
        let p = profile(json!({"temperature": 0.5}), json!({}));
        let mut obj = RawObject::parse(br#"{"z":1,"model":"m","a":[1,2]}"#).unwrap();
        p.apply(&mut obj).unwrap();
        assert_eq!(
            obj.to_vec(),
            br#"{"z":1,"model":"m","a":[1,2],"temperature":0.5}"#
        );
    }

    #[test]
    fn empty_profile() {
        assert!(Profile::default().is_empty());
        assert!(!profile(json!({"a": 1}), json!({})).is_empty());
    }
}
