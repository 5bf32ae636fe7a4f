//! `Specimen` in the US Core 6.1.0 profile `us-core-specimen`: [`SpecimenView`].

use fhir_model::datatypes::{Identifier, Reference};
use fhir_model::resources::{Specimen, SpecimenCollectionCollected};
use fhir_model::{DateTime, Resource};

use super::super::{Concept, Span};

/// `us-core-specimen`.
pub const PROFILE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-specimen";

/// A read-only view of a `Specimen` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct SpecimenView<'a> {
    specimen: &'a Specimen,
}

impl<'a> SpecimenView<'a> {
    /// A view of `specimen`.
    pub fn new(specimen: &'a Specimen) -> SpecimenView<'a> {
        SpecimenView { specimen }
    }

    /// A view of `resource` if it is a `Specimen`.
    pub fn from_resource(resource: &'a Resource) -> Option<SpecimenView<'a>> {
        resource.downcast_ref().map(SpecimenView::new)
    }

    /// The resource itself.
    pub fn specimen(&self) -> &'a Specimen {
        self.specimen
    }

    /// `type` (1..1): serum, whole blood, ... (SNOMED CT, v2 table 0487).
    pub fn specimen_type(&self) -> Option<Concept<'a>> {
        self.specimen.r#type.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.specimen.subject.as_ref()
    }

    /// `accessionIdentifier`: the laboratory's id.
    pub fn accession_identifier(&self) -> Option<&'a Identifier> {
        self.specimen.accession_identifier.as_ref()
    }

    /// `collection.collected[x]`: when it was collected, as a span (a `collectedDateTime`
    /// is a span whose ends are the same).
    pub fn collected(&self) -> Option<Span> {
        match self.specimen.collection.as_ref()?.collected.as_ref()? {
            SpecimenCollectionCollected::DateTime(at) => Some(Span {
                start: at.value,
                end: at.value,
            }),
            SpecimenCollectionCollected::Period(period) => Some(Span::from_period(period)),
            _ => None,
        }
    }

    /// The moment of collection when it was sent as `collectedDateTime`.
    pub fn collected_at(&self) -> Option<DateTime> {
        match self.specimen.collection.as_ref()?.collected.as_ref()? {
            SpecimenCollectionCollected::DateTime(at) => at.value,
            _ => None,
        }
    }
}
