use super::*;
use proptest::prelude::*;

fn roundtrip(body: &str) -> String {
    String::from_utf8(RawObject::parse(body.as_bytes()).unwrap().to_vec()).unwrap()
}

#[test]
fn keeps_order_unknown_fields_and_raw_values() {
    let body = r#"{"model":"a","x_unknown":{"deep":[1, 2.50, "é"]},"stream":true}"#;
    assert_eq!(
        roundtrip(body),
        r#"{"model":"a","x_unknown":{"deep":[1, 2.50, "é"]},"stream":true}"#
    );
}

#[test]
fn edits_fields_in_place() {
    let body = br#"{"model":"virtual","max_tokens":10,"temperature":1}"#;
    let mut obj = RawObject::parse(body).unwrap();
    obj.set("model", "real").unwrap();
    assert!(obj.rename("max_tokens", "max_completion_tokens"));
    assert!(obj.remove("temperature"));
    obj.set(
        "stream_options",
        &serde_json::json!({"include_usage": true}),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(obj.to_vec()).unwrap(),
        r#"{"model":"real","max_completion_tokens":10,"stream_options":{"include_usage":true}}"#
    );
}

#[test]
fn escaped_keys_survive() {
    assert_eq!(roundtrip(r#"{"a\"b":1,"\u00e9":2}"#), r#"{"a\"b":1,"é":2}"#);
}

#[test]
fn duplicate_keys_collapse_on_set() {
    let mut obj = RawObject::parse(br#"{"model":"a","model":"b"}"#).unwrap();
    assert_eq!(obj.get("model").unwrap().get(), r#""b""#);
    obj.set("model", "c").unwrap();
    assert_eq!(obj.to_vec(), br#"{"model":"c"}"#);
}

#[test]
fn rejects_non_objects_with_clear_messages() {
    let cases = [
        ("", "ends before"),
        ("{\"model\": ", "ends before"),
        ("[1,2]", "must be a JSON object"),
        ("{\"a\":1} trailing", "not valid JSON"),
        ("{'a':1}", "not valid JSON"),
    ];
    for (body, want) in cases {
        let err = RawObject::parse(body.as_bytes()).unwrap_err();
        assert!(err.0.contains(want), "{body:?}: {}", err.0);
    }
}

proptest! {
    /// Any JSON object survives a parse + serialise round trip with the same value.
    #[test]
    fn roundtrip_preserves_value(v in arb_object()) {
        let text = serde_json::to_string(&v).unwrap();
        let out = RawObject::parse(text.as_bytes()).unwrap().to_vec();
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, v);
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = RawObject::parse(&data);
    }
}

fn arb_object() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map(".{0,8}", value, 0..6)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
}
