//! Synthetic payer data: members with coverage, years of adjudicated claims of all five
//! CARIN Blue Button EOB types, US Core clinical records, providers and prior
//! authorizations, for demos and tests.
//!
//! ```
//! use payer_server::synth::{self, Config, LineOfBusiness};
//!
//! let dataset = synth::generate(&Config { seed: 7, members: 5, ..Config::default() });
//! assert_eq!(dataset.members.len(), 5);
//! assert!(dataset.members.iter().any(|m| m.line_of_business == LineOfBusiness::Chip));
//! // The same configuration always gives the same data.
//! let again = synth::generate(&Config { seed: 7, members: 5, ..Config::default() });
//! assert_eq!(
//!     dataset.resources.iter().map(fhir_model::to_json).collect::<Vec<_>>(),
//!     again.resources.iter().map(fhir_model::to_json).collect::<Vec<_>>(),
//! );
//! ```
//!
//! **What a member gets.** A `Patient` (CARIN BB 2.0.0 and US Core 6.1.0) and a
//! `Coverage` (CARIN BB) with the health plan's `Organization`; over [`Config::years`]
//! years, annual checkups with vitals and labs, chronic-condition follow-ups, sick
//! visits, dental checkups and fillings, maintenance and acute prescriptions and their
//! fills, flu shots, emergency visits, an MRI, screenings and one hospital stay. Each
//! produces the clinical records a provider would share (US Core 6.1.0 `Encounter`,
//! `Observation`, `Condition`, `Procedure`, `Immunization`, `MedicationRequest`,
//! `AllergyIntolerance`) and the claims the payer adjudicated, as CARIN
//! `ExplanationOfBenefit`s of all five profiles (inpatient and outpatient institutional,
//! professional, pharmacy, oral). Services needing it are authorized first, as PDex
//! prior authorization EOBs (`use = preauthorization`), and some requests are denied.
//!
//! **Amounts.** Each line is adjudicated against the member's plan: the allowed amount
//! (`eligible`) and contractual `discount`, the `deductible` and out-of-pocket maximum
//! tracked per plan year, `copay` or `coinsurance`, what the plan paid the provider
//! (`paidtoprovider`, also as `benefit`) and what the member paid (`paidbypatient`).
//! Totals are the exact sums of the lines; inpatient stays, paid per MS-DRG, carry their
//! amounts on the header instead. A few lines are denied (CARC 50) and one clinic is out
//! of network.
//!
//! **Deterministic.** No clock, no I/O, no hash maps: the same [`Config`] gives the same
//! resources, byte for byte. Each member has their own random stream, so the first
//! members of a larger dataset are the members of a smaller one.
//!
//! **Memory.** [`generate`] holds everything (about 5 MB per member); to seed a store,
//! use a [`Generator`]: write its [`Generator::directory`], then each member's
//! [`MemberRecords`] as it comes. 300 members (about 38,000 resources, 185 MB of JSON)
//! take under a second that way in a release build.

mod benefits;
mod calendar;
mod care;
mod claims;
mod clinical;
mod codes;
mod context;
mod directory;
mod fhir;
mod member;
mod plan_net;
mod rng;

use std::collections::BTreeMap;
use std::fmt;

use fhir_model::Resource;

pub use calendar::CalendarDate;

use calendar::Day;
use context::MemberContext;
use directory::Directory;
use member::MemberProfile;
use rng::Rng;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The random seed: the same seed gives the same data.
    pub seed: u64,
    /// How many members.
    pub members: usize,
    /// How many years of history, ending on `end_date` (5 by default).
    pub years: u32,
    /// The last day of the period; nothing is dated later (no clock is read).
    pub end_date: CalendarDate,
    /// Whether to write PDex prior authorizations.
    pub prior_authorizations: bool,
    /// How many practitioners the provider directory lists at least: the 26 the claims
    /// name and, to reach this many, practitioners of clinics no claim names (for a
    /// directory at scale). 0 by default.
    pub directory_practitioners: usize,
}

impl Config {
    /// The default end of the period: 2026-10-31.
    pub const DEFAULT_END_DATE: CalendarDate = CalendarDate::new(2026, 10, 31);
}

