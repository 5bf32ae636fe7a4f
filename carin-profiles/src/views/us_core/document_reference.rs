//! `DocumentReference` in the US Core 6.1.0 profile `us-core-documentreference`:
//! [`DocumentReferenceView`].

use fhir_model::datatypes::{Identifier, Reference};
use fhir_model::resources::{DocumentReference, DocumentReferenceContent};
use fhir_model::{Instant, Resource};

use super::super::{Code, Concept, Span};
use super::AttachmentView;

/// `us-core-documentreference`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference";

code_system! {
    /// `DocumentReference.status` (`http://hl7.org/fhir/document-reference-status`,
    /// required binding).
    DocumentReferenceStatus = "http://hl7.org/fhir/document-reference-status" {
        /// Current
        Current = "current", Some("Current");
        /// Superseded
        Superseded = "superseded", Some("Superseded");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
    }
}

/// A read-only view of a `DocumentReference` in US Core terms: a clinical note or other
/// document.
#[derive(Clone, Copy, Debug)]
pub struct DocumentReferenceView<'a> {
    document: &'a DocumentReference,
}

impl<'a> DocumentReferenceView<'a> {
    /// A view of `document`.
    pub fn new(document: &'a DocumentReference) -> DocumentReferenceView<'a> {
        DocumentReferenceView { document }
    }

    /// A view of `resource` if it is a `DocumentReference`.
    pub fn from_resource(resource: &'a Resource) -> Option<DocumentReferenceView<'a>> {
        resource.downcast_ref().map(DocumentReferenceView::new)
    }

    /// The resource itself.
    pub fn document(&self) -> &'a DocumentReference {
        self.document
    }

    /// `identifier`.
    pub fn identifiers(&self) -> &'a [Identifier] {
        &self.document.identifier
    }

    /// `status`.
    pub fn status(&self) -> Option<DocumentReferenceStatus> {
        self.document
            .status
            .as_str()
            .map(DocumentReferenceStatus::from_code)
    }

    /// `type`: the kind of document (LOINC: discharge summary, progress note, ...).
    pub fn doc_type(&self) -> Option<Concept<'a>> {
        self.document.r#type.as_ref().map(Concept::new)
    }

    /// `category`: `clinical-note` and others.
    pub fn categories(&self) -> impl Iterator<Item = Concept<'a>> + use<'a> {
        self.document.category.iter().map(Concept::new)
    }

    /// `subject`: the patient.
    pub fn subject(&self) -> Option<&'a Reference> {
        self.document.subject.as_ref()
    }

    /// `date`: when this reference was created.
    pub fn date(&self) -> Option<&'a Instant> {
        self.document.date.value.as_ref()
    }

    /// `author`.
    pub fn authors(&self) -> &'a [Reference] {
        &self.document.author
    }

    /// `description`.
    pub fn description(&self) -> Option<&'a str> {
        self.document.description.as_str()
    }

    /// `content`, in document order: the document in each format it is available in.
    pub fn contents(&self) -> impl Iterator<Item = ContentView<'a>> + use<'a> {
        self.document
            .content
            .iter()
            .map(|content| ContentView { content })
    }

    /// The attachment of every `content`, in document order.
    pub fn attachments(&self) -> impl Iterator<Item = AttachmentView<'a>> + use<'a> {
        self.contents().filter_map(|content| content.attachment())
    }

    /// `context.encounter`.
    pub fn encounters(&self) -> &'a [Reference] {
        self.document
            .context
            .as_ref()
            .map_or(&[], |context| &context.encounter)
    }

    /// `context.period`: the time of service the document covers.
    pub fn period(&self) -> Option<Span> {
        self.document
            .context
            .as_ref()?
            .period
            .as_ref()
            .map(Span::from_period)
    }
}

/// One `DocumentReference.content`: an attachment and its format.
#[derive(Clone, Copy, Debug)]
pub struct ContentView<'a> {
    content: &'a DocumentReferenceContent,
}

impl<'a> ContentView<'a> {
    /// The content itself.
    pub fn content(&self) -> &'a DocumentReferenceContent {
        self.content
    }

    /// `attachment`: content type and URL or inline data.
    pub fn attachment(&self) -> Option<AttachmentView<'a>> {
        self.content.attachment.as_ref().map(AttachmentView::new)
    }

    /// `format`: the document format (IHE format codes, such as a C-CDA template).
    pub fn format(&self) -> Option<Code<'a>> {
        Code::from_coding(self.content.format.as_ref()?)
    }
}
