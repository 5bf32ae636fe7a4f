//! The provider directory as the Provider Directory API publishes it (Da Vinci Plan-Net
//! 1.1.0, CMS-9115-F): the plan's networks, its insurance plans (one per line of business,
//! the plans the members' `Coverage`s name) and, for every provider organization of the
//! [`Directory`], where it is (a `Location` with its geolocation), how to reach it
//! electronically (an `Endpoint`), what it offers (a `HealthcareService`), which networks
//! it is in (`OrganizationAffiliation`s) and the `PractitionerRole` of each practitioner
//! in each of those networks. The pharmacies, the pharmacy chain's stores among them, are
//! the MA-PD plan's Part D pharmacy network.
//!
//! Consistent with the claims: the organizations and practitioners the claims name are
//! listed, the one clinic the claims treat as out of network is in no network, and every
//! other provider is in every network of the members' plans.

use std::collections::BTreeSet;

use base64::Engine as _;

use fhir_model::Resource;
use fhir_model::datatypes::{
    Address, Attachment, CodeableConcept, ContactPoint, Extension, HumanName, Identifier, OpenType,
    Period, Reference,
};
use fhir_model::resources::{
    Endpoint, HealthcareService, HealthcareServiceAvailableTime, HealthcareServiceNotAvailable,
    InsurancePlan, InsurancePlanContact, InsurancePlanPlan, Location, LocationHoursOfOperation,
    LocationPosition, Organization, OrganizationAffiliation, OrganizationContact, PractitionerRole,
    PractitionerRoleAvailableTime, PractitionerRoleNotAvailable,
};
use fhir_model::{Primitive, Time};

use super::LineOfBusiness;
use super::benefits::PLANS;
use super::calendar::Day;
use super::codes::{self, NUCC_TAXONOMY};
use super::directory::{
    COMMUNITY_CARE, Directory, OrgId, OrgKind, OrgRecord, PHARMACY_CHAIN, PractitionerRecord,
    SERVICE_AREA, Specialty, address,
};
use super::fhir::{
    ORG_TYPE, PLAN_NET, V2_IDENTIFIER_TYPE, code_display, coding_display, complex_extension,
    contact, extension, fixed, identifier, meta, period, primitive, reference, reference_display,
};

/// Where the Plan-Net profiles, extensions and code systems live.
const PLAN_NET_IG: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net";

/// `[(url, version)]` of the Plan-Net profile `plannet-<name>`, for [`meta`].
macro_rules! plan_net_profile {
    ($name:literal) => {
        [(
            concat!(
                "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-",
                $name
            ),
            PLAN_NET,
        )]
    };
}
const LOCATION_PROFILE: [(&str, &str); 1] = plan_net_profile!("Location");
const NETWORK_PROFILE: [(&str, &str); 1] = plan_net_profile!("Network");
const INSURANCE_PLAN_PROFILE: [(&str, &str); 1] = plan_net_profile!("InsurancePlan");
const ENDPOINT_PROFILE: [(&str, &str); 1] = plan_net_profile!("Endpoint");
const SERVICE_PROFILE: [(&str, &str); 1] = plan_net_profile!("HealthcareService");
const AFFILIATION_PROFILE: [(&str, &str); 1] = plan_net_profile!("OrganizationAffiliation");
const ROLE_PROFILE: [(&str, &str); 1] = plan_net_profile!("PractitionerRole");

/// The service areas' boundaries (`region`, GeoJSON): rough boxes around Oregon and the
/// Portland metro area, as (west, south, east, north) in degrees.
const SERVICE_AREA_BOUNDS: [(f32, f32, f32, f32); 2] = [
    (-124.6, 41.99, -116.46, 46.29),
    (-123.2, 45.2, -122.3, 45.7),
];

/// The service areas networks and plans cover: (Location id, name, city or none).
const SERVICE_AREAS: [(&str, &str, Option<&str>); 2] = [
    (
        SERVICE_AREA,
        "Cascade Health Plan service area: Oregon",
        None,
    ),
    (
        "portland-metro-service-area",
        "Cascade Select service area: Portland metro",
        Some("Portland"),
    ),
];

/// The Part D pharmacy network of the Medicare Advantage plan (MA-PD).
const PHARMACY_NETWORK: &str = "Cascade Part D Pharmacy Network";

/// A network of the plan.
struct Network {
    id: String,
    name: &'static str,
    /// Who contracts its providers: the CCO for the Medicaid and CHIP network, the plan
    /// for the others.
    owner: OrgId,
    /// The `Location` id of the area it covers.
    service_area: &'static str,
}

/// One of the places an organization sees people at.
struct Place {
    id: String,
    name: String,
    /// The `Location` id of the place it is part of (a hospital's emergency department).
    part_of: Option<String>,
    city: usize,
    street: String,
    postal_code: String,
    phone: String,
    /// Millionths of a degree (latitude, longitude).
    position: (i64, i64),
}

