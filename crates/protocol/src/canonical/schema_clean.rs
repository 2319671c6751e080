//! JSON Schema cleaning: tool parameters and response schemas rewritten into what each
//! provider accepts.
//!
//! Both functions are pure and total: any JSON value goes in, a value comes out, and reference
//! expansion is bounded so recursive or adversarial schemas terminate.

use serde_json::{json, Map, Value};

/// How many times one `$ref` may be expanded inside its own expansion before it is cut.
const REF_RECURSION_LIMIT: usize = 3;
/// Longest chain of nested `$ref` expansions.
const REF_DEPTH_LIMIT: usize = 32;
/// Total `$ref` expansions for one schema, so that inlining cannot blow up.
const REF_EXPANSION_BUDGET: usize = 1000;
/// Deepest nesting of schemas cleaned (inlined references included); deeper ones become `{}`.
/// Bounds the recursion, hence the stack, whatever the input.
const NESTING_LIMIT: usize = 100;

/// Keywords Gemini's `Schema` (the OpenAPI subset of `parameters` and `responseSchema`) takes
/// verbatim. Everything not listed here or rewritten below is dropped: Gemini rejects unknown
/// fields.
const GEMINI_KEPT: &[&str] = &[
    "title",
    "description",
    "nullable",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "pattern",
    "example",
    "propertyOrdering",
];

/// Rewrites a JSON Schema into the OpenAPI subset Gemini accepts in a function declaration's
/// `parameters` and in `generationConfig.responseSchema`.
///
/// - local references (`#/$defs/X`, `#/definitions/X`, any `#/...` pointer) are inlined, their
///   sibling keywords applied over the target; a reference met again inside its own expansion
///   more than 3 times, a reference that cannot be resolved, or one past the depth and
///   expansion limits becomes `{"type": "object"}`;
/// - `type: [T, "null"]` becomes `type: T, nullable: true`; several non-null types become an
///   `anyOf` of those types;
/// - `oneOf` becomes `anyOf`; `null` branches of an `anyOf` become `nullable: true`, and a
///   single remaining branch is merged into the schema; `allOf` branches are merged into the
///   schema (properties and `required` united, the schema's own keywords winning);
/// - `const: v` becomes `enum: [v]`; `null` in an `enum` becomes `nullable: true`; an `enum`
///   with non-string values (Gemini's are strings only) is dropped and its values are listed in
///   the `description` instead;
/// - `format` is kept only where Gemini knows it: `enum` and `date-time` for strings, `int32`
///   and `int64` for integers, `float` and `double` for numbers;
/// - `prefixItems` (and draft-4 array `items`) become `items`: the single item schema, or an
///   `anyOf` of the distinct ones, when no `items` schema is given;
/// - `required` keeps only names that are among the `properties`;
/// - boolean schemas, and schemas nested more than 100 levels deep, become `{}`; dropped: `$schema`, `$id`, `$defs`, `definitions`,
///   `additionalProperties`, `patternProperties`, `unevaluatedProperties`,
///   `exclusiveMinimum`/`exclusiveMaximum`, `default`, `examples`, `not`, conditionals and any
///   other keyword outside Gemini's `Schema`.
///
/// A value that is neither an object nor a boolean is not a schema and is returned unchanged.
pub fn for_gemini(schema: &Value) -> Value {
    let mut cleaner = Gemini {
        root: schema,
        open_refs: Vec::new(),
        budget: REF_EXPANSION_BUDGET,
        depth: 0,
    };
    cleaner.clean(schema)
}

/// Rewrites a JSON Schema into what Anthropic accepts as a tool's `input_schema`: the top-level
/// `$schema` is removed, top-level `allOf`/`oneOf`/`anyOf` are folded into one object schema
/// (see [`hoist_top_level_combinators`]), and `"type": "object"` is added when the top level
/// has no `type`. Anything that is not an object becomes `{"type": "object"}`.
pub fn for_anthropic(schema: &Value) -> Value {
    match schema {
        Value::Object(o) => {
            let mut o = o.clone();
            o.remove("$schema");
            hoist_top_level_combinators(&mut o);
            o.entry("type").or_insert_with(|| json!("object"));
            Value::Object(o)
        }
        _ => json!({"type": "object"}),
    }
}

