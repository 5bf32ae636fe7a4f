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

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use axum::http::HeaderMap;

use crate::error::Error;
use crate::search::extract::extract;
use crate::search::pruned;
use crate::search::{Clause, Compartment, SearchQuery};
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
    /// What may be done with which types; `None` for everything. SMART scopes, after the
    /// member's consent, become these.
    pub permissions: Option<Vec<Permission>>,
}

/// One thing a [`Grant`] permits: an interaction set on one resource type (or all), maybe
/// only on resources matching a search (SMART v2 `patient/Observation.rs?category=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Permission {
    /// The type; `None` for every type (`*`).
    pub resource_type: Option<String>,
    /// read and vread (`r`, or v1 `read`).
    pub read: bool,
    /// search, including `$everything` and `_include` (`s`, or v1 `read`).
    pub search: bool,
    /// create, update and delete (`c`, `u`, `d`, or v1 `write`).
    pub write: bool,
    /// Search parameters every resource must match (AND), as `(name, value)`; empty for
    /// none.
    pub restriction: Vec<(String, String)>,
}

impl Permission {
    /// Read and search on `resource_type` (`None`: every type), unrestricted.
    pub fn read_search(resource_type: Option<String>) -> Permission {
        Permission {
            resource_type,
            read: true,
            search: true,
            write: false,
            restriction: Vec::new(),
        }
    }

    fn covers(&self, resource_type: &str) -> bool {
        self.resource_type
            .as_deref()
            .is_none_or(|t| t == resource_type)
    }

    fn permits(&self, interaction: Interaction) -> bool {
        match interaction {
            Interaction::Read => self.read,
            Interaction::Search => self.search,
            Interaction::Write => self.write,
        }
    }
}

/// What a request does with a resource type, as [`Grant::check`] asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interaction {
    /// read, vread.
    Read,
    /// search, `$everything`, includes.
    Search,
    /// create, update, delete, Bundles.
    Write,
}

/// The clauses a search adds for a grant's restrictions on one type, and whether results
/// must still be checked one by one (restrictions on different parameters, which one
/// AND-ed query cannot express as an OR).
#[derive(Debug, Default)]
pub(crate) struct SearchRestriction {
    pub(crate) clauses: Vec<Clause>,
    pub(crate) filter_each: bool,
}

impl Grant {
    /// A grant of everything the server serves (an administrator; the open demo).
    pub fn all(subject: impl Into<String>) -> Grant {
        Grant {
            subject: subject.into(),
            client_id: None,
            scope: Scope::All,
            permissions: None,
        }
    }

    /// A member's grant: the Patient compartment of `patient_id`, every type.
    pub fn patient(subject: impl Into<String>, patient_id: impl Into<String>) -> Grant {
        Grant {
            subject: subject.into(),
            client_id: None,
            scope: Scope::Patient {
                patient_id: patient_id.into(),
            },
            permissions: None,
        }
    }

    /// The same grant, for the app `client_id`.
    pub fn for_client(mut self, client_id: impl Into<String>) -> Grant {
        self.client_id = Some(client_id.into());
        self
    }

    /// The same grant, limited to `permissions`.
    pub fn with_permissions(mut self, permissions: Vec<Permission>) -> Grant {
        self.permissions = Some(permissions);
        self
    }

    /// The same grant, narrowed to reading and searching `resource_types` (SMART
    /// `patient/Coverage.read` scopes, or a member who unticked clinical data).
    pub fn only_types<T: Into<String>>(self, resource_types: impl IntoIterator<Item = T>) -> Grant {
        let permissions = resource_types
            .into_iter()
            .map(|t| Permission::read_search(Some(t.into())))
            .collect();
        self.with_permissions(permissions)
    }

    /// The member's Patient compartment, for a member's grant.
    pub fn compartment(&self) -> Option<Compartment> {
        match &self.scope {
            Scope::All => None,
            Scope::Patient { patient_id } => Some(Compartment::patient(patient_id)),
        }
    }

    /// The permissions that cover `interaction` on `resource_type`; `None` when the grant
    /// has no list (everything).
    fn matching(
        &self,
        resource_type: &str,
        interaction: Interaction,
    ) -> Option<impl Iterator<Item = &Permission>> {
        self.permissions.as_ref().map(|all| {
            all.iter()
                .filter(move |p| p.covers(resource_type) && p.permits(interaction))
        })
    }