/// Writes the Plan-Net resources of `directory`: service areas, networks, plans, then
/// per provider organization its places, endpoint, service, affiliations and roles.
pub(crate) fn resources(directory: &Directory) -> Vec<Resource> {
    let writer = Writer {
        directory,
        networks: networks(directory),
        staff: staff_specialties(directory),
    };
    writer.write()
}

/// The networks the members' plans name (`Coverage.network`), in plan order, then the
/// Part D pharmacy network.
fn networks(directory: &Directory) -> Vec<Network> {
    let mut names: Vec<(&'static str, LineOfBusiness)> = Vec::new();
    for plan in PLANS {
        if !names.iter().any(|(name, _)| *name == plan.network) {
            names.push((plan.network, plan.line_of_business));
        }
    }
    names.push((PHARMACY_NETWORK, LineOfBusiness::MedicareAdvantage));
    names
        .into_iter()
        .map(|(name, line)| Network {
            id: network_id(name),
            name,
            owner: plan_owner(directory, line),
            // The narrow QHP network covers the metro area only.
            service_area: if name == "Cascade Select" {
                SERVICE_AREAS[1].0
            } else {
                SERVICE_AREAS[0].0
            },
        })
        .collect()
}

/// Who owns and runs the plans of a line of business: the CCO for Medicaid and CHIP, the
/// plan for the others.
fn plan_owner(directory: &Directory, line: LineOfBusiness) -> OrgId {
    match line {
        LineOfBusiness::Medicaid | LineOfBusiness::Chip => directory
            .organizations()
            .iter()
            .position(|o| o.id == COMMUNITY_CARE.0)
            .unwrap_or(directory.payer()),
        _ => directory.payer(),
    }
}

/// `Cascade PPO Network` → `cascade-ppo-network`; `Cascade Select` →
/// `cascade-select-network`.
fn network_id(name: &str) -> String {
    let slug = slug(name);
    if slug.ends_with("-network") {
        slug
    } else {
        format!("{slug}-network")
    }
}

/// Lower case, words joined by `-`.
fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The specialties of each organization's practitioners, by organization.
fn staff_specialties(directory: &Directory) -> Vec<BTreeSet<(&'static str, &'static str)>> {
    let mut staff = vec![BTreeSet::new(); directory.organizations().len()];
    for practitioner in directory.practitioners() {
        staff[practitioner.organization].insert(practitioner.specialty.taxonomy());
    }
    staff
}

struct Writer<'a> {
    directory: &'a Directory,
    networks: Vec<Network>,
    staff: Vec<BTreeSet<(&'static str, &'static str)>>,
}

