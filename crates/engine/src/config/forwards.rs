//! `server.forwards` and the data-plane rate limits: raw → typed, every error at its path.

use std::net::SocketAddr;

use super::raw::{RawBucket, RawForward};
use super::validate::Errors;
use super::{did_you_mean, BucketSettings, Config, ForwardConfig};
use crate::routing::path::PathRouter;

/// A token bucket; `None` when absent or `enabled: false`.
pub(super) fn bucket(
    raw: Option<&RawBucket>,
    path: &str,
    errors: &mut Errors<'_>,
) -> Option<BucketSettings> {
    let raw = raw?;
    if raw.enabled == Some(false) {
        return None;
    }
    let Some(per_second) = raw.per_second else {
        errors.at(
            path,
            "a rate limit needs `per_second` (or `enabled: false` to switch it off)",
        );
        return None;
    };
    if !(per_second > 0.0 && per_second <= 1_000_000.0) {
        errors.at(
            &format!("{path}.per_second"),
            format!("requests per second must be above 0 and at most 1000000, found {per_second}"),
        );
        return None;
    }
    let burst = raw
        .burst
        .unwrap_or_else(|| (per_second * 2.0).ceil().clamp(1.0, 2_000_000.0) as u32);
    if burst == 0 {
        errors.at(&format!("{path}.burst"), "a burst must be at least 1");
        return None;
    }
    Some(BucketSettings { per_second, burst })
}

/// Every `server.forwards[i]`; group names are checked by [`check`] once groups are known.
pub(super) fn forwards(
    raw: Vec<RawForward>,
    taken: &[(SocketAddr, &str)],
    errors: &mut Errors<'_>,
) -> Vec<ForwardConfig> {
    let mut out: Vec<ForwardConfig> = Vec::new();
    for (i, f) in raw.into_iter().enumerate() {
        let path = format!("server.forwards[{i}]");
        if f.name.trim().is_empty() {
            errors.at(&format!("{path}.name"), "a forward needs a name");
        } else if f.name == crate::routing::forward::MAIN {
            errors.at(
                &format!("{path}.name"),
                "`main` is the name of the main listener (`server.listen`); pick another",
            );
        } else if out.iter().any(|o| o.name == f.name) {
            errors.at(
                &format!("{path}.name"),
                format!("the name `{}` is used twice", f.name),
            );
        }
        let text = match (&f.listen, &f.address, f.port) {
            (Some(l), None, None) => Some(l.clone()),
            (None, address, Some(port)) => Some(format!(
                "{}:{port}",
                address.as_deref().unwrap_or("127.0.0.1")
            )),
            (Some(_), _, _) => {
                errors.at(
                    &path,
                    "give `listen: host:port` or `address` + `port`, not both",
                );
                None
            }
            (None, _, None) => {
                errors.at(&path, "a forward needs `listen: host:port` (or `port:`)");
                None
            }
        };
        let listen = text.and_then(|t| match t.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.at(
                    &format!("{path}.listen"),
                    format!("`{t}` is not an address; write host:port, e.g. `0.0.0.0:3001`"),
                );
                None
            }
        });
        if let Some(addr) = listen {
            let clash = taken
                .iter()
                .map(|(a, who)| (*a, (*who).to_owned()))
                .chain(
                    out.iter()
                        .map(|o| (o.listen, format!("forward `{}`", o.name))),
                )
                .find(|(a, _)| a.port() != 0 && *a == addr);
            if let Some((_, who)) = clash {
                errors.at(
                    &format!("{path}.listen"),
                    format!("{addr} is already used by {who}"),
                );
            }
        }
        let routing: Vec<(String, String)> = f
            .routing
            .into_iter()
            .map(|r| (r.path, r.target_group))
            .collect();
        let rules = routing
            .iter()
            .enumerate()
            .map(|(j, (p, _))| (p.clone(), j))
            .collect();
        if let Err(e) = PathRouter::new(rules) {
            errors.at(&format!("{path}.routing"), e.to_string());
        }
        out.push(ForwardConfig {
            rate_limit: bucket(f.rate_limit.as_ref(), &format!("{path}.rate_limit"), errors),
            total_rate_limit: bucket(
                f.total_rate_limit.as_ref(),
                &format!("{path}.total_rate_limit"),
                errors,
            ),
            name: f.name,
            listen: listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
            default_group: f.default_group,
            routing,
            source: super::Source::File,
        });
    }
    out
}

/// Every group a forward names must exist.
pub(super) fn check(config: &Config, errors: &mut Errors<'_>) {
    let names: Vec<&str> = config.groups.iter().map(|g| g.name.as_str()).collect();
    let mut missing = |name: &str, path: String| {
        if config.group(name).is_none() {
            let hint = did_you_mean(name, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            errors.at(
                &path,
                format!("no group is named `{name}`{hint}; groups are declared under `groups:`"),
            );
        }
    };
    for (i, f) in config.server.forwards.iter().enumerate() {
        if let Some(g) = &f.default_group {
            missing(g, format!("server.forwards[{i}].default_group"));
        }
        for (j, (_, g)) in f.routing.iter().enumerate() {
            missing(g, format!("server.forwards[{i}].routing[{j}].target_group"));
        }
    }
}

#[cfg(test)]
mod tests;
