//! Which profile(s) a resource is validated against.
//!
//! `meta.profile` is the first witness, but real payer data lists several profiles, lists
//! them in any order, or names none: apps that keyed on `meta.profile[0]` lost payer data
//! (yourphr#522). So for an ExplanationOfBenefit the content decides (CARIN BB 2.0.0 keys
//! its EOB profiles on `type` and, for institutional claims, `subType`; PDex marks prior
//! authorizations with `use = preauthorization`), and for other resources without a known
//! declared profile the best-fitting profile of that resource type is chosen.

use std::fmt;

use fhir_model::Resource;
use serde_json::Value;

use super::model::Ig;
use super::{Profile, profile, profiles, resource_json, validate_json};
use crate::views::eob::EobView;

const PDEX_PRIOR_AUTH: &str =
    "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization";

/// A profile chosen for a resource, and why.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ProfileChoice {
    /// The profile.
    pub profile: &'static Profile,
    /// Why it was chosen.
    pub reason: ChoiceReason,
}

/// Why a profile was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChoiceReason {
    /// `meta.profile` names it (and nothing contradicts it).
    Declared,
    /// `meta.profile` names several; the content picks this one.
    DeclaredAndContent,
    /// The content requires it; `meta.profile` names none we know, or names others.
    Content,
    /// Nothing is declared; of the profiles for this resource type, it is the one the
    /// resource breaks least (ties go to CARIN BB, then US Core 6.1.0, Plan-Net, PDex).
    BestFit,
}

impl fmt::Display for ChoiceReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChoiceReason::Declared => "declared in meta.profile",
            ChoiceReason::DeclaredAndContent => {
                "one of several in meta.profile, chosen by the content"
            }
            ChoiceReason::Content => {
                "chosen by the content (meta.profile names no matching profile)"
            }
            ChoiceReason::BestFit => {
                "no profile declared; the profile for this resource type it fits best"
            }
        })
    }
}

/// The profiles [`super::validate`] uses for `resource`, with the reason for each; empty
/// when no generated profile constrains its resource type.
pub fn choose_profiles(resource: &Resource) -> Vec<ProfileChoice> {
    choose(resource, &resource_json(resource))
}

/// [`choose_profiles`] for a resource whose JSON is already at hand.
pub(crate) fn choose(resource: &Resource, json: &Value) -> Vec<ProfileChoice> {
    let rt = resource.resource_type();
    let declared: Vec<&'static Profile> = json
        .pointer("/meta/profile")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(profile)
        .filter(|p| p.resource_type == rt)
        .collect();
    if let Resource::ExplanationOfBenefit(eob) = resource {
        // PDex marks prior authorizations with `use`; CARIN keys its profiles on the
        // claim type and institutional subType (see `views::eob`).
        let content = if eob.r#use.value.as_deref() == Some("preauthorization") {
            profile(PDEX_PRIOR_AUTH)
        } else {
            EobView::new(eob).profile_by_content().and_then(profile)
        };
        if let Some(content) = content {
            let reason = if declared.iter().any(|p| std::ptr::eq(*p, content)) {
                if declared.len() > 1 {
                    ChoiceReason::DeclaredAndContent
                } else {
                    ChoiceReason::Declared
                }
            } else {
                ChoiceReason::Content
            };
            return vec![ProfileChoice {
                profile: content,
                reason,
            }];
        }
    }
    if !declared.is_empty() {
        return declared
            .into_iter()
            .map(|profile| ProfileChoice {
                profile,
                reason: ChoiceReason::Declared,
            })
            .collect();
    }
    best_fit(json, rt).into_iter().collect()
}

/// The order ties are broken in, and US Core 3.1.1 left out: its URLs are US Core 6.1.0's.
const PREFERENCE: [Ig; 4] = [Ig::CarinBb200, Ig::UsCore610, Ig::PlanNet110, Ig::Pdex200];

fn best_fit(json: &Value, rt: &str) -> Option<ProfileChoice> {
    let candidates: Vec<&'static Profile> = PREFERENCE
        .iter()
        .flat_map(|ig| profiles().filter(move |p| p.ig == *ig && p.resource_type == rt))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    candidates
        .into_iter()
        .map(|p| {
            let errors = validate_json(json, rt, p)
                .iter()
                .filter(|i| i.is_error())
                .count();
            (errors, p)
        })
        // `min_by_key` keeps the first of equals: the preferred IG.
        .min_by_key(|(errors, _)| *errors)
        .map(|(_, profile)| ProfileChoice {
            profile,
            reason: ChoiceReason::BestFit,
        })
}
