//! `PractitionerRole` in the Plan-Net 1.1.0 profile `plannet-PractitionerRole`:
//! [`PractitionerRoleView`] reads it, [`PractitionerRoleBuilder`] makes one.
//!
//! A PractitionerRole is the directory entry apps search: a practitioner at an
//! organization, in a network, at locations, with specialties, and whether they take new
//! patients.
//!
//! ```
//! use carin_profiles::codes::plan_net::{AcceptingPatientsCS, ProviderRoleCS};
//! use carin_profiles::views::plan_net::practitioner_role::{
//!     PractitionerRoleBuilder, PractitionerRoleView,
//! };
//! use fhir_model::Instant;
//! use fhir_model::datatypes::Reference;
//!
//! let role = PractitionerRoleBuilder::new(
//!     Instant::parse("2024-03-01T12:00:00Z")?,
//!     Reference::to_resource("Practitioner", "dr-smith"),
//! )
//! .organization(Reference::to_resource("Organization", "clinic"))
//! .network(Reference::to_resource("Organization", "ppo-network"))
//! .role(ProviderRoleCS::Ph)
//! .specialty("207R00000X") // Internal Medicine Physician (NUCC)
//! .accepting_new_patients(AcceptingPatientsCS::Newpt, None)
//! .build()?;
//!
//! let view = PractitionerRoleView::new(&role);
//! assert_eq!(view.accepting_new_patients(), Some(AcceptingPatientsCS::Newpt));
//! assert_eq!(view.specialty_codes().next().map(|c| c.code), Some("207R00000X"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use fhir_model::datatypes::{
    CodeableConcept, ContactPoint, Extension, Identifier, Meta, OpenType, Reference,
};
use fhir_model::resources::{PractitionerRole, PractitionerRoleAvailableTime};
use fhir_model::{Instant, Resource};

use super::super::{
    Code, Concept, Span, complex_extension, concept, ext_reference, extension, in_required_binding,
    new_extension,
};
use super::{
    AvailableTime, ContactPointSystem, DayOfWeek, NUCC, NewPatients, Qualification, Telecom,
    codes_in, ext, new_patients, qualifications, telecoms,
};
use crate::codes::plan_net::{AcceptingPatientsCS, ProviderRoleCS};

/// `plannet-PractitionerRole`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-PractitionerRole";

/// A read-only view of a `PractitionerRole` in Plan-Net terms.
#[derive(Clone, Copy, Debug)]
pub struct PractitionerRoleView<'a> {
    role: &'a PractitionerRole,
}

impl<'a> PractitionerRoleView<'a> {
    /// A view of `role`.
    pub fn new(role: &'a PractitionerRole) -> PractitionerRoleView<'a> {
        PractitionerRoleView { role }
    }

    /// A view of `resource` if it is a `PractitionerRole`.
    pub fn from_resource(resource: &'a Resource) -> Option<PractitionerRoleView<'a>> {
        resource.downcast_ref().map(PractitionerRoleView::new)
    }

    /// The resource itself.
    pub fn role(&self) -> &'a PractitionerRole {
        self.role
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.role.identifier
    }

    /// `active` (Plan-Net lists only active roles).
    pub fn active(&self) -> Option<bool> {
        self.role.active.value
    }

    /// `period`: when the practitioner works in this role.
    pub fn period(&self) -> Option<Span> {
        self.role.period.as_ref().map(Span::from_period)
    }

    /// `practitioner`.
    pub fn practitioner(&self) -> Option<&'a Reference> {
        self.role.practitioner.as_ref()
    }