impl Default for Config {
    /// Seed 1, 20 members, 5 years to 2026-10-31, with prior authorizations.
    fn default() -> Self {
        Config {
            seed: 1,
            members: 20,
            years: 5,
            end_date: Config::DEFAULT_END_DATE,
            prior_authorizations: true,
            directory_practitioners: 0,
        }
    }
}

/// The kind of health coverage a member has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LineOfBusiness {
    /// Medicare Advantage (Medicare Part C, here with Part D drug coverage).
    MedicareAdvantage,
    /// Medicaid managed care.
    Medicaid,
    /// The Children's Health Insurance Program.
    Chip,
    /// A Qualified Health Plan bought on the ACA marketplace.
    Qhp,
    /// Employer-sponsored commercial coverage.
    Commercial,
}

impl LineOfBusiness {
    /// Every line of business, in the order the first members get them.
    pub const ALL: [LineOfBusiness; 5] = [
        LineOfBusiness::Commercial,
        LineOfBusiness::MedicareAdvantage,
        LineOfBusiness::Medicaid,
        LineOfBusiness::Qhp,
        LineOfBusiness::Chip,
    ];

    /// A human-readable name: `Medicare Advantage`, `Medicaid`, `CHIP`, `QHP`,
    /// `Commercial`.
    pub fn display(self) -> &'static str {
        match self {
            LineOfBusiness::MedicareAdvantage => "Medicare Advantage",
            LineOfBusiness::Medicaid => "Medicaid",
            LineOfBusiness::Chip => "CHIP",
            LineOfBusiness::Qhp => "QHP",
            LineOfBusiness::Commercial => "Commercial",
        }
    }

    /// Its code in configuration and records: `medicare-advantage`, `medicaid`, `chip`,
    /// `qhp`, `commercial`.
    pub fn code(self) -> &'static str {
        match self {
            LineOfBusiness::MedicareAdvantage => "medicare-advantage",
            LineOfBusiness::Medicaid => "medicaid",
            LineOfBusiness::Chip => "chip",
            LineOfBusiness::Qhp => "qhp",
            LineOfBusiness::Commercial => "commercial",
        }
    }

    /// The line whose [`LineOfBusiness::code`] is `code` (any case).
    pub fn from_code(code: &str) -> Option<LineOfBusiness> {
        LineOfBusiness::ALL
            .into_iter()
            .find(|line| line.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The share (in percent) of members after the first five with this line.
    fn weight(self) -> u32 {
        match self {
            LineOfBusiness::Commercial => 40,
            LineOfBusiness::MedicareAdvantage => 20,
            LineOfBusiness::Medicaid => 20,
            LineOfBusiness::Qhp => 12,
            LineOfBusiness::Chip => 8,
        }
    }
}

impl serde::Serialize for LineOfBusiness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for LineOfBusiness {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        LineOfBusiness::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("{code:?} is not a line of business")))
    }
}

impl fmt::Display for LineOfBusiness {
    /// Writes [`LineOfBusiness::display`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

/// One generated member, for demo logins and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member {
    /// The `Patient.id`.
    pub patient_id: String,
    /// A suggested login name: `member01`, `member02`, ...
    pub username: String,
    /// The member's name, `Given M. Family`.
    pub display_name: String,
    /// The line of business.
    pub line_of_business: LineOfBusiness,
    /// The `Coverage.id`.
    pub coverage_id: String,
    /// The member id on the insurance card (`Patient.identifier` of type `MB`).
    pub member_id: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
}

/// What [`generate`] makes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Dataset {
    /// Every resource, each referenced resource before the resources that refer to it:
    /// the payer and provider directory (`Organization`s, `Practitioner`s), then for
    /// each member their `Patient`, `Coverage`, clinical records and
    /// `ExplanationOfBenefit`s.
    pub resources: Vec<Resource>,
    /// The members, in order.
    pub members: Vec<Member>,
}

impl Dataset {
    /// How many resources of each type, by `resourceType`.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for resource in &self.resources {
            *counts.entry(resource.resource_type()).or_insert(0) += 1;
        }
        counts
    }

    /// A one-line summary: `4219 resources: AllergyIntolerance 23, Condition 71, ...`.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .counts()
            .into_iter()
            .map(|(resource_type, count)| format!("{resource_type} {count}"))
            .collect();
        format!(
            "{} resources for {} members: {}",
            self.resources.len(),
            self.members.len(),
            counts.join(", ")
        )
    }
}

