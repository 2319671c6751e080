//! Command-line arguments and dispatch.

mod config_cmd;
mod keys_cmd;
mod models;
pub(crate) mod reload;
mod serve;
mod usage_cmd;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::logging::LogFormat;

/// llmux: one gateway between every LLM client and every LLM provider.
#[derive(Debug, Parser)]
#[command(name = "llmux", version, about, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Options of `llmux serve` (also accepted without the subcommand).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (YAML). Without one, llmux runs on its embedded defaults.
    #[arg(long, short = 'c', env = "LLMUX_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Data-plane address (overrides `server.listen`).
    #[arg(long, env = "LLMUX_LISTEN")]
    listen: Option<SocketAddr>,
    /// Admin address (overrides `server.admin_listen`).
    #[arg(long, env = "LLMUX_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// Data directory (overrides `data_dir`; default ./data).
    #[arg(long, env = "LLMUX_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "LLMUX_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Log filter, e.g. `info`, `warn`, `debug,hyper=info`.
    #[arg(long, env = "LLMUX_LOG", default_value = "info")]
    log: String,
    /// Seconds to let in-flight requests finish after SIGTERM / Ctrl-C.
    #[arg(long, env = "LLMUX_DRAIN_SECS", default_value_t = 30)]
    drain_secs: u64,
    /// Tokio worker threads (default: one per core).
    #[arg(long, env = "LLMUX_WORKERS")]
    workers: Option<usize>,
    /// Client auth: none, proxy_key or passthrough (overrides `auth.mode`).
    #[arg(long, env = "LLMUX_AUTH_MODE", value_parser = llmux_engine::config::parse_auth_mode)]
    auth_mode: Option<llmux_engine::tags::AuthMode>,
    /// Reload the configuration file whenever it changes (as SIGHUP does); needs `--config`.
    #[arg(long, env = "LLMUX_WATCH_CONFIG")]
    watch_config: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve(ServeArgs),
    /// Validate or describe configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the models the configuration resolves, and where each goes.
    Models {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show stored usage: summary, series, breakdown or recent requests.
    Usage(usage_cmd::UsageArgs),
    /// Create, list and revoke llmux keys (for `auth.mode: proxy_key`).
    Keys(keys_cmd::KeysArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a configuration file (merged with the environment) and print every error.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Print the configuration's JSON Schema.
    Schema,
}

/// Runs the chosen command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => serve::run(args.serve),
        Some(Command::Serve(serve_args)) => serve::run(merge(serve_args, args.serve)),
        Some(Command::Config(ConfigCommand::Check { file })) => config_cmd::check(&file),
        Some(Command::Config(ConfigCommand::Schema)) => {
            println!("{}", llmux_engine::config::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Models { json }) => models::run(args.serve.config.as_deref(), json),
        Some(Command::Usage(mut usage_args)) => {
            // `llmux --data-dir D usage` as well as `llmux usage --data-dir D`.
            usage_args.data_dir = usage_args.data_dir.or(args.serve.data_dir);
            usage_cmd::run(usage_args, args.serve.config.as_deref())
        }
        Some(Command::Keys(mut keys_args)) => {
            keys_args.data_dir = keys_args.data_dir.or(args.serve.data_dir);
            keys_cmd::run(keys_args, args.serve.config.as_deref())
        }
    }
}

/// `--config` is global: it may come before or after `serve`. The other options without a
/// default may too (`llmux --data-dir D serve` used to drop `D` silently); after `serve` wins.
fn merge(mut sub: ServeArgs, top: ServeArgs) -> ServeArgs {
    sub.config = sub.config.or(top.config);
    sub.listen = sub.listen.or(top.listen);
    sub.admin_listen = sub.admin_listen.or(top.admin_listen);
    sub.data_dir = sub.data_dir.or(top.data_dir);
    sub.workers = sub.workers.or(top.workers);
    sub.auth_mode = sub.auth_mode.or(top.auth_mode);
    sub
}
