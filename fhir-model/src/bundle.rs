//! Building and reading Bundles: search results and their pages, collections, transactions
//! and batches (<http://hl7.org/fhir/R4/bundle.html>).
//!
//! ```
//! use fhir_model::Resource;
//! use fhir_model::resources::{Bundle, Patient};
//!
//! let mut patient = Patient::default();
//! patient.id = Some("p1".into());
//! let page = Bundle::searchset()
//!     .total(41)
//!     .self_link("https://payer.example/fhir/Patient?name=smith")
//!     .next_link("https://payer.example/fhir/Patient?name=smith&_cursor=abc")
//!     .add_match("https://payer.example/fhir/Patient/p1", patient)
//!     .build();
//!
//! let json = fhir_model::to_json(&Resource::from(page));
//! let Resource::Bundle(read) = fhir_model::from_json(&json)? else { panic!("not a Bundle") };
//! assert_eq!(read.matches().filter_map(Resource::id).collect::<Vec<_>>(), ["p1"]);
//! assert_eq!(read.next_link(), Some("https://payer.example/fhir/Patient?name=smith&_cursor=abc"));
//! # Ok::<(), fhir_model::Error>(())
//! ```

use std::fmt;

use crate::reference::ParsedReference;
#[cfg(feature = "OperationOutcome")]
use crate::resources::OperationOutcome;
use crate::resources::{Bundle, BundleEntry, BundleEntryRequest, BundleEntrySearch, BundleLink};
use crate::{Decimal, Primitive, Resource, TypedResource};

/// `Bundle.type` (<http://hl7.org/fhir/R4/valueset-bundle-type.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BundleType {
    /// `document`: a FHIR document, starting with a `Composition`.
    Document,
    /// `message`: a FHIR message, starting with a `MessageHeader`.
    Message,
    /// `transaction`: requests processed all-or-nothing.
    Transaction,
    /// `transaction-response`: the answer to a transaction.
    TransactionResponse,
    /// `batch`: requests processed independently.
    Batch,
    /// `batch-response`: the answer to a batch.
    BatchResponse,
    /// `history`: versions of resources, from a `_history` interaction.
    History,
    /// `searchset`: the result of a search.
    Searchset,
    /// `collection`: a set of resources with no further meaning.
    Collection,
}

impl BundleType {
    /// The FHIR code, e.g. `searchset`.
    pub fn as_str(self) -> &'static str {
        match self {
            BundleType::Document => "document",
            BundleType::Message => "message",
            BundleType::Transaction => "transaction",
            BundleType::TransactionResponse => "transaction-response",
            BundleType::Batch => "batch",
            BundleType::BatchResponse => "batch-response",
            BundleType::History => "history",
            BundleType::Searchset => "searchset",
            BundleType::Collection => "collection",
        }
    }

    /// The type for a FHIR code; `None` for a code R4 does not define.
    pub fn from_code(code: &str) -> Option<BundleType> {
        Some(match code {
            "document" => BundleType::Document,
            "message" => BundleType::Message,
            "transaction" => BundleType::Transaction,
            "transaction-response" => BundleType::TransactionResponse,
            "batch" => BundleType::Batch,
            "batch-response" => BundleType::BatchResponse,
            "history" => BundleType::History,
            "searchset" => BundleType::Searchset,
            "collection" => BundleType::Collection,
            _ => return None,
        })
    }
}

impl fmt::Display for BundleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Bundle.entry.search.mode`: why an entry is in a search result
/// (<http://hl7.org/fhir/R4/valueset-search-entry-mode.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchMode {
    /// `match`: the resource matched the search criteria.
    Match,
    /// `include`: added by `_include` / `_revinclude`
    /// (<http://hl7.org/fhir/R4/search.html#include>).
    Include,
    /// `outcome`: an `OperationOutcome` about the search itself
    /// (<http://hl7.org/fhir/R4/search.html#errors>).
    Outcome,
}

impl SearchMode {
    /// The FHIR code, e.g. `match`.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Match => "match",
            SearchMode::Include => "include",
            SearchMode::Outcome => "outcome",
        }
    }

    /// The mode for a FHIR code; `None` for a code R4 does not define.
    pub fn from_code(code: &str) -> Option<SearchMode> {
        match code {
            "match" => Some(SearchMode::Match),
            "include" => Some(SearchMode::Include),
            "outcome" => Some(SearchMode::Outcome),
            _ => None,
        }
    }
}

impl fmt::Display for SearchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Bundle.entry.request.method` (<http://hl7.org/fhir/R4/valueset-http-verb.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVerb {
    /// `GET`: read, vread, search.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`: create (or search).
    Post,
    /// `PUT`: update (or conditional update).
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
}