impl Writer<'_> {
    fn write(&self) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        for (index, area) in SERVICE_AREAS.iter().enumerate() {
            out.push(self.service_area(index, area).into());
        }
        for network in &self.networks {
            out.push(self.network(network).into());
        }
        out.push(self.payer_endpoint().into());
        for (index, plan) in PLANS.iter().enumerate() {
            out.push(self.insurance_plan(index, plan).into());
        }
        // Each organization's places, once: its roles list them too.
        let places: Vec<Vec<Place>> = self
            .directory
            .organizations()
            .iter()
            .enumerate()
            .map(|(index, org)| self.places(index, org))
            .collect();
        for (index, org) in self.directory.organizations().iter().enumerate() {
            // The plan and its CCO see no one.
            if org.kind == OrgKind::Payer {
                continue;
            }
            for place in &places[index] {
                out.push(self.location(index, org, place).into());
            }
            out.push(self.endpoint(index, org).into());
            out.push(self.service(index, org, &places[index]).into());
            for network in self.networks_of(index, org) {
                out.push(self.affiliation(index, org, network, &places[index]).into());
            }
        }
        for (index, practitioner) in self.directory.practitioners().iter().enumerate() {
            let at = practitioner.organization;
            let org = &self.directory.organizations()[at];
            for network in self.networks_of(at, org) {
                out.push(
                    self.role(index, practitioner, org, network, &places[at])
                        .into(),
                );
            }
        }
        out
    }

    fn updated(&self) -> Day {
        self.directory.last_updated()
    }

    /// The networks an organization is in: none out of network; pharmacies in every one
    /// (members of every plan fill prescriptions); the claims' other providers in every
    /// medical network (the claims treat them as in network for every plan); added clinics
    /// in one or two.
    fn networks_of(&self, index: OrgId, org: &OrgRecord) -> Vec<&Network> {
        let medical = &self.networks[..self.networks.len() - 1];
        if !org.in_network {
            return Vec::new();
        }
        if org.kind == OrgKind::Pharmacy {
            return self.networks.iter().collect();
        }
        if org.specialty.is_none() {
            return medical.iter().collect();
        }
        let first = index % medical.len();
        let mut out = vec![&medical[first]];
        if index.is_multiple_of(3) {
            out.push(&medical[(first + 1) % medical.len()]);
        }
        out
    }

    /// The places an organization sees people at: its address, or for the pharmacy chain
    /// a store in every city.
    fn places(&self, index: OrgId, org: &OrgRecord) -> Vec<Place> {
        let here = |id: String, name: String, city: usize, salt: OrgId| Place {
            id,
            name,
            part_of: None,
            city,
            street: org.street(index + salt),
            postal_code: org.postal_code(index + salt),
            phone: org.phone(index + salt),
            position: OrgRecord::position_in(city, index + salt),
        };
        let main = here(org.id.clone(), org.name.clone(), org.city, 0);
        if org.kind == OrgKind::Hospital {
            let emergency = Place {
                id: format!("{}-emergency", org.id),
                name: format!("{} Emergency Department", org.name),
                part_of: Some(org.id.clone()),
                ..here(String::new(), String::new(), org.city, 0)
            };
            return vec![main, emergency];
        }
        if org.id != PHARMACY_CHAIN.0 {
            return vec![main];
        }
        codes::CITIES
            .iter()
            .enumerate()
            .map(|(city, (name, _, _))| {
                here(
                    format!("{}-{}", org.id, slug(name)),
                    format!("{} {name}", org.name),
                    city,
                    city * 101,
                )
            })
            .collect()
    }

    fn service_area(
        &self,
        index: usize,
        (id, name, city): &(&str, &str, Option<&str>),
    ) -> Location {
        let mut location = Location::default();
        location.id = Some((*id).to_owned());
        location.meta = Some(meta(self.updated(), 400 + index as u32, &LOCATION_PROFILE));
        let (west, south, east, north) = SERVICE_AREA_BOUNDS[index];
        let boundary = format!(
            r#"{{"type":"Polygon","coordinates":[[[{west},{south}],[{east},{south}],[{east},{north}],[{west},{north}],[{west},{south}]]]}}"#
        );
        let mut geojson = Attachment::default();
        geojson.content_type = "application/geo+json".into();
        geojson.data = base64::engine::general_purpose::STANDARD
            .encode(boundary)
            .as_str()
            .into();
        location.extension.push(extension(
            "http://hl7.org/fhir/StructureDefinition/location-boundary-geojson",
            OpenType::Attachment(Box::new(geojson)),
        ));
        location.identifier.push(directory_identifier(id));
        location.status = "active".into();
        location.name = (*name).into();
        location.physical_type = Some(code_display(
            "http://terminology.hl7.org/CodeSystem/location-physical-type",
            if city.is_some() { "area" } else { "jdn" },
            if city.is_some() {
                "Area"
            } else {
                "Jurisdiction"
            },
        ));
        let mut area = Address::default();
        area.city = primitive(city.map(str::to_owned));
        area.state = codes::STATE.into();
        area.country = "US".into();
        location.address = Some(area);
        location
    }

    fn network(&self, network: &Network) -> Organization {
        let payer = self.directory.payer();
        let mut org = Organization::default();
        org.id = Some(network.id.clone());
        org.meta = Some(meta(self.updated(), 410, &NETWORK_PROFILE));
        org.extension.push(extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/location-reference"),
            OpenType::Reference(Box::new(reference("Location", network.service_area))),
        ));
        org.identifier.push(directory_identifier(&network.id));
        org.active = true.into();
        org.r#type.push(code_display(ORG_TYPE, "ntwk", "Network"));
        org.name = network.name.into();
        org.part_of = Some(self.directory.organization(network.owner));
        // The plan's own address: networks have no premises.
        let plan = &self.directory.organizations()[payer];
        let (city, _, _) = codes::CITIES[plan.city];
        org.address.push(address(
            "work",
            &plan.street(payer),
            city,
            &plan.postal_code(payer),
        ));
        let mut contact_person = OrganizationContact::default();
        let mut name = HumanName::default();
        name.text = "Provider Relations".into();
        contact_person.name = Some(name);
        contact_person
            .telecom
            .push(contact("phone", "503-555-0190", "work"));
        org.contact.push(contact_person);
        org.endpoint.push(reference(
            "Endpoint",
            &self.directory.organizations()[payer].id,
        ));
        org
    }

    /// The plan's own FHIR API, where members and apps find it.
    fn payer_endpoint(&self) -> Endpoint {
        let payer = &self.directory.organizations()[self.directory.payer()];
        let mut endpoint =
            self.endpoint_for(payer, "https://api.cascadehealthplan.example/fhir/r4");
        endpoint.name = "Cascade Health Plan FHIR API".into();
        endpoint
    }

    fn insurance_plan(&self, index: usize, plan: &super::benefits::PlanDesign) -> InsurancePlan {
        let payer = self.directory.payer();
        let mut out = InsurancePlan::default();
        out.id = Some(slug(plan.plan_code));
        out.meta = Some(meta(
            self.updated(),
            420 + index as u32,
            &INSURANCE_PLAN_PROFILE,
        ));
        let mut plan_id = identifier(
            Some(coding_display(
                V2_IDENTIFIER_TYPE,
                "RI",
                "Resource identifier",
            )),
            "https://www.cascadehealthplan.example/fhir/plan",
            plan.plan_code,
        );
        plan_id.assigner = Some(Box::new(self.directory.organization(payer)));
        out.identifier.push(plan_id);
        out.status = "active".into();
        let (product, product_display, plan_type, plan_type_display) = match plan.line_of_business {
            LineOfBusiness::MedicareAdvantage => (
                "mediadvhmo",
                "Medicare Advantage HMO",
                "lowdeductible",
                "Low Deductible",
            ),
            LineOfBusiness::Medicaid => {
                ("medihmo", "Medicaid HMO", "lowdeductible", "Low Deductible")
            }
            LineOfBusiness::Chip => ("medi", "Medicaid", "lowdeductible", "Low Deductible"),
            LineOfBusiness::Qhp => ("qhp", "Qualified Health Plan", "silver", "Silver-QHP"),
            LineOfBusiness::Commercial => (
                "commppo",
                "Commercial PPO",
                "lowdeductible",
                "Low Deductible",
            ),
        };
        out.r#type.push(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/InsuranceProductTypeCS"),
            product,
            product_display,
        ));
        out.name = plan.plan_name.into();
        out.alias.push(plan.group_name.into());
        out.period = Some(period(Day::first_of_month(self.updated().year(), 1), None));
        let owner = plan_owner(self.directory, plan.line_of_business);
        out.owned_by = Some(self.directory.organization(owner));
        out.administered_by = Some(self.directory.organization(owner));
        let networks: Vec<Reference> = self
            .networks
            .iter()
            .filter(|n| {
                n.name == plan.network
                    || (n.name == PHARMACY_NETWORK
                        && plan.line_of_business == LineOfBusiness::MedicareAdvantage)
            })
            .map(|n| reference_display("Organization", &n.id, n.name))
            .collect();
        let area = self
            .networks
            .iter()
            .find(|n| n.name == plan.network)
            .map_or(SERVICE_AREAS[0].0, |n| n.service_area);
        out.coverage_area.push(reference("Location", area));
        let mut member_services = InsurancePlanContact::default();
        let mut name = HumanName::default();
        name.text = "Member Services".into();
        member_services.name = Some(name);
        member_services
            .telecom
            .push(contact("phone", "800-555-0142", "work"));
        out.contact.push(member_services);
        out.endpoint.push(reference(
            "Endpoint",
            &self.directory.organizations()[payer].id,
        ));
        out.network = networks.clone();
        let mut benefit_plan = InsurancePlanPlan::default();
        benefit_plan.r#type = Some(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/InsurancePlanTypeCS"),
            plan_type,
            plan_type_display,
        ));
        benefit_plan.coverage_area.push(reference("Location", area));
        benefit_plan.network = networks;
        out.plan.push(benefit_plan);
        out
    }

    fn location(&self, index: OrgId, org: &OrgRecord, place: &Place) -> Location {
        let mut location = Location::default();
        location.id = Some(place.id.clone());
        location.meta = Some(meta(self.updated(), 600 + index as u32, &LOCATION_PROFILE));
        location.extension.push(extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/accessibility"),
            OpenType::CodeableConcept(Box::new(code_display(
                &format!("{PLAN_NET_IG}/CodeSystem/AccessibilityCS"),
                "handiaccess",
                "handicap accessible",
            ))),
        ));
        if let Some(network) = self.networks_of(index, org).first() {
            location
                .extension
                .push(new_patients(("newpt", "Accepting"), network));
        }
        location.identifier.push(directory_identifier(&place.id));
        location.status = "active".into();
        location.name = place.name.as_str().into();
        let (city, _, _) = codes::CITIES[place.city];
        location.alias.push(format!("{} ({city})", org.name).into());
        location.description = format!("{} in {city}, Oregon.", place.name).into();
        let (code, display) = if place.part_of.is_some() {
            ("ER", "Emergency room")
        } else {
            location_type(org)
        };
        location.r#type.push(code_display(
            "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
            code,
            display,
        ));
        // The chain's stores are answered by its central line.
        let intermediary = (org.id == PHARMACY_CHAIN.0).then(|| self.directory.organization(index));
        location.telecom.push(directory_phone(
            &place.phone,
            org.kind == OrgKind::Hospital,
            intermediary.or_else(|| org.part_of.map(|w| self.directory.organization(w))),
        ));
        location.address = Some(address("work", &place.street, city, &place.postal_code));
        let mut position = LocationPosition::default();
        position.latitude = primitive(fixed(place.position.0, 6));
        position.longitude = primitive(fixed(place.position.1, 6));
        location.position = Some(Box::new(position));
        location.managing_organization = Some(self.directory.organization(index));
        location.part_of = place
            .part_of
            .as_deref()
            .map(|whole| reference("Location", whole));
        location.hours_of_operation = opening_hours(org.kind);
        location.availability_exceptions = "Closed on federal holidays.".into();
        location.endpoint.push(reference("Endpoint", &org.id));
        location
    }

    fn endpoint(&self, index: OrgId, org: &OrgRecord) -> Endpoint {
        let mut endpoint = self.endpoint_for(org, &format!("https://fhir.{}.example/r4", org.id));
        endpoint.meta = Some(meta(self.updated(), 700 + index as u32, &ENDPOINT_PROFILE));
        endpoint.managing_organization = Some(self.directory.organization(index));
        endpoint
    }

    /// A FHIR R4 endpoint of `org` at `address`, for treatment.
    fn endpoint_for(&self, org: &OrgRecord, address: &str) -> Endpoint {
        let mut endpoint = Endpoint::default();
        endpoint.id = Some(org.id.clone());
        endpoint.meta = Some(meta(self.updated(), 700, &ENDPOINT_PROFILE));
        endpoint.extension.push(complex_extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/endpoint-usecase"),
            vec![extension(
                "type",
                OpenType::CodeableConcept(Box::new(code_display(
                    "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "TREAT",
                    "treatment",
                ))),
            )],
        ));
        endpoint.status = "active".into();
        endpoint.connection_type = Some(coding_display(
            "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "hl7-fhir-rest",
            "HL7 FHIR",
        ));
        endpoint.name = format!("{} FHIR API", org.name).into();
        endpoint.managing_organization =
            Some(reference_display("Organization", &org.id, &org.name));
        endpoint.contact.push(contact(
            "email",
            &format!("interop@{}.example", org.id),
            "work",
        ));
        endpoint.payload_type.push(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/EndpointPayloadTypeCS"),
            "NA",
            "Not Applicable",
        ));
        endpoint
            .payload_mime_type
            .push("application/fhir+json".into());
        endpoint.address = address.into();
        endpoint
    }

    fn service(&self, index: OrgId, org: &OrgRecord, places: &[Place]) -> HealthcareService {
        let mut service = HealthcareService::default();
        service.id = Some(org.id.clone());
        service.meta = Some(meta(self.updated(), 800 + index as u32, &SERVICE_PROFILE));
        service.extension.push(complex_extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/delivery-method"),
            vec![extension(
                "type",
                OpenType::CodeableConcept(Box::new(code_display(
                    &format!("{PLAN_NET_IG}/CodeSystem/DeliveryMethodCS"),
                    "physical",
                    "Physical",
                ))),
            )],
        ));
        if let Some(network) = self.networks_of(index, org).first() {
            service
                .extension
                .push(new_patients(("newpt", "Accepting"), network));
        }
        service.identifier.push(directory_identifier(&org.id));
        service.active = true.into();
        service.provided_by = Some(self.directory.organization(index));
        let (category, category_display, name) = service_category(org);
        service.category.push(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/HealthcareServiceCategoryCS"),
            category,
            category_display,
        ));
        if org.kind == OrgKind::Pharmacy {
            service.r#type.push(code_display(
                "http://terminology.hl7.org/CodeSystem/service-type",
                "537",
                "Medication Reviews",
            ));
        }
        service.specialty = self.specialties(index, org);
        service.location = places
            .iter()
            .map(|p| reference("Location", &p.id))
            .collect();
        service.name = format!("{name} at {}", org.name).into();
        service.comment =
            format!("{name} for members of every Cascade Health Plan network.").into();
        service.telecom.push(self.phone_of(index, org));
        service
            .coverage_area
            .push(reference("Location", SERVICE_AREAS[0].0));
        service.appointment_required =
            (org.kind != OrgKind::Pharmacy && org.kind != OrgKind::Hospital).into();
        let mut hours = HealthcareServiceAvailableTime::default();
        (
            hours.days_of_week,
            hours.all_day,
            hours.available_start_time,
            hours.available_end_time,
        ) = available(org.kind == OrgKind::Hospital, 8);
        service.available_time.push(hours);
        let (closed, during) = new_years_day(self.updated());
        let mut not_available = HealthcareServiceNotAvailable::default();
        not_available.description = closed.into();
        not_available.during = Some(during);
        service.not_available.push(not_available);
        service.availability_exceptions = "Closed on federal holidays.".into();
        service.endpoint.push(reference("Endpoint", &org.id));
        service
    }

    /// An organization's phone as its entries publish it: answered always at hospitals;
    /// for a group that is part of another organization, through the whole's line.
    fn phone_of(&self, index: OrgId, org: &OrgRecord) -> ContactPoint {
        let intermediary = org.part_of.map(|whole| self.directory.organization(whole));
        directory_phone(
            &org.phone(index),
            org.kind == OrgKind::Hospital,
            intermediary,
        )
    }

    /// The taxonomy codes an organization's entries carry: its practitioners'
    /// specialties, or the organization's own taxonomy when it has none.
    fn specialties(&self, index: OrgId, org: &OrgRecord) -> Vec<CodeableConcept> {
        let own = match org.kind {
            OrgKind::Hospital => Some(("282N00000X", "General Acute Care Hospital")),
            OrgKind::Laboratory => Some(("291U00000X", "Clinical Medical Laboratory")),
            OrgKind::Pharmacy => Some(("3336C0003X", "Community/Retail Pharmacy")),
            _ => None,
        };
        own.into_iter()
            .chain(self.staff[index].iter().copied())
            .map(|(code, display)| code_display(NUCC_TAXONOMY, code, display))
            .collect()
    }

    fn affiliation(
        &self,
        index: OrgId,
        org: &OrgRecord,
        network: &Network,
        places: &[Place],
    ) -> OrganizationAffiliation {
        let mut affiliation = OrganizationAffiliation::default();
        affiliation.id = Some(format!("{}-in-{}", org.id, network.id));
        affiliation.meta = Some(meta(
            self.updated(),
            900 + index as u32,
            &AFFILIATION_PROFILE,
        ));
        affiliation.identifier.push(directory_identifier(&format!(
            "{}-in-{}",
            org.id, network.id
        )));
        affiliation.active = true.into();
        affiliation.period = Some(period(Day::first_of_month(self.updated().year(), 1), None));
        affiliation.organization = Some(self.directory.organization(network.owner));
        affiliation.participating_organization = Some(self.directory.organization(index));
        affiliation
            .network
            .push(reference_display("Organization", &network.id, network.name));
        let (code, display) = match org.kind {
            OrgKind::Hospital => ("hospital", "Hospital"),
            OrgKind::Laboratory => ("laboratory", "Laboratory"),
            OrgKind::Pharmacy => ("pharmacy", "Pharmacy"),
            OrgKind::Clinic | OrgKind::DentalOffice | OrgKind::Payer => ("group", "Medical Group"),
        };
        affiliation.code.push(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/OrganizationAffiliationRoleCS"),
            code,
            display,
        ));
        affiliation.specialty = self.specialties(index, org);
        affiliation.location = places
            .iter()
            .map(|p| reference("Location", &p.id))
            .collect();
        affiliation
            .healthcare_service
            .push(reference("HealthcareService", &org.id));
        affiliation
            .telecom
            .push(ranked(contact("phone", &org.phone(index), "work"), 1));
        affiliation.endpoint.push(reference("Endpoint", &org.id));
        affiliation
    }

    fn role(
        &self,
        index: usize,
        practitioner: &PractitionerRecord,
        org: &OrgRecord,
        network: &Network,
        places: &[Place],
    ) -> PractitionerRole {
        let mut role = PractitionerRole::default();
        role.id = Some(format!("{}-in-{}", practitioner.id, network.id));
        role.meta = Some(meta(self.updated(), 1_000 + index as u32, &ROLE_PROFILE));
        role.extension.push(extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/network-reference"),
            OpenType::Reference(Box::new(reference_display(
                "Organization",
                &network.id,
                network.name,
            ))),
        ));
        // Most accept new patients; every seventh only those it already sees.
        let accepting = if index % 7 == 3 {
            ("existptonly", "Accepting existing patients")
        } else {
            ("newpt", "Accepting")
        };
        role.extension.push(complex_extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/newpatients"),
            vec![
                extension(
                    "acceptingPatients",
                    OpenType::CodeableConcept(Box::new(code_display(
                        &format!("{PLAN_NET_IG}/CodeSystem/AcceptingPatientsCS"),
                        accepting.0,
                        accepting.1,
                    ))),
                ),
                extension(
                    "fromNetwork",
                    OpenType::Reference(Box::new(reference("Organization", &network.id))),
                ),
            ],
        ));
        let (taxonomy, taxonomy_display) = practitioner.specialty.taxonomy();
        role.extension.push(qualification(
            &format!("BC-{}", practitioner.id),
            code_display(NUCC_TAXONOMY, taxonomy, taxonomy_display),
            practitioner.specialty.board(),
            self.updated().years_before(2),
        ));
        role.identifier.push(directory_identifier(&format!(
            "{}-in-{}",
            practitioner.id, network.id
        )));
        role.active = true.into();
        role.period = Some(period(Day::first_of_month(self.updated().year(), 1), None));
        role.practitioner = Some(self.directory.practitioner(index));
        role.organization = Some(self.directory.organization(practitioner.organization));
        let (code, display) = if practitioner.specialty == Specialty::Dentist {
            ("de", "Dentist")
        } else {
            ("ph", "Physician")
        };
        role.code.push(code_display(
            &format!("{PLAN_NET_IG}/CodeSystem/ProviderRoleCS"),
            code,
            display,
        ));
        role.specialty
            .push(code_display(NUCC_TAXONOMY, taxonomy, taxonomy_display));
        role.location = places
            .iter()
            .map(|p| reference("Location", &p.id))
            .collect();
        role.healthcare_service
            .push(reference("HealthcareService", &org.id));
        role.telecom
            .push(self.phone_of(practitioner.organization, org));
        // Emergency physicians and hospitalists work around the clock.
        let mut hours = PractitionerRoleAvailableTime::default();
        (
            hours.days_of_week,
            hours.all_day,
            hours.available_start_time,
            hours.available_end_time,
        ) = available(
            matches!(
                practitioner.specialty,
                Specialty::EmergencyMedicine | Specialty::Hospitalist
            ),
            9,
        );
        role.available_time.push(hours);
        let (closed, during) = new_years_day(self.updated());
        let mut not_available = PractitionerRoleNotAvailable::default();
        not_available.description = closed.into();
        not_available.during = Some(during);
        role.not_available.push(not_available);
        role.endpoint.push(reference("Endpoint", &org.id));
        role
    }
}

