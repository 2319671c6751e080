//! `llmux usage`: the usage database's summary, time series, breakdowns and recent requests
//! in the terminal (aligned tables) or as JSON, read through a second connection so a
//! running `serve` is left alone.

pub(crate) mod format;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llmux_engine::config::{Config, Env};
use llmux_store::{Bucket, By, Filter, SqliteStore, StatusClass, UsageStore};

use crate::usage::db_path;

/// What `llmux usage` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Totals: requests, errors, tokens, cost, mean durations.
    Summary,
    /// Totals per hour or day (`--bucket`).
    Series,
    /// Totals per tag, key, provider, model or client (`--by`).
    Breakdown,
    /// The matching requests, newest first, a page at a time.
    Requests,
}

/// Dimension of `llmux usage breakdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// Per tag.
    Tag,
    /// Per key.
    Key,
    /// Per provider.
    Provider,
    /// Per resolved model.
    Model,
    /// Per client IP.
    Client,
}

/// Bucket of `llmux usage series`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BucketArg {
    /// One UTC hour.
    Hour,
    /// One UTC day.
    Day,
}

/// Options of `llmux usage`.
#[derive(Debug, Clone, clap::Args)]
pub struct UsageArgs {
    /// What to show (default: summary).
    #[arg(value_enum)]
    view: Option<View>,
    /// Data directory holding llmux.db (default: the config's `data_dir`, else ./data).
    #[arg(long, env = "LLMUX_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Only the last period: `90s`, `30m`, `24h`, `7d` (default 24h unless --from/--to).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    since: Option<String>,
    /// From this time (UTC): `2026-11-22`, `2026-11-22T14:00[:00][Z]`, or ms since the epoch.
    #[arg(long)]
    from: Option<String>,
    /// Up to (not including) this time, same forms as --from.
    #[arg(long)]
    to: Option<String>,
    /// Only requests carrying this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only requests served by this provider.
    #[arg(long)]
    provider: Option<String>,
    /// Only requests to this resolved (upstream) model.
    #[arg(long)]
    model: Option<String>,
    /// Only requests made with this key id.
    #[arg(long)]
    key: Option<String>,
    /// Only requests whose status is in this class: 2xx, 4xx, 5xx (also 1xx, 3xx).
    #[arg(long)]
    status: Option<String>,
    /// Breakdown dimension.
    #[arg(long, value_enum, default_value = "model")]
    by: ByArg,
    /// Series bucket.
    #[arg(long, value_enum, default_value = "hour")]
    bucket: BucketArg,
    /// Page of `requests`, from 1.
    #[arg(long, default_value_t = 1)]
    page: u32,
    /// Rows per page of `requests` (1 to 1000).
    #[arg(long, default_value_t = 20)]
    per_page: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `llmux usage`; `config` is the global `--config`.
pub fn run(args: UsageArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let filter = match build_filter(&args, llmux_store::unix_ms_now()) {
        Ok(f) => f,
        Err(message) => {
            eprintln!("llmux usage: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => match Config::load_path(config, &Env::from_process()) {
            Ok(c) => c.data_dir,
            Err(errors) => {
                eprint!("{errors}");
                return Ok(ExitCode::from(1));
            }
        },
    };
    let path = db_path(&data_dir);
    if !path.is_file() {
        eprintln!(
            "llmux usage: no usage database at {}\n\
             `llmux serve` writes it there while usage tracking is on (`usage.enabled`, the \
             default); pass --data-dir or --config to look elsewhere.",
            path.display()
        );
        return Ok(ExitCode::from(1));
    }
    let store = SqliteStore::open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open the usage database {}: {e}", path.display()))?;
    let lines_or_json = show(&store, &args, &filter)?;
    println!("{lines_or_json}");
    Ok(ExitCode::SUCCESS)
}

/// Runs the chosen query and renders it.
fn show(store: &SqliteStore, args: &UsageArgs, filter: &Filter) -> anyhow::Result<String> {
    let out = match args.view.unwrap_or(View::Summary) {
        View::Summary => {
            let s = store.summary(filter)?;
            render(args.json, format::summary_json(&s), || {
                format::summary_lines(&s)
            })?
        }
        View::Series => {
            let bucket = match args.bucket {
                BucketArg::Hour => Bucket::Hour,
                BucketArg::Day => Bucket::Day,
            };
            let points = store.series(filter, bucket)?;
            render(args.json, format::series_json(&points), || {
                format::series_lines(&points)
            })?
        }
        View::Breakdown => {
            let (by, name) = match args.by {
                ByArg::Tag => (By::Tag, "tag"),
                ByArg::Key => (By::Key, "key"),
                ByArg::Provider => (By::Provider, "provider"),
                ByArg::Model => (By::Model, "model"),
                ByArg::Client => (By::Client, "client"),
            };
            let groups = store.breakdown(filter, by)?;
            render(args.json, format::breakdown_json(&groups), || {
                format::breakdown_lines(&groups, name)
            })?
        }
        View::Requests => {
            let per_page = args.per_page.clamp(1, 1000);
            let page_no = args.page.max(1);
            let page = store.recent(filter, page_no - 1, per_page)?;
            render(args.json, format::page_json(&page), || {
                format::page_lines(&page, page_no, per_page)
            })?
        }
    };
    Ok(out)
}

/// Pretty JSON, or the table's lines.
fn render(
    json: bool,
    value: serde_json::Value,
    lines: impl FnOnce() -> Vec<String>,
) -> anyhow::Result<String> {
    if json {
        Ok(serde_json::to_string_pretty(&value)?)
    } else {
        Ok(lines().join("\n"))
    }
}

/// The store filter the options ask for, at wall-clock `now_ms`.
fn build_filter(args: &UsageArgs, now_ms: i64) -> Result<Filter, String> {
    let (from_ms, to_ms) = if args.from.is_some() || args.to.is_some() {
        (
            args.from.as_deref().map(parse_time).transpose()?,
            args.to.as_deref().map(parse_time).transpose()?,
        )
    } else {
        let since = parse_period(args.since.as_deref().unwrap_or("24h"))?;
        (Some(now_ms.saturating_sub(since)), None)
    };
    let status = args.status.as_deref().map(parse_status).transpose()?;
    Ok(Filter {
        from_ms,
        to_ms,
        tag: args.tag.clone(),
        provider: args.provider.clone(),
        model: args.model.clone(),
        key_id: args.key.clone(),
        status,
    })
}

/// `90s`, `30m`, `24h`, `7d` → milliseconds.
pub(crate) fn parse_period(text: &str) -> Result<i64, String> {
    let bad = || format!("--since {text:?}: expected a number and a unit, like 30m, 24h or 7d");
    let unit_at = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at(unit_at);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_ms).filter(|ms| *ms >= 0).ok_or_else(bad)
}

/// `2026-11-22`, `2026-11-22T14:00`, `2026-11-22 14:00:30Z`, or ms since the epoch → ms (UTC).
pub(crate) fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "time {text:?}: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] or ms since the epoch"
        )
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let number = |s: Option<&str>, low: i64, high: i64| -> Result<i64, String> {
        let n: i64 = s.ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if (low..=high).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    let mut d = date.split('-');
    let (y, m, day) = (
        number(d.next(), 1970, 9999)?,
        number(d.next(), 1, 12)?,
        number(d.next(), 1, 31)?,
    );
    if d.next().is_some() {
        return Err(bad());
    }
    let mut secs = format::days_from_civil(y, m, day) * 86_400;
    if let Some(time) = time {
        let mut t = time.split(':');
        secs += number(t.next(), 0, 23)? * 3600 + number(t.next(), 0, 59)? * 60;
        if let Some(s) = t.next() {
            secs += number(Some(s), 0, 59)?;
        }
        if t.next().is_some() {
            return Err(bad());
        }
    }
    Ok(secs * 1000)
}

/// `2xx` → the success class, and so on.
fn parse_status(text: &str) -> Result<StatusClass, String> {
    match text.to_ascii_lowercase().as_str() {
        "1xx" => Ok(StatusClass::Informational),
        "2xx" => Ok(StatusClass::Success),
        "3xx" => Ok(StatusClass::Redirect),
        "4xx" => Ok(StatusClass::ClientError),
        "5xx" => Ok(StatusClass::ServerError),
        _ => Err(format!(
            "--status {text:?}: expected 1xx, 2xx, 3xx, 4xx or 5xx"
        )),
    }
}