impl HttpVerb {
    /// The FHIR code, which is the HTTP method name, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVerb::Get => "GET",
            HttpVerb::Head => "HEAD",
            HttpVerb::Post => "POST",
            HttpVerb::Put => "PUT",
            HttpVerb::Delete => "DELETE",
            HttpVerb::Patch => "PATCH",
        }
    }

    /// The verb for a FHIR code; `None` for a code R4 does not define (codes are
    /// upper case, as in HTTP).
    pub fn from_code(code: &str) -> Option<HttpVerb> {
        Some(match code {
            "GET" => HttpVerb::Get,
            "HEAD" => HttpVerb::Head,
            "POST" => HttpVerb::Post,
            "PUT" => HttpVerb::Put,
            "DELETE" => HttpVerb::Delete,
            "PATCH" => HttpVerb::Patch,
            _ => return None,
        })
    }
}

impl fmt::Display for HttpVerb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Building and reading Bundles.
impl Bundle {
    /// An empty Bundle of this type.
    pub fn new(bundle_type: BundleType) -> Bundle {
        Bundle {
            r#type: bundle_type.as_str().into(),
            ..Bundle::default()
        }
    }

    /// `Bundle.type`; `None` when absent or not an R4 code.
    pub fn bundle_type(&self) -> Option<BundleType> {
        self.r#type.as_str().and_then(BundleType::from_code)
    }

    /// Starts a search result page (`type = searchset`).
    pub fn searchset() -> SearchsetBuilder {
        SearchsetBuilder::new()
    }

    /// A `collection` of these entries (see [`BundleEntry::from_resource`]).
    pub fn collection(entries: impl IntoIterator<Item = BundleEntry>) -> Bundle {
        let mut bundle = Bundle::new(BundleType::Collection);
        bundle.entry.extend(entries);
        bundle
    }

    /// Starts a `transaction`: requests a server applies all-or-nothing
    /// (<http://hl7.org/fhir/R4/http.html#transaction>).
    pub fn transaction() -> TransactionBuilder {
        TransactionBuilder::new(BundleType::Transaction)
    }

    /// Starts a `batch`: requests a server applies one by one, each succeeding or failing on
    /// its own (<http://hl7.org/fhir/R4/http.html#transaction>).
    pub fn batch() -> TransactionBuilder {
        TransactionBuilder::new(BundleType::Batch)
    }