/// A contact point with a rank (1 is preferred).
fn ranked(mut point: ContactPoint, rank: u32) -> ContactPoint {
    point.rank = primitive(std::num::NonZeroU32::new(rank));
    point
}

/// A work phone as the directory publishes it: ranked first, with when it is answered
/// (`contactpoint-availabletime`: weekdays 8 to 5, or always) and, for a number answered
/// by another organization, which (`via-intermediary`).
pub(super) fn directory_phone(
    number: &str,
    always: bool,
    intermediary: Option<Reference>,
) -> ContactPoint {
    let mut phone = ranked(contact("phone", number, "work"), 1);
    let days: &[&str] = if always { &EVERY_DAY } else { &WEEKDAYS };
    let mut parts: Vec<Extension> = days
        .iter()
        .map(|day| extension("daysOfWeek", OpenType::Code((*day).into())))
        .collect();
    if always {
        parts.push(extension("allDay", OpenType::Boolean(true.into())));
    } else {
        parts.push(extension("availableStartTime", OpenType::Time(hour(8))));
        parts.push(extension("availableEndTime", OpenType::Time(hour(17))));
    }
    phone.extension.push(complex_extension(
        &format!("{PLAN_NET_IG}/StructureDefinition/contactpoint-availabletime"),
        parts,
    ));
    if let Some(intermediary) = intermediary {
        phone.extension.push(extension(
            &format!("{PLAN_NET_IG}/StructureDefinition/via-intermediary"),
            OpenType::Reference(Box::new(intermediary)),
        ));
    }
    phone
}

