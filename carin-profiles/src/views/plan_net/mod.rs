//! Views of the Da Vinci PDex Plan-Net 1.1.0 provider directory profiles, their extensions,
//! and a PractitionerRole builder.
//!
//! | view | resource | Plan-Net 1.1.0 profile |
//! |---|---|---|
//! | [`practitioner_role::PractitionerRoleView`] | `PractitionerRole` | plannet-PractitionerRole |
//! | [`practitioner::PractitionerView`] | `Practitioner` | plannet-Practitioner |
//! | [`location::LocationView`] | `Location` | plannet-Location |
//! | [`organization::OrganizationView`] | `Organization` | plannet-Organization, plannet-Network |
//! | [`insurance_plan::InsurancePlanView`] | `InsurancePlan` | plannet-InsurancePlan |
//! | [`endpoint::EndpointView`] | `Endpoint` | plannet-Endpoint |
//! | [`healthcare_service::HealthcareServiceView`] | `HealthcareService` | plannet-HealthcareService |
//! | [`organization_affiliation::OrganizationAffiliationView`] | `OrganizationAffiliation` | plannet-OrganizationAffiliation |
//!
//! Plan-Net puts much of what a directory app needs in extensions, whose URLs are in
//! [`ext`]: whether a provider takes new patients ([`NewPatients`], on PractitionerRole,
//! Location and HealthcareService), the network a role belongs to, qualifications
//! ([`Qualification`]), when a phone line is answered ([`Telecom::available_times`]),
//! accessibility of a location, how a service is delivered (in person or virtual). The
//! views read them, and the codes of the Plan-Net code systems come back as the enums of
//! [`crate::codes::plan_net`].
//! [`practitioner_role::PractitionerRoleBuilder`] builds a PractitionerRole that validates
//! against its profile.
//!
//! Profiles: <http://hl7.org/fhir/us/davinci-pdex-plan-net/STU1.1/artifacts.html>.

pub mod endpoint;
pub mod healthcare_service;
pub mod insurance_plan;
pub mod location;
pub mod organization;
pub mod organization_affiliation;
pub mod practitioner;
pub mod practitioner_role;

use fhir_model::datatypes::{Address, ContactPoint, Extension, Identifier, OpenType, Reference};
use fhir_model::{Decimal, Primitive, Time};

use super::{Concept, Span, ext_concept, ext_reference, ext_str, extension, extensions};
use crate::codes::plan_net::{AcceptingPatientsCS, QualificationStatusCS};

/// The Plan-Net version these views follow.
pub const PLAN_NET_VERSION: &str = "1.1.0";

/// `http://nucc.org/provider-taxonomy`: the NUCC Health Care Provider Taxonomy, the code
/// system of Plan-Net specialties.
pub const NUCC: &str = "http://nucc.org/provider-taxonomy";

