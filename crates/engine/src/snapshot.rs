//! The immutable runtime snapshot compiled from a [`Config`]: provider instances with their
//! HTTP clients and precomputed headers, virtual models resolved to targets, and the model
//! index. A request loads one snapshot and keeps it to the end.

mod provider;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Config, ModelTarget, Timeouts};
use crate::error::{ErrorKind, GatewayError};
use crate::profile::Profile;
use crate::routing::forward::Forward;
use crate::routing::group::{Group, Registry};

pub use provider::{PricingRef, Provider};

/// A virtual model resolved to its target.
#[derive(Debug)]
pub struct VirtualModel {
    /// Client-facing name.
    pub name: String,
    /// Serving provider.
    pub provider: Arc<Provider>,
    /// Real model id at the provider.
    pub model: String,
    /// Parameter profile.
    pub profile: Profile,
    /// Listing description.
    pub description: Option<String>,
    /// Context window in tokens, as the operator states it (listings only).
    pub context_length: Option<u32>,
    /// Capability tags, as the operator states them (listings only).
    pub capabilities: Vec<String>,
    /// The group serving it, when its target is a group (`provider`/`model` are then the
    /// group's first member's).
    pub group: Option<Arc<Group>>,
    /// Models tried in order when the target is unavailable or keeps failing.
    pub fallbacks: Vec<String>,
    /// Whether a prompt too long for the model also falls back.
    pub fallback_on_context_length: bool,
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub struct Route<'s> {
    /// Serving provider.
    pub provider: &'s Arc<Provider>,
    /// Model id to send upstream.
    pub model: &'s str,
    /// Profile to apply, if the name was a virtual model.
    pub profile: Option<&'s Profile>,
    /// Timeouts in force: the provider's, or its group's.
    pub timeouts: &'s Timeouts,
}

impl Route<'_> {
    /// What the prices see of this route for a request made under the name `requested`:
    /// `snapshot.pricing.cost_of(&route.served(requested), &usage, None)` is its cost.
    pub fn served<'a>(&'a self, requested: &'a str) -> crate::pricing::Served<'a> {
        crate::pricing::Served {
            provider: self.provider.pricing.provider_ref(),
            provider_id: &self.provider.id,
            model: self.model,
            requested,
        }
    }
}

/// What serves a requested model name.
#[derive(Debug, Clone)]
pub enum Serving<'s> {
    /// One upstream model.
    One(Route<'s>),
    /// A group of members behind a balancer.
    Group(&'s Arc<Group>),
}

/// Everything needed to serve a model name: what serves it, its profile and its fallbacks.
#[derive(Debug, Clone)]
pub struct Plan<'s> {
    /// The first choice.
    pub serving: Serving<'s>,
    /// Profile of the virtual model, applied on every attempt.
    pub profile: Option<&'s Profile>,
    /// Model names tried in order once the first choice is exhausted.
    pub fallbacks: &'s [String],
    /// Whether a context-length error also falls back.
    pub fallback_on_context_length: bool,
}

/// The compiled runtime configuration.
#[derive(Debug)]
pub struct Snapshot {
    /// The configuration it was built from.
    pub config: Config,
    /// Providers in configuration order.
    pub providers: Vec<Arc<Provider>>,
    /// Virtual models in name order.
    pub models: Vec<Arc<VirtualModel>>,
    by_provider: HashMap<String, Arc<Provider>>,
    by_virtual: HashMap<String, Arc<VirtualModel>>,
    /// Bare model name → providers listing it.
    listed: HashMap<String, Vec<Arc<Provider>>>,
    default: Option<(Arc<Provider>, String, Option<Arc<VirtualModel>>)>,
    /// Groups in name order.
    pub groups: Vec<Arc<Group>>,
    by_group: HashMap<String, Arc<Group>>,
    /// Live member state, shared with the snapshots built after this one.
    pub registry: Arc<Registry>,
    /// Each data-plane listener's policy by name (`main` for `server.listen`).
    forwards: HashMap<String, Forward>,
    /// Unix time the snapshot was built (the `created` of listed models).
    pub created: u64,
    /// Prices: the built-in table with this configuration's overrides; every request's
    /// cost (record and `x-llmux-cost-usd`) comes from it.
    pub pricing: Arc<crate::pricing::Pricing>,
}

impl Snapshot {
    /// Compiles a validated configuration, with fresh member state.
    pub fn build(config: Config) -> Result<Snapshot, GatewayError> {
        Snapshot::build_with(config, Arc::new(Registry::default()))
    }