/// `hh:00:00`.
fn hour(h: u8) -> Primitive<Time> {
    primitive(Time::from_hms(h, 0, 0).ok())
}

/// The plan's identifier of a directory entry (v2 `RI`, resource identifier).
pub(super) fn directory_identifier(id: &str) -> Identifier {
    identifier(
        Some(coding_display(
            V2_IDENTIFIER_TYPE,
            "RI",
            "Resource identifier",
        )),
        "https://www.cascadehealthplan.example/fhir/directory-id",
        id,
    )
}

/// Plan-Net's `qualification` extension (organizations and practitioner roles): a
/// credential, who issued it, its status, validity and the state it is valid in.
pub(super) fn qualification(
    number: &str,
    code: CodeableConcept,
    issuer: &str,
    since: Day,
) -> Extension {
    complex_extension(
        &format!("{PLAN_NET_IG}/StructureDefinition/qualification"),
        vec![
            extension(
                "identifier",
                OpenType::Identifier(Box::new(identifier(None, LICENSE_SYSTEM, number))),
            ),
            extension("code", OpenType::CodeableConcept(Box::new(code))),
            extension(
                "issuer",
                OpenType::Reference(Box::new(display_only(issuer))),
            ),
            extension("status", OpenType::Code("active".into())),
            extension(
                "period",
                OpenType::Period(Box::new(period(since, Some(since.plus(3 * 365))))),
            ),
            extension(
                "whereValid",
                OpenType::CodeableConcept(Box::new(state_of_service())),
            ),
        ],
    )
}

