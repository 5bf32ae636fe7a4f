//! Views of the Da Vinci PDex 2.0.0 prior authorization (with a builder), provenance and
//! member match.
//!
//! - [`prior_authorization`]: [`prior_authorization::PriorAuthorizationView`] over an
//!   `ExplanationOfBenefit` in the profile `pdex-priorauthorization` (`use =
//!   preauthorization`): status, outcome, the payer's review action and decision per item
//!   (the PDex `reviewAction` extension, X12 278 `HCR01` codes), the authorization number
//!   and period, requested versus approved amounts; and
//!   [`prior_authorization::PriorAuthorizationBuilder`], whose output validates against
//!   the profile.
//! - [`provenance`]: [`provenance::PdexProvenanceView`] over a `Provenance` in the profile
//!   `pdex-provenance`: the US Core targets, recorded time and agents, and the format the
//!   payer received the data in (the `ProvenanceSourceFrom` entity extension).
//! - [`member_match`]: views of the `$member-match` request (`MemberPatient`,
//!   `CoverageToMatch`, `CoverageToLink`, `Consent`) and response (`MemberIdentifier`)
//!   `Parameters`, as HRex 1.0.0 defines them for PDex payer-to-payer exchange.
//!
//! The PDex code systems (adjudication categories, `PriorAuthorizationValueCodes`, ...)
//! are enums in [`crate::codes::pdex`].
//!
//! Profile: <http://hl7.org/fhir/us/davinci-pdex/STU2/StructureDefinition-pdex-priorauthorization.html>.

pub mod member_match;
pub mod prior_authorization;
pub mod provenance;

/// The PDex version these views follow and the builder writes into `meta.profile`.
pub const PDEX_VERSION: &str = "2.0.0";
