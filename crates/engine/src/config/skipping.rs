//! Starting and reloading when a stored admin API object no longer fits the file: the
//! objects that still validate are kept, the others are left out (and reported), so that an
//! edit of the file never stops llmux from starting and never deletes what the API stored.

use std::collections::{BTreeMap, BTreeSet};

use super::compose::within;
use super::{ApiObjects, Config, ConfigErrors};

/// Builds the configuration with every API object in `api` when that validates; otherwise
/// with the objects in `required` plus as many of the others as validate, leaving the rest
/// out with their errors in [`super::Composition::skipped`].
///
/// `load` composes and validates (file + environment + the objects it is given). The result
/// is an error only when the file and environment with the `required` objects do not
/// validate: a start-up or a reload passes no required object (only a broken file stops
/// them); an API change requires itself and everything that was in effect before it, so a
/// change can never knock another object out.
pub fn compose_skipping(
    api: &ApiObjects,
    required: &BTreeSet<String>,
    load: impl Fn(&ApiObjects) -> Result<Config, ConfigErrors>,
) -> Result<Config, ConfigErrors> {
    let full = load(api);
    let paths = api.paths();
    if full.is_ok() || paths.iter().all(|p| required.contains(p)) {
        return full;
    }
    let mut accepted: BTreeSet<String> = paths
        .iter()
        .filter(|p| required.contains(*p))
        .cloned()
        .collect();
    let mut config = load(&api.only(&accepted))?;
    let mut left: Vec<String> = paths
        .into_iter()
        .filter(|p| !accepted.contains(p))
        .collect();
    let mut why: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Until nothing more fits: an object may need another one that comes later in the order
    // (a model falling back to a model of a later name).
    loop {
        let before = left.len();
        left.retain(|path| {
            let mut trial = accepted.clone();
            trial.insert(path.clone());
            match load(&api.only(&trial)) {
                Ok(c) => {
                    config = c;
                    accepted = trial;
                    why.remove(path);
                    false
                }
                Err(e) => {
                    why.insert(path.clone(), messages(&e, path));
                    true
                }
            }
        });
        if left.len() == before || left.is_empty() {
            break;
        }
    }
    config.composition.skipped = left
        .into_iter()
        .map(|p| {
            let errors = why.remove(&p).unwrap_or_default();
            (p, errors)
        })
        .collect();
    Ok(config)
}

/// The errors an object caused (those inside it, or all of them when none is), as
/// `path: message`.
fn messages(e: &ConfigErrors, object: &str) -> Vec<String> {
    let inside: Vec<_> = e
        .errors
        .iter()
        .filter(|x| within(&x.path, object))
        .collect();
    let chosen = if inside.is_empty() {
        e.errors.iter().collect()
    } else {
        inside
    };
    chosen
        .into_iter()
        .map(|x| format!("{}: {}", x.path, x.message))
        .collect()
}

#[cfg(test)]
mod tests;