/// Where the plan's credentials are issued.
pub(super) const LICENSE_SYSTEM: &str = "https://www.cascadehealthplan.example/fhir/license";

/// The service area's state as US Core's USPS code.
pub(super) fn state_of_service() -> CodeableConcept {
    code_display("https://www.usps.com/", codes::STATE, "Oregon")
}

/// A reference naming an organization that has no entry here (a licensing board).
pub(super) fn display_only(name: &str) -> Reference {
    let mut out = Reference::default();
    out.display = name.into();
    out
}

/// What a service or role is closed for: New Year's Day after `updated`.
fn new_years_day(updated: Day) -> (String, Period) {
    let day = Day::first_of_month(updated.year() + 1, 1);
    (
        "Closed for New Year's Day".to_owned(),
        period(day, Some(day)),
    )
}

/// `newpatients`: whether new patients are taken, through which network.
fn new_patients(accepting: (&str, &str), network: &Network) -> Extension {
    complex_extension(
        &format!("{PLAN_NET_IG}/StructureDefinition/newpatients"),
        vec![
            extension(
                "acceptingPatients",
                OpenType::CodeableConcept(Box::new(code_display(
                    &format!("{PLAN_NET_IG}/CodeSystem/AcceptingPatientsCS"),
                    accepting.0,
                    accepting.1,
                ))),
            ),
            extension(
                "fromNetwork",
                OpenType::Reference(Box::new(reference("Organization", &network.id))),
            ),
        ],
    )
}

