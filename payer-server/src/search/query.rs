//! Parsing a FHIR search query string into a [`SearchQuery`], and what each clause means.
//!
//! Supported (FHIR R4 search): token (`code`, `system|code`, `|code`, `system|`, `:not`),
//! string (prefix match, `:exact`, `:contains`), date with the prefixes `eq ne gt lt ge le
//! sa eb ap`, reference (`123`, `Patient/123`, absolute URLs, `:Patient`), `:missing` on
//! all of them, comma-separated OR lists, repeated parameters as AND, `_id`,
//! `_lastUpdated`, `_count`, `_summary=count`, the paging cursor `_cursor`, forward
//! chains (`organization.name=...`, `organization:Organization.partof.name=...`, any
//! depth) and reverse chains (`_has:PractitionerRole:practitioner:specialty=...`,
//! nestable, and mixed with forward chains) (R4 search 3.1.1.4.6 and 3.1.1.4.7).

use super::extract::{IndexEntry, IndexValue, date_range, normalize, parse_reference};
use super::model::{ParamType, SearchParamDef};
use super::param;
use crate::error::Error;

/// Largest page a client can ask for; larger `_count`s are lowered to it.
pub const MAX_COUNT: usize = 1000;
/// Page size when `_count` is absent.
pub const DEFAULT_COUNT: usize = 50;

/// A parsed search.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SearchQuery {
    /// The resource type searched.
    pub resource_type: String,
    /// All must match (AND); each holds OR alternatives.
    pub clauses: Vec<Clause>,
    /// The page size.
    pub count: usize,
    /// `_summary=count`: only the total.
    pub summary_count: bool,
    /// Continue after this position (from a `next` link).
    pub cursor: Option<Cursor>,
    /// `_sort`: one date parameter or `_lastUpdated`, ascending or descending.
    pub sort: Option<Sort>,
    /// Parameters the server does not support, ignored (lenient handling).
    pub ignored: Vec<String>,
    /// Only resources in this patient's compartment.
    pub compartment: Option<super::Compartment>,
    /// `_include` (and `_include:iterate`): referenced resources to add to the page.
    pub includes: Vec<Include>,
    /// `_revinclude`: resources referencing the page's resources to add to it.
    pub revincludes: Vec<Include>,
}

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// After the resource with this sequence number (store order).
    After(i64),
    /// After the resource with this sequence number and sort value, in a sorted search;
    /// `value` is `None` in the trailing run of resources that have no value.
    AfterSorted {
        /// The last sort value seen.
        value: Option<i64>,
        /// The last sequence number seen.
        seq: i64,
    },
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::After(seq) => write!(f, "{seq}"),
            Cursor::AfterSorted {
                value: Some(v),
                seq,
            } => write!(f, "{v}:{seq}"),
            Cursor::AfterSorted { value: None, seq } => write!(f, "null:{seq}"),
        }
    }
}

impl std::str::FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Cursor, Error> {
        let bad = || Error::invalid_param("_cursor", "is not a cursor this server issued");
        match s.split_once(':') {
            None => s.parse().map(Cursor::After).map_err(|_| bad()),
            Some((value, seq)) => Ok(Cursor::AfterSorted {
                value: match value {
                    "null" => None,
                    v => Some(v.parse().map_err(|_| bad())?),
                },
                seq: seq.parse().map_err(|_| bad())?,
            }),
        }
    }
}

/// A `_sort` key. A resource's sort value is the earliest start of its values for the
/// parameter (or its `lastUpdated`); resources without one come last in both directions;
/// ties keep store order.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Sort {
    /// What is sorted on: a date parameter, or `None` for `_lastUpdated`.
    pub param: Option<&'static SearchParamDef>,
    /// `-param`: latest first.
    pub descending: bool,
}

impl Sort {
    fn parse(resource_type: &str, value: &str) -> Result<Sort, Error> {
        if value.contains(',') {
            return Err(Error::invalid_param(
                "_sort",
                "takes one key on this server",
            ));
        }
        let (descending, code) = match value.strip_prefix('-') {
            Some(code) => (true, code),
            None => (false, value),
        };
        let param = match code {
            "_lastUpdated" => None,
            code => Some(
                param(resource_type, code)
                    .filter(|p| p.kind == ParamType::Date)
                    .ok_or_else(|| {
                        Error::invalid_param(
                            "_sort",
                            &format!("{code}: this server sorts on _lastUpdated and date parameters of {resource_type}"),
                        )
                    })?,
            ),
        };
        Ok(Sort { param, descending })
    }

