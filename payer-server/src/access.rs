//! Who may read what: the hook an authorization layer plugs into ([`Authorizer`]), what it
//! decides ([`Grant`], [`Scope`]), and the audit trail of every access ([`AuditSink`]).
//!
//! The FHIR API asks the [`Authorizer`] of its [`crate::http::ServerConfig`] about every
//! request (but `metadata`), then enforces the answer itself: a member's grant reads only
//! resources in that member's Patient compartment (R4 CompartmentDefinition `patient`,
//! the same one `$everything` uses) and of the types the grant names; anything else is
//! "not found", so a token cannot even learn what exists outside its compartment.
//! Resources outside every patient's compartment (Organization, Practitioner, Location,
//! Medication...) are the shared reference data claims point to, readable by any grant
//! that includes their type.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use axum::http::HeaderMap;

use crate::error::Error;
use crate::search::Compartment;
use crate::search::extract::extract;
use crate::search::pruned;
use crate::store::StoredResource;

/// What a request may read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// Who asks: a member's user name, an administrator, a backend client. Goes to the
    /// audit trail.
    pub subject: String,
    /// The app acting for the subject, when there is one.
    pub client_id: Option<String>,
    /// Whose data.
    pub scope: Scope,
}

impl Grant {
    /// A grant of everything the server serves (an administrator; the open demo).
    pub fn all(subject: impl Into<String>) -> Grant {
        Grant {
            subject: subject.into(),
            client_id: None,
            scope: Scope::All,
        }
    }

    /// A member's grant: the Patient compartment of `patient_id`, every type.
    pub fn patient(subject: impl Into<String>, patient_id: impl Into<String>) -> Grant {
        Grant {
            subject: subject.into(),
            client_id: None,
            scope: Scope::Patient {
                patient_id: patient_id.into(),
                resource_types: None,
            },
        }
    }

    /// The same grant, for the app `client_id`.
    pub fn for_client(mut self, client_id: impl Into<String>) -> Grant {
        self.client_id = Some(client_id.into());
        self
    }

    /// The same grant, narrowed to `resource_types` (SMART `patient/Coverage.read`
    /// scopes, or a member who unticked clinical data).
    pub fn only_types<T: Into<String>>(
        mut self,
        resource_types: impl IntoIterator<Item = T>,
    ) -> Grant {
        if let Scope::Patient {
            resource_types: types,
            ..
        } = &mut self.scope
        {
            *types = Some(resource_types.into_iter().map(Into::into).collect());
        }
        self
    }

    /// The member's Patient compartment, for a member's grant.
    pub fn compartment(&self) -> Option<Compartment> {
        match &self.scope {
            Scope::All => None,
            Scope::Patient { patient_id, .. } => Some(Compartment::patient(patient_id)),
        }
    }

    /// `Error::Forbidden` unless the grant covers `resource_type` at all.
    pub fn check_type(&self, resource_type: &str) -> Result<(), Error> {
        match &self.scope {
            Scope::Patient {
                resource_types: Some(types),
                ..
            } if !types.contains(resource_type) => Err(Error::Forbidden(format!(
                "the access granted does not include {resource_type}"
            ))),
            _ => Ok(()),
        }
    }

    /// Whether `resource_type` is in a patient's compartment: then a member's grant
    /// restricts it to the member's own.
    pub(crate) fn restricts(&self, resource_type: &str) -> Option<Compartment> {
        self.compartment()
            .filter(|_| Compartment::params(resource_type).is_some())
    }

    /// Whether the grant may read `resource`.
    pub fn allows(&self, resource: &StoredResource) -> bool {
        if self.check_type(&resource.resource_type).is_err() {
            return false;
        }
        let Some(compartment) = self.restricts(&resource.resource_type) else {
            return true;
        };
        let rt = &resource.resource_type;
        // The index the store holds for it, from the same extraction.
        pruned::parse(rt, &resource.json)
            .is_ok_and(|tree| compartment.contains(rt, &resource.id, &extract(rt, &tree)))
    }
}

/// Whose data a [`Grant`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Everything the server serves.
    All,
    /// One member's data.
    Patient {
        /// The member's Patient id.
        patient_id: String,
        /// The resource types granted; `None` for all.
        resource_types: Option<BTreeSet<String>>,
    },
}

/// The future an [`Authorizer`] returns.
pub type AuthorizeFuture<'a> = Pin<Box<dyn Future<Output = Result<Grant, Error>> + Send + 'a>>;

/// Decides what a request may read, from its headers (its bearer token). The SMART
/// authorization server implements it; a payer with its own gateway can too.
pub trait Authorizer: Send + Sync + 'static {
    /// The request's grant: `Error::Unauthorized` when it has no valid credentials.
    fn authorize<'a>(&'a self, headers: &'a HeaderMap) -> AuthorizeFuture<'a>;
}

/// Lets every request read everything, as `subject` `anonymous`. For the loopback demo and
/// for tests; a server reachable by anyone else needs a real [`Authorizer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAccess;

impl Authorizer for OpenAccess {
    fn authorize<'a>(&'a self, _headers: &'a HeaderMap) -> AuthorizeFuture<'a> {
        Box::pin(async { Ok(Grant::all("anonymous")) })
    }
}

/// What was done in one access to the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// read or vread.
    Read,
    /// A search (with its includes).
    Search,
    /// `Patient/$everything`.
    Everything,
    /// A transaction or batch Bundle.
    Write,
}

/// One access, as the audit trail keeps it: who, what, the answer, and which resources
/// were sent, by type and id only (never their content, which is PHI).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When, in milliseconds since the epoch (UTC).
    pub at_ms: i64,
    /// [`Grant::subject`]; `None` when the request was not authorized.
    pub subject: Option<String>,
    /// [`Grant::client_id`].
    pub client_id: Option<String>,
    /// What was asked.
    pub action: AuditAction,
    /// The resource type the request named (`Patient` for `$everything`, `Bundle` for
    /// writes).
    pub resource_type: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The resources sent or written, `Type/id`.
    pub resources: Vec<String>,
}

/// Where every access goes (DESIGN: every read of PHI goes to the audit sink). Called on
/// the request path: an implementation should hand events off (a queue, a channel), not
/// block on I/O.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one access.
    fn record(&self, event: AuditEvent);
}

/// Keeps the last `capacity` events in memory: the default, for the demo and tests. A
/// payer plugs in a durable sink (its SIEM, an append-only table).
#[derive(Debug)]
pub struct MemoryAuditSink {
    capacity: usize,
    events: Mutex<VecDeque<AuditEvent>>,
}

impl MemoryAuditSink {
    /// A sink keeping the last `capacity` events.
    pub fn new(capacity: usize) -> MemoryAuditSink {
        MemoryAuditSink {
            capacity,
            events: Mutex::new(VecDeque::new()),
        }
    }

    /// The events kept, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .map(|events| events.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl AuditSink for MemoryAuditSink {
    fn record(&self, event: AuditEvent) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut events) = self.events.lock() {
            if events.len() >= self.capacity {
                events.pop_front();
            }
            events.push_back(event);
        }
    }
}