    /// The resource of every entry that has one, in order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.entry
            .iter()
            .filter_map(|entry| entry.resource.as_ref())
    }

    /// The resources of the search matches: entries for which [`BundleEntry::is_match`]
    /// holds (`search.mode` is `match`, or absent).
    ///
    /// Entries without a mode count as matches because `search` is optional and many
    /// servers leave it out: in a Bundle where no entry has a mode, every resource is a
    /// match. Entries marked `include` or `outcome` never are.
    pub fn matches(&self) -> impl Iterator<Item = &Resource> {
        self.entry
            .iter()
            .filter(|entry| entry.is_match())
            .filter_map(|entry| entry.resource.as_ref())
    }

    /// The resources added by `_include` / `_revinclude` (`search.mode = include`,
    /// <http://hl7.org/fhir/R4/search.html#include>).
    pub fn includes(&self) -> impl Iterator<Item = &Resource> {
        self.resources_with_mode(SearchMode::Include)
    }

    /// The `OperationOutcome`s a server added about the search itself
    /// (`search.mode = outcome`, <http://hl7.org/fhir/R4/search.html#errors>), such as
    /// warnings about ignored parameters.
    #[cfg(feature = "OperationOutcome")]
    pub fn outcomes(&self) -> impl Iterator<Item = &OperationOutcome> {
        self.resources_with_mode(SearchMode::Outcome)
            .filter_map(|resource| match resource {
                Resource::OperationOutcome(outcome) => Some(&**outcome),
                _ => None,
            })
    }

    fn resources_with_mode(&self, mode: SearchMode) -> impl Iterator<Item = &Resource> {
        self.entry
            .iter()
            .filter(move |entry| entry.search_mode() == Some(mode))
            .filter_map(|entry| entry.resource.as_ref())
    }

    /// The URL of the first `Bundle.link` with this relation (e.g. `next`). Relations are
    /// compared ignoring ASCII case, as RFC 8288 §2.1.1 says for registered relation types.
    pub fn link_url(&self, relation: &str) -> Option<&str> {
        self.link
            .iter()
            .find(|link| {
                link.relation
                    .as_str()
                    .is_some_and(|r| r.eq_ignore_ascii_case(relation))
            })
            .and_then(|link| link.url.as_str())
    }

    /// The `self` link: the search as the server executed it, with the parameters it used
    /// (<http://hl7.org/fhir/R4/search.html>).
    pub fn self_link(&self) -> Option<&str> {
        self.link_url("self")
    }

    /// The `next` page link (<http://hl7.org/fhir/R4/http.html#paging>); `None` on the last
    /// page. Follow it as given: paging URLs are opaque to clients.
    pub fn next_link(&self) -> Option<&str> {
        self.link_url("next")
    }

    /// The `previous` page link (<http://hl7.org/fhir/R4/http.html#paging>), or `prev`:
    /// both are IANA relations for it and servers use either.
    pub fn previous_link(&self) -> Option<&str> {
        self.link_url("previous").or_else(|| self.link_url("prev"))
    }

    /// The resources of all entries, in order, consuming the Bundle.
    pub fn into_resources(self) -> Vec<Resource> {
        self.entry
            .into_iter()
            .filter_map(|entry| entry.resource)
            .collect()
    }

    /// The resources of the search matches (as [`Bundle::matches`]), consuming the Bundle.
    pub fn into_matches(self) -> Vec<Resource> {
        self.entry
            .into_iter()
            .filter(BundleEntry::is_match)
            .filter_map(|entry| entry.resource)
            .collect()
    }

    /// The entry resources of one type: `bundle.resources_of::<ExplanationOfBenefit>()`.
    pub fn resources_of<T: TypedResource>(&self) -> impl Iterator<Item = &T> {
        self.resources().filter_map(T::from_resource)
    }

    /// The resources of one type, consuming the Bundle: `into_resources_of::<Patient>()`.
    pub fn into_resources_of<T: TryFrom<Resource>>(self) -> Vec<T> {
        self.entry
            .into_iter()
            .filter_map(|entry| T::try_from(entry.resource?).ok())
            .collect()
    }

    /// Finds the entry resource a literal reference found in this Bundle points to, by the
    /// rules of <http://hl7.org/fhir/R4/bundle.html#references>.
    ///
    /// `referrer_full_url` is the `fullUrl` of the entry holding the reference. Absolute
    /// and `urn:` references match an entry's `fullUrl`; a relative `Type/id` is made
    /// absolute with the service base of a RESTful `referrer_full_url` first. When the
    /// referrer has no RESTful `fullUrl` (none, or a URN) the spec gives a relative
    /// reference no meaning; as servers and other libraries do, it then matches an entry
    /// resource with that type and id.
    ///
    /// `None` when nothing matches, for `#id` and `#` (see
    /// [`Reference::resolve_contained`](crate::datatypes::Reference::resolve_contained)),
    /// and for other references. With several matches the first wins, except for a
    /// version-specific reference: the spec matches its version against
    /// `Resource.meta.versionId`, which `Resource` has no accessor for, so it resolves only
    /// when exactly one entry matches without the version.
    pub fn resolve_reference(
        &self,
        reference: &str,
        referrer_full_url: Option<&str>,
    ) -> Option<&Resource> {
        let parsed = ParsedReference::parse(reference);
        let versioned = parsed.version().is_some();
        let target = match &parsed {
            ParsedReference::Absolute { .. } | ParsedReference::Urn(_) => {
                parsed.without_version().to_string()
            }
            ParsedReference::Relative {
                resource_type, id, ..
            } => match referrer_full_url.map(ParsedReference::parse) {
                Some(ParsedReference::Absolute { base_url, .. }) => {
                    format!("{base_url}/{resource_type}/{id}")
                }
                _ => {
                    let same_resource = |resource: &&Resource| {
                        resource.resource_type() == resource_type
                            && resource.id() == Some(id.as_str())
                    };
                    return only_or_first(self.resources().filter(same_resource), versioned);
                }
            },
            _ => return None,
        };
        let candidates = self
            .entry
            .iter()
            .filter(|entry| entry.full_url.as_str() == Some(target.as_str()))
            .filter_map(|entry| entry.resource.as_ref());
        only_or_first(candidates, versioned)
    }
}

