//! Measures how long the SQLite store takes to commit usage rows in writer-sized batches:
//! `cargo run --release -p llmux-store --example insert_speed [rows]`.

use std::time::Instant;

use llmux_store::{SqliteStore, UsageRow, UsageStore};

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let dir = std::env::temp_dir().join(format!("llmux-insert-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let store = match SqliteStore::open(dir.join("speed.db")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the store: {e}");
            std::process::exit(1);
        }
    };
    let batch_size: i64 = std::env::var("BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1024);
    let template: Vec<UsageRow> = (0..batch_size)
        .map(|i| UsageRow {
            time_ms: 1_700_000_000_000 + i,
            request_id: format!("req_{i:016x}"),
            key_id: None,
            key_name: None,
            tags: Vec::new(),
            client_ip: Some("127.0.0.1".into()),
            client_host: None,
            client_api: "openai.chat".into(),
            provider: "openai".into(),
            member: None,
            requested_model: "gpt-4o-mini".into(),
            resolved_model: "gpt-4o-mini".into(),
            status: 200,
            error_kind: None,
            attempts: 1,
            prompt_tokens: 12,
            completion_tokens: 50,
            cached_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            ttft_ms: Some(1.2),
            duration_ms: 3.4,
            output_tokens_per_s: Some(1000.0),
            cost_usd: Some(0.00001),
            stream: true,
        })
        .collect();
    let start = Instant::now();
    let mut done = 0;
    while done < rows {
        // Times only grow, as they do in service: index inserts append.
        let batch: Vec<UsageRow> = template
            .iter()
            .map(|r| UsageRow {
                time_ms: r.time_ms + done as i64,
                ..r.clone()
            })
            .collect();
        if let Err(e) = store.insert_batch(&batch) {
            eprintln!("insert failed: {e}");
            std::process::exit(1);
        }
        done += batch.len();
    }
    let per_row = start.elapsed().as_secs_f64() / done as f64;
    println!("{done} rows, {:.2} us per row", per_row * 1e6);
    std::fs::remove_dir_all(&dir).ok();
}
