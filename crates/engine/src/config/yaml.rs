//! YAML → `serde_json::Value`, remembering the line of every node so that configuration
//! errors can point at the place to fix.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A parsed YAML document and where each of its nodes starts.
#[derive(Debug, Default)]
pub struct YamlDoc {
    /// The document as JSON data (`Null` for an empty file).
    pub value: Value,
    lines: HashMap<String, usize>,
}

impl YamlDoc {
    /// The 1-based line of the node at `path` (dotted keys, `[i]` indexes), or of its nearest
    /// ancestor that exists.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

/// A YAML syntax error with its position.
#[derive(Debug)]
pub struct YamlError {
    /// What the parser reported.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Parses one YAML document.
pub fn parse(text: &str) -> Result<YamlDoc, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlError {
        message: e.info().to_owned(),
        line: e.marker().line(),
        column: e.marker().col() + 1,
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(YamlDoc {
        value: builder.root.unwrap_or(Value::Null),
        lines: builder.lines,
    })
}

enum Frame {
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        path: String,
    },
    Seq {
        items: Vec<Value>,
        anchor: usize,
        path: String,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    lines: HashMap<String, usize>,
    error: Option<YamlError>,
}

impl Builder {
    /// The path of the node about to be inserted into the current container.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { key, path, .. }) => match key {
                Some(k) if path.is_empty() => k.clone(),
                Some(k) => format!("{path}.{k}"),
                None => path.clone(),
            },
            Some(Frame::Seq { items, path, .. }) => format!("{path}[{}]", items.len()),
        }
    }

    fn insert(&mut self, value: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, path, .. }) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => {
                    // This value is a key.
                    let k = match value {
                        Value::String(s) => s,
                        Value::Null => "null".to_owned(),
                        other if !other.is_object() && !other.is_array() => other.to_string(),
                        _ => {
                            self.error.get_or_insert(YamlError {
                                message: "mapping keys must be plain scalars".to_owned(),
                                line: mark.line(),
                                column: mark.col() + 1,
                            });
                            String::new()
                        }
                    };
                    let full = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.lines.insert(full, mark.line());
                    *key = Some(k);
                }
            },
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::MappingStart(anchor, _) => {
                let path = self.child_path();
                self.lines.entry(path.clone()).or_insert(mark.line());
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    anchor,
                    path,
                });
            }
            Event::SequenceStart(anchor, _) => {
                let path = self.child_path();
                self.lines.entry(path.clone()).or_insert(mark.line());
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    path,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (value, anchor) = match self.stack.pop() {
                    Some(Frame::Map { map, anchor, .. }) => (Value::Object(map), anchor),
                    Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.insert(value, mark);
            }
            Event::Scalar(text, style, anchor, tag) => {
                if !self.expecting_key() {
                    let path = self.child_path();
                    self.lines.insert(path, mark.line());
                }
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == TScalarStyle::Plain && !is_str_tag {
                    plain_scalar(&text)
                } else {
                    Value::String(text)
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.insert(value, mark);
            }
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.insert(value, mark);
            }
            _ => {}
        }
    }
}

/// Resolves an untagged plain scalar with the YAML 1.2 core schema.
fn plain_scalar(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Number(i.into());
        }
    }
    let looks_numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types_and_lines() {
        let doc = parse(
            "server:\n  listen: 127.0.0.1:8080\n  limit: 16\nproviders:\n  a:\n    models: [x, \"1\", 2.5]\n    on: true\n    nothing: ~\n",
        )
        .unwrap();
        assert_eq!(doc.value["server"]["listen"], "127.0.0.1:8080");
        assert_eq!(doc.value["server"]["limit"], 16);
        assert_eq!(doc.value["providers"]["a"]["models"][1], "1");
        assert_eq!(doc.value["providers"]["a"]["models"][2], 2.5);
        assert_eq!(doc.value["providers"]["a"]["on"], true);
        assert!(doc.value["providers"]["a"]["nothing"].is_null());
        assert_eq!(doc.line_of("server.listen"), Some(2));
        assert_eq!(doc.line_of("providers.a.models[1]"), Some(6));
        assert_eq!(doc.line_of("providers.a.unknown_child"), Some(5));
    }

    #[test]
    fn anchors_and_aliases() {
        let doc = parse("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(doc.value["other"]["x"], 1);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.line >= 1);
        assert!(!err.message.is_empty());
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").unwrap().value.is_null());
        assert!(parse("# only a comment\n").unwrap().value.is_null());
    }
}
