//! The shape of the generated profile tables (`src/generated/profiles.rs`).
//!
//! `cargo xtask codegen` turns each StructureDefinition snapshot into a tree of [`Node`]s,
//! keeping only the elements that carry a constraint the validator checks (and their
//! ancestors); everything here is `'static` data with no parsing at run time.

/// `max` of an element whose cardinality is unbounded (`*`).
pub(crate) const MANY: u32 = u32::MAX;

/// The implementation guide a profile comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ig {
    /// CARIN Consumer Directed Payer Data Exchange (CARIN Blue Button) 2.0.0.
    CarinBb200,
    /// US Core 3.1.1.
    UsCore311,
    /// US Core 6.1.0.
    UsCore610,
    /// Da Vinci Payer Data Exchange (PDex) 2.0.0.
    Pdex200,
    /// Da Vinci PDex Plan-Net 1.1.0.
    PlanNet110,
}

impl Ig {
    /// Every implementation guide with generated profiles, in a fixed order.
    pub const ALL: [Ig; 5] = [
        Ig::CarinBb200,
        Ig::UsCore311,
        Ig::UsCore610,
        Ig::Pdex200,
        Ig::PlanNet110,
    ];

    /// The package id and version, e.g. `hl7.fhir.us.carin-bb#2.0.0`.
    pub fn package(self) -> &'static str {
        match self {
            Ig::CarinBb200 => "hl7.fhir.us.carin-bb#2.0.0",
            Ig::UsCore311 => "hl7.fhir.us.core#3.1.1",
            Ig::UsCore610 => "hl7.fhir.us.core#6.1.0",
            Ig::Pdex200 => "hl7.fhir.us.davinci-pdex#2.0.0",
            Ig::PlanNet110 => "hl7.fhir.us.davinci-pdex-plan-net#1.1.0",
        }
    }
}

/// A profile (or extension definition) from one of the implementation guides: the
/// constraints of its StructureDefinition snapshot that the validator checks.
///
/// Get one from [`crate::profiles`] or [`crate::profile`]; validate with
/// [`crate::validate_as`].
#[derive(Debug)]
pub struct Profile {
    pub(crate) url: &'static str,
    pub(crate) version: &'static str,
    pub(crate) ig: Ig,
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) resource_type: &'static str,
    pub(crate) elements: &'static [Node],
    pub(crate) invariants: &'static [Invariant],
}

impl Profile {
    /// The canonical URL (`StructureDefinition.url`), without version.
    pub fn url(&self) -> &'static str {
        self.url
    }

    /// The business version, which is the IG's version.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// `url|version`, the form `meta.profile` may use to name one version.
    pub fn versioned_url(&self) -> String {
        format!("{}|{}", self.url, self.version)
    }

    /// The implementation guide it comes from.
    pub fn ig(&self) -> Ig {
        self.ig
    }

    /// The computer-friendly name (`StructureDefinition.name`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The human title.
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// The resource type it constrains (`Extension` for extension definitions).
    pub fn resource_type(&self) -> &'static str {
        self.resource_type
    }

    /// Whether this is an extension definition rather than a resource profile.
    pub fn is_extension(&self) -> bool {
        self.resource_type == "Extension"
    }

    /// The keys of the profile's own invariants (FHIRPath constraints the IG adds), each
    /// with whether this crate checks it.
    pub fn invariants(&self) -> impl Iterator<Item = (&'static str, bool)> + '_ {
        self.invariants
            .iter()
            .map(|i| (i.key, super::invariants::is_supported(self, i.key)))
    }
}

/// A FHIRPath invariant an IG declares, kept so the supported and skipped ones can be
/// listed; the supported ones are written in Rust in `invariants.rs`.
#[derive(Debug)]
pub(crate) struct Invariant {
    pub(crate) key: &'static str,
    /// `severity: error` (else `warning`).
    pub(crate) error: bool,
    pub(crate) human: &'static str,
}

/// One element of a profile: its constraints and the constrained elements below it.
#[derive(Debug)]
pub(crate) struct Node {
    /// The element id in the snapshot (`ExplanationOfBenefit.item.adjudication:denialreason`).
    pub(crate) id: &'static str,
    /// The JSON member name; `value[x]` for a choice.
    pub(crate) name: &'static str,
    pub(crate) min: u32,
    pub(crate) max: u32,
    /// The allowed types, kept for choices and bound elements.
    pub(crate) types: &'static [&'static str],
    pub(crate) fixed: Option<&'static Json>,
    pub(crate) pattern: Option<&'static Json>,
    /// A required binding to a value set the package lets us expand.
    pub(crate) binding: Option<&'static ValueSet>,
    /// Reference target resource types, when the profile narrows them.
    pub(crate) targets: &'static [&'static str],
    /// Extension definitions (or other profiles) the value must also conform to.
    pub(crate) profiles: &'static [&'static Profile],
    pub(crate) slicing: Option<&'static Slicing>,
    pub(crate) children: &'static [Node],
}

impl Node {
    /// A node with no constraints, for `..Node::EMPTY` in the generated tables.
    pub(crate) const EMPTY: Node = Node {
        id: "",
        name: "",
        min: 0,
        max: MANY,
        types: &[],
        fixed: None,
        pattern: None,
        binding: None,
        targets: &[],
        profiles: &[],
        slicing: None,
        children: &[],
    };
}

/// How the repetitions of an element are divided into named slices.
#[derive(Debug)]
pub(crate) struct Slicing {
    /// The discriminator paths (`category`, `coding.code`, `$this`); each slice has one
    /// key per path, which also carries the discriminator's type.
    pub(crate) discriminators: &'static [&'static str],
    /// `rules: closed`: a repetition that matches no slice is an error.
    pub(crate) closed: bool,
    pub(crate) slices: &'static [Slice],
}

/// One slice: what a repetition must have at each discriminator path to belong to it (one
/// key per discriminator, in order) and the constraints that then apply to it.
#[derive(Debug)]
pub(crate) struct Slice {
    pub(crate) name: &'static str,
    pub(crate) keys: &'static [SliceKey],
    pub(crate) node: Node,
}

/// What a slice requires at one discriminator path.
#[derive(Debug)]
pub(crate) enum SliceKey {
    /// Equal to this value (`fixed[x]`).
    Fixed(&'static Json),
    /// Contains this value (`pattern[x]`).
    Pattern(&'static Json),
    /// A code from this value set (a required binding used as discriminator).
    Binding(&'static ValueSet),
    /// Of this FHIR type (`type` discriminator).
    Type(&'static str),
}

/// A JSON value in a fixed or pattern constraint.
#[derive(Debug)]
pub(crate) enum Json {
    Bool(bool),
    Str(&'static str),
    Arr(&'static [Json]),
    Obj(&'static [(&'static str, Json)]),
}

/// A value set, expanded at generation time as far as the packages allow.
#[derive(Debug)]
pub(crate) struct ValueSet {
    pub(crate) url: &'static str,
    pub(crate) includes: &'static [Include],
}

/// The codes of one system a value set includes.
#[derive(Debug)]
pub(crate) struct Include {
    pub(crate) system: &'static str,
    /// Sorted codes; `None` when the value set takes every code of the system (or codes the
    /// packages do not enumerate, such as CPT or LOINC filters): only the system is checked.
    pub(crate) codes: Option<&'static [&'static str]>,
}