/// One member and all their resources (`Patient`, `Coverage`, clinical records,
/// EOBs), each referenced resource before the ones referring to it. They refer to the
/// [`Generator::directory`] too.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MemberRecords {
    /// Who the member is.
    pub member: Member,
    /// The member's resources.
    pub resources: Vec<Resource>,
}

/// Generates a dataset one member at a time, for callers that store resources as they
/// go: a 300-member dataset is about 1.5 GB in memory at once, one member about 5 MB.
///
/// Store [`Generator::directory`] first, then each [`MemberRecords`] the iterator
/// yields; together they are what [`generate`] returns.
#[derive(Debug)]
pub struct Generator {
    config: Config,
    period: (Day, Day),
    directory: Directory,
    next: usize,
}

impl Generator {
    /// A generator for `config`.
    pub fn new(config: &Config) -> Generator {
        let end = Day::from_calendar(config.end_date);
        let years = i64::from(config.years.max(1));
        let start = end.years_before(years).plus(1);
        Generator {
            config: config.clone(),
            period: (start, end),
            directory: Directory::new(config.seed, end.plus(-30), config.directory_practitioners),
            next: 0,
        }
    }

    /// The payer and provider directory: the health plan's and the providers'
    /// `Organization`s, the `Practitioner`s, then what the Provider Directory API
    /// publishes about them (Plan-Net: service areas, networks, insurance plans,
    /// locations, endpoints, services, affiliations and practitioner roles). The same for
    /// any number of members.
    pub fn directory(&self) -> Vec<Resource> {
        let mut resources = self.directory.resources();
        resources.extend(plan_net::resources(&self.directory));
        resources
    }

    /// The member with 0-based `index`.
    fn member(&self, index: usize) -> MemberRecords {
        let (start, end) = self.period;
        let mut rng = Rng::fork(self.config.seed, index as u64);
        let line_of_business = line_of_business(index, &mut rng);
        let mut profile = MemberProfile::generate(
            index + 1,
            line_of_business,
            &mut rng,
            &self.directory,
            self.period,
        );
        let width = self.config.members.to_string().len().max(2);
        profile.username = format!("member{:0width$}", index + 1);
        let registered = start.plus(index as i64 % 28);
        let mut resources: Vec<Resource> = vec![
            profile.patient(registered).into(),
            profile.coverage(&self.directory, start, registered).into(),
        ];
        let mut ctx = MemberContext::new(
            &profile,
            &self.directory,
            rng,
            (start, end),
            self.config.prior_authorizations,
        );
        care::write_member(&mut ctx);
        resources.extend(ctx.into_resources());
        let member = Member {
            patient_id: profile.patient_id.clone(),
            username: profile.username.clone(),
            display_name: profile.display_name(),
            line_of_business,
            coverage_id: profile.coverage_id.clone(),
            member_id: profile.member_id.clone(),
            birth_date: profile.birth.iso(),
        };
        MemberRecords { member, resources }
    }
}

impl Iterator for Generator {
    type Item = MemberRecords;

    fn next(&mut self) -> Option<MemberRecords> {
        if self.next >= self.config.members {
            return None;
        }
        let records = self.member(self.next);
        self.next += 1;
        Some(records)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.config.members.saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Generator {}

/// Generates the dataset `config` describes, all in memory; see [`Generator`] to store
/// members as they are made.
pub fn generate(config: &Config) -> Dataset {
    let mut generator = Generator::new(config);
    let mut resources = generator.directory();
    let mut members = Vec::with_capacity(config.members);
    for records in generator.by_ref() {
        resources.extend(records.resources);
        members.push(records.member);
    }
    Dataset { resources, members }
}

/// The first five members get one line of business each; the others are drawn by
/// [`LineOfBusiness::weight`].
fn line_of_business(index: usize, rng: &mut Rng) -> LineOfBusiness {
    if let Some(line) = LineOfBusiness::ALL.get(index) {
        return *line;
    }
    let weighted = LineOfBusiness::ALL.map(|line| (line, line.weight()));
    *rng.weighted(&weighted)
}