    /// The result order of two resources given as (sort value, sequence number).
    pub(crate) fn order(&self, a: (Option<i64>, i64), b: (Option<i64>, i64)) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let by_value = match (a.0, b.0) {
            (Some(x), Some(y)) if self.descending => y.cmp(&x),
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then(a.1.cmp(&b.1))
    }
}

/// An `_include` or `_revinclude` value: `SourceType:param[:TargetType]`, or `*` (every
/// reference parameter of the searched type).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Include {
    /// The resource type holding the reference.
    pub source_type: String,
    /// The reference parameter; `None` for `*`.
    pub param: Option<&'static SearchParamDef>,
    /// Only references to this type.
    pub target_type: Option<String>,
    /// `:iterate`: also follow the references of included resources.
    pub iterate: bool,
}

/// One search parameter occurrence: `param[:modifier]=v1,v2`, or a chain ending in one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Clause {
    /// The hops from the searched resource to the resources `target` is tested on (empty
    /// for a plain parameter): a resource matches when some path of references along
    /// them reaches a resource the rest of the clause holds for.
    pub links: Vec<Link>,
    /// What is searched (on the resources the links reach).
    pub target: Target,
    /// The alternatives (OR); empty for `:missing`.
    pub values: Vec<ClauseValue>,
    /// `:missing=true` / `:missing=false`.
    pub missing: Option<bool>,
    /// `:not` (token): none of the resource's values may match.
    pub negated: bool,
}

/// One hop of a chained search parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Link {
    /// `param.` (or `param:Type.`): the resources of `target_type` this reference
    /// parameter of the current resource points to.
    Forward {
        /// A reference parameter of the current resource's type.
        param: &'static SearchParamDef,
        /// Where it points (one of `param.targets`).
        target_type: &'static str,
    },
    /// `_has:Type:param:`: the resources of `param.resource` whose reference parameter
    /// `param` points to the current resource.
    Reverse {
        /// A reference parameter of the referencing type.
        param: &'static SearchParamDef,
    },
}

impl Link {
    /// The resource type the hop lands on.
    pub fn landing_type(&self) -> &'static str {
        match self {
            Link::Forward { target_type, .. } => target_type,
            Link::Reverse { param } => param.resource,
        }
    }
}

/// What a clause searches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The resource id (`_id`).
    Id,
    /// `meta.lastUpdated` (`_lastUpdated`).
    LastUpdated,
    /// A search parameter of the resource type.
    Param(&'static SearchParamDef),
}

/// One alternative of a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseValue {
    /// `[system|]code`: `system` `None` matches any system, `Some("")` only no system.
    Token {
        /// The system part, if the value had a `|`.
        system: Option<String>,
        /// The code; `None` for `system|` (any code of the system).
        code: Option<String>,
    },
    /// A normalized string and how to compare it.
    String {
        /// Normalized (see `extract::normalize`).
        value: String,
        /// How to compare.
        mode: StringMode,
    },
    /// A date range and a prefix.
    Date {
        /// The comparison.
        prefix: DatePrefix,
        /// Start (inclusive) and end (exclusive), UTC milliseconds.
        start: i64,
        /// End (exclusive).
        end: i64,
    },
    /// `Type/id`, or an id of any allowed type.
    Reference {
        /// The type, when given (`Patient/123` or `:Patient`).
        target_type: Option<String>,
        /// The id.
        id: String,
    },
}

/// How a string parameter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMode {
    /// The default: the value starts with the search string.
    Prefix,
    /// `:exact`: equal, case and accents included (compared after normalization here).
    Exact,
    /// `:contains`: anywhere in the value.
    Contains,
}

/// Date search prefixes (R4 search, "prefixes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DatePrefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

