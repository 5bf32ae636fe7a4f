//! FHIR search: the parameters the server indexes (generated from the SearchParameter
//! definitions of R4 core, US Core 6.1.0 and CARIN BB 2.0.0), index extraction, and query
//! parsing with the meaning of each clause.

pub(crate) mod extract;
pub mod model;
pub mod query;

pub use model::{ParamType, SearchParamDef};
pub use query::{Clause, ClauseValue, SearchQuery, Target};

use crate::generated::search_params::SEARCH_PARAMS;

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