    /// `organization`: where the role is held.
    pub fn organization(&self) -> Option<&'a Reference> {
        self.role.organization.as_ref()
    }

    /// The `network-reference` extension: the network the role is part of.
    pub fn network(&self) -> Option<&'a Reference> {
        ext_reference(extension(&self.role.extension, ext::NETWORK_REFERENCE)?)
    }

    /// `code`: every role, in document order.
    pub fn codes(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.role.code.iter().map(Concept::new)
    }

    /// The roles in the Plan-Net `ProviderRoleCS` code system (physician, nurse, ...).
    pub fn provider_roles(&self) -> impl Iterator<Item = ProviderRoleCS> + use<'a> {
        self.role
            .code
            .iter()
            .flat_map(|c| &c.coding)
            .filter_map(ProviderRoleCS::from_coding)
    }

    /// `specialty`: every specialty, in document order.
    pub fn specialties(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.role.specialty.iter().map(Concept::new)
    }

    /// The NUCC taxonomy codes of `specialty`, in document order.
    pub fn specialty_codes(&self) -> impl Iterator<Item = Code<'a>> + use<'a> {
        codes_in(&self.role.specialty, NUCC)
    }

    /// `location`: where the role is practised.
    pub fn locations(&self) -> &'a [Reference] {
        &self.role.location
    }

    /// `healthcareService`: the services provided in this role.
    pub fn healthcare_services(&self) -> &'a [Reference] {
        &self.role.healthcare_service
    }

    /// Every `newpatients` extension (one per network, say).
    pub fn new_patients(&self) -> impl Iterator<Item = NewPatients<'a>> + use<'a> {
        new_patients(&self.role.extension)
    }

    /// Whether new patients are accepted: `acceptingPatients` of the first `newpatients`
    /// extension that has one.
    pub fn accepting_new_patients(&self) -> Option<AcceptingPatientsCS> {
        self.new_patients().find_map(|n| n.accepting())
    }

    /// Every `qualification` extension.
    pub fn qualifications(&self) -> impl Iterator<Item = Qualification<'a>> + use<'a> {
        qualifications(&self.role.extension)
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.role.telecom)
    }

    /// `availableTime`: when the practitioner is available in this role.
    pub fn available_times(&self) -> impl Iterator<Item = AvailableTime> + use<'a> {
        self.role.available_time.iter().map(|time| {
            AvailableTime::from_parts(
                &time.days_of_week,
                &time.all_day,
                &time.available_start_time,
                &time.available_end_time,
            )
        })
    }

    /// `notAvailable`: (description, period) of each time the role is not available.
    pub fn not_available(&self) -> impl Iterator<Item = (Option<&'a str>, Option<Span>)> + use<'a> {
        self.role.not_available.iter().map(|not_available| {
            (
                not_available.description.as_str(),
                not_available.during.as_ref().map(Span::from_period),
            )
        })
    }

    /// `endpoint`: technical endpoints of the role.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.role.endpoint
    }
}

/// Builds a `plannet-PractitionerRole` with what the profile requires (`meta.lastUpdated`,
/// `active` true, a practitioner) and what a directory needs: organization, network,
/// roles, NUCC specialties, locations, services, new-patient acceptance, telecoms and
/// hours. See the [module documentation](self) for an example.
#[derive(Clone, Debug)]
pub struct PractitionerRoleBuilder {
    last_updated: Instant,
    practitioner: Reference,
    id: Option<String>,
    organization: Option<Reference>,
    network: Option<Reference>,
    roles: Vec<ProviderRoleCS>,
    specialties: Vec<String>,
    locations: Vec<Reference>,
    services: Vec<Reference>,
    new_patients: Vec<(AcceptingPatientsCS, Option<Reference>, Vec<String>)>,
    telecoms: Vec<(ContactPointSystem, String, Vec<AvailableTime>)>,
    available_times: Vec<AvailableTime>,
}

impl PractitionerRoleBuilder {
    /// A role of `practitioner`, last updated at `last_updated` (`meta.lastUpdated`, which
    /// Plan-Net requires).
    pub fn new(last_updated: Instant, practitioner: Reference) -> PractitionerRoleBuilder {
        PractitionerRoleBuilder {
            last_updated,
            practitioner,
            id: None,
            organization: None,
            network: None,
            roles: Vec::new(),
            specialties: Vec::new(),
            locations: Vec::new(),
            services: Vec::new(),
            new_patients: Vec::new(),
            telecoms: Vec::new(),
            available_times: Vec::new(),
        }
    }

    /// The logical id (`id`).
    pub fn id(mut self, id: &str) -> PractitionerRoleBuilder {
        self.id = Some(id.to_owned());
        self
    }

    /// `organization`: where the role is held (a plannet-Organization).
    pub fn organization(mut self, organization: Reference) -> PractitionerRoleBuilder {
        self.organization = Some(organization);
        self
    }

    /// The network the role belongs to (the `network-reference` extension, a
    /// plannet-Network).
    pub fn network(mut self, network: Reference) -> PractitionerRoleBuilder {
        self.network = Some(network);
        self
    }

