//! `Provenance` in the PDex 2.0.0 profile `pdex-provenance`: [`PdexProvenanceView`].
//!
//! The US Core provenance elements (targets, recorded, agents) are read by the US Core
//! view ([`PdexProvenanceView::us_core`]); PDex adds the format the payer received the
//! data in (the `ProvenanceSourceFrom` extension on `entity`).

use fhir_model::Resource;
use fhir_model::datatypes::Reference;
use fhir_model::resources::{Provenance, ProvenanceEntity};

use super::super::us_core::provenance::ProvenanceView;
use super::super::{Concept, ext_concept, extension};
use crate::codes::pdex::ProvenancePayerDataSource;

/// `pdex-provenance`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provenance";

/// `ProvenanceSourceFrom`: the format the payer received the data in (an entity
/// extension).
pub const SOURCE_FORMAT: &str =
    "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/ProvenanceSourceFrom";

/// A read-only view of a `Provenance` in PDex terms: the US Core view plus the source
/// format of each entity.
#[derive(Clone, Copy, Debug)]
pub struct PdexProvenanceView<'a> {
    provenance: &'a Provenance,
}

impl<'a> PdexProvenanceView<'a> {
    /// A view of `provenance`.
    pub fn new(provenance: &'a Provenance) -> PdexProvenanceView<'a> {
        PdexProvenanceView { provenance }
    }

    /// A view of `resource` if it is a `Provenance`.
    pub fn from_resource(resource: &'a Resource) -> Option<PdexProvenanceView<'a>> {
        resource.downcast_ref().map(PdexProvenanceView::new)
    }

    /// The resource itself.
    pub fn provenance(&self) -> &'a Provenance {
        self.provenance
    }

    /// The US Core view: targets, recorded, agents with type, who and onBehalfOf.
    pub fn us_core(&self) -> ProvenanceView<'a> {
        ProvenanceView::new(self.provenance)
    }

    /// `entity`, in document order.
    pub fn entities(&self) -> impl Iterator<Item = EntityView<'a>> + use<'a> {
        self.provenance
            .entity
            .iter()
            .map(|entity| EntityView { entity })
    }

    /// The source format of the first entity that has one (`hl7v2adt`, `x12837`, ...).
    pub fn source_format(&self) -> Option<ProvenancePayerDataSource> {
        self.entities().find_map(|entity| entity.source_format())
    }
}

/// One `Provenance.entity`.
#[derive(Clone, Copy, Debug)]
pub struct EntityView<'a> {
    entity: &'a ProvenanceEntity,
}

impl<'a> EntityView<'a> {
    /// The entity itself.
    pub fn entity(&self) -> &'a ProvenanceEntity {
        self.entity
    }

    /// `role`: `source`, `derivation`, ...
    pub fn role(&self) -> Option<&'a str> {
        self.entity.role.as_str()
    }

    /// `what`: the source (often a display only).
    pub fn what(&self) -> Option<&'a Reference> {
        self.entity.what.as_ref()
    }

    /// The `ProvenanceSourceFrom` extension as a concept.
    pub fn source_format_concept(&self) -> Option<Concept<'a>> {
        ext_concept(extension(&self.entity.extension, SOURCE_FORMAT)?).map(Concept::new)
    }

    /// The `ProvenanceSourceFrom` code in `ProvenancePayerDataSource`.
    pub fn source_format(&self) -> Option<ProvenancePayerDataSource> {
        self.source_format_concept()?
            .find_map(ProvenancePayerDataSource::from_coding)
    }
}
