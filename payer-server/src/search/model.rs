//! The shape of the generated search parameter table (`src/generated/search_params.rs`).

/// The type of a search parameter (`SearchParameter.type`), for the types the server
/// indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamType {
    /// Codes, identifiers, booleans (`system|code`).
    Token,
    /// Strings, names and addresses (case- and accent-insensitive prefix match).
    String,
    /// Dates and periods, compared as ranges.
    Date,
    /// References to other resources.
    Reference,
}

impl ParamType {
    /// The `SearchParameter.type` code.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Token => "token",
            ParamType::String => "string",
            ParamType::Date => "date",
            ParamType::Reference => "reference",
        }
    }
}

/// A search parameter the server can index: which resource, which code, which type, and
/// the paths its FHIRPath expression selects.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchParamDef {
    /// The resource type it searches (`ExplanationOfBenefit`).
    pub resource: &'static str,
    /// The name in the query string (`service-date`).
    pub code: &'static str,
    /// Its type.
    pub kind: ParamType,
    /// The canonical URL of the definition.
    pub url: &'static str,
    /// The FHIRPath expression, as published.
    pub expression: &'static str,
    /// The expression compiled to paths: the values are the union of what each path
    /// selects.
    pub(crate) paths: &'static [&'static [Step]],
    /// For a reference parameter, the resource types it may point to (`target`, sorted).
    pub targets: &'static [&'static str],
}

/// One step of a compiled search path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A member (`patient`); a choice's members are `Choice`.
    Member(&'static str),
    /// A choice element restricted to some types (`onset.as(dateTime)`), or all of them
    /// (`effective`): the JSON member names to take (`onsetDateTime`, `onsetPeriod`).
    Choice(&'static [&'static str]),
    /// `.where(resolve() is Patient)`: references to this type only.
    ResolvesTo(&'static str),
    /// `.where(member = 'value')`, such as `extension.where(url = '...')`.
    WhereEquals(&'static str, &'static str),
}