/// The canonical URLs of the extensions the Plan-Net profiles use (from their
/// StructureDefinitions), and of the two core extensions they bring in.
pub mod ext {
    /// `newpatients`: whether new patients are accepted (`acceptingPatients`), from which
    /// network (`fromNetwork`), with which characteristics.
    pub const NEW_PATIENTS: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/newpatients";
    /// `network-reference`: the network a PractitionerRole belongs to.
    pub const NETWORK_REFERENCE: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/network-reference";
    /// `qualification`: a license, certification or accreditation of a role or
    /// organization.
    pub const QUALIFICATION: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/qualification";
    /// `practitioner-qualification`: the status and jurisdictions of a practitioner's
    /// qualification.
    pub const PRACTITIONER_QUALIFICATION: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification";
    /// `contactpoint-availabletime`: when a phone number or other contact point is
    /// answered.
    pub const CONTACT_POINT_AVAILABLE_TIME: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/contactpoint-availabletime";
    /// `via-intermediary`: the organization that answers a contact point on another's
    /// behalf.
    pub const VIA_INTERMEDIARY: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/via-intermediary";
    /// `accessibility`: accessibility features of a location (ADA compliance, public
    /// transit, ...).
    pub const ACCESSIBILITY: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/accessibility";
    /// `delivery-method`: whether a service is delivered physically or virtually, and by
    /// which virtual modalities.
    pub const DELIVERY_METHOD: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/delivery-method";
    /// `endpoint-usecase`: what an endpoint is for.
    pub const ENDPOINT_USECASE: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/endpoint-usecase";
    /// `location-reference`: the locations a network covers.
    pub const LOCATION_REFERENCE: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/location-reference";
    /// `org-description`: a description of an organization.
    pub const ORG_DESCRIPTION: &str =
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/org-description";
    /// `communication-proficiency`: how well a practitioner speaks a language.
    pub const COMMUNICATION_PROFICIENCY: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/communication-proficiency";
    /// The core `geolocation` extension on an address (latitude and longitude).
    pub const GEOLOCATION: &str = "http://hl7.org/fhir/StructureDefinition/geolocation";
    /// The core `location-boundary-geojson` extension: a location's boundary as GeoJSON
    /// (Plan-Net's `region` slice, used for coverage areas).
    pub const BOUNDARY_GEOJSON: &str =
        "http://hl7.org/fhir/StructureDefinition/location-boundary-geojson";
}

code_system! {
    /// Days of the week (`http://hl7.org/fhir/days-of-week`, required binding of
    /// `availableTime.daysOfWeek` and `hoursOfOperation.daysOfWeek`).
    DayOfWeek = "http://hl7.org/fhir/days-of-week" {
        /// Monday
        Mon = "mon", Some("Monday");
        /// Tuesday
        Tue = "tue", Some("Tuesday");
        /// Wednesday
        Wed = "wed", Some("Wednesday");
        /// Thursday
        Thu = "thu", Some("Thursday");
        /// Friday
        Fri = "fri", Some("Friday");
        /// Saturday
        Sat = "sat", Some("Saturday");
        /// Sunday
        Sun = "sun", Some("Sunday");
    }
}

code_system! {
    /// `ContactPoint.system` (`http://hl7.org/fhir/contact-point-system`, required binding).
    ContactPointSystem = "http://hl7.org/fhir/contact-point-system" {
        /// Phone
        Phone = "phone", Some("Phone");
        /// Fax
        Fax = "fax", Some("Fax");
        /// Email
        Email = "email", Some("Email");
        /// Pager
        Pager = "pager", Some("Pager");
        /// URL
        Url = "url", Some("URL");
        /// SMS
        Sms = "sms", Some("SMS");
        /// Other
        OtherCode = "other", Some("Other");
    }
}

/// When something is available: an `availableTime` or `hoursOfOperation` element, or the
/// `contactpoint-availabletime` extension, which all have this shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvailableTime {
    /// `daysOfWeek`.
    pub days: Vec<DayOfWeek>,
    /// `allDay`: available all day on those days.
    pub all_day: Option<bool>,
    /// `availableStartTime` / `openingTime`.
    pub start: Option<Time>,
    /// `availableEndTime` / `closingTime`.
    pub end: Option<Time>,
}

impl AvailableTime {
    /// Available on `days`, from `start` to `end`.
    pub fn hours(days: &[DayOfWeek], start: Time, end: Time) -> AvailableTime {
        AvailableTime {
            days: days.to_vec(),
            all_day: None,
            start: Some(start),
            end: Some(end),
        }
    }

    /// Available all day on `days`.
    pub fn all_day(days: &[DayOfWeek]) -> AvailableTime {
        AvailableTime {
            days: days.to_vec(),
            all_day: Some(true),
            start: None,
            end: None,
        }
    }

    /// Whether it is available on `day`.
    pub fn includes(&self, day: &DayOfWeek) -> bool {
        self.days.contains(day)
    }