    /// Compiles a validated configuration, keeping the live state (breakers, latency
    /// statistics) of members that `registry` already knows.
    pub fn build_with(config: Config, registry: Arc<Registry>) -> Result<Snapshot, GatewayError> {
        let mut providers = Vec::new();
        let mut by_provider = HashMap::new();
        for p in &config.providers {
            let provider = Arc::new(Provider::build(p)?);
            by_provider.insert(p.id.clone(), provider.clone());
            providers.push(provider);
        }
        let mut listed: HashMap<String, Vec<Arc<Provider>>> = HashMap::new();
        for p in &providers {
            for m in &p.models {
                listed.entry(m.clone()).or_default().push(p.clone());
            }
        }
        let mut snap = Snapshot {
            providers,
            models: Vec::new(),
            by_provider,
            by_virtual: HashMap::new(),
            listed,
            default: None,
            groups: Vec::new(),
            by_group: HashMap::new(),
            forwards: HashMap::new(),
            registry,
            pricing: Arc::new(crate::config::build_pricing(&config)),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            config,
        };
        let registry = snap.registry.clone();
        let mut staging = registry.stage();
        for g in &snap.config.groups {
            // Members of a group with its own HTTP settings use copies of their providers.
            let copies = provider::group_copies(g, &snap.config.providers, |target| {
                snap.resolve_target(target).map(|(p, _)| p.id.clone())
            })?;
            let group = Group::build(
                g,
                &mut staging,
                |target| {
                    snap.resolve_target(target)
                        .map(|(p, model)| match copies.get(&p.id) {
                            Some(copy) => (copy.clone(), model),
                            None => (p, model),
                        })
                },
                |id| {
                    snap.config
                        .provider(id)
                        .map(|p| (p.breaker, p.rate_limit))
                        .unwrap_or_default()
                },
            )
            .ok_or_else(|| {
                ErrorKind::Internal(format!(
                    "group `{}` has a member with no valid target",
                    g.name
                ))
            })?;
            let group = Arc::new(group);
            snap.by_group.insert(g.name.clone(), group.clone());
            snap.groups.push(group);
        }
        let server = &snap.config.server;
        let main = staging.forward_limits(
            crate::routing::forward::MAIN,
            server.rate_limit,
            server.total_rate_limit,
        );
        snap.forwards.insert(
            crate::routing::forward::MAIN.to_owned(),
            Forward::main(main),
        );
        for f in &server.forwards {
            let limits = staging.forward_limits(&f.name, f.rate_limit, f.total_rate_limit);
            snap.forwards
                .insert(f.name.clone(), Forward::build(f, limits));
        }
        for m in &snap.config.models {
            let no_target = || {
                GatewayError::from(ErrorKind::Internal(format!(
                    "virtual model `{}` has no valid target",
                    m.name
                )))
            };
            let (provider, model, group) = match &m.target {
                ModelTarget::Model(target) => {
                    let (p, model) = snap.resolve_target(target).ok_or_else(no_target)?;
                    (p, model, None)
                }
                ModelTarget::Group(name) => {
                    let group = snap.by_group.get(name).ok_or_else(no_target)?;
                    let first = group.members.first().ok_or_else(no_target)?;
                    (
                        first.provider.clone(),
                        first.model.clone(),
                        Some(group.clone()),
                    )
                }
            };
            let vm = Arc::new(VirtualModel {
                name: m.name.clone(),
                provider,
                model,
                profile: Profile {
                    defaults: m.defaults.clone(),
                    clamp: m.clamp.clone(),
                },
                description: m.description.clone(),
                context_length: m.context_length,
                capabilities: m.capabilities.clone(),
                group,
                fallbacks: m.fallbacks.clone(),
                fallback_on_context_length: m.fallback_on_context_length,
            });
            snap.by_virtual.insert(m.name.clone(), vm.clone());
            snap.models.push(vm);
        }
        if let Some(dm) = snap.config.default_model.clone() {
            snap.default = match (snap.by_virtual.get(&dm), snap.by_group.get(&dm)) {
                (Some(vm), _) => Some((vm.provider.clone(), vm.model.clone(), Some(vm.clone()))),
                (None, Some(g)) => g
                    .members
                    .first()
                    .map(|m| (m.provider.clone(), m.model.clone(), None)),
                (None, None) => snap.resolve_target(&dm).map(|(p, m)| (p, m, None)),
            };
        }
        // Only a snapshot that built completely changes the live state.
        registry.commit(staging);
        Ok(snap)
    }

    /// `provider/model`, or a model listed by exactly one provider.
    fn resolve_target(&self, name: &str) -> Option<(Arc<Provider>, String)> {
        if let Some((prefix, model)) = name.split_once('/') {
            if let Some(p) = self.by_provider.get(prefix) {
                return Some((p.clone(), model.to_owned()));
            }
        }
        match self.listed.get(name).map(Vec::as_slice) {
            Some([only]) => Some((only.clone(), name.to_owned())),
            _ => None,
        }
    }