/// The first candidate; when `must_be_unique`, `None` unless there is exactly one.
fn only_or_first<'a>(
    mut candidates: impl Iterator<Item = &'a Resource>,
    must_be_unique: bool,
) -> Option<&'a Resource> {
    let first = candidates.next()?;
    if must_be_unique && candidates.next().is_some() {
        return None;
    }
    Some(first)
}

/// Building and reading Bundle entries.
impl BundleEntry {
    /// An entry holding this resource, with no `fullUrl`.
    pub fn from_resource(resource: impl Into<Resource>) -> BundleEntry {
        BundleEntry {
            resource: Some(resource.into()),
            ..BundleEntry::default()
        }
    }

    /// Sets `fullUrl`: the absolute URL of the resource on its server, or a `urn:uuid:` for
    /// a resource that has none (`Bundle.entry.fullUrl`, <http://hl7.org/fhir/R4/bundle.html>).
    #[must_use]
    pub fn with_full_url(mut self, full_url: impl Into<String>) -> BundleEntry {
        self.full_url = full_url.into().into();
        self
    }

    /// `search.mode`; `None` when absent or not an R4 code.
    pub fn search_mode(&self) -> Option<SearchMode> {
        self.search
            .as_ref()
            .and_then(|search| search.mode.as_str())
            .and_then(SearchMode::from_code)
    }

    /// True when this entry is a search match: `search.mode` is `match` or absent (see
    /// [`Bundle::matches`]). An unknown mode is not a match.
    pub fn is_match(&self) -> bool {
        match self.search.as_ref().and_then(|search| search.mode.as_str()) {
            None => true,
            Some(mode) => SearchMode::from_code(mode) == Some(SearchMode::Match),
        }
    }
}

/// Builds a search result page (`Bundle.type = searchset`,
/// <http://hl7.org/fhir/R4/http.html#search>). Start with [`Bundle::searchset`].
///
/// Entries keep the order they are added in; a server adds matches in the sort order
/// asked for, then includes.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "call `build` to get the Bundle"]
pub struct SearchsetBuilder {
    bundle: Bundle,
}

impl Default for SearchsetBuilder {
    fn default() -> Self {
        SearchsetBuilder::new()
    }
}

impl SearchsetBuilder {
    /// An empty search result page.
    pub fn new() -> SearchsetBuilder {
        SearchsetBuilder {
            bundle: Bundle::new(BundleType::Searchset),
        }
    }

    /// `Bundle.total`: the number of matches across all pages (not counting includes).
    pub fn total(mut self, total: u32) -> Self {
        self.bundle.total = total.into();
        self
    }

    /// Adds a `Bundle.link`.
    pub fn link(mut self, relation: &str, url: impl Into<String>) -> Self {
        self.bundle.link.push(BundleLink {
            relation: relation.into(),
            url: url.into().into(),
            ..BundleLink::default()
        });
        self
    }

    /// Adds the `self` link: the search as the server executed it, with the parameters it
    /// used (<http://hl7.org/fhir/R4/search.html>).
    pub fn self_link(self, url: impl Into<String>) -> Self {
        self.link("self", url)
    }

    /// Adds the `first` page link (<http://hl7.org/fhir/R4/http.html#paging>).
    pub fn first_link(self, url: impl Into<String>) -> Self {
        self.link("first", url)
    }

    /// Adds the `next` page link (<http://hl7.org/fhir/R4/http.html#paging>).
    pub fn next_link(self, url: impl Into<String>) -> Self {
        self.link("next", url)
    }

    /// Adds the `previous` page link (<http://hl7.org/fhir/R4/http.html#paging>).
    pub fn previous_link(self, url: impl Into<String>) -> Self {
        self.link("previous", url)
    }

    /// Adds the `last` page link (<http://hl7.org/fhir/R4/http.html#paging>).
    pub fn last_link(self, url: impl Into<String>) -> Self {
        self.link("last", url)
    }

    /// Adds a match: `fullUrl` (the resource's absolute URL, see [`Resource::full_url`]),
    /// the resource, and `search.mode = match`.
    pub fn add_match(self, full_url: impl Into<String>, resource: impl Into<Resource>) -> Self {
        self.add_with_mode(full_url, resource, SearchMode::Match, None)
    }

    /// Adds a match with a relevance `search.score` (between 0 and 1, for searches that
    /// rank results, `Bundle.entry.search.score` in <http://hl7.org/fhir/R4/bundle.html>).
    pub fn add_match_with_score(
        self,
        full_url: impl Into<String>,
        resource: impl Into<Resource>,
        score: Decimal,
    ) -> Self {
        self.add_with_mode(full_url, resource, SearchMode::Match, Some(score))
    }