    /// `Error::Forbidden` unless the grant permits `interaction` on `resource_type` (on
    /// some resources of it, at least).
    pub fn check(&self, resource_type: &str, interaction: Interaction) -> Result<(), Error> {
        let denied = self
            .matching(resource_type, interaction)
            .is_some_and(|mut permissions| permissions.next().is_none());
        if !denied {
            return Ok(());
        }
        Err(Error::Forbidden(format!(
            "the access granted does not include {} of {resource_type}",
            match interaction {
                Interaction::Read => "reads",
                Interaction::Search => "searches",
                Interaction::Write => "writes",
            }
        )))
    }

    /// Whether `resource_type` is in a patient's compartment: then a member's grant
    /// restricts it to the member's own.
    pub(crate) fn restricts(&self, resource_type: &str) -> Option<Compartment> {
        self.compartment()
            .filter(|_| Compartment::params(resource_type).is_some())
    }

    /// Refuses, for a member's grant, a chained search whose hops land on a type of the
    /// patient compartment: the resources there that decide the answer could be another
    /// member's (`Organization?_has:ExplanationOfBenefit:provider:patient=...` would
    /// tell who was treated where). Chains through shared reference data are fine.
    pub(crate) fn check_links(&self, query: &SearchQuery) -> Result<(), Error> {
        if self.compartment().is_none() {
            return Ok(());
        }
        let through_compartment = query
            .clauses
            .iter()
            .flat_map(|clause| &clause.links)
            .map(|link| link.landing_type())
            .find(|landing| Compartment::params(landing).is_some());
        match through_compartment {
            Some(landing) => Err(Error::Forbidden(format!(
                "a member's token cannot chain a search through {landing}: it reads only \
                 the member's own compartment"
            ))),
            None => Ok(()),
        }
    }

    /// What a search of `resource_type` adds for the grant's restrictions (SMART v2
    /// `?category=` scopes). One parameter restricted by every permission becomes one OR
    /// clause; anything else is checked result by result.
    pub(crate) fn search_restriction(
        &self,
        resource_type: &str,
    ) -> Result<SearchRestriction, Error> {
        let Some(permissions) = self.matching(resource_type, Interaction::Search) else {
            return Ok(SearchRestriction::default());
        };
        let permissions: Vec<&Permission> = permissions.collect();
        if permissions.iter().any(|p| p.restriction.is_empty()) {
            return Ok(SearchRestriction::default());
        }
        let single = permissions
            .first()
            .filter(|first| first.restriction.len() == 1)
            .map(|first| &first.restriction[0].0)
            .filter(|name| {
                permissions
                    .iter()
                    .all(|p| p.restriction.len() == 1 && &p.restriction[0].0 == *name)
            });
        let Some(name) = single else {
            return Ok(SearchRestriction {
                clauses: Vec::new(),
                filter_each: true,
            });
        };
        let values: Vec<&str> = permissions
            .iter()
            .map(|p| p.restriction[0].1.as_str())
            .collect();
        let query = SearchQuery::parse(resource_type, &[(name.clone(), values.join(","))], true)?;
        Ok(SearchRestriction {
            clauses: query.clauses,
            filter_each: false,
        })
    }

    /// Whether the grant may read `resource` (by `interaction`): its compartment, its
    /// type, and the restrictions of the permissions on that type.
    pub fn allows(&self, resource: &StoredResource, interaction: Interaction) -> bool {
        let rt = &resource.resource_type;
        let compartment = self.restricts(rt);
        let restrictions: Option<Vec<&Permission>> =
            self.matching(rt, interaction).map(Iterator::collect);
        if restrictions.as_ref().is_some_and(Vec::is_empty) {
            return false;
        }
        let unrestricted = restrictions
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|p| p.restriction.is_empty()));
        // The member's own Patient is in their compartment by its id alone.
        let own_patient = rt == "Patient"
            && compartment
                .as_ref()
                .is_some_and(|c| c.patient_id == resource.id);
        if unrestricted && (compartment.is_none() || own_patient) {
            return true;
        }
        // The index the store holds for it, from the same extraction.
        let Ok(tree) = pruned::parse(rt, &resource.json) else {
            return false;
        };
        let index = extract(rt, &tree);
        if let Some(compartment) = compartment
            && !compartment.contains(rt, &resource.id, &index)
        {
            return false;
        }
        unrestricted
            || restrictions.into_iter().flatten().any(|p| {
                SearchQuery::parse(rt, &p.restriction, true).is_ok_and(|q| {
                    q.clauses
                        .iter()
                        .all(|c| c.holds(&resource.id, resource.last_updated_ms, &index))
                })
            })
    }
}

/// Whose data a [`Grant`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Everything the server serves (an administrator, a backend service).
    All,
    /// One member's data: the Patient compartment of `patient_id`, and the shared
    /// reference data outside every compartment.
    Patient {
        /// The member's Patient id.
        patient_id: String,
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
