//! `llmux-mock`: the llmux mock LLM upstream as a standalone server.
//!
//! ```text
//! llmux-mock [--listen 127.0.0.1:9000] [--fixtures DIR] [--chunks N] [--delay-ms N]
//!            [--chunk-delay-ms N] [--models a,b] [--no-record] [--port-file PATH]
//!            [--threads N] [--fixture PATH] [--status NNN] [--text TEXT] [--fault FAULT]
//!            [--fault-rate 0.0..1.0] [--delay-rate 0.0..1.0]
//! ```
//!
//! Prints `llmux-mock listening on http://ADDR` once bound; exits on SIGTERM or ctrl-c.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use llmux_testkit::mock::{MockConfig, MockUpstream};

/// Mock LLM upstream (OpenAI, Anthropic, Gemini, Ollama) for llmux tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "llmux-mock", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port; see --port-file).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Fixture directory (default: $LLMUX_MOCK_FIXTURES, else the workspace's fixtures).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Content chunks of a scripted stream.
    #[arg(long, default_value_t = 3)]
    chunks: usize,
    /// Delay before every response head, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Delay between stream frames, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Models listed by /v1/models and /api/tags (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "mock-model,mock-embed")]
    models: Vec<String>,
    /// Do not record requests (for benchmarks).
    #[arg(long)]
    no_record: bool,
    /// After binding, write the bound port number to this file.
    #[arg(long)]
    port_file: Option<PathBuf>,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Default `x-mock-fixture` (fixture replayed for every request without the header).
    #[arg(long)]
    fixture: Option<String>,
    /// Default `x-mock-status`.
    #[arg(long)]
    status: Option<u16>,
    /// Default `x-mock-text` (scripted answer text). Also makes streamed Anthropic
    /// `/v1/messages` answers scripted (split into --chunks text deltas) instead of the
    /// replayed fixture, as the `x-mock-text` / `x-mock-chunks` headers do per request.
    #[arg(long)]
    text: Option<String>,
    /// Default `x-mock-fault` (status:NNN, 429, 429:SECS, reset-before-headers, reset-mid-stream,
    /// stall, stall-before-headers, truncate, malformed-json, context-length).
    #[arg(long)]
    fault: Option<String>,
    /// Default `x-mock-fault-rate`: the share of requests (0.0 to 1.0) the fault hits.
    #[arg(long)]
    fault_rate: Option<f64>,
    /// Default `x-mock-delay-rate`: the share of requests (0.0 to 1.0) --delay-ms applies to.
    #[arg(long)]
    delay_rate: Option<f64>,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format_args!("cannot build the tokio runtime: {e}")));
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let mut config = MockConfig {
        stream_chunks: args.chunks,
        // With --delay-rate the delay is a per-request control, drawn for each request.
        delay: if args.delay_rate.is_some() {
            Duration::ZERO
        } else {
            Duration::from_millis(args.delay_ms)
        },
        chunk_delay: Duration::from_millis(args.chunk_delay_ms),
        models: args.models,
        record: !args.no_record,
        ..MockConfig::default()
    };
    if let Some(dir) = args.fixtures {
        config.fixtures_dir = dir;
    }
    let defaults: Vec<(String, String)> = [
        ("x-mock-fixture", args.fixture),
        ("x-mock-status", args.status.map(|s| s.to_string())),
        ("x-mock-text", args.text),
        ("x-mock-fault", args.fault),
        ("x-mock-fault-rate", args.fault_rate.map(|r| r.to_string())),
        ("x-mock-delay-rate", args.delay_rate.map(|r| r.to_string())),
        (
            "x-mock-delay-ms",
            args.delay_rate.map(|_| args.delay_ms.to_string()),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .collect();
    let mock = MockUpstream::start_on_with_defaults(args.listen, config, defaults)
        .await
        .unwrap_or_else(|e| fail(format_args!("cannot start on {}: {e}", args.listen)));
    if let Some(path) = &args.port_file {
        // Write then rename, so a script polling the file never reads a partial number.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, mock.addr().port().to_string())
            .and_then(|()| std::fs::rename(&tmp, path))
            .unwrap_or_else(|e| fail(format_args!("cannot write {}: {e}", path.display())));
    }
    println!("llmux-mock listening on {}", mock.url());
    shutdown_signal().await;
    drop(mock);
}

/// Print `llmux-mock: <message>` to stderr and exit with status 1.
fn fail(message: std::fmt::Arguments<'_>) -> ! {
    eprintln!("llmux-mock: {message}");
    std::process::exit(1)
}

/// Resolves on ctrl-c, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .unwrap_or_else(|e| fail(format_args!("cannot install a SIGTERM handler: {e}")));
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