    /// Adds a resource found by `_include` / `_revinclude` (`search.mode = include`).
    pub fn add_include(self, full_url: impl Into<String>, resource: impl Into<Resource>) -> Self {
        self.add_with_mode(full_url, resource, SearchMode::Include, None)
    }

    /// Adds an `OperationOutcome` about the search, e.g. a warning about an unknown
    /// parameter (`search.mode = outcome`, <http://hl7.org/fhir/R4/search.html#errors>).
    /// It gets no `fullUrl`: such an outcome is not stored on the server.
    #[cfg(feature = "OperationOutcome")]
    pub fn add_outcome(mut self, outcome: OperationOutcome) -> Self {
        let mut entry = BundleEntry::from_resource(outcome);
        entry.search = Some(Box::new(search(SearchMode::Outcome, None)));
        self.bundle.entry.push(entry);
        self
    }

    /// Adds an entry as it is.
    pub fn add_entry(mut self, entry: BundleEntry) -> Self {
        self.bundle.entry.push(entry);
        self
    }

    /// The Bundle.
    pub fn build(self) -> Bundle {
        self.bundle
    }

    fn add_with_mode(
        mut self,
        full_url: impl Into<String>,
        resource: impl Into<Resource>,
        mode: SearchMode,
        score: Option<Decimal>,
    ) -> Self {
        let mut entry = BundleEntry::from_resource(resource).with_full_url(full_url);
        entry.search = Some(Box::new(search(mode, score)));
        self.bundle.entry.push(entry);
        self
    }
}

fn search(mode: SearchMode, score: Option<Decimal>) -> BundleEntrySearch {
    BundleEntrySearch {
        mode: mode.as_str().into(),
        score: score.map(Primitive::new).unwrap_or_default(),
        ..BundleEntrySearch::default()
    }
}

/// Builds a `transaction` or `batch` Bundle (<http://hl7.org/fhir/R4/http.html#transaction>).
/// Start with [`Bundle::transaction`] or [`Bundle::batch`].
///
/// Request URLs are relative to the server base: `Patient`, `Patient/123`,
/// `Patient?identifier=…` (a conditional update or delete).
#[derive(Clone, Debug, PartialEq)]
#[must_use = "call `build` to get the Bundle"]
pub struct TransactionBuilder {
    bundle: Bundle,
}

impl TransactionBuilder {
    fn new(bundle_type: BundleType) -> TransactionBuilder {
        TransactionBuilder {
            bundle: Bundle::new(bundle_type),
        }
    }

    /// Adds a create: `POST` to the resource's type.
    pub fn create(self, resource: impl Into<Resource>) -> Self {
        let resource = resource.into();
        let url = resource.resource_type().to_owned();
        self.request(HttpVerb::Post, url, Some(resource))
    }

    /// Adds a create with a `fullUrl`, normally a `urn:uuid:`: other entries of a
    /// transaction may reference the new resource by it, and the server rewrites those
    /// references to the id it assigns (<http://hl7.org/fhir/R4/http.html#trules>).
    pub fn create_with_full_url(
        mut self,
        full_url: impl Into<String>,
        resource: impl Into<Resource>,
    ) -> Self {
        self = self.create(resource);
        if let Some(entry) = self.bundle.entry.last_mut() {
            entry.full_url = full_url.into().into();
        }
        self
    }

    /// Adds an update: `PUT` to `url` (`Type/id`, or `Type?criteria` for a conditional
    /// update).
    pub fn update(self, url: impl Into<String>, resource: impl Into<Resource>) -> Self {
        self.request(HttpVerb::Put, url, Some(resource.into()))
    }

    /// Adds a delete: `DELETE` of `url` (`Type/id`, or `Type?criteria`).
    pub fn delete(self, url: impl Into<String>) -> Self {
        self.request(HttpVerb::Delete, url, None)
    }

    /// Adds a read or search: `GET` of `url`.
    pub fn get(self, url: impl Into<String>) -> Self {
        self.request(HttpVerb::Get, url, None)
    }

    /// Adds a request with any method, and a resource for those that send one.
    pub fn request(
        mut self,
        method: HttpVerb,
        url: impl Into<String>,
        resource: Option<Resource>,
    ) -> Self {
        let request = BundleEntryRequest {
            method: method.as_str().into(),
            url: url.into().into(),
            ..BundleEntryRequest::default()
        };
        self.bundle.entry.push(BundleEntry {
            resource,
            request: Some(Box::new(request)),
            ..BundleEntry::default()
        });
        self
    }