    /// Resolves a requested model name: virtual model → `provider/model` (split at the first
    /// `/` when the prefix is a provider id) → a model listed by exactly one provider → the
    /// default model → not found.
    pub fn resolve<'s>(&'s self, name: &'s str) -> Result<Route<'s>, GatewayError> {
        if let Some(vm) = self.by_virtual.get(name) {
            return Ok(Route {
                provider: &vm.provider,
                model: &vm.model,
                profile: Some(&vm.profile).filter(|p| !p.is_empty()),
                timeouts: &vm.provider.timeouts,
            });
        }
        if let Some(first) = self.by_group.get(name).and_then(|g| g.members.first()) {
            return Ok(Route {
                provider: &first.provider,
                model: &first.model,
                profile: None,
                timeouts: &first.provider.timeouts,
            });
        }
        if let Some((prefix, model)) = name.split_once('/') {
            if let Some(p) = self.by_provider.get(prefix) {
                if !model.is_empty() {
                    return Ok(Route {
                        provider: p,
                        model,
                        profile: None,
                        timeouts: &p.timeouts,
                    });
                }
            }
        }
        match self.listed.get(name).map(Vec::as_slice) {
            Some([only]) => {
                return Ok(Route {
                    provider: only,
                    model: name,
                    profile: None,
                    timeouts: &only.timeouts,
                })
            }
            Some(several) => {
                return Err(GatewayError::invalid(
                    "model",
                    format!(
                        "the model `{name}` is served by several providers ({}); name one as `provider/{name}`",
                        several.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
            None => {}
        }
        if let Some((provider, model, vm)) = &self.default {
            return Ok(Route {
                provider,
                model,
                profile: vm.as_ref().map(|v| &v.profile).filter(|p| !p.is_empty()),
                timeouts: &provider.timeouts,
            });
        }
        Err(ErrorKind::ModelNotFound {
            model: name.to_owned(),
        }
        .into())
    }

    /// Resolves a requested model name to everything that may serve it: a virtual model (its
    /// target or group, profile and fallbacks), a group by name, or what [`Snapshot::resolve`]
    /// finds.
    pub fn plan<'s>(&'s self, name: &'s str) -> Result<Plan<'s>, GatewayError> {
        if let Some(vm) = self.by_virtual.get(name) {
            let profile = Some(&vm.profile).filter(|p| !p.is_empty());
            let serving = match &vm.group {
                Some(group) => Serving::Group(group),
                None => Serving::One(Route {
                    provider: &vm.provider,
                    model: &vm.model,
                    profile,
                    timeouts: &vm.provider.timeouts,
                }),
            };
            return Ok(Plan {
                serving,
                profile,
                fallbacks: &vm.fallbacks,
                fallback_on_context_length: vm.fallback_on_context_length,
            });
        }
        if let Some(group) = self.by_group.get(name) {
            return Ok(Plan {
                serving: Serving::Group(group),
                profile: None,
                fallbacks: &[],
                fallback_on_context_length: false,
            });
        }
        if let Some((_, _, Some(vm))) = &self.default {
            if self.resolve_direct(name).is_none() {
                return self.plan(&vm.name);
            }
        }
        if let Some(dm) = &self.config.default_model {
            if self.by_group.contains_key(dm) && self.resolve_direct(name).is_none() {
                return self.plan(dm);
            }
        }
        let route = self.resolve(name)?;
        Ok(Plan {
            profile: route.profile,
            serving: Serving::One(route),
            fallbacks: &[],
            fallback_on_context_length: false,
        })
    }

    /// `provider/model` or a model listed by one provider, without the default model.
    fn resolve_direct(&self, name: &str) -> Option<()> {
        if let Some((prefix, model)) = name.split_once('/') {
            if self.by_provider.contains_key(prefix) && !model.is_empty() {
                return Some(());
            }
        }
        self.listed.contains_key(name).then_some(())
    }

    /// Model ids for `/v1/models`: virtual models and groups, then every provider's
    /// `provider/model`.
    pub fn model_ids(&self) -> impl Iterator<Item = (String, &str)> {
        let virtual_models = self
            .models
            .iter()
            .map(|m| (m.name.clone(), "llmux"))
            .chain(self.groups.iter().map(|g| (g.name.clone(), "llmux")));
        let provider_models = self.providers.iter().flat_map(|p| {
            p.models
                .iter()
                .map(move |m| (format!("{}/{m}", p.id), p.id.as_str()))
        });
        virtual_models.chain(provider_models)
    }

    /// The virtual model named `name`, for listings (description, context length,
    /// capabilities).
    pub fn virtual_model(&self, name: &str) -> Option<&Arc<VirtualModel>> {
        self.by_virtual.get(name)
    }

    /// The policy of the data-plane listener `name` (`main` for `server.listen`).
    pub fn forward(&self, name: &str) -> Option<&Forward> {
        self.forwards.get(name)
    }

    /// The provider with this id.
    pub fn provider(&self, id: &str) -> Option<&Arc<Provider>> {
        self.by_provider.get(id)
    }
}

#[cfg(test)]
mod tests;