impl SearchQuery {
    /// Parses the query parameters of a search on `resource_type`. With `strict`
    /// (`Prefer: handling=strict`) an unknown parameter is an error; otherwise it is
    /// ignored and listed in [`SearchQuery::ignored`].
    pub fn parse(
        resource_type: &str,
        params: &[(String, String)],
        strict: bool,
    ) -> Result<SearchQuery, Error> {
        let mut query = SearchQuery {
            resource_type: resource_type.to_owned(),
            clauses: Vec::new(),
            count: DEFAULT_COUNT,
            summary_count: false,
            cursor: None,
            sort: None,
            ignored: Vec::new(),
            compartment: None,
            includes: Vec::new(),
            revincludes: Vec::new(),
        };
        for (name, value) in params {
            if is_chained(name) {
                query
                    .clauses
                    .push(parse_chained(resource_type, name, value)?);
                continue;
            }
            let (code, modifier) = match name.split_once(':') {
                Some((c, m)) => (c, Some(m)),
                None => (name.as_str(), None),
            };
            match code {
                "_count" => {
                    let n: usize = value.parse().map_err(|_| {
                        Error::invalid_param(name, "must be a non-negative integer")
                    })?;
                    query.count = n.min(MAX_COUNT);
                }
                "_summary" if value == "count" => query.summary_count = true,
                "_cursor" => query.cursor = Some(value.parse()?),
                "_sort" => query.sort = Some(Sort::parse(resource_type, value)?),
                "_include" | "_revinclude" => {
                    let iterate = match modifier {
                        None => false,
                        Some("iterate" | "recurse") => true,
                        Some(m) => {
                            return Err(Error::invalid_param(
                                name,
                                &format!("modifier :{m} is not supported"),
                            ));
                        }
                    };
                    let include =
                        parse_include(name, value, resource_type, code == "_include", iterate)?;
                    if code == "_include" {
                        query.includes.push(include);
                    } else {
                        query.revincludes.push(include);
                    }
                }
                // Formatting and pretty-printing do not change what is found.
                "_format" | "_pretty" => {}
                _ => match searched(resource_type, code) {
                    Some((target, kind)) => query
                        .clauses
                        .push(parse_clause(target, kind, name, modifier, value)?),
                    None if strict => {
                        return Err(Error::invalid_param(
                            name,
                            &format!(
                                "is not a search parameter of {resource_type} this server supports"
                            ),
                        ));
                    }
                    None => query.ignored.push(name.clone()),
                },
            }
        }
        Ok(query)
    }
}

/// Whether a query parameter name is a chain: `_has:...`, or a dot (no search parameter
/// code or modifier has one).
fn is_chained(name: &str) -> bool {
    name.starts_with("_has:") || name.contains('.')
}

/// A chained parameter (`a.b`, `a:Type.b`, `_has:Type:param:rest`, nested and mixed): its
/// links, then the final `code[:modifier]` parsed as a plain clause of the type reached.
fn parse_chained(resource_type: &str, name: &str, value: &str) -> Result<Clause, Error> {
    let bad = |message: String| Error::invalid_param(name, &message);
    let mut links = Vec::new();
    let mut current: &str = resource_type;
    let mut rest = name;
    loop {
        if let Some(after) = rest.strip_prefix("_has:") {
            let mut parts = after.splitn(3, ':');
            let (Some(source), Some(code), Some(tail)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("must be _has:Type:parameter:search".to_owned()));
            };
            let def = reference_param(source, code).ok_or_else(|| {
                bad(format!(
                    "{source}:{code} is not a reference parameter this server indexes"
                ))
            })?;
            if !def.targets.contains(&current) {
                return Err(bad(format!(
                    "{source}:{code} does not point to {current} (it points to {})",
                    def.targets.join(", ")
                )));
            }
            links.push(Link::Reverse { param: def });
            current = def.resource;
            rest = tail;
            continue;
        }
        let Some((head, tail)) = rest.split_once('.') else {
            break;
        };
        // `head` is `param` or `param:Type`; `tail` what is searched on the target.
        let (code, named_type) = match head.split_once(':') {
            Some((code, ty)) => (code, Some(ty)),
            None => (head, None),
        };
        let def = reference_param(current, code).ok_or_else(|| {
            bad(format!(
                "{code} is not a reference parameter of {current} this server indexes"
            ))
        })?;
        let next = tail.split([':', '.']).next().unwrap_or(tail);
        let target_type = match named_type {
            Some(ty) => *def.targets.iter().find(|t| **t == ty).ok_or_else(|| {
                bad(format!(
                    "{current}:{code} does not point to {ty} (it points to {})",
                    def.targets.join(", ")
                ))
            })?,
            None => {
                // R4: a chain through a reference to several types names the type
                // (`subject:Patient.name`) unless only one of them has the parameter.
                let searchable: Vec<&'static str> = def
                    .targets
                    .iter()
                    .copied()
                    .filter(|t| next.starts_with("_has") || searched(t, next).is_some())
                    .collect();
                match searchable.as_slice() {
                    [one] => *one,
                    [] => {
                        return Err(bad(format!(
                            "none of the types {current}:{code} points to ({}) has the search parameter {next}",
                            def.targets.join(", ")
                        )));
                    }
                    several => {
                        return Err(bad(format!(
                            "{current}:{code} points to several types with {next} ({}): name one, as in {code}:{}.{tail}",
                            several.join(", "),
                            several[0]
                        )));
                    }
                }
            }
        };
        links.push(Link::Forward {
            param: def,
            target_type,
        });
        current = target_type;
        rest = tail;
    }
    let (code, modifier) = match rest.split_once(':') {
        Some((c, m)) => (c, Some(m)),
        None => (rest, None),
    };
    let (target, kind) = searched(current, code).ok_or_else(|| {
        bad(format!(
            "{code} is not a search parameter of {current} this server supports"
        ))
    })?;
    let mut clause = parse_clause(target, kind, name, modifier, value)?;
    clause.links = links;
    Ok(clause)
}