    /// From the four parts of the element.
    fn from_parts(
        days: &[Primitive<String>],
        all_day: &Primitive<bool>,
        start: &Primitive<Time>,
        end: &Primitive<Time>,
    ) -> AvailableTime {
        AvailableTime {
            days: days
                .iter()
                .filter_map(|day| day.as_str())
                .map(DayOfWeek::from_code)
                .collect(),
            all_day: all_day.value,
            start: start.value,
            end: end.value,
        }
    }

    /// From a `contactpoint-availabletime` extension, whose sub-extensions may come in any
    /// order.
    fn from_extension(extension: &Extension) -> AvailableTime {
        let mut time = AvailableTime::default();
        for part in &extension.extension {
            match (part.url.as_deref(), part.value.as_ref()) {
                (Some("daysOfWeek"), Some(OpenType::Code(day))) => {
                    time.days.extend(day.as_str().map(DayOfWeek::from_code));
                }
                (Some("allDay"), Some(OpenType::Boolean(all_day))) => time.all_day = all_day.value,
                (Some("availableStartTime"), Some(OpenType::Time(start))) => {
                    time.start = start.value;
                }
                (Some("availableEndTime"), Some(OpenType::Time(end))) => time.end = end.value,
                _ => {}
            }
        }
        time
    }
}

/// A read-only view of a `ContactPoint` with the Plan-Net extensions on it.
#[derive(Clone, Copy, Debug)]
pub struct Telecom<'a> {
    contact_point: &'a ContactPoint,
}

impl<'a> Telecom<'a> {
    /// A view of `contact_point`.
    pub fn new(contact_point: &'a ContactPoint) -> Telecom<'a> {
        Telecom { contact_point }
    }

    /// The contact point itself.
    pub fn contact_point(&self) -> &'a ContactPoint {
        self.contact_point
    }

    /// `system`: phone, fax, email, url, ...
    pub fn system(&self) -> Option<ContactPointSystem> {
        self.contact_point
            .system
            .as_str()
            .map(ContactPointSystem::from_code)
    }

    /// `value`: the number, address or URL.
    pub fn value(&self) -> Option<&'a str> {
        self.contact_point.value.as_str()
    }

    /// `use`: work, mobile, ...
    pub fn contact_use(&self) -> Option<&'a str> {
        self.contact_point.r#use.as_str()
    }

    /// `rank`: 1 is the preferred contact point.
    pub fn rank(&self) -> Option<u32> {
        self.contact_point.rank.value.map(std::num::NonZeroU32::get)
    }

    /// When it is answered: each `contactpoint-availabletime` extension.
    pub fn available_times(&self) -> Vec<AvailableTime> {
        extensions(
            &self.contact_point.extension,
            ext::CONTACT_POINT_AVAILABLE_TIME,
        )
        .map(AvailableTime::from_extension)
        .collect()
    }

    /// `via-intermediary`: the organization that answers on the owner's behalf.
    pub fn via_intermediary(&self) -> Option<&'a Reference> {
        ext_reference(extension(
            &self.contact_point.extension,
            ext::VIA_INTERMEDIARY,
        )?)
    }
}

/// The `newpatients` extension: whether new patients are accepted.
#[derive(Clone, Copy, Debug)]
pub struct NewPatients<'a> {
    extension: &'a Extension,
}

impl<'a> NewPatients<'a> {
    /// The extension itself.
    pub fn extension(&self) -> &'a Extension {
        self.extension
    }

    /// `acceptingPatients`: no, yes, existing patients only, or existing patients and their
    /// families.
    pub fn accepting(&self) -> Option<AcceptingPatientsCS> {
        Concept::new(ext_concept(extension(
            &self.extension.extension,
            "acceptingPatients",
        )?)?)
        .find_map(AcceptingPatientsCS::from_coding)
    }

    /// `fromNetwork`: the network whose members are accepted.
    pub fn from_network(&self) -> Option<&'a Reference> {
        ext_reference(extension(&self.extension.extension, "fromNetwork")?)
    }

    /// `characteristics`: what kinds of new patients are accepted ("newborns", ...).
    pub fn characteristics(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        extensions(&self.extension.extension, "characteristics").filter_map(ext_str)
    }
}