/// The days of the week (FHIR `days-of-week` codes), and the working days.
const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

fn day_codes(days: &[&str]) -> Vec<Primitive<String>> {
    days.iter().map(|day| (*day).into()).collect()
}

/// When a service or a role is available (`availableTime`'s days, all day, start and
/// end): every day around the clock, or weekdays from `start` o'clock to 5 pm.
fn available(
    always: bool,
    start: u8,
) -> (
    Vec<Primitive<String>>,
    Primitive<bool>,
    Primitive<Time>,
    Primitive<Time>,
) {
    if always {
        (
            day_codes(&EVERY_DAY),
            true.into(),
            Primitive::default(),
            Primitive::default(),
        )
    } else {
        (
            day_codes(&WEEKDAYS),
            Primitive::default(),
            hour(start),
            hour(17),
        )
    }
}

/// When a place is open: hospitals always, pharmacies six days, others on weekdays.
fn opening_hours(kind: OrgKind) -> Vec<LocationHoursOfOperation> {
    let mut open = LocationHoursOfOperation::default();
    if kind == OrgKind::Hospital {
        open.days_of_week = day_codes(&EVERY_DAY);
        open.all_day = true.into();
        return vec![open];
    }
    open.days_of_week = day_codes(&WEEKDAYS);
    if kind == OrgKind::Pharmacy {
        open.days_of_week.push("sat".into());
    }
    open.opening_time = hour(8);
    open.closing_time = hour(18);
    vec![open]
}