/// What `code` searches on a `resource_type`, and how its values read: `_id` and
/// `_lastUpdated` (every type has them), or one of the type's parameters.
fn searched(resource_type: &str, code: &str) -> Option<(Target, ParamType)> {
    match code {
        "_id" => Some((Target::Id, ParamType::Token)),
        "_lastUpdated" => Some((Target::LastUpdated, ParamType::Date)),
        code => param(resource_type, code).map(|def| (Target::Param(def), def.kind)),
    }
}

fn reference_param(resource_type: &str, code: &str) -> Option<&'static SearchParamDef> {
    param(resource_type, code).filter(|p| p.kind == ParamType::Reference)
}

/// `Type:param[:Target]` or `*`; for `_include` the source type is the searched type
/// (or, with `:iterate`, any type), for `_revinclude` the referencing type.
fn parse_include(
    name: &str,
    value: &str,
    resource_type: &str,
    forward: bool,
    iterate: bool,
) -> Result<Include, Error> {
    if value == "*" && forward {
        return Ok(Include {
            source_type: resource_type.to_owned(),
            param: None,
            target_type: None,
            iterate,
        });
    }
    let mut parts = value.split(':');
    let (Some(source), Some(code)) = (parts.next(), parts.next()) else {
        return Err(Error::invalid_param(
            name,
            "must be Type:parameter[:TargetType] or *",
        ));
    };
    let target_type = parts.next().map(str::to_owned);
    if forward && !iterate && source != resource_type {
        return Err(Error::invalid_param(
            name,
            &format!("must start with {resource_type}: (or use :iterate)"),
        ));
    }
    let def = param(source, code)
        .filter(|p| p.kind == ParamType::Reference)
        .ok_or_else(|| {
            Error::invalid_param(
                name,
                &format!("{source}:{code} is not a reference parameter this server indexes"),
            )
        })?;
    Ok(Include {
        source_type: source.to_owned(),
        param: Some(def),
        target_type,
        iterate,
    })
}

fn parse_clause(
    target: Target,
    kind: ParamType,
    name: &str,
    modifier: Option<&str>,
    value: &str,
) -> Result<Clause, Error> {
    let mut clause = Clause::new(target, Vec::new());
    let mut string_mode = StringMode::Prefix;
    let mut reference_type = None;
    match (modifier, kind) {
        (None, _) => {}
        (Some("missing"), _) => {
            clause.missing = Some(match value {
                "true" => true,
                "false" => false,
                _ => return Err(Error::invalid_param(name, "takes true or false")),
            });
            return Ok(clause);
        }
        (Some("not"), ParamType::Token) => clause.negated = true,
        (Some("exact"), ParamType::String) => string_mode = StringMode::Exact,
        (Some("contains"), ParamType::String) => string_mode = StringMode::Contains,
        (Some(t), ParamType::Reference) if t.starts_with(|c: char| c.is_ascii_uppercase()) => {
            reference_type = Some(t.to_owned());
        }
        (Some(m), _) => {
            return Err(Error::invalid_param(
                name,
                &format!("modifier :{m} is not supported here"),
            ));
        }
    }
    for alternative in split_or(value) {
        if alternative.is_empty() {
            return Err(Error::invalid_param(name, "has an empty value"));
        }
        clause.values.push(match kind {
            ParamType::Token => {
                let (system, code) = match alternative.split_once('|') {
                    Some((s, c)) => (Some(s.to_owned()), (!c.is_empty()).then(|| c.to_owned())),
                    None => (None, Some(alternative.clone())),
                };
                ClauseValue::Token { system, code }
            }
            ParamType::String => ClauseValue::String {
                value: normalize(&alternative),
                mode: string_mode,
            },
            ParamType::Date => parse_date(name, &alternative)?,
            ParamType::Reference => {
                let (target_type, id) = match parse_reference(&alternative) {
                    Some((t, id)) => (Some(t), id),
                    None if !alternative.contains('/') => {
                        (reference_type.clone(), alternative.clone())
                    }
                    None => {
                        return Err(Error::invalid_param(
                            name,
                            "is not a reference (Type/id or id)",
                        ));
                    }
                };
                ClauseValue::Reference { target_type, id }
            }
        });
    }
    Ok(clause)
}

