use std::time::Duration;

use crate::config::{Config, ConfigErrors, Env, ModelTarget};
use crate::routing::balance::Strategy;

const PROVIDERS: &str = "providers:
  a: {type: openai-compatible, base_url: 'http://a', models: [m]}
  b: {type: openai-compatible, base_url: 'http://b', models: [m]}
";

fn load(rest: &str) -> Result<Config, ConfigErrors> {
    let text = format!("{PROVIDERS}{rest}");
    Config::load(Some(("test.yaml", &text)), &Env::default())
}

fn errors_of(rest: &str) -> String {
    load(rest)
        .unwrap_err()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_full_group_parses_with_every_setting() {
    let c = load(
        "  c:
    type: openai-compatible
    base_url: 'http://c'
    breaker: {threshold: 0.3, window: 20s, min_requests: 10, cooldown: 5s}
    rate_limit: {rpm: 600, tpm: 90000}
groups:
  pool:
    strategy: weighted_round_robin
    members:
      - a/m
      - {target: b/m, weight: 3, priority: 1}
    retry: {attempts: 4, initial: 50ms, max_backoff: 2s, max_retry_after: 30s, budget: 0.5}
    timeouts: {first_byte: 20s}
    hedge: {after: 750ms}
models:
  smart: {group: pool, fallbacks: [a/m], fallback_on_context_length: true}
",
    )
    .unwrap();
    let g = c.group("pool").unwrap();
    assert_eq!(g.strategy, Strategy::WeightedRoundRobin);
    assert_eq!(g.members.len(), 2);
    assert_eq!((g.members[0].weight, g.members[0].priority), (1, 0));
    assert_eq!((g.members[1].weight, g.members[1].priority), (3, 1));
    assert_eq!(g.retry.attempts, 4);
    assert_eq!(g.retry.initial, Duration::from_millis(50));
    assert_eq!(g.retry.max_retry_after, Duration::from_secs(30));
    assert!((g.retry.budget - 0.5).abs() < 1e-9);
    assert_eq!(g.timeouts.unwrap().first_byte, Duration::from_secs(20));
    assert_eq!(g.hedge.unwrap().after, Some(Duration::from_millis(750)));
    let p = c.provider("c").unwrap();
    let b = p.breaker.unwrap();
    assert_eq!((b.min_requests, b.cooldown), (10, Duration::from_secs(5)));
    assert_eq!(
        (p.rate_limit.rpm, p.rate_limit.tpm),
        (Some(600), Some(90000))
    );
    let m = c.models.iter().find(|m| m.name == "smart").unwrap();
    assert_eq!(m.target, ModelTarget::Group("pool".into()));
    assert_eq!(m.fallbacks, vec!["a/m".to_owned()]);
    assert!(m.fallback_on_context_length);
}

#[test]
fn defaults_and_seed_spellings() {
    let c = load(
        "groups:
  g1: {members: [a/m]}
  g2: {strategy: roundrobin, members: [a/m]}
  g3: {strategy: weighted_roundrobin, members: [a/m]}
",
    )
    .unwrap();
    let g1 = c.group("g1").unwrap();
    assert_eq!(g1.strategy, Strategy::RoundRobin);
    assert_eq!(g1.retry.attempts, 2);
    assert!(g1.hedge.is_none() && g1.timeouts.is_none());
    assert_eq!(c.group("g2").unwrap().strategy, Strategy::RoundRobin);
    assert_eq!(
        c.group("g3").unwrap().strategy,
        Strategy::WeightedRoundRobin
    );
    assert!(c.provider("a").unwrap().breaker.is_some());
}

#[test]
fn a_breaker_can_be_switched_off() {
    let text = "providers:\n  a: {type: openai-compatible, base_url: 'http://a', breaker: {enabled: false}}\n";
    let c = Config::load(Some(("t.yaml", text)), &Env::default()).unwrap();
    assert!(c.provider("a").unwrap().breaker.is_none());
}

#[test]
fn group_errors_table() {
    let cases: &[(&str, &str)] = &[
        (
            "groups: {g: {members: []}}",
            "groups.g.members: a group needs at least one member",
        ),
        (
            "groups: {g: {strategy: fastest, members: [a/m]}}",
            "groups.g.strategy: unknown balancing strategy `fastest`",
        ),
        (
            "groups: {g: {members: [z/m]}}",
            "groups.g.members[0]: `z/m` does not name a configured provider's model",
        ),
        (
            "groups: {g: {members: [m]}}",
            "groups.g.members[0]: `m` is listed by several providers (a, b)",
        ),
        (
            "groups: {g: {members: [{target: a/m, weight: 0}]}}",
            "groups.g.members[0].weight: a weight is between 1 and 65535",
        ),
        (
            "groups: {g: {members: [a/m, a/m]}}",
            "groups.g.members[1]: `a/m` is listed twice",
        ),
        (
            "groups: {g: {members: [a/m], retry: {budget: -1}}}",
            "groups.g.retry.budget: the retry budget is a share",
        ),
        (
            "groups: {g: {members: [a/m], retry: {initial: soon}}}",
            "groups.g.retry.initial",
        ),
        (
            "groups: {g: {members: [a/m], hedge: {after: 1 fortnight}}}",
            "groups.g.hedge.after",
        ),
        (
            "groups: {g: {members: [a/m], colour: red}}",
            "groups.g.colour: unknown key `colour`",
        ),
        (
            "groups: {g: {members: [a/m]}}\nmodels: {x: {group: h}}",
            "models.x.group: no group is named `h`",
        ),
        (
            "groups: {pool: {members: [a/m]}}\nmodels: {x: {group: poll}}",
            "(did you mean `pool`?)",
        ),
        (
            "models: {x: {target: a/m, group: g}}",
            "models.x: give either `target` or `group`, not both",
        ),
        (
            "models: {x: {description: nothing}}",
            "models.x: a model needs `target: provider/model` or `group: <group name>`",
        ),
        (
            "groups: {g: {members: [a/m]}}\nmodels: {g: a/m}",
            "models.g: `g` is both a model and a group",
        ),
        (
            "models: {x: {target: a/m, fallbacks: [x]}}",
            "models.x.fallbacks[0]: a model cannot fall back to itself",
        ),
        (
            "models: {x: {target: a/m, fallbacks: [nowhere/m]}}",
            "models.x.fallbacks[0]: `nowhere/m` does not name",
        ),
        (
            "  c: {type: openai-compatible, base_url: 'http://c', breaker: {threshold: 2}}",
            "providers.c.breaker.threshold: the failure rate must be between 0.01 and 1.0",
        ),
        (
            "  c: {type: openai-compatible, base_url: 'http://c', breaker: {cooldown: 0s}}",
            "providers.c.breaker.cooldown: must be longer than zero",
        ),
        (
            "groups: {a/b: {members: [a/m]}}",
            "a group name must be non-empty and contain no `/`",
        ),
    ];
    for (rest, want) in cases {
        let got = errors_of(rest);
        assert!(
            got.contains(want),
            "config {rest:?}\n want: {want}\n got: {got}"
        );
    }
}

#[test]
fn fallbacks_may_name_models_groups_and_targets() {
    let c = load(
        "groups:
  g: {members: [a/m]}
models:
  x: {target: a/m, fallbacks: [y, g, b/m]}
  y: b/m
",
    );
    assert!(c.is_ok(), "{:?}", c.err());
}