/// The v3 RoleCode service delivery location type of an organization's places.
fn location_type(org: &OrgRecord) -> (&'static str, &'static str) {
    match org.kind {
        OrgKind::Hospital => ("HOSP", "Hospital"),
        OrgKind::Laboratory => ("OUTLAB", "outpatient laboratory"),
        OrgKind::Pharmacy => ("OUTPHARM", "outpatient pharmacy"),
        OrgKind::DentalOffice | OrgKind::Clinic | OrgKind::Payer => ("OF", "Outpatient facility"),
    }
}

/// The Plan-Net service category of an organization and a name for the service.
fn service_category(org: &OrgRecord) -> (&'static str, &'static str, &'static str) {
    match org.kind {
        OrgKind::Hospital => ("hosp", "Hospital", "Hospital care"),
        OrgKind::Laboratory => ("lab", "Laboratory", "Laboratory testing"),
        OrgKind::Pharmacy => ("pharm", "Pharmacy", "Pharmacy"),
        OrgKind::DentalOffice => ("dent", "Dental", "Dental care"),
        OrgKind::Clinic | OrgKind::Payer => ("prov", "Medical Provider", "Office visits"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_ids_are_slugs_ending_in_network() {
        assert_eq!(network_id("Cascade PPO Network"), "cascade-ppo-network");
        assert_eq!(network_id("Cascade Select"), "cascade-select-network");
        let directory = Directory::new(
            1,
            Day::from_calendar(super::super::Config::DEFAULT_END_DATE),
            0,
        );
        let ids: BTreeSet<String> = networks(&directory).into_iter().map(|n| n.id).collect();
        assert_eq!(ids.len(), 5, "{ids:?}");
    }

    #[test]
    fn a_location_per_store_of_the_chain() {
        let directory = Directory::new(
            1,
            Day::from_calendar(super::super::Config::DEFAULT_END_DATE),
            0,
        );
        let chain = directory
            .organizations()
            .iter()
            .position(|o| o.id == PHARMACY_CHAIN.0)
            .expect("the chain is listed");
        let writer = Writer {
            directory: &directory,
            networks: networks(&directory),
            staff: staff_specialties(&directory),
        };
        let places = writer.places(chain, &directory.organizations()[chain]);
        assert_eq!(places.len(), codes::CITIES.len());
        assert_eq!(places[0].id, "evergreen-pharmacy-portland");
    }
}