/// Splits an OR list on commas not escaped with `\`, unescaping `\,`, `\|`, `\\`.
fn split_or(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(last) = out.last_mut()
                {
                    last.push(next);
                }
            }
            ',' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

fn parse_date(name: &str, value: &str) -> Result<ClauseValue, Error> {
    let prefixes = [
        ("eq", DatePrefix::Eq),
        ("ne", DatePrefix::Ne),
        ("gt", DatePrefix::Gt),
        ("lt", DatePrefix::Lt),
        ("ge", DatePrefix::Ge),
        ("le", DatePrefix::Le),
        ("sa", DatePrefix::Sa),
        ("eb", DatePrefix::Eb),
        ("ap", DatePrefix::Ap),
    ];
    let (prefix, date) = prefixes
        .iter()
        .find_map(|(p, prefix)| value.strip_prefix(p).map(|rest| (*prefix, rest)))
        .unwrap_or((DatePrefix::Eq, value));
    let (start, end) =
        date_range(&serde_json::Value::String(date.to_owned())).ok_or_else(|| {
            Error::invalid_param(name, "is not a FHIR date or dateTime (e.g. ge2024-01-15)")
        })?;
    Ok(ClauseValue::Date { prefix, start, end })
}

impl Clause {
    /// A clause matching any of `values` (OR).
    pub fn new(target: Target, values: Vec<ClauseValue>) -> Clause {
        Clause {
            links: Vec::new(),
            target,
            values,
            missing: None,
            negated: false,
        }
    }

    /// Whether the resource `resource_type/id`, last updated at `last_updated_ms`, with the
    /// index entries `index`, matches, following the clause's links through `linked`. This
    /// is the meaning of a clause; the SQL stores translate it and their conformance tests
    /// compare with it.
    pub(crate) fn holds_linked(
        &self,
        linked: &dyn Linked,
        resource_type: &str,
        resource: IndexedResource<'_>,
    ) -> bool {
        self.holds_from(&self.links, linked, resource_type, resource)
    }

    fn holds_from(
        &self,
        links: &[Link],
        linked: &dyn Linked,
        resource_type: &str,
        resource: IndexedResource<'_>,
    ) -> bool {
        let Some((link, rest)) = links.split_first() else {
            return self.holds(resource.id, resource.last_updated_ms, resource.index);
        };
        match *link {
            Link::Forward { param, target_type } => resource
                .index
                .iter()
                .filter(|e| std::ptr::eq(e.param, param))
                .any(|e| match &e.value {
                    IndexValue::Reference { target_type: t, id } if t == target_type => linked
                        .resource(target_type, id)
                        .is_some_and(|target| self.holds_from(rest, linked, target_type, target)),
                    _ => false,
                }),
            Link::Reverse { param } => linked
                .referencing(param, resource_type, resource.id)
                .into_iter()
                .any(|source| self.holds_from(rest, linked, param.resource, source)),
        }
    }

    /// Whether the resource `id`, last updated at `last_updated_ms`, with the index
    /// entries `index`, matches the clause's target (its links aside: for clauses that
    /// have none, such as a SMART scope's restrictions).
    pub(crate) fn holds(&self, id: &str, last_updated_ms: i64, index: &[IndexEntry]) -> bool {
        let values: Vec<IndexValue> = match self.target {
            Target::Id => vec![IndexValue::Token {
                system: None,
                code: id.to_owned(),
            }],
            Target::LastUpdated => vec![IndexValue::Date {
                start: last_updated_ms,
                end: last_updated_ms + 1,
            }],
            Target::Param(def) => index
                .iter()
                .filter(|e| std::ptr::eq(e.param, def))
                .map(|e| e.value.clone())
                .collect(),
        };
        self.matches(&values)
    }