/// Anthropic refuses `oneOf`, `anyOf` and `allOf` at the top of a tool's schema. `allOf`
/// branches are merged into the top level exactly; for `oneOf`/`anyOf` the top level gets
/// every branch's properties, requires only what all branches require, and its description
/// says that one of the shapes is expected (the closest a single object schema comes).
fn hoist_top_level_combinators(o: &mut Map<String, Value>) {
    if !["allOf", "oneOf", "anyOf"]
        .iter()
        .any(|k| o.contains_key(*k))
    {
        return;
    }
    let branches_of = |v: Option<Value>| -> Vec<Map<String, Value>> {
        match v {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|b| match b {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut properties = match o.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let mut required: Vec<Value> = match o.remove("required") {
        Some(Value::Array(r)) => r,
        _ => Vec::new(),
    };
    for branch in branches_of(o.remove("allOf")) {
        if let Some(Value::Object(p)) = branch.get("properties") {
            properties.extend(p.clone());
        }
        if let Some(Value::Array(r)) = branch.get("required") {
            for name in r {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
    }
    let mut alternatives = branches_of(o.remove("oneOf"));
    alternatives.extend(branches_of(o.remove("anyOf")));
    if !alternatives.is_empty() {
        let count = alternatives.len();
        let mut common: Option<Vec<Value>> = None;
        for branch in &alternatives {
            if let Some(Value::Object(p)) = branch.get("properties") {
                for (k, v) in p {
                    properties.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            let r = match branch.get("required") {
                Some(Value::Array(r)) => r.clone(),
                _ => Vec::new(),
            };
            common = Some(match common {
                None => r,
                Some(c) => c.into_iter().filter(|n| r.contains(n)).collect(),
            });
        }
        for name in common.unwrap_or_default() {
            if !required.contains(&name) {
                required.push(name);
            }
        }
        let note = format!("The input takes one of {count} shapes; see the properties.");
        let description = match o.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d} {note}"),
            None => note,
        };
        o.insert("description".into(), Value::String(description));
    }
    if !properties.is_empty() {
        o.insert("properties".into(), Value::Object(properties));
    }
    if !required.is_empty() {
        o.insert("required".into(), Value::Array(required));
    }
}

/// State of one [`for_gemini`] run.
struct Gemini<'a> {
    /// The schema being cleaned, against which references resolve.
    root: &'a Value,
    /// References being expanded, outermost first.
    open_refs: Vec<String>,
    /// Expansions left.
    budget: usize,
    /// Schemas being cleaned, one inside the other.
    depth: usize,
}

impl Gemini<'_> {
    fn clean(&mut self, v: &Value) -> Value {
        match v {
            Value::Object(_) | Value::Bool(_) if self.depth >= NESTING_LIMIT => json!({}),
            Value::Object(o) => {
                self.depth += 1;
                let cleaned = self.clean_object(o);
                self.depth -= 1;
                Value::Object(cleaned)
            }
            Value::Bool(_) => json!({}),
            other => other.clone(),
        }
    }

    fn clean_object(&mut self, o: &Map<String, Value>) -> Map<String, Value> {
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            return self.expand_ref(r, o);
        }
        let mut out = Map::new();
        let mut nullable = o.get("nullable").and_then(Value::as_bool) == Some(true);

        let mut type_branches = Vec::new();
        match o.get("type") {
            Some(Value::String(t)) if t.eq_ignore_ascii_case("null") => nullable = true,
            Some(Value::String(t)) => {
                out.insert("type".into(), json!(t));
            }
            Some(Value::Array(ts)) => {
                let mut types = Vec::new();
                for t in ts.iter().filter_map(Value::as_str) {
                    if t.eq_ignore_ascii_case("null") {
                        nullable = true;
                    } else if !types.contains(&t) {
                        types.push(t);
                    }
                }
                match types.as_slice() {
                    [] => {}
                    [t] => {
                        out.insert("type".into(), json!(t));
                    }
                    _ => type_branches = types.iter().map(|t| json!({ "type": t })).collect(),
                }
            }
            _ => {}
        }

        for key in GEMINI_KEPT {
            if let Some(v) = o.get(*key) {
                out.insert((*key).into(), v.clone());
            }
        }

        if let Some(f) = o.get("format").and_then(Value::as_str) {
            let ty = out
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let allowed = match ty.as_deref() {
                Some("string") => ["enum", "date-time"].contains(&f),
                Some("integer") => ["int32", "int64"].contains(&f),
                Some("number") => ["float", "double"].contains(&f),
                _ => false,
            };
            if allowed {
                out.insert("format".into(), json!(f));
            }
        }

        let values = match (o.get("enum"), o.get("const")) {
            (Some(Value::Array(vs)), _) => Some(vs.clone()),
            (_, Some(c)) => Some(vec![c.clone()]),
            _ => None,
        };
        if let Some(values) = values {
            if values.iter().any(Value::is_null) {
                nullable = true;
            }
            let values: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
            if values.iter().all(Value::is_string) {
                if !values.is_empty() {
                    out.insert("enum".into(), Value::Array(values));
                }
            } else {
                let listed: Vec<String> = values.iter().map(Value::to_string).collect();
                let note = format!("Allowed values: {}.", listed.join(", "));
                let description = match out.get("description").and_then(Value::as_str) {
                    Some(d) if !d.is_empty() => format!("{d} {note}"),
                    _ => note,
                };
                out.insert("description".into(), json!(description));
            }
        }

        if let Some(Value::Object(props)) = o.get("properties") {
            let props: Map<String, Value> = props
                .iter()
                .map(|(k, v)| (k.clone(), self.clean(v)))
                .collect();
            out.insert("properties".into(), Value::Object(props));
        }
        if let Some(Value::Array(req)) = o.get("required") {
            let req: Vec<Value> = req.iter().filter(|v| v.is_string()).cloned().collect();
            out.insert("required".into(), Value::Array(req));
        }

        // `items: false` (or `true`) next to `prefixItems` only closes (or opens) the tuple.
        let tuple = match (o.get("items"), o.get("prefixItems")) {
            (Some(Value::Array(items)), _) => Some(items),
            (None | Some(Value::Bool(_)), Some(Value::Array(prefix))) => Some(prefix),
            (Some(items), _) => {
                let items = self.clean(items);
                out.insert("items".into(), items);
                None
            }
            (None, _) => None,
        };
        if let Some(tuple) = tuple {
            let mut distinct: Vec<Value> = Vec::new();
            for item in tuple {
                let item = self.clean(item);
                if !distinct.contains(&item) {
                    distinct.push(item);
                }
            }
            match distinct.len() {
                0 => {}
                1 => {
                    out.insert("items".into(), distinct.remove(0));
                }
                _ => {
                    out.insert("items".into(), json!({ "anyOf": distinct }));
                }
            }
        }

        let alternatives = match (o.get("anyOf"), o.get("oneOf")) {
            (Some(Value::Array(a)), _) | (None, Some(Value::Array(a))) => Some(a),
            _ => None,
        };
        let mut branches = match alternatives {
            Some(alternatives) => {
                let mut branches = Vec::new();
                for b in alternatives {
                    if is_null_schema(b) {
                        nullable = true;
                        continue;
                    }
                    let b = self.clean(b);
                    if !branches.contains(&b) {
                        branches.push(b);
                    }
                }
                branches
            }
            None => type_branches,
        };
        match branches.len() {
            0 => {}
            1 => merge_into(&mut out, branches.remove(0)),
            _ => {
                out.insert("anyOf".into(), Value::Array(branches));
            }
        }

        if let Some(Value::Array(all)) = o.get("allOf") {
            for b in all {
                let b = self.clean(b);
                merge_into(&mut out, b);
            }
        }

        if nullable {
            out.insert("nullable".into(), json!(true));
        }
        let names: Option<Vec<String>> = match out.get("properties") {
            Some(Value::Object(props)) => Some(props.keys().cloned().collect()),
            _ => None,
        };
        match names {
            Some(names) => {
                if let Some(Value::Array(req)) = out.get_mut("required") {
                    req.retain(|r| r.as_str().is_some_and(|r| names.iter().any(|n| n == r)));
                    let mut seen = Vec::new();
                    req.retain(|r| {
                        let fresh = !seen.contains(r);
                        seen.push(r.clone());
                        fresh
                    });
                }
            }
            None => {
                out.remove("required");
            }
        }
        out
    }

    /// Inlines the reference `r` of schema `o` (whose other keywords override the target's).
    fn expand_ref(&mut self, r: &str, o: &Map<String, Value>) -> Map<String, Value> {
        let depth = self.open_refs.iter().filter(|open| *open == r).count();
        let target = if depth >= REF_RECURSION_LIMIT
            || self.open_refs.len() >= REF_DEPTH_LIMIT
            || self.budget == 0
        {
            None
        } else {
            r.strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
        };
        let (mut merged, expanding) = match target {
            Some(Value::Object(t)) => (t.clone(), true),
            Some(Value::Bool(_)) => (Map::new(), false),
            _ => {
                let mut placeholder = Map::new();
                placeholder.insert("type".into(), json!("object"));
                (placeholder, false)
            }
        };
        for (k, v) in o {
            if k != "$ref" {
                merged.insert(k.clone(), v.clone());
            }
        }
        if !expanding {
            return self.clean_object(&merged);
        }
        self.budget -= 1;
        self.open_refs.push(r.to_owned());
        let cleaned = self.clean_object(&merged);
        self.open_refs.pop();
        cleaned
    }
}

/// Whether `v` is a schema that admits only `null` (`{"type": "null"}`).
fn is_null_schema(v: &Value) -> bool {
    match v.get("type") {
        Some(Value::String(t)) => t.eq_ignore_ascii_case("null"),
        Some(Value::Array(ts)) => {
            !ts.is_empty()
                && ts
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("null")))
        }
        _ => false,
    }
}