    /// Adds a role (`code`) from `ProviderRoleCS`.
    pub fn role(mut self, role: ProviderRoleCS) -> PractitionerRoleBuilder {
        self.roles.push(role);
        self
    }

    /// Adds a specialty (`specialty`): a NUCC taxonomy code from the value set
    /// `IndividualAndGroupSpecialtiesVS`.
    pub fn specialty(mut self, nucc_code: &str) -> PractitionerRoleBuilder {
        self.specialties.push(nucc_code.to_owned());
        self
    }

    /// Adds a location (`location`, a plannet-Location).
    pub fn location(mut self, location: Reference) -> PractitionerRoleBuilder {
        self.locations.push(location);
        self
    }

    /// Adds a healthcare service (`healthcareService`, a plannet-HealthcareService).
    pub fn healthcare_service(mut self, service: Reference) -> PractitionerRoleBuilder {
        self.services.push(service);
        self
    }

    /// Adds a `newpatients` extension: whether new patients are accepted, optionally only
    /// from members of `from_network`.
    pub fn accepting_new_patients(
        mut self,
        accepting: AcceptingPatientsCS,
        from_network: Option<Reference>,
    ) -> PractitionerRoleBuilder {
        self.new_patients
            .push((accepting, from_network, Vec::new()));
        self
    }

    /// Adds a characteristic ("newborns", "veterans", ...) to the last `newpatients`
    /// extension added (ignored when there is none). Plan-Net forbids characteristics when
    /// no new patients are accepted.
    pub fn new_patient_characteristic(mut self, characteristic: &str) -> PractitionerRoleBuilder {
        if let Some((_, _, characteristics)) = self.new_patients.last_mut() {
            characteristics.push(characteristic.to_owned());
        }
        self
    }

    /// Adds a contact point (`telecom`), answered at `available` (the
    /// `contactpoint-availabletime` extension; empty for no statement).
    pub fn telecom(
        mut self,
        system: ContactPointSystem,
        value: &str,
        available: &[AvailableTime],
    ) -> PractitionerRoleBuilder {
        self.telecoms
            .push((system, value.to_owned(), available.to_vec()));
        self
    }

    /// Adds an `availableTime`: when the practitioner is available in this role.
    pub fn available_time(mut self, time: AvailableTime) -> PractitionerRoleBuilder {
        self.available_times.push(time);
        self
    }

    /// The PractitionerRole, or the first reason it would not conform to the profile.
    pub fn build(self) -> Result<PractitionerRole, PractitionerRoleError> {
        let mut role = PractitionerRole::default();
        role.id = self.id;
        let mut meta = Meta::default();
        meta.last_updated = self.last_updated.into();
        meta.profile.push(PROFILE.into());
        role.meta = Some(meta);

        if let Some(network) = self.network {
            role.extension.push(new_extension(
                ext::NETWORK_REFERENCE,
                OpenType::Reference(Box::new(network)),
            ));
        }
        for (accepting, from_network, characteristics) in self.new_patients {
            // ValueSet AcceptingPatientsVS (the whole code system).
            if let AcceptingPatientsCS::Other(code) = &accepting {
                return Err(PractitionerRoleError::CodeNotAllowed {
                    element: "extension:newpatients.extension:acceptingPatients.value[x]",
                    code: code.clone(),
                });
            }
            // Invariant new-patients-characteristics, as meant: it tests the code `no`,
            // which AcceptingPatientsCS does not have; its "not accepting" is `nopt`.
            if accepting == AcceptingPatientsCS::Nopt && !characteristics.is_empty() {
                return Err(PractitionerRoleError::CharacteristicsWhenNotAccepting);
            }
            let mut parts = vec![new_extension(
                "acceptingPatients",
                OpenType::CodeableConcept(Box::new(concept(accepting.to_coding()))),
            )];
            if let Some(network) = from_network {
                parts.push(new_extension(
                    "fromNetwork",
                    OpenType::Reference(Box::new(network)),
                ));
            }
            for characteristic in characteristics {
                parts.push(new_extension(
                    "characteristics",
                    OpenType::String(characteristic.into()),
                ));
            }
            role.extension
                .push(complex_extension(ext::NEW_PATIENTS, parts));
        }

        role.active = true.into();
        role.practitioner = Some(self.practitioner);
        role.organization = self.organization;
        for provider_role in self.roles {
            // ValueSet PractitionerRoleVS: ProviderRoleCS and the HL7 practitioner-role
            // code system.
            if let ProviderRoleCS::Other(code) = &provider_role {
                return Err(PractitionerRoleError::CodeNotAllowed {
                    element: "code",
                    code: code.clone(),
                });
            }
            role.code.push(concept(provider_role.to_coding()));
        }
        for specialty in self.specialties {
            if !in_required_binding(PROFILE, "PractitionerRole.specialty", NUCC, &specialty) {
                return Err(PractitionerRoleError::CodeNotAllowed {
                    element: "specialty",
                    code: specialty,
                });
            }
            role.specialty.push(nucc(&specialty));
        }
        role.location = self.locations;
        role.healthcare_service = self.services;
        for (system, value, available) in self.telecoms {
            // ValueSet contact-point-system.
            if let ContactPointSystem::Other(code) = &system {
                return Err(PractitionerRoleError::CodeNotAllowed {
                    element: "telecom.system",
                    code: code.clone(),
                });
            }
            let mut contact_point = ContactPoint::default();
            for time in &available {
                check_days(&time.days, "telecom.extension:contactpoint-availabletime")?;
                contact_point.extension.push(available_time_extension(time));
            }
            contact_point.system = system.code().into();
            contact_point.value = value.into();
            role.telecom.push(contact_point);
        }
        for time in self.available_times {
            check_days(&time.days, "availableTime.daysOfWeek")?;
            let mut available = PractitionerRoleAvailableTime::default();
            available.days_of_week = time.days.iter().map(|d| d.code().into()).collect();
            available.all_day.value = time.all_day;
            available.available_start_time.value = time.start;
            available.available_end_time.value = time.end;
            role.available_time.push(available);
        }
        Ok(role)
    }
}