    pub(crate) fn matches(&self, values: &[IndexValue]) -> bool {
        if let Some(missing) = self.missing {
            return values.is_empty() == missing;
        }
        let any = |cv: &ClauseValue| values.iter().any(|v| value_matches(cv, v));
        if self.negated {
            !self.values.iter().any(any)
        } else {
            self.values.iter().any(any)
        }
    }
}

/// A current resource as a store indexed it.
#[derive(Clone, Copy)]
pub(crate) struct IndexedResource<'a> {
    /// Its id.
    pub(crate) id: &'a str,
    /// `meta.lastUpdated`, UTC milliseconds.
    pub(crate) last_updated_ms: i64,
    /// Its index entries.
    pub(crate) index: &'a [IndexEntry],
}

impl IndexedResource<'_> {
    /// Whether its reference parameter `param` points to `target_type/target_id`.
    pub(crate) fn points_to(
        &self,
        param: &SearchParamDef,
        target_type: &str,
        target_id: &str,
    ) -> bool {
        self.index.iter().any(|e| {
            std::ptr::eq(e.param, param)
                && matches!(&e.value, IndexValue::Reference { target_type: t, id }
                    if t == target_type && id == target_id)
        })
    }
}

/// What chained clauses see of a store beyond the resource tested: the resources its
/// references reach and those that reference it (current versions only).
pub(crate) trait Linked {
    /// The resource `resource_type/id`, if it exists.
    fn resource(&self, resource_type: &str, id: &str) -> Option<IndexedResource<'_>>;
    /// The resources of `param.resource` whose `param` points to `target_type/target_id`.
    fn referencing(
        &self,
        param: &'static SearchParamDef,
        target_type: &str,
        target_id: &str,
    ) -> Vec<IndexedResource<'_>>;
}

fn value_matches(clause: &ClauseValue, value: &IndexValue) -> bool {
    match (clause, value) {
        (
            ClauseValue::Token { system, code },
            IndexValue::Token {
                system: vs,
                code: vc,
            },
        ) => {
            let system_ok = match system.as_deref() {
                None => true,
                Some("") => vs.is_none(),
                Some(s) => vs.as_deref() == Some(s),
            };
            system_ok && code.as_ref().is_none_or(|c| c == vc)
        }
        (ClauseValue::String { value: s, mode }, IndexValue::String(v)) => match mode {
            StringMode::Prefix => v.starts_with(s.as_str()),
            StringMode::Exact => v == s,
            StringMode::Contains => v.contains(s.as_str()),
        },
        (ClauseValue::Date { prefix, start, end }, IndexValue::Date { start: rs, end: re }) => {
            date_matches(*prefix, (*start, *end), (*rs, *re))
        }
        (
            ClauseValue::Reference { target_type, id },
            IndexValue::Reference {
                target_type: t,
                id: i,
            },
        ) => i == id && target_type.as_ref().is_none_or(|ty| ty == t),
        _ => false,
    }
}