/// The `qualification` extension: a license, certification or accreditation.
#[derive(Clone, Copy, Debug)]
pub struct Qualification<'a> {
    extension: &'a Extension,
}

impl<'a> Qualification<'a> {
    /// The extension itself.
    pub fn extension(&self) -> &'a Extension {
        self.extension
    }

    /// `identifier`s of the qualification (license numbers).
    pub fn identifiers(&self) -> impl Iterator<Item = &'a Identifier> + use<'a> {
        extensions(&self.extension.extension, "identifier").filter_map(|part| {
            match part.value.as_ref()? {
                OpenType::Identifier(identifier) => Some(&**identifier),
                _ => None,
            }
        })
    }

    /// `code`: the qualification (NUCC specialty, degree, license type).
    pub fn code(&self) -> Option<Concept<'a>> {
        ext_concept(extension(&self.extension.extension, "code")?).map(Concept::new)
    }

    /// `issuer`: who issued it.
    pub fn issuer(&self) -> Option<&'a Reference> {
        ext_reference(extension(&self.extension.extension, "issuer")?)
    }

    /// `status`: active, inactive, revoked, ...
    pub fn status(&self) -> Option<QualificationStatusCS> {
        ext_str(extension(&self.extension.extension, "status")?)
            .map(QualificationStatusCS::from_code)
    }

    /// `period`: when it is valid.
    pub fn period(&self) -> Option<Span> {
        match extension(&self.extension.extension, "period")?
            .value
            .as_ref()?
        {
            OpenType::Period(period) => Some(Span::from_period(period)),
            _ => None,
        }
    }

    /// `whereValid` codes: the states where it is valid (USPS codes).
    pub fn where_valid(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        extensions(&self.extension.extension, "whereValid")
            .filter_map(ext_concept)
            .map(Concept::new)
    }
}

/// A latitude and longitude, exact as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoPoint<'a> {
    /// Latitude (WGS84), degrees.
    pub latitude: &'a Decimal,
    /// Longitude (WGS84), degrees.
    pub longitude: &'a Decimal,
}

/// The `geolocation` extension of an address.
pub fn address_geolocation(address: &Address) -> Option<GeoPoint<'_>> {
    let geolocation = extension(&address.extension, ext::GEOLOCATION)?;
    let decimal = |url: &str| match extension(&geolocation.extension, url)?.value.as_ref()? {
        OpenType::Decimal(value) => value.value.as_ref(),
        _ => None,
    };
    Some(GeoPoint {
        latitude: decimal("latitude")?,
        longitude: decimal("longitude")?,
    })
}

/// The `newpatients` extensions of `list`.
fn new_patients(list: &[Extension]) -> impl Iterator<Item = NewPatients<'_>> {
    extensions(list, ext::NEW_PATIENTS).map(|extension| NewPatients { extension })
}

/// The `qualification` extensions of `list`.
fn qualifications(list: &[Extension]) -> impl Iterator<Item = Qualification<'_>> {
    extensions(list, ext::QUALIFICATION).map(|extension| Qualification { extension })
}

/// Views of `list`.
fn telecoms(list: &[ContactPoint]) -> impl Iterator<Item = Telecom<'_>> {
    list.iter().map(Telecom::new)
}

/// The codes of `concepts` in `system`, in document order.
fn codes_in<'a>(
    concepts: &'a [fhir_model::datatypes::CodeableConcept],
    system: &'a str,
) -> impl Iterator<Item = super::Code<'a>> + use<'a> {
    concepts
        .iter()
        .flat_map(|c| c.coding.iter().filter_map(super::Code::from_coding))
        .filter(move |code| code.system == Some(system))
}