/// Merges a cleaned subschema into `out`: properties and `required` are united, other keywords
/// are added where `out` has none.
fn merge_into(out: &mut Map<String, Value>, branch: Value) {
    let Value::Object(branch) = branch else {
        return;
    };
    for (k, v) in branch {
        match (k.as_str(), out.get_mut(&k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, v) => {
                out.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn anthropic_top_level_combinators_are_folded() {
        let all_of = json!({"allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
        ]});
        assert_eq!(
            for_anthropic(&all_of),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                   "required": ["a", "b"]})
        );
        let one_of = json!({"description": "Find a place.", "oneOf": [
            {"type": "object", "properties": {"city": {"type": "string"}, "q": {"type": "string"}}, "required": ["city", "q"]},
            {"type": "object", "properties": {"lat": {"type": "number"}, "q": {"type": "string"}}, "required": ["lat", "q"]},
        ]});
        let got = for_anthropic(&one_of);
        assert_eq!(got["type"], "object");
        assert!(got.get("oneOf").is_none());
        assert_eq!(
            got["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["city", "lat", "q"]
        );
        assert_eq!(got["required"], json!(["q"]));
        assert!(got["description"]
            .as_str()
            .unwrap()
            .starts_with("Find a place. The input takes one of 2 shapes"));
        // Nested combinators are fine for Anthropic and stay.
        let nested = json!({"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}});
        assert_eq!(for_anthropic(&nested), nested);
    }

    #[test]
    fn gemini_rules() {
        let cases = [
            (
                "drops unsupported keywords",
                json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$id": "x", "type": "object", "title": "T", "description": "D",
                    "additionalProperties": false, "patternProperties": {"^a": {}},
                    "unevaluatedProperties": false, "default": {}, "examples": [{}],
                    "not": {}, "if": {}, "then": {}, "else": {}, "$comment": "c",
                    "properties": {"n": {
                        "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 9,
                        "minimum": 1, "maximum": 8, "default": 2
                    }}
                }),
                json!({
                    "type": "object", "title": "T", "description": "D",
                    "properties": {"n": {"type": "number", "minimum": 1, "maximum": 8}}
                }),
            ),
            (
                "const becomes enum",
                json!({"type": "string", "const": "a"}),
                json!({"type": "string", "enum": ["a"]}),
            ),
            (
                "null in enum becomes nullable",
                json!({"type": "string", "enum": ["a", null]}),
                json!({"type": "string", "enum": ["a"], "nullable": true}),
            ),
            (
                "non-string enum moves to the description",
                json!({"type": "integer", "description": "Level.", "enum": [1, 2]}),
                json!({"type": "integer", "description": "Level. Allowed values: 1, 2."}),
            ),
            (
                "non-string const moves to the description",
                json!({"type": "boolean", "const": true}),
                json!({"type": "boolean", "description": "Allowed values: true."}),
            ),
            (
                "allowed string formats",
                json!({"type": "object", "properties": {
                    "a": {"type": "string", "format": "date-time"},
                    "b": {"type": "string", "format": "enum", "enum": ["x"]},
                    "c": {"type": "string", "format": "email"},
                    "d": {"type": "string", "format": "uri"}
                }}),
                json!({"type": "object", "properties": {
                    "a": {"type": "string", "format": "date-time"},
                    "b": {"type": "string", "format": "enum", "enum": ["x"]},
                    "c": {"type": "string"},
                    "d": {"type": "string"}
                }}),
            ),
            (
                "allowed numeric formats",
                json!({"type": "array", "items": {"anyOf": [
                    {"type": "integer", "format": "int64"},
                    {"type": "integer", "format": "uint8"},
                    {"type": "number", "format": "double"},
                    {"type": "number", "format": "int32"},
                    {"format": "float"}
                ]}}),
                json!({"type": "array", "items": {"anyOf": [
                    {"type": "integer", "format": "int64"},
                    {"type": "integer"},
                    {"type": "number", "format": "double"},
                    {"type": "number"},
                    {}
                ]}}),
            ),
            (
                "format follows upper-case types",
                json!({"type": "INTEGER", "format": "int32"}),
                json!({"type": "INTEGER", "format": "int32"}),
            ),
            (
                "nullable type array",
                json!({"type": ["string", "null"], "format": "date-time"}),
                json!({"type": "string", "nullable": true, "format": "date-time"}),
            ),
            (
                "several types become anyOf",
                json!({"type": ["string", "integer", "null"]}),
                json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}),
            ),
            (
                "type null alone",
                json!({"type": "null"}),
                json!({"nullable": true}),
            ),
            (
                "oneOf becomes anyOf",
                json!({"oneOf": [{"type": "string"}, {"type": "integer", "const": 3}]}),
                json!({"anyOf": [
                    {"type": "string"},
                    {"type": "integer", "description": "Allowed values: 3."}
                ]}),
            ),
            (
                "anyOf with null merges the other branch",
                json!({"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}],
                       "description": "Maybe.", "default": null}),
                json!({"type": "string", "maxLength": 3, "nullable": true,
                       "description": "Maybe."}),
            ),
            (
                "allOf merges properties and required",
                json!({"type": "object", "properties": {"a": {"type": "string"}},
                "required": ["a"],
                "allOf": [
                    {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
                    {"type": "string", "description": "From allOf."}
                ]}),
                json!({"type": "object", "description": "From allOf.",
                       "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                       "required": ["a", "b"]}),
            ),
            (
                "prefixItems become items",
                json!({"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}],
                       "minItems": 2, "maxItems": 2}),
                json!({"type": "array", "items": {"type": "number"}, "minItems": 2,
                       "maxItems": 2}),
            ),
            (
                "mixed prefixItems become anyOf items",
                json!({"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}],
                       "items": false}),
                json!({"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string"}]}}),
            ),
            (
                "draft-4 tuple items",
                json!({"type": "array", "items": [{"type": "number"}, {"type": "string"}]}),
                json!({"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string"}]}}),
            ),
            (
                "required keeps only known properties",
                json!({"type": "object", "properties": {"a": {}}, "required": ["a", "b", "a", 1]}),
                json!({"type": "object", "properties": {"a": {}}, "required": ["a"]}),
            ),
            (
                "required without properties is dropped",
                json!({"type": "object", "required": ["a"]}),
                json!({"type": "object"}),
            ),
            (
                "boolean schemas",
                json!({"type": "object", "properties": {"any": true, "none": false}}),
                json!({"type": "object", "properties": {"any": {}, "none": {}}}),
            ),
            (
                "$defs references are inlined",
                json!({
                    "$defs": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
                    "type": "object",
                    "properties": {"pet": {"$ref": "#/$defs/Pet", "description": "Their pet."}}
                }),
                json!({
                    "type": "object",
                    "properties": {"pet": {"type": "object", "description": "Their pet.",
                                           "properties": {"name": {"type": "string"}}}}
                }),
            ),
            (
                "definitions references are inlined, through aliases",
                json!({
                    "definitions": {"A": {"$ref": "#/definitions/B"}, "B": {"type": "integer"}},
                    "type": "array", "items": {"$ref": "#/definitions/A"}
                }),
                json!({"type": "array", "items": {"type": "integer"}}),
            ),
            (
                "unresolvable references become objects",
                json!({"type": "object", "properties": {
                    "a": {"$ref": "#/$defs/Missing"},
                    "b": {"$ref": "https://example.com/schema.json", "description": "Remote."}
                }}),
                json!({"type": "object", "properties": {
                    "a": {"type": "object"},
                    "b": {"type": "object", "description": "Remote."}
                }}),
            ),
            (
                "a reference to itself is cut",
                json!({"$ref": "#"}),
                json!({"type": "object"}),
            ),
            ("not a schema", json!("text"), json!("text")),
            ("null", Value::Null, Value::Null),
            ("true", json!(true), json!({})),
        ];
        for (what, input, want) in cases {
            let got = for_gemini(&input);
            assert_eq!(got, want, "{what}");
            assert_eq!(for_gemini(&got), got, "{what}: cleaning is idempotent");
        }
    }

    #[test]
    fn gemini_cuts_recursive_references() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}},
            "$ref": "#/$defs/Node"
        });
        let got = for_gemini(&schema);
        // The root expands Node once; nested Nodes are expanded up to the limit, then cut.
        let mut node = &got;
        for _ in 0..REF_RECURSION_LIMIT {
            assert_eq!(node["properties"]["value"], json!({"type": "integer"}));
            node = &node["properties"]["children"]["items"];
        }
        assert_eq!(node, &json!({"type": "object"}));
        assert!(!got.to_string().contains("$ref"));
        assert!(!got.to_string().contains("$defs"));

        // Mutual recursion terminates too.
        let schema = json!({
            "definitions": {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/definitions/B"}}},
                "B": {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}}}
            },
            "$ref": "#/definitions/A"
        });
        assert!(!for_gemini(&schema).to_string().contains("$ref"));
    }

    #[test]
    fn gemini_bounds_exponential_expansion() {
        // Every level references the next twice: 2^30 nodes if fully inlined.
        let mut defs = Map::new();
        for i in 0..30 {
            let next = format!("#/$defs/D{}", i + 1);
            defs.insert(
                format!("D{i}"),
                json!({"type": "object", "properties": {
                    "l": {"$ref": next}, "r": {"$ref": next}
                }}),
            );
        }
        defs.insert("D30".into(), json!({"type": "string"}));
        let schema = json!({"$defs": defs, "$ref": "#/$defs/D0"});
        let got = for_gemini(&schema);
        assert!(got.to_string().len() < 200_000);
    }

    #[test]
    fn gemini_bounds_nesting() {
        let mut schema = json!({"type": "string"});
        for _ in 0..500 {
            schema = json!({"type": "array", "items": schema});
        }
        let mut got = &for_gemini(&schema);
        let mut levels = 0;
        while let Some(items) = got.get("items") {
            levels += 1;
            got = items;
        }
        assert_eq!(levels, NESTING_LIMIT);
        assert_eq!(got, &json!({}));

        // References nested in references are bounded the same way.
        let mut defs = Map::new();
        for i in 0..40 {
            let mut inner = json!({"$ref": format!("#/$defs/D{}", i + 1)});
            for _ in 0..20 {
                inner = json!({"type": "array", "items": inner});
            }
            defs.insert(format!("D{i}"), inner);
        }
        let schema = json!({"$defs": defs, "$ref": "#/$defs/D0"});
        assert!(for_gemini(&schema).is_object());
    }

    #[test]
    fn gemini_cleans_a_pydantic_schema() {
        // `model_json_schema()` of a pydantic v2 model with an optional nested model, an enum,
        // a list of models and a literal.
        let schema = json!({
            "$defs": {
                "Address": {
                    "properties": {
                        "street": {"title": "Street", "type": "string"},
                        "zip": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": null, "title": "Zip"}
                    },
                    "required": ["street"],
                    "title": "Address",
                    "type": "object",
                    "additionalProperties": false
                },
                "Role": {"enum": ["admin", "user"], "title": "Role", "type": "string"}
            },
            "properties": {
                "name": {"title": "Name", "type": "string", "minLength": 1},
                "age": {"exclusiveMinimum": 0, "title": "Age", "type": "integer"},
                "email": {"format": "email", "title": "Email", "type": "string"},
                "role": {"$ref": "#/$defs/Role", "default": "user"},
                "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}],
                            "default": null},
                "previous": {"items": {"$ref": "#/$defs/Address"}, "title": "Previous",
                             "type": "array"},
                "kind": {"const": "person", "title": "Kind", "type": "string",
                         "default": "person"},
                "tags": {"additionalProperties": {"type": "string"}, "title": "Tags",
                         "type": "object"}
            },
            "required": ["name", "age", "email", "previous"],
            "title": "Person",
            "type": "object",
            "$schema": "https://json-schema.org/draft/2020-12/schema"
        });
        let address = json!({
            "properties": {
                "street": {"title": "Street", "type": "string"},
                "zip": {"type": "string", "nullable": true, "title": "Zip"}
            },
            "required": ["street"],
            "title": "Address",
            "type": "object"
        });
        let mut nullable_address = address.clone();
        nullable_address["nullable"] = json!(true);
        let want = json!({
            "properties": {
                "name": {"title": "Name", "type": "string", "minLength": 1},
                "age": {"title": "Age", "type": "integer"},
                "email": {"title": "Email", "type": "string"},
                "role": {"enum": ["admin", "user"], "title": "Role", "type": "string"},
                "address": nullable_address,
                "previous": {"items": address, "title": "Previous", "type": "array"},
                "kind": {"enum": ["person"], "title": "Kind", "type": "string"},
                "tags": {"title": "Tags", "type": "object"}
            },
            "required": ["name", "age", "email", "previous"],
            "title": "Person",
            "type": "object"
        });
        let got = for_gemini(&schema);
        assert_eq!(got, want);
        assert_eq!(for_gemini(&got), got);
    }

    #[test]
    fn anthropic_rules() {
        let cases = [
            (
                json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                       "properties": {"a": {"$schema": "kept", "const": 1}},
                       "additionalProperties": false}),
                json!({"type": "object", "properties": {"a": {"$schema": "kept", "const": 1}},
                       "additionalProperties": false}),
            ),
            (
                json!({"properties": {"a": {"type": "string"}}}),
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            ),
            (
                json!({"$defs": {"A": {}}, "$ref": "#/$defs/A"}),
                json!({"type": "object", "$defs": {"A": {}}, "$ref": "#/$defs/A"}),
            ),
            (Value::Null, json!({"type": "object"})),
            (json!(true), json!({"type": "object"})),
            (json!([1]), json!({"type": "object"})),
        ];
        for (input, want) in cases {
            assert_eq!(for_anthropic(&input), want, "{input}");
        }
    }

    fn keyword() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "type",
            "properties",
            "items",
            "prefixItems",
            "anyOf",
            "oneOf",
            "allOf",
            "$ref",
            "$defs",
            "definitions",
            "enum",
            "const",
            "format",
            "required",
            "nullable",
            "description",
            "additionalProperties",
            "$schema",
            "a",
            "b",
        ])
        .prop_map(str::to_owned)
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec![
                "#",
                "#/$defs/a",
                "#/$defs/b",
                "#/definitions/a",
                "#/properties/a",
                "#/items",
                "string",
                "null",
                "object",
                "array",
                "integer",
                "date-time",
                "a",
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 96, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(keyword(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn cleaning_never_panics_and_terminates(v in json_value()) {
            let g = for_gemini(&v);
            let a = for_anthropic(&v);
            prop_assert!(a.is_object());
            if v.is_object() {
                prop_assert!(g.is_object());
                prop_assert!(!g.as_object().is_some_and(|o| o.contains_key("$ref")));
            }
        }
    }
}