/// R4 search date prefixes, with the search value's range `p` and the resource's range
/// `r` (both end-exclusive). `ap` is treated as "overlaps".
pub(crate) fn date_matches(prefix: DatePrefix, p: (i64, i64), r: (i64, i64)) -> bool {
    let contained = r.0 >= p.0 && r.1 <= p.1;
    match prefix {
        DatePrefix::Eq => contained,
        DatePrefix::Ne => !contained,
        DatePrefix::Gt => r.1 > p.1,
        DatePrefix::Lt => r.0 < p.0,
        DatePrefix::Ge => r.1 > p.1 || contained,
        DatePrefix::Le => r.0 < p.0 || contained,
        DatePrefix::Sa => r.0 >= p.1,
        DatePrefix::Eb => r.1 <= p.0,
        DatePrefix::Ap => r.0 < p.1 && r.1 > p.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(rt: &str, params: &[(&str, &str)]) -> Result<SearchQuery, Error> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect();
        SearchQuery::parse(rt, &params, true)
    }

    #[test]
    fn tokens_references_and_dates_parse() -> Result<(), Error> {
        let query = q(
            "ExplanationOfBenefit",
            &[
                ("patient", "Patient/p1"),
                ("type", "http://x|pharmacy,oral"),
                ("service-date", "ge2024-01"),
                ("_count", "5000"),
            ],
        )?;
        assert_eq!(query.count, MAX_COUNT);
        assert_eq!(query.clauses.len(), 3);
        assert_eq!(
            query.clauses[0].values,
            [ClauseValue::Reference {
                target_type: Some("Patient".into()),
                id: "p1".into()
            }]
        );
        assert_eq!(query.clauses[1].values.len(), 2);
        assert!(matches!(
            query.clauses[2].values[0],
            ClauseValue::Date {
                prefix: DatePrefix::Ge,
                ..
            }
        ));
        Ok(())
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let err = q("ExplanationOfBenefit", &[("service-date", "ge2024-13-45")]).err();
        assert!(err.is_some_and(|e| e.to_string().contains("service-date")));
        assert!(q("ExplanationOfBenefit", &[("no-such-param", "x")]).is_err());
        assert!(q("Patient", &[("name:below", "x")]).is_err());
        let lenient = SearchQuery::parse("Patient", &[("no-such".into(), "x".into())], false);
        assert_eq!(
            lenient.ok().map(|q| q.ignored),
            Some(vec!["no-such".to_owned()])
        );
    }

    #[test]
    fn chains_parse_into_links_and_bad_ones_say_why() -> Result<(), Error> {
        let query = q(
            "PractitionerRole",
            &[
                ("organization.partof.name:exact", "x"),
                ("_has:Provenance:target:_id", "p1"),
            ],
        )?;
        let hops: Vec<(&str, &str)> = query.clauses[0]
            .links
            .iter()
            .map(|l| match l {
                Link::Forward { param, target_type } => (param.code, *target_type),
                Link::Reverse { param } => (param.code, param.resource),
            })
            .collect();
        assert_eq!(
            hops,
            [("organization", "Organization"), ("partof", "Organization")]
        );
        assert!(
            matches!(query.clauses[0].target, Target::Param(def) if def.code == "name" && def.resource == "Organization")
        );
        // `_has` on a PractitionerRole needs a parameter pointing to PractitionerRole.
        assert!(matches!(
            query.clauses[1].links[..],
            [Link::Reverse { param }] if param.resource == "Provenance" && param.code == "target"
        ));
        assert_eq!(query.clauses[1].target, Target::Id);
        let message = |params: &[(&str, &str)], rt: &str| {
            q(rt, params)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            message(
                &[("_has:Endpoint:organization:_id", "e1")],
                "PractitionerRole"
            )
            .contains("does not point to PractitionerRole")
        );
        let ambiguous = message(&[("provider.name", "x")], "ExplanationOfBenefit");
        assert!(
            ambiguous.contains("name one, as in provider:"),
            "{ambiguous}"
        );
        assert!(
            message(&[("provider:Patient.name", "x")], "ExplanationOfBenefit")
                .contains("does not point to Patient")
        );
        assert!(
            message(&[("type.name", "x")], "ExplanationOfBenefit")
                .contains("not a reference parameter")
        );
        assert!(
            message(&[("organization.nope", "x")], "PractitionerRole")
                .contains("has the search parameter nope")
        );
        assert!(
            message(&[("_has:PractitionerRole", "x")], "Practitioner")
                .contains("_has:Type:parameter:search")
        );
        assert!(
            message(&[("organization.name:below", "x")], "PractitionerRole").contains(":below")
        );
        Ok(())
    }

    #[test]
    fn date_prefixes_follow_r4() {
        let jan = (0, 31);
        assert!(date_matches(DatePrefix::Eq, jan, (1, 2)));
        assert!(!date_matches(DatePrefix::Eq, jan, (1, 40)));
        assert!(date_matches(DatePrefix::Gt, jan, (1, 40)));
        assert!(date_matches(DatePrefix::Ge, jan, (1, 2)));
        assert!(!date_matches(DatePrefix::Gt, jan, (1, 2)));
        assert!(date_matches(DatePrefix::Sa, jan, (31, 40)));
        assert!(date_matches(DatePrefix::Eb, jan, (-5, 0)));
        assert!(date_matches(DatePrefix::Ap, jan, (-5, 1)));
    }
}
