//! `DiagnosticReport` in the US Core 6.1.0 profiles `us-core-diagnosticreport-lab` and
//! `us-core-diagnosticreport-note`: [`DiagnosticReportView`].

use fhir_model::datatypes::Reference;
use fhir_model::resources::{DiagnosticReport, DiagnosticReportEffective};
use fhir_model::{Instant, Resource};

use super::super::Concept;
use super::{AttachmentView, ClinicalTime};

/// `us-core-diagnosticreport-lab`: laboratory reports.
pub const PROFILE_LAB: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-lab";
/// `us-core-diagnosticreport-note`: reports and clinical notes (imaging, cardiology, ...).
pub const PROFILE_NOTE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-note";

/// HL7 v2 table 0074 (diagnostic service sections), whose `LAB` marks laboratory reports.
pub const V2_0074: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";

code_system! {
    /// `DiagnosticReport.status` (`http://hl7.org/fhir/diagnostic-report-status`, required
    /// binding).
    DiagnosticReportStatus = "http://hl7.org/fhir/diagnostic-report-status" {
        /// Registered
        Registered = "registered", Some("Registered");
        /// Partial
        Partial = "partial", Some("Partial");
        /// Preliminary
        Preliminary = "preliminary", Some("Preliminary");
        /// Final
        Final = "final", Some("Final");
        /// Amended
        Amended = "amended", Some("Amended");
        /// Corrected
        Corrected = "corrected", Some("Corrected");
        /// Appended
        Appended = "appended", Some("Appended");
        /// Cancelled
        Cancelled = "cancelled", Some("Cancelled");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// A read-only view of a `DiagnosticReport` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct DiagnosticReportView<'a> {
    report: &'a DiagnosticReport,
}

impl<'a> DiagnosticReportView<'a> {
    /// A view of `report`.
    pub fn new(report: &'a DiagnosticReport) -> DiagnosticReportView<'a> {
        DiagnosticReportView { report }
    }

    /// A view of `resource` if it is a `DiagnosticReport`.
    pub fn from_resource(resource: &'a Resource) -> Option<DiagnosticReportView<'a>> {
        resource.downcast_ref().map(DiagnosticReportView::new)
    }

    /// The resource itself.
    pub fn report(&self) -> &'a DiagnosticReport {
        self.report
    }

    /// `status`.
    pub fn status(&self) -> Option<DiagnosticReportStatus> {
        self.report
            .status
            .as_str()
            .map(DiagnosticReportStatus::from_code)
    }

    /// `category`: every category, in document order.
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.report.category.iter().map(Concept::new)
    }

    /// Whether a category is `v2-0074#LAB`, the laboratory report profile's slice.
    pub fn is_laboratory(&self) -> bool {
        self.categories().any(|c| c.has(V2_0074, "LAB"))
    }

    /// The US Core profile this report's category fits: [`PROFILE_LAB`] for laboratory
    /// reports, else [`PROFILE_NOTE`].
    pub fn profile_by_content(&self) -> &'static str {
        if self.is_laboratory() {
            PROFILE_LAB
        } else {
            PROFILE_NOTE
        }
    }

    /// `code`: the panel or report type (LOINC).
    pub fn code(&self) -> Option<Concept<'a>> {
        self.report.code.as_ref().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.report.subject.as_ref()
    }

    /// `encounter`.
    pub fn encounter(&self) -> Option<&'a Reference> {
        self.report.encounter.as_ref()
    }

    /// `effective[x]`: the clinically relevant time (specimen collection, study time).
    pub fn effective(&self) -> Option<ClinicalTime<'a>> {
        match self.report.effective.as_ref()? {
            DiagnosticReportEffective::DateTime(at) => ClinicalTime::at(at.value),
            DiagnosticReportEffective::Period(period) => Some(ClinicalTime::period(period)),
            _ => None,
        }
    }

    /// `issued`: when the report was released.
    pub fn issued(&self) -> Option<&'a Instant> {
        self.report.issued.value.as_ref()
    }

    /// `performer`: who is responsible for the report.
    pub fn performers(&self) -> &'a [Reference] {
        &self.report.performer
    }

    /// `result`: the Observations of the report.
    pub fn results(&self) -> &'a [Reference] {
        &self.report.result
    }

    /// `media.link`: images and other media, in document order.
    pub fn media(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        self.report
            .media
            .iter()
            .filter_map(|media| media.link.as_ref())
    }

    /// `presentedForm`: the report as a document (PDF, HTML, text).
    pub fn presented_forms(&self) -> impl Iterator<Item = AttachmentView<'a>> + use<'a> {
        self.report.presented_form.iter().map(AttachmentView::new)
    }

    /// `conclusion`.
    pub fn conclusion(&self) -> Option<&'a str> {
        self.report.conclusion.as_str()
    }
}
