//! `HealthcareService` in the Plan-Net 1.1.0 profile `plannet-HealthcareService`:
//! [`HealthcareServiceView`].

use fhir_model::Resource;
use fhir_model::datatypes::{Extension, Identifier, Reference};
use fhir_model::resources::HealthcareService;

use super::super::{Code, Concept, Span, ext_concept, extension, extensions};
use super::{AvailableTime, NUCC, NewPatients, Telecom, codes_in, ext, new_patients, telecoms};
use crate::codes::plan_net::{
    AcceptingPatientsCS, DeliveryMethodCS, HealthcareServiceCategoryCS, VirtualModalitiesCS,
};

/// `plannet-HealthcareService`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-HealthcareService";

/// A read-only view of a `HealthcareService` in Plan-Net terms.
#[derive(Clone, Copy, Debug)]
pub struct HealthcareServiceView<'a> {
    service: &'a HealthcareService,
}

impl<'a> HealthcareServiceView<'a> {
    /// A view of `service`.
    pub fn new(service: &'a HealthcareService) -> HealthcareServiceView<'a> {
        HealthcareServiceView { service }
    }

    /// A view of `resource` if it is a `HealthcareService`.
    pub fn from_resource(resource: &'a Resource) -> Option<HealthcareServiceView<'a>> {
        resource.downcast_ref().map(HealthcareServiceView::new)
    }

    /// The resource itself.
    pub fn service(&self) -> &'a HealthcareService {
        self.service
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.service.identifier
    }

    /// `active`.
    pub fn active(&self) -> Option<bool> {
        self.service.active.value
    }

    /// `providedBy`: the organization offering the service.
    pub fn provided_by(&self) -> Option<&'a Reference> {
        self.service.provided_by.as_ref()
    }

    /// `category`: every category, in document order (1..1 in Plan-Net).
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.service.category.iter().map(Concept::new)
    }

    /// The category in the Plan-Net `HealthcareServiceCategoryCS` (medical provider,
    /// pharmacy, emergency care, ...).
    pub fn category(&self) -> Option<HealthcareServiceCategoryCS> {
        self.service
            .category
            .iter()
            .flat_map(|c| &c.coding)
            .find_map(HealthcareServiceCategoryCS::from_coding)
    }

    /// `type`.
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.service.r#type.iter().map(Concept::new)
    }

    /// `specialty`: every specialty, in document order.
    pub fn specialties(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.service.specialty.iter().map(Concept::new)
    }

    /// The NUCC taxonomy codes of `specialty`.
    pub fn specialty_codes(&self) -> impl Iterator<Item = Code<'a>> + use<'a> {
        codes_in(&self.service.specialty, NUCC)
    }

    /// `location`.
    pub fn locations(&self) -> &'a [Reference] {
        &self.service.location
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.service.name.as_str()
    }

    /// `comment`.
    pub fn comment(&self) -> Option<&'a str> {
        self.service.comment.as_str()
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.service.telecom)
    }

    /// `coverageArea`: the Locations the service covers.
    pub fn coverage_areas(&self) -> &'a [Reference] {
        &self.service.coverage_area
    }

    /// `appointmentRequired`.
    pub fn appointment_required(&self) -> Option<bool> {
        self.service.appointment_required.value
    }

    /// `availableTime`.
    pub fn available_times(&self) -> impl Iterator<Item = AvailableTime> + use<'a> {
        self.service.available_time.iter().map(|time| {
            AvailableTime::from_parts(
                &time.days_of_week,
                &time.all_day,
                &time.available_start_time,
                &time.available_end_time,
            )
        })
    }

    /// `notAvailable`: (description, period).
    pub fn not_available(&self) -> impl Iterator<Item = (Option<&'a str>, Option<Span>)> + use<'a> {
        self.service.not_available.iter().map(|not_available| {
            (
                not_available.description.as_str(),
                not_available.during.as_ref().map(Span::from_period),
            )
        })
    }

    /// `availabilityExceptions`.
    pub fn availability_exceptions(&self) -> Option<&'a str> {
        self.service.availability_exceptions.as_str()
    }

    /// `endpoint`.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.service.endpoint
    }

    /// Every `newpatients` extension.
    pub fn new_patients(&self) -> impl Iterator<Item = NewPatients<'a>> + use<'a> {
        new_patients(&self.service.extension)
    }

    /// Whether new patients are accepted: `acceptingPatients` of the first `newpatients`
    /// extension that has one.
    pub fn accepting_new_patients(&self) -> Option<AcceptingPatientsCS> {
        self.new_patients().find_map(|n| n.accepting())
    }

    /// The `delivery-method` extensions: in person, or virtual and how.
    pub fn delivery_methods(&self) -> impl Iterator<Item = DeliveryMethod<'a>> + use<'a> {
        extensions(&self.service.extension, ext::DELIVERY_METHOD)
            .map(|extension| DeliveryMethod { extension })
    }
}

/// One `delivery-method` extension.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryMethod<'a> {
    extension: &'a Extension,
}

impl<'a> DeliveryMethod<'a> {
    /// `type`: `physical` or `virtual`.
    pub fn method(&self) -> Option<DeliveryMethodCS> {
        ext_concept(extension(&self.extension.extension, "type")?)?
            .coding
            .iter()
            .find_map(DeliveryMethodCS::from_coding)
    }

    /// `virtualModalities`: web, app, phone, TDD, ...
    pub fn virtual_modalities(&self) -> impl Iterator<Item = VirtualModalitiesCS> + use<'a> {
        extensions(&self.extension.extension, "virtualModalities")
            .filter_map(ext_concept)
            .flat_map(|c| &c.coding)
            .filter_map(VirtualModalitiesCS::from_coding)
    }
}
