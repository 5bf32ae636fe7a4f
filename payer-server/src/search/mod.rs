//! FHIR search: the parameters the server indexes (generated from the SearchParameter
//! definitions of R4 core, US Core 6.1.0 and CARIN BB 2.0.0), index extraction, and query
//! parsing with the meaning of each clause.

pub(crate) mod extract;
pub mod model;
pub(crate) mod pruned;
pub mod query;

pub use model::{ParamType, SearchParamDef};
pub use query::{Clause, ClauseValue, Cursor, Include, Link, SearchQuery, Sort, Target};

use crate::generated::search_params::{PATIENT_COMPARTMENT, SEARCH_PARAMS};
use extract::{IndexEntry, IndexValue};

/// The search parameters of `resource_type`, sorted by code.
pub fn params_of(resource_type: &str) -> &'static [SearchParamDef] {
    let start = SEARCH_PARAMS.partition_point(|p| p.resource < resource_type);
    let end = SEARCH_PARAMS.partition_point(|p| p.resource <= resource_type);
    &SEARCH_PARAMS[start..end]
}

/// The search parameter `code` of `resource_type`.
pub fn param(resource_type: &str, code: &str) -> Option<&'static SearchParamDef> {
    params_of(resource_type).iter().find(|p| p.code == code)
}

/// A patient's compartment (R4 CompartmentDefinition `patient`): the resources that
/// reference the patient through one of the compartment's parameters, and the Patient
/// itself. `$everything` reads it; a member's access will be restricted to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compartment {
    /// The Patient's id.
    pub patient_id: String,
}

impl Compartment {
    /// The compartment of `Patient/{patient_id}`.
    pub fn patient(patient_id: impl Into<String>) -> Self {
        Compartment {
            patient_id: patient_id.into(),
        }
    }

    /// The resource types that can be in a patient compartment.
    pub fn resource_types() -> impl Iterator<Item = &'static str> {
        PATIENT_COMPARTMENT.iter().map(|(rt, _)| *rt)
    }

    /// The parameters that place a `resource_type` in the compartment; `None` when the
    /// type is never in it.
    pub(crate) fn params(resource_type: &str) -> Option<Vec<&'static SearchParamDef>> {
        let (_, codes) = PATIENT_COMPARTMENT
            .iter()
            .find(|(rt, _)| *rt == resource_type)?;
        Some(
            codes
                .iter()
                .filter_map(|c| param(resource_type, c))
                .collect(),
        )
    }

    /// Whether the resource `resource_type/id` with this index is in the compartment.
    pub(crate) fn contains(&self, resource_type: &str, id: &str, index: &[IndexEntry]) -> bool {
        if resource_type == "Patient" && id == self.patient_id {
            return true;
        }
        let Some(params) = Compartment::params(resource_type) else {
            return false;
        };
        index.iter().any(|e| {
            params.iter().any(|p| std::ptr::eq(*p, e.param))
                && matches!(&e.value, IndexValue::Reference { target_type, id }
                    if target_type == "Patient" && *id == self.patient_id)
        })
    }
}
