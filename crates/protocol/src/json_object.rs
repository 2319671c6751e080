//! A JSON object parsed one level deep: keys are decoded, values stay raw bytes.
//!
//! The passthrough path edits a handful of top-level fields (`model`, profile fields,
//! `stream_options`) and must forward everything else untouched, unknown fields included, in
//! the order the client sent them. Parsing only the top level keeps that cheap.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A top-level JSON object whose member values are kept as raw JSON text.
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    fields: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
}

/// Why a request body is not a JSON object.
#[derive(Debug)]
pub struct NotAnObject(pub String);

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> RawObject<'a> {
    /// Parses `body`, which must be one JSON object.
    pub fn parse(body: &'a [u8]) -> Result<Self, NotAnObject> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let obj = RawObject::deserialize(&mut de).map_err(|e| NotAnObject(describe(&e)))?;
        de.end().map_err(|e| NotAnObject(describe(&e)))?;
        Ok(obj)
    }

    /// The raw value of `key` (the last one if the key is repeated).
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// True when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// Decodes the value of `key` into `T`; `Ok(None)` when the key is absent.
    pub fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        self.get(key)
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
    }

    /// Sets `key` to a raw JSON value: replaces it in place if present, else appends it.
    pub fn set_raw(&mut self, key: &str, value: Box<RawValue>) {
        let mut value = Some(Cow::Owned(value));
        self.fields.retain_mut(|(k, v)| {
            if k != key {
                return true;
            }
            match value.take() {
                Some(new) => {
                    *v = new;
                    true
                }
                None => false, // drop duplicates of the key
            }
        });
        if let Some(v) = value {
            self.fields.push((Cow::Owned(key.to_owned()), v));
        }
    }

    /// Sets `key` to the JSON encoding of `value`.
    pub fn set<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        self.set_raw(key, raw);
        Ok(())
    }

    /// Removes `key`; returns whether it was present.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|(k, _)| k != key);
        before != self.fields.len()
    }

    /// Renames `from` to `to`, keeping its position, unless `to` is already present.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        if self.contains(to) {
            return false;
        }
        let mut renamed = false;
        for (k, _) in &mut self.fields {
            if k == from {
                *k = Cow::Owned(to.to_owned());
                renamed = true;
            }
        }
        renamed
    }

    /// Keys in the order they were sent.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_ref())
    }

    /// Serialises the object compactly; member values are copied verbatim.
    pub fn to_vec(&self) -> Vec<u8> {
        let len: usize = self
            .fields
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum();
        let mut out = Vec::with_capacity(len + 2);
        out.push(b'{');
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_string(&mut out, k);
            out.push(b':');
            out.extend_from_slice(v.get().as_bytes());
        }
        out.push(b'}');
        out
    }
}

/// Appends `s` as a JSON string literal.
fn write_json_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if let Ok(encoded) = serde_json::to_vec(s) {
        out.extend_from_slice(&encoded);
    }
}

/// A client-facing description of a JSON syntax error.
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "the request body ends before the JSON is complete".to_owned(),
        Category::Syntax => format!(
            "the request body is not valid JSON: {} (line {}, column {})",
            strip_position(e),
            e.line(),
            e.column()
        ),
        Category::Data => "the request body must be a JSON object".to_owned(),
        Category::Io => format!("the request body could not be read: {e}"),
    }
}

/// serde_json appends " at line L column C" to messages; we report the position separately.
fn strip_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(pos) => msg[..pos].to_owned(),
        None => msg,
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            fields.push((key.0, Cow::Borrowed(value)));
        }
        Ok(RawObject { fields })
    }
}

/// A map key, borrowed from the input unless it contains escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests;