    /// Adds an entry as it is (for `ifMatch`, `ifNoneExist` and the like).
    pub fn add_entry(mut self, entry: BundleEntry) -> Self {
        self.bundle.entry.push(entry);
        self
    }

    /// The Bundle.
    pub fn build(self) -> Bundle {
        self.bundle
    }
}

#[cfg(all(
    test,
    feature = "Patient",
    feature = "Organization",
    feature = "OperationOutcome"
))]
mod tests {
    use super::*;
    use crate::resources::{Organization, Patient};

    const BASE: &str = "https://payer.example/fhir";

    fn patient(id: &str) -> Patient {
        Patient {
            id: Some(id.to_owned()),
            ..Patient::default()
        }
    }

    fn organization(id: &str) -> Organization {
        Organization {
            id: Some(id.to_owned()),
            ..Organization::default()
        }
    }

    fn ids<'a>(resources: impl Iterator<Item = &'a Resource>) -> Vec<&'a str> {
        resources.filter_map(Resource::id).collect()
    }

    fn round_trip(bundle: Bundle) -> Bundle {
        let json = crate::to_json(&Resource::from(bundle.clone()));
        let read = crate::from_json(&json).expect("a built Bundle parses strictly");
        let Resource::Bundle(read) = read else {
            panic!("not a Bundle: {json}");
        };
        assert_eq!(*read, bundle, "round trip of {json}");
        *read
    }

    fn searchset() -> Bundle {
        let outcome = OperationOutcome {
            id: Some("warn".into()),
            ..OperationOutcome::default()
        };
        Bundle::searchset()
            .total(2)
            .self_link(format!(
                "{BASE}/Patient?organization=o1&_include=Patient:organization"
            ))
            .next_link(format!("{BASE}/Patient?_cursor=2"))
            .previous_link(format!("{BASE}/Patient?_cursor=0"))
            .add_match(format!("{BASE}/Patient/p1"), patient("p1"))
            .add_match_with_score(
                format!("{BASE}/Patient/p2"),
                patient("p2"),
                Decimal::parse("0.80").expect("a decimal"),
            )
            .add_include(format!("{BASE}/Organization/o1"), organization("o1"))
            .add_outcome(outcome)
            .build()
    }

    #[test]
    fn searchset_json_shape() {
        let bundle = Bundle::searchset()
            .total(1)
            .self_link("https://x/fhir/Patient")
            .add_match_with_score("https://x/fhir/Patient/p1", patient("p1"), Decimal::from(1))
            .build();
        assert_eq!(
            crate::to_json(&Resource::from(bundle)),
            r#"{"resourceType":"Bundle","type":"searchset","total":1,"#.to_owned()
                + r#""link":[{"relation":"self","url":"https://x/fhir/Patient"}],"#
                + r#""entry":[{"fullUrl":"https://x/fhir/Patient/p1","#
                + r#""resource":{"resourceType":"Patient","id":"p1"},"#
                + r#""search":{"mode":"match","score":1}}]}"#
        );
    }

    #[test]
    fn searchset_round_trip_and_iteration() {
        let bundle = round_trip(searchset());
        assert_eq!(bundle.bundle_type(), Some(BundleType::Searchset));
        assert_eq!(bundle.total.value, Some(2));
        assert_eq!(ids(bundle.resources()), ["p1", "p2", "o1", "warn"]);
        assert_eq!(ids(bundle.matches()), ["p1", "p2"]);
        assert_eq!(ids(bundle.includes()), ["o1"]);
        let outcomes: Vec<_> = bundle.outcomes().collect();
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].id.as_deref(), Some("warn"));

        let modes: Vec<_> = bundle.entry.iter().map(BundleEntry::search_mode).collect();
        assert_eq!(
            modes,
            [
                Some(SearchMode::Match),
                Some(SearchMode::Match),
                Some(SearchMode::Include),
                Some(SearchMode::Outcome)
            ]
        );
        let score = bundle.entry[1]
            .search
            .as_ref()
            .and_then(|s| s.score.value());
        assert_eq!(score.map(Decimal::as_str), Some("0.80"));
        assert_eq!(
            bundle.entry[0].full_url.as_str(),
            Some("https://payer.example/fhir/Patient/p1")
        );
        assert_eq!(bundle.entry[3].full_url.as_str(), None);

        assert_eq!(
            bundle.self_link(),
            Some(
                "https://payer.example/fhir/Patient?organization=o1&_include=Patient:organization"
            )
        );
        assert_eq!(
            bundle.next_link(),
            Some("https://payer.example/fhir/Patient?_cursor=2")
        );
        assert_eq!(
            bundle.previous_link(),
            Some("https://payer.example/fhir/Patient?_cursor=0")
        );
        assert_eq!(bundle.link_url("last"), None);

        assert_eq!(ids(bundle.clone().into_matches().iter()), ["p1", "p2"]);
        let patients: Vec<Patient> = bundle.clone().into_resources_of();
        assert_eq!(patients, [patient("p1"), patient("p2")]);
        let borrowed: Vec<&Patient> = bundle.resources_of::<Patient>().collect();
        assert_eq!(borrowed, [&patient("p1"), &patient("p2")]);
        let first = bundle.resources().next().expect("an entry");
        assert_eq!(first.downcast_ref::<Patient>(), Some(&patient("p1")));
        assert!(first.downcast_ref::<OperationOutcome>().is_none());
        let all = bundle.into_resources();
        assert_eq!(ids(all.iter()), ["p1", "p2", "o1", "warn"]);
    }

    #[test]
    fn matches_without_search_modes() {
        // A server that leaves out `entry.search`: every resource is a match.
        let json = r#"{"resourceType":"Bundle","type":"searchset","entry":[
            {"resource":{"resourceType":"Patient","id":"a"}},
            {"search":{"mode":"include"},"resource":{"resourceType":"Organization","id":"b"}},
            {"search":{"mode":"bogus"},"resource":{"resourceType":"Patient","id":"c"}},
            {"search":{"mode":"match"},"resource":{"resourceType":"Patient","id":"d"}},
            {"fullUrl":"urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d"}]}"#;
        let (resource, _issues) = crate::from_json_lenient(json);
        let Some(Resource::Bundle(bundle)) = resource else {
            panic!("not a Bundle");
        };
        assert_eq!(ids(bundle.matches()), ["a", "d"]);
        assert_eq!(ids(bundle.includes()), ["b"]);
        assert_eq!(bundle.outcomes().count(), 0);
        assert_eq!(bundle.entry[2].search_mode(), None);
        assert!(!bundle.entry[2].is_match());
        assert_eq!(ids(bundle.clone().into_matches().iter()), ["a", "d"]);

        let plain = Bundle::collection([
            BundleEntry::from_resource(patient("x")),
            BundleEntry::from_resource(organization("y")).with_full_url("urn:uuid:x"),
        ]);
        let plain = round_trip(plain);
        assert_eq!(plain.bundle_type(), Some(BundleType::Collection));
        assert_eq!(ids(plain.matches()), ["x", "y"]);
        assert_eq!(plain.entry[1].full_url.as_str(), Some("urn:uuid:x"));
    }

    #[test]
    fn link_relations() {
        let mut bundle = Bundle::searchset()
            .link("NEXT", "n")
            .link("prev", "p")
            .first_link("f")
            .last_link("l")
            .build();
        assert_eq!(bundle.next_link(), Some("n"));
        assert_eq!(bundle.previous_link(), Some("p"));
        assert_eq!(bundle.link_url("first"), Some("f"));
        assert_eq!(bundle.link_url("Last"), Some("l"));
        assert_eq!(bundle.self_link(), None);
        bundle.link[0].url = Default::default();
        assert_eq!(bundle.next_link(), None);
    }

    #[test]
    fn transaction_and_batch() {
        let uuid = "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d";
        let bundle = Bundle::transaction()
            .create(organization("ignored-by-server"))
            .create_with_full_url(uuid, patient("new"))
            .update("Patient/p1", patient("p1"))
            .delete("Patient?identifier=http://x|1")
            .get("Coverage?beneficiary=Patient/p1")
            .request(HttpVerb::Patch, "Patient/p2", None)
            .build();
        let bundle = round_trip(bundle);
        assert_eq!(bundle.bundle_type(), Some(BundleType::Transaction));
        let requests: Vec<_> = bundle
            .entry
            .iter()
            .map(|entry| {
                let request = entry.request.as_ref().expect("every entry has a request");
                (
                    request.method.as_str().and_then(HttpVerb::from_code),
                    request.url.as_str().unwrap_or_default(),
                    entry.resource.as_ref().map(Resource::resource_type),
                )
            })
            .collect();
        assert_eq!(
            requests,
            [
                (Some(HttpVerb::Post), "Organization", Some("Organization")),
                (Some(HttpVerb::Post), "Patient", Some("Patient")),
                (Some(HttpVerb::Put), "Patient/p1", Some("Patient")),
                (
                    Some(HttpVerb::Delete),
                    "Patient?identifier=http://x|1",
                    None
                ),
                (Some(HttpVerb::Get), "Coverage?beneficiary=Patient/p1", None),
                (Some(HttpVerb::Patch), "Patient/p2", None),
            ]
        );
        assert_eq!(bundle.entry[1].full_url.as_str(), Some(uuid));
        assert_eq!(bundle.entry[0].full_url.as_str(), None);
        assert!(bundle.entry.iter().all(|entry| entry.search.is_none()));

        let batch = round_trip(Bundle::batch().get("Patient/p1").build());
        assert_eq!(batch.bundle_type(), Some(BundleType::Batch));
    }

    #[test]
    fn reference_resolution() {
        let uuid = "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d";
        let bundle = Bundle::collection([
            BundleEntry::from_resource(patient("23")).with_full_url(format!("{BASE}/Patient/23")),
            BundleEntry::from_resource(patient("anon")).with_full_url(uuid),
            BundleEntry::from_resource(organization("o1"))
                .with_full_url("https://other.example/fhir/Organization/o1"),
            BundleEntry::from_resource(organization("o2")),
        ]);
        let resolve = |reference: &str, referrer: Option<&str>| {
            bundle
                .resolve_reference(reference, referrer)
                .and_then(Resource::id)
        };
        let observation = Some("https://payer.example/fhir/Observation/123");

        assert_eq!(
            resolve("https://payer.example/fhir/Patient/23", None),
            Some("23")
        );
        assert_eq!(resolve(uuid, observation), Some("anon"));
        // Relative: made absolute with the referrer's base.
        assert_eq!(resolve("Patient/23", observation), Some("23"));
        assert_eq!(resolve("Organization/o1", observation), None);
        assert_eq!(
            resolve(
                "Organization/o1",
                Some("https://other.example/fhir/Coverage/c")
            ),
            Some("o1")
        );
        // Versioned: the version is dropped to compare with fullUrl.
        assert_eq!(resolve("Patient/23/_history/4", observation), Some("23"));
        assert_eq!(
            resolve("https://payer.example/fhir/Patient/23/_history/4", None),
            Some("23")
        );
        // No RESTful referrer: matched on type and id.
        assert_eq!(resolve("Organization/o2", None), Some("o2"));
        assert_eq!(resolve("Organization/o2", Some(uuid)), Some("o2"));
        assert_eq!(resolve("Patient/24", None), None);
        // Not resolvable in a Bundle.
        assert_eq!(resolve("#o1", observation), None);
        assert_eq!(resolve("Patient?identifier=x", observation), None);
        assert_eq!(
            resolve("urn:uuid:00000000-0000-0000-0000-000000000000", None),
            None
        );

        // Two entries with one fullUrl (a history Bundle): a versioned reference is
        // ambiguous without meta.versionId, an unversioned one takes the first.
        let history = Bundle::collection([
            BundleEntry::from_resource(patient("v1")).with_full_url(format!("{BASE}/Patient/1")),
            BundleEntry::from_resource(patient("v2")).with_full_url(format!("{BASE}/Patient/1")),
        ]);
        let url = format!("{BASE}/Patient/1");
        assert_eq!(
            history.resolve_reference(&url, None).and_then(Resource::id),
            Some("v1")
        );
        assert!(
            history
                .resolve_reference(&format!("{url}/_history/1"), None)
                .is_none()
        );
    }

    #[test]
    fn codes() {
        for code in [
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        ] {
            assert_eq!(
                BundleType::from_code(code).map(BundleType::as_str),
                Some(code)
            );
        }
        for code in ["match", "include", "outcome"] {
            assert_eq!(
                SearchMode::from_code(code)
                    .map(|m| m.to_string())
                    .as_deref(),
                Some(code)
            );
        }
        for code in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] {
            assert_eq!(HttpVerb::from_code(code).map(HttpVerb::as_str), Some(code));
        }
        assert_eq!(BundleType::from_code("Searchset"), None);
        assert_eq!(HttpVerb::from_code("get"), None);
        assert_eq!(Bundle::default().bundle_type(), None);
    }
}