/// Why [`PractitionerRoleBuilder::build`] could not make a conformant PractitionerRole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PractitionerRoleError {
    /// A code outside the value set the profile requires for the element.
    CodeNotAllowed {
        /// The element, as a path below `PractitionerRole` with slice names.
        element: &'static str,
        /// The code given.
        code: String,
    },
    /// New-patient characteristics on a `newpatients` extension that accepts none
    /// (`nopt`): what invariant `new-patients-characteristics` means (as written it tests a
    /// code `no` that AcceptingPatientsCS does not define).
    CharacteristicsWhenNotAccepting,
}

impl fmt::Display for PractitionerRoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PractitionerRoleError::CodeNotAllowed { element, code } => write!(
                f,
                "code {code:?} is not allowed in PractitionerRole.{element}"
            ),
            PractitionerRoleError::CharacteristicsWhenNotAccepting => f.write_str(
                "new-patient characteristics are not allowed when no new patients are accepted",
            ),
        }
    }
}

impl std::error::Error for PractitionerRoleError {}

/// `Err(CodeNotAllowed)` for a day outside `days-of-week`.
fn check_days(days: &[DayOfWeek], element: &'static str) -> Result<(), PractitionerRoleError> {
    match days.iter().find(|day| matches!(day, DayOfWeek::Other(_))) {
        Some(day) => Err(PractitionerRoleError::CodeNotAllowed {
            element,
            code: day.code().to_owned(),
        }),
        None => Ok(()),
    }
}

/// A `contactpoint-availabletime` extension.
fn available_time_extension(time: &AvailableTime) -> Extension {
    let mut parts: Vec<Extension> = time
        .days
        .iter()
        .map(|day| new_extension("daysOfWeek", OpenType::Code(day.code().into())))
        .collect();
    if let Some(all_day) = time.all_day {
        parts.push(new_extension("allDay", OpenType::Boolean(all_day.into())));
    }
    if let Some(start) = time.start {
        parts.push(new_extension(
            "availableStartTime",
            OpenType::Time(start.into()),
        ));
    }
    if let Some(end) = time.end {
        parts.push(new_extension(
            "availableEndTime",
            OpenType::Time(end.into()),
        ));
    }
    complex_extension(ext::CONTACT_POINT_AVAILABLE_TIME, parts)
}

/// A NUCC specialty concept.
fn nucc(code: &str) -> CodeableConcept {
    concept(super::super::coding(NUCC, code))
}
