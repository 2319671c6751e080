//! Groups, breakers, rate limits and the model fields that point at them: raw → typed, with
//! every error reported at its path.

use std::collections::BTreeMap;
use std::time::Duration;

use super::raw::{Human, RawBreaker, RawGroup, RawHedge, RawMember, RawMemberLimit, RawRetry};
use super::units::parse_duration;
use super::validate::Errors;
use super::{
    BreakerSettings, GroupConfig, HedgeSettings, MemberConfig, MemberLimit, RetrySettings,
};

/// A duration field, or `dflt` (with an error at `path` when it does not parse).
fn duration(v: Option<&Human>, dflt: Duration, path: &str, errors: &mut Errors<'_>) -> Duration {
    match v {
        None => dflt,
        Some(h) => parse_duration(&h.as_text()).unwrap_or_else(|e| {
            errors.at(path, e);
            dflt
        }),
    }
}

/// A provider's `breaker:`; `None` when `enabled: false`.
pub(super) fn breaker(
    raw: Option<&RawBreaker>,
    path: &str,
    errors: &mut Errors<'_>,
) -> Option<BreakerSettings> {
    let d = BreakerSettings::default();
    let Some(raw) = raw else { return Some(d) };
    if raw.enabled == Some(false) {
        return None;
    }
    let threshold = raw.threshold.unwrap_or(d.threshold);
    if !(0.01..=1.0).contains(&threshold) {
        errors.at(
            &format!("{path}.threshold"),
            format!("the failure rate must be between 0.01 and 1.0, found {threshold}"),
        );
    }
    let cooldown = duration(
        raw.cooldown.as_ref(),
        d.cooldown,
        &format!("{path}.cooldown"),
        errors,
    );
    let window = duration(
        raw.window.as_ref(),
        d.window,
        &format!("{path}.window"),
        errors,
    );
    for (name, value) in [("cooldown", cooldown), ("window", window)] {
        if value.is_zero() {
            errors.at(&format!("{path}.{name}"), "must be longer than zero");
        }
    }
    Some(BreakerSettings {
        threshold: threshold.clamp(0.01, 1.0),
        window,
        min_requests: raw.min_requests.unwrap_or(d.min_requests).max(1),
        cooldown,
    })
}

/// A provider's `rate_limit:`.
pub(super) fn member_limit(raw: Option<&RawMemberLimit>) -> MemberLimit {
    raw.map(|r| MemberLimit {
        rpm: r.rpm.filter(|n| *n > 0),
        tpm: r.tpm.filter(|n| *n > 0),
    })
    .unwrap_or_default()
}

fn retry(raw: Option<&RawRetry>, path: &str, errors: &mut Errors<'_>) -> RetrySettings {
    let d = RetrySettings::default();
    let Some(raw) = raw else { return d };
    let budget = raw.budget.unwrap_or(d.budget);
    if !(0.0..=10.0).contains(&budget) {
        errors.at(
            &format!("{path}.budget"),
            format!("the retry budget is a share of requests between 0 and 10 (0.2 = 20% extra), found {budget}"),
        );
    }
    RetrySettings {
        attempts: raw.attempts.unwrap_or(d.attempts).min(100),
        initial: duration(
            raw.initial.as_ref(),
            d.initial,
            &format!("{path}.initial"),
            errors,
        ),
        max_backoff: duration(
            raw.max_backoff.as_ref(),
            d.max_backoff,
            &format!("{path}.max_backoff"),
            errors,
        ),
        max_retry_after: duration(
            raw.max_retry_after.as_ref(),
            d.max_retry_after,
            &format!("{path}.max_retry_after"),
            errors,
        ),
        budget: budget.clamp(0.0, 10.0),
    }
}

fn hedge(raw: &RawHedge, path: &str, errors: &mut Errors<'_>) -> HedgeSettings {
    HedgeSettings {
        after: raw
            .after
            .as_ref()
            .map(|h| duration(Some(h), Duration::ZERO, &format!("{path}.after"), errors)),
        min_delay: duration(
            raw.min_delay.as_ref(),
            Duration::from_millis(100),
            &format!("{path}.min_delay"),
            errors,
        ),
    }
}

/// Every `groups.<name>`; member targets are checked later with the models'.
pub(super) fn groups(
    raw: BTreeMap<String, RawGroup>,
    timeouts: super::Timeouts,
    errors: &mut Errors<'_>,
) -> Vec<GroupConfig> {
    let mut out = Vec::new();
    for (name, g) in raw {
        let path = format!("groups.{name}");
        if name.is_empty() || name.contains('/') {
            errors.at(&path, "a group name must be non-empty and contain no `/`");
        }
        let strategy = match g.strategy.as_deref() {
            None => Default::default(),
            Some(s) => s
                .parse()
                .unwrap_or_else(|e: crate::routing::balance::UnknownStrategy| {
                    errors.at(&format!("{path}.strategy"), e.to_string());
                    Default::default()
                }),
        };
        if g.members.is_empty() {
            errors.at(
                &format!("{path}.members"),
                "a group needs at least one member",
            );
        }
        let members = g
            .members
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let member = match m {
                    RawMember::Target(target) => MemberConfig {
                        target,
                        weight: 1,
                        priority: 0,
                    },
                    RawMember::Full(f) => MemberConfig {
                        target: f.target,
                        weight: f.weight.unwrap_or(1),
                        priority: f.priority.unwrap_or(0),
                    },
                };
                if member.weight == 0 || member.weight > 65_535 {
                    errors.at(
                        &format!("{path}.members[{i}].weight"),
                        format!("a weight is between 1 and 65535, found {}", member.weight),
                    );
                }
                member
            })
            .collect::<Vec<_>>();
        for (i, m) in members.iter().enumerate() {
            if members[..i].iter().any(|o| o.target == m.target) {
                errors.at(
                    &format!("{path}.members[{i}]"),
                    format!(
                        "`{}` is listed twice; give it a larger weight instead",
                        m.target
                    ),
                );
            }
        }
        out.push(GroupConfig {
            strategy,
            members,
            retry: retry(g.retry.as_ref(), &format!("{path}.retry"), errors),
            timeouts: g.timeouts.as_ref().map(|t| {
                super::validate::timeouts(Some(t), timeouts, &format!("{path}.timeouts"), errors)
            }),
            hedge: g
                .hedge
                .as_ref()
                .map(|h| hedge(h, &format!("{path}.hedge"), errors)),
            http: g
                .http
                .as_ref()
                .map(|h| super::outbound::http(Some(h), &path, errors)),
            description: g.description,
            name,
            source: super::Source::File,
        });
    }
    out
}

#[cfg(test)]
mod tests;
