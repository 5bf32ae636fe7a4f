//! `Location` in the Plan-Net 1.1.0 profile `plannet-Location`: [`LocationView`].

use fhir_model::datatypes::{Address, Attachment, Identifier, OpenType, Reference};
use fhir_model::resources::Location;
use fhir_model::{Decimal, Resource};

use super::super::{Concept, ext_concept, extension, extensions};
use super::{AvailableTime, GeoPoint, NewPatients, Telecom, ext, new_patients, telecoms};
use crate::codes::plan_net::{AcceptingPatientsCS, AccessibilityCS};

/// `plannet-Location`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Location";

code_system! {
    /// `Location.status` (`http://hl7.org/fhir/location-status`, required binding; Plan-Net
    /// fixes it to `active`).
    LocationStatus = "http://hl7.org/fhir/location-status" {
        /// Active
        Active = "active", Some("Active");
        /// Suspended
        Suspended = "suspended", Some("Suspended");
        /// Inactive
        Inactive = "inactive", Some("Inactive");
    }
}

/// A read-only view of a `Location` in Plan-Net terms: a place where care is given, or an
/// area a plan covers.
#[derive(Clone, Copy, Debug)]
pub struct LocationView<'a> {
    location: &'a Location,
}

impl<'a> LocationView<'a> {
    /// A view of `location`.
    pub fn new(location: &'a Location) -> LocationView<'a> {
        LocationView { location }
    }

    /// A view of `resource` if it is a `Location`.
    pub fn from_resource(resource: &'a Resource) -> Option<LocationView<'a>> {
        resource.downcast_ref().map(LocationView::new)
    }

    /// The resource itself.
    pub fn location(&self) -> &'a Location {
        self.location
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.location.identifier
    }

    /// `status`.
    pub fn status(&self) -> Option<LocationStatus> {
        self.location.status.as_str().map(LocationStatus::from_code)
    }

    /// `name`.
    pub fn name(&self) -> Option<&'a str> {
        self.location.name.as_str()
    }

    /// `alias`: other names.
    pub fn aliases(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.location
            .alias
            .iter()
            .filter_map(|alias| alias.as_str())
    }

    /// `description`.
    pub fn description(&self) -> Option<&'a str> {
        self.location.description.as_str()
    }

    /// `type`: hospital, outpatient pharmacy, ... (`v3-RoleCode`).
    pub fn types(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.location.r#type.iter().map(Concept::new)
    }

    /// `telecom`, with the Plan-Net availability extensions.
    pub fn telecoms(&self) -> impl Iterator<Item = Telecom<'a>> + use<'a> {
        telecoms(&self.location.telecom)
    }

    /// `address`.
    pub fn address(&self) -> Option<&'a Address> {
        self.location.address.as_ref()
    }

    /// `position`: latitude and longitude.
    pub fn position(&self) -> Option<GeoPoint<'a>> {
        let position = self.location.position.as_ref()?;
        Some(GeoPoint {
            latitude: position.latitude.value.as_ref()?,
            longitude: position.longitude.value.as_ref()?,
        })
    }

    /// `position.altitude`.
    pub fn altitude(&self) -> Option<&'a Decimal> {
        self.location.position.as_ref()?.altitude.value.as_ref()
    }

    /// `managingOrganization`.
    pub fn managing_organization(&self) -> Option<&'a Reference> {
        self.location.managing_organization.as_ref()
    }

    /// `partOf`: the location this one is in.
    pub fn part_of(&self) -> Option<&'a Reference> {
        self.location.part_of.as_ref()
    }

    /// `hoursOfOperation`: when it is open.
    pub fn hours_of_operation(&self) -> impl Iterator<Item = AvailableTime> + use<'a> {
        self.location.hours_of_operation.iter().map(|hours| {
            AvailableTime::from_parts(
                &hours.days_of_week,
                &hours.all_day,
                &hours.opening_time,
                &hours.closing_time,
            )
        })
    }

    /// `availabilityExceptions`: closures and exceptions, as text.
    pub fn availability_exceptions(&self) -> Option<&'a str> {
        self.location.availability_exceptions.as_str()
    }

    /// `endpoint`.
    pub fn endpoints(&self) -> &'a [Reference] {
        &self.location.endpoint
    }

    /// Every `newpatients` extension.
    pub fn new_patients(&self) -> impl Iterator<Item = NewPatients<'a>> + use<'a> {
        new_patients(&self.location.extension)
    }

    /// Whether new patients are accepted: `acceptingPatients` of the first `newpatients`
    /// extension that has one.
    pub fn accepting_new_patients(&self) -> Option<AcceptingPatientsCS> {
        self.new_patients().find_map(|n| n.accepting())
    }

    /// The `accessibility` extensions: ADA compliance, public transit, ...
    pub fn accessibility(&self) -> impl Iterator<Item = AccessibilityCS> + use<'a> {
        extensions(&self.location.extension, ext::ACCESSIBILITY)
            .filter_map(ext_concept)
            .flat_map(|c| &c.coding)
            .filter_map(AccessibilityCS::from_coding)
    }

    /// The `location-boundary-geojson` extension (`region`): the area as GeoJSON, for
    /// locations that are coverage areas.
    pub fn boundary_geojson(&self) -> Option<&'a Attachment> {
        match extension(&self.location.extension, ext::BOUNDARY_GEOJSON)?
            .value
            .as_ref()?
        {
            OpenType::Attachment(attachment) => Some(attachment),
            _ => None,
        }
    }
}
