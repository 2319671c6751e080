//! `RawObject`: parse, then get / get_as / set / remove / rename / to_vec; the output of
//! `to_vec` parses again to the same members.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::RawObject;

fn members(obj: &RawObject<'_>) -> Vec<(String, String)> {
    obj.keys()
        .map(|k| {
            (
                k.to_owned(),
                obj.get(k).map(|v| v.get().to_owned()).unwrap_or_default(),
            )
        })
        .collect()
}

/// `to_vec`, parsed again, gives the same members; and when the input was a `serde_json::Value`
/// (RawObject also takes what `Value` refuses, such as `1e999`, and forwards it verbatim), so is
/// the output.
fn reparse(obj: &RawObject<'_>, input_is_value: bool) {
    let out = obj.to_vec();
    let again = match RawObject::parse(&out) {
        Ok(again) => again,
        Err(e) => panic!(
            "to_vec output does not parse ({e}): {}",
            String::from_utf8_lossy(&out)
        ),
    };
    assert_eq!(members(obj), members(&again), "to_vec changed the members");
    if input_is_value {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
            panic!(
                "to_vec output is not a JSON value ({e}): {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut obj) = RawObject::parse(data) else {
        return;
    };
    let input_is_value = serde_json::from_slice::<serde_json::Value>(data).is_ok();
    reparse(&obj, input_is_value);

    let keys: Vec<String> = obj.keys().map(str::to_owned).collect();
    for key in &keys {
        assert!(obj.contains(key));
        assert!(obj.get(key).is_some());
        let _ = obj.get_as::<serde_json::Value>(key);
        let _ = obj.get_as::<String>(key);
        let _ = obj.get_as::<u64>(key);
    }
    // The edits the passthrough path makes.
    let first = keys.first().cloned().unwrap_or_else(|| "model".to_owned());
    obj.set(&first, "replaced").ok();
    assert_eq!(obj.get(&first).map(|v| v.get()), Some("\"replaced\""));
    obj.set(
        "stream_options",
        &serde_json::json!({"include_usage": true}),
    )
    .ok();
    if let Some(last) = keys.last() {
        obj.set(last.as_str(), &serde_json::json!([1, "two", null]))
            .ok();
    }
    if let Some(second) = keys.get(1) {
        let renamed = obj.rename(second, "renamed_key");
        if renamed {
            assert!(obj.contains("renamed_key"));
        }
    }
    if let Some(third) = keys.get(2) {
        obj.remove(third);
        assert!(!obj.contains(third));
    }
    obj.remove("absent key \u{1}\"\\");
    obj.set("key with \"quotes\" \\ and \u{7}", &42).ok();
    reparse(&obj, input_is_value);
});
