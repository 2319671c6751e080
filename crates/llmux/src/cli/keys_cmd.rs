//! `llmux keys`: create, list and revoke llmux keys in the data dir's database. A running
//! gateway picks changes up within a couple of seconds; the key itself is printed once, at
//! creation, and only its hash is stored.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use llmux_engine::config::{Config, Env};
use llmux_store::{KeyRow, KeyStore, SqliteStore};

use super::usage_cmd::format::{table, utc};
use super::usage_cmd::{parse_period, parse_time};
use llmux_store::unix_ms_now;

/// Options of `llmux keys`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    action: Action,
    /// Data directory holding llmux.db (default: the config's `data_dir`, else ./data).
    #[arg(long, env = "LLMUX_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Subcommand)]
enum Action {
    /// Make a key; it is printed once and cannot be shown again.
    Create(CreateArgs),
    /// List the keys (never the keys themselves: their prefix).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key for good, by id or name.
    Revoke {
        /// The key's id (`key_...`) or its name.
        key: String,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct CreateArgs {
    /// Who the key is for (shown in usage and metrics).
    #[arg(long)]
    name: String,
    /// Models the key may use, comma-separated; `*` is a wildcard (`gpt-*`). Default: all.
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Requests per minute.
    #[arg(long)]
    rpm: Option<u32>,
    /// Tokens per minute.
    #[arg(long)]
    tpm: Option<u64>,
    /// Spending cap in US dollars.
    #[arg(long)]
    budget_usd: Option<f64>,
    /// Expiry: a period from now (`30d`, `12h`) or a UTC date/time (`2027-01-31`).
    #[arg(long)]
    expires: Option<String>,
    /// Tags recorded on the key's requests, comma-separated.
    #[arg(long, value_delimiter = ',')]
    tags: Vec<String>,
    /// Print JSON (with the key) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `llmux keys ...`.
pub fn run(args: KeysArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let data_dir = match args.data_dir.clone() {
        Some(d) => d,
        None => match Config::load_path(config, &Env::from_process()) {
            Ok(c) => c.data_dir,
            Err(errors) => {
                eprint!("{errors}");
                return Ok(ExitCode::from(1));
            }
        },
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let store = crate::keys::open_store(&data_dir)?;
    match args.action {
        Action::Create(c) => create(store.as_ref(), c),
        Action::List { json } => list(store.as_ref(), json),
        Action::Revoke { key } => revoke(store.as_ref(), &key),
    }
}

fn create(store: &SqliteStore, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let now = unix_ms_now();
    let problem = check_create(&args, now).err();
    if let Some(message) = problem {
        eprintln!("llmux keys create: {message}");
        return Ok(ExitCode::from(2));
    }
    let expires_at_ms = args.expires.as_deref().map(|e| expiry(e, now)).transpose();
    let expires_at_ms = expires_at_ms.map_err(anyhow::Error::msg)?;
    let made = llmux_engine::keys::generate().context("cannot read the OS random source")?;
    let row = KeyRow {
        id: made.id.clone(),
        name: args.name.trim().to_owned(),
        hash: made.hash.clone(),
        prefix: made.prefix.clone(),
        models: args.models.iter().map(|m| m.trim().to_owned()).collect(),
        rpm: args.rpm,
        tpm: args.tpm,
        budget_usd: args.budget_usd,
        spent_usd: 0.0,
        expires_at_ms,
        revoked: false,
        tags: args.tags.iter().map(|t| t.trim().to_owned()).collect(),
        created_at_ms: now,
    };
    store.create(&row).context("cannot store the key")?;
    if args.json {
        let out = serde_json::json!({
            "id": row.id, "name": row.name, "key": made.secret, "prefix": row.prefix,
        });
        println!("{out}");
    } else {
        println!("{}", made.secret);
        eprintln!(
            "key {} ({}) created for {}. This is the only time the key is shown: store it now.",
            row.id, row.prefix, row.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The options' problems, in the words the operator needs to fix them.
fn check_create(args: &CreateArgs, now_ms: i64) -> Result<(), String> {
    if args.name.trim().is_empty() {
        return Err("--name must not be empty".into());
    }
    if let Some(b) = args.budget_usd {
        if !b.is_finite() || b < 0.0 {
            return Err(format!(
                "--budget-usd {b}: must be a number of dollars, 0 or more"
            ));
        }
    }
    if args.models.iter().any(|m| m.trim().is_empty()) {
        return Err("--models has an empty name".into());
    }
    let input = llmux_engine::tags::TagInput {
        auth: llmux_engine::tags::AuthMode::ProxyKey,
        bearer: None,
        header: None,
        model: "",
        key_tags: &args.tags,
        default_tag: "",
    };
    llmux_engine::tags::request_tags(input).map_err(|e| format!("--tags: {e}"))?;
    if let Some(e) = &args.expires {
        let at = expiry(e, now_ms)?;
        if at <= now_ms {
            return Err(format!("--expires {e}: that is in the past"));
        }
    }
    Ok(())
}

/// `--expires`: a period from now (`30d`) or a UTC time (`2027-01-31`).
fn expiry(text: &str, now_ms: i64) -> Result<i64, String> {
    match parse_period(text) {
        Ok(period) => Ok(now_ms.saturating_add(period)),
        Err(_) => parse_time(text).map_err(|_| {
            format!("--expires {text:?}: write a period like 30d or 12h, or a date like 2027-01-31")
        }),
    }
}

fn list(store: &SqliteStore, json: bool) -> anyhow::Result<ExitCode> {
    let rows = store.list().context("cannot read the keys")?;
    let now = unix_ms_now();
    if json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "name": r.name, "prefix": r.prefix, "models": r.models,
                    "rpm": r.rpm, "tpm": r.tpm, "budget_usd": r.budget_usd,
                    "spent_usd": r.spent_usd, "expires_at_ms": r.expires_at_ms,
                    "revoked": r.revoked, "tags": r.tags, "created_at_ms": r.created_at_ms,
                    "status": r.status(now),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(out));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no keys yet: make one with `llmux keys create --name <who>`");
        return Ok(ExitCode::SUCCESS);
    }
    let cells: Vec<Vec<String>> = rows.iter().map(|r| row_cells(r, now)).collect();
    let header = [
        "ID", "NAME", "KEY", "STATUS", "MODELS", "RPM", "TPM", "SPENT", "BUDGET", "EXPIRES", "TAGS",
    ];
    let right = [
        false, false, false, false, false, true, true, true, true, false, false,
    ];
    for line in table(&header, &right, &cells) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn row_cells(r: &KeyRow, now: i64) -> Vec<String> {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        r.id.clone(),
        r.name.clone(),
        r.prefix.clone(),
        r.status(now).to_owned(),
        if r.models.is_empty() {
            "all".into()
        } else {
            r.models.join(",")
        },
        or_dash(r.rpm.map(|v| v.to_string())),
        or_dash(r.tpm.map(|v| v.to_string())),
        format!("${:.4}", r.spent_usd),
        or_dash(r.budget_usd.map(|b| format!("${b:.2}"))),
        or_dash(r.expires_at_ms.map(utc)),
        or_dash((!r.tags.is_empty()).then(|| r.tags.join(","))),
    ]
}

fn revoke(store: &SqliteStore, key: &str) -> anyhow::Result<ExitCode> {
    let rows = store.list().context("cannot read the keys")?;
    let matches: Vec<&KeyRow> = rows
        .iter()
        .filter(|r| r.id == key || r.name == key)
        .collect();
    match matches.as_slice() {
        [one] => {
            store.revoke(&one.id).context("cannot revoke the key")?;
            eprintln!(
                "key {} ({}) revoked; a running gateway refuses it within seconds",
                one.id, one.name
            );
            Ok(ExitCode::SUCCESS)
        }
        [] => {
            eprintln!("llmux keys revoke: no key with id or name {key:?} (see `llmux keys list`)");
            Ok(ExitCode::from(1))
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|r| r.id.as_str()).collect();
            eprintln!(
                "llmux keys revoke: {} keys are named {key:?}; revoke one by id: {}",
                many.len(),
                ids.join(", ")
            );
            Ok(ExitCode::from(1))
        }
    }
}
