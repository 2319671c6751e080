//! `/api/embed` and `/api/embeddings` through an OpenAI embeddings provider.

use serde_json::{json, Value};

use super::super::*;

fn decode(body: Value) -> EmbedRequest {
    decode_embed_request(body.to_string().as_bytes()).unwrap()
}

#[test]
fn decodes_both_endpoints() {
    let req = decode(json!({"model": "all-minilm", "input": "Why is the sky blue?"}));
    assert_eq!(
        req,
        EmbedRequest {
            model: "all-minilm".into(),
            inputs: vec!["Why is the sky blue?".into()],
            legacy: false,
            truncate: None,
            dimensions: None,
        }
    );
    let req = decode(
        json!({"model": "m", "input": ["a", "b"], "truncate": false, "dimensions": 256,
                            "keep_alive": "5m", "options": {"num_ctx": 512}}),
    );
    assert_eq!(req.inputs, ["a", "b"]);
    assert_eq!((req.truncate, req.dimensions), (Some(false), Some(256)));
    let req = decode(json!({"model": "m", "prompt": "legacy"}));
    assert!(req.legacy);
    assert_eq!(req.inputs, ["legacy"]);
    let req = decode(json!({"model": "m"}));
    assert!(req.inputs.is_empty() && !req.legacy);

    for bad in [
        json!({"input": [1]}),
        json!({"input": 3}),
        json!({"prompt": 3}),
    ] {
        assert!(
            decode_embed_request(bad.to_string().as_bytes()).is_err(),
            "{bad}"
        );
    }
    let e = decode_embed_request(br#"{"input":["a",{}]}"#).unwrap_err();
    assert!(e.message.contains("input[1]"), "{e}");
}

#[test]
fn openai_request_body() {
    let req =
        decode(json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 64}));
    let body: Value = serde_json::from_slice(&to_openai_embeddings_body(&req)).unwrap();
    assert_eq!(
        body,
        json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float", "dimensions": 64})
    );
}

const OPENAI: &str = r#"{"object":"list","data":[
  {"object":"embedding","index":1,"embedding":[0.5,-1e-7]},
  {"object":"embedding","index":0,"embedding":[0.0123456789012345,2]}
],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;

#[test]
fn ollama_answers_from_openai() {
    let req = decode(json!({"model": "my-embedder", "input": ["a", "b"]}));
    let body = String::from_utf8(from_openai_embeddings(OPENAI.as_bytes(), &req).unwrap()).unwrap();
    assert_eq!(
        body,
        r#"{"model":"my-embedder","embeddings":[[0.0123456789012345,2],[0.5,-1e-7]],"total_duration":0,"load_duration":0,"prompt_eval_count":8}"#
    );

    let legacy = decode(json!({"model": "m", "prompt": "a"}));
    let one = r#"{"data":[{"index":0,"embedding":[1.5,2.5]}]}"#;
    let body = from_openai_embeddings(one.as_bytes(), &legacy).unwrap();
    assert_eq!(body, br#"{"embedding":[1.5,2.5]}"#);

    let empty = decode(json!({"model": "m"}));
    let body = from_openai_embeddings(br#"{"data":[]}"#, &empty).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["embeddings"], json!([]));
    assert_eq!(v["prompt_eval_count"], 0);
}

#[test]
fn bad_openai_answers() {
    let req = decode(json!({"model": "m", "input": ["a"]}));
    let cases: [(&str, &str); 7] = [
        (OPENAI, "2 vectors for 1 inputs"),
        // Found by the fuzzer: a number beyond f64 would have been passed on as written.
        (r#"{"data":[{"embedding":[2e1271]}]}"#, "finite numbers"),
        (r#"{"data":[{"embedding":[0.5,"x"]}]}"#, "finite numbers"),
        (
            r#"{"data":[{"index":0,"embedding":"AAAA"}]}"#,
            "float encoding",
        ),
        (
            r#"{"error":{"message":"quota exceeded","type":"x"}}"#,
            "quota exceeded",
        ),
        (r#"{"data":[{"index":0}]}"#, "invalid"),
        ("[", "invalid"),
    ];
    for (body, needle) in cases {
        let e = from_openai_embeddings(body.as_bytes(), &req).unwrap_err();
        assert!(e.message.contains(needle), "{body}: {e}");
    }
}
