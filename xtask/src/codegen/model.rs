//! Reads the FHIR R4 StructureDefinitions into the types the emitter writes out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub(crate) type BoxError = Box<dyn std::error::Error>;

/// The Rust shape of one FHIR primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prim {
    Bool,
    Integer,
    Unsigned,
    Positive,
    Decimal,
    String,
    Date,
    DateTime,
    Instant,
    Time,
}

impl Prim {
    fn from_code(code: &str) -> Option<Prim> {
        Some(match code {
            "boolean" => Prim::Bool,
            "integer" => Prim::Integer,
            "unsignedInt" => Prim::Unsigned,
            "positiveInt" => Prim::Positive,
            "decimal" => Prim::Decimal,
            "date" => Prim::Date,
            "dateTime" => Prim::DateTime,
            "instant" => Prim::Instant,
            "time" => Prim::Time,
            "string" | "code" | "id" | "uri" | "url" | "canonical" | "oid" | "uuid"
            | "markdown" | "base64Binary" | "xhtml" => Prim::String,
            _ => return None,
        })
    }

    pub(crate) fn rust(self) -> &'static str {
        match self {
            Prim::Bool => "bool",
            Prim::Integer => "i32",
            Prim::Unsigned => "u32",
            Prim::Positive => "NonZeroU32",
            Prim::Decimal => "Decimal",
            Prim::String => "String",
            Prim::Date => "Date",
            Prim::DateTime => "DateTime",
            Prim::Instant => "Instant",
            Prim::Time => "Time",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum FieldType {
    /// A plain JSON string with no `_name` form (`Element.id`, `Extension.url`, `Resource.id`).
    PlainString,
    Primitive(Prim),
    /// A datatype or backbone struct, by Rust name; `boxed` breaks by-value cycles.
    Complex {
        name: String,
        boxed: bool,
    },
    /// Any resource (`contained`, `Bundle.entry.resource`).
    Resource,
    Choice {
        enum_name: String,
        variants: Vec<Variant>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Variant {
    /// Variant name and JSON key suffix, e.g. `CodeableConcept`.
    pub(crate) name: String,
    pub(crate) ty: VariantType,
}

#[derive(Debug, Clone)]
pub(crate) enum VariantType {
    Primitive(Prim),
    Complex(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// JSON name without `[x]`.
    pub(crate) json: String,
    pub(crate) rust: String,
    pub(crate) repeating: bool,
    pub(crate) ty: FieldType,
    pub(crate) doc: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Struct {
    pub(crate) name: String,
    /// FHIR path, e.g. `ExplanationOfBenefit.item`.
    pub(crate) path: String,
    pub(crate) doc: String,
    pub(crate) fields: Vec<Field>,
    /// R4 elements the JSON schema has but the definitions source lacks (see `Schema`).
    pub(crate) missing: Vec<String>,
}

/// One output unit: the datatypes, or one resource with its backbone elements.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Resource name, or `None` for the datatypes.
    pub(crate) resource: Option<String>,
    pub(crate) url: String,
    pub(crate) structs: Vec<Struct>,
}

pub(crate) struct Model {
    pub(crate) datatypes: Unit,
    pub(crate) resources: Vec<Unit>,
}

fn str_of<'v>(v: &'v Value, key: &str) -> Result<&'v str, BoxError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string `{key}` in {}", short(v)).into())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(120).collect()
}

fn definitions(bundle: &Value) -> Result<Vec<&Value>, BoxError> {
    let entries = bundle
        .get("entry")
        .and_then(Value::as_array)
        .ok_or("bundle without entry")?;
    Ok(entries
        .iter()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("StructureDefinition"))
        .collect())
}

pub(crate) fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
    }
    out.extend(chars);
    out
}

const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

pub(crate) fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if RUST_KEYWORDS.contains(&out.as_str()) {
        format!("r#{out}")
    } else {
        out
    }
}

/// Struct name for a backbone path: `ExplanationOfBenefit.item.detail` →
/// `ExplanationOfBenefitItemDetail`.
fn path_name(path: &str) -> String {
    path.split('.').map(pascal).collect()
}

fn doc_of(el: &Value) -> String {
    el.get("short")
        .and_then(Value::as_str)
        .or_else(|| el.get("definition").and_then(Value::as_str))
        .unwrap_or("")
        .to_owned()
}

pub(crate) fn load(types: &Value, resources: &Value, schema: &Value) -> Result<Model, BoxError> {
    let schema = Schema(
        schema
            .get("definitions")
            .ok_or("fhir.schema.json has no definitions")?,
    );
    // The definitions source carries a few non-R4 definitions (SubscriptionStatus from
    // R4B); only 4.0.1 ones are FHIR R4.
    let is_r4 = |sd: &&&Value| sd.get("fhirVersion").and_then(Value::as_str) == Some("4.0.1");
    let type_defs: Vec<&Value> = definitions(types)?
        .into_iter()
        .filter(|sd| is_r4(&sd))
        .collect();
    let resource_defs: Vec<&Value> = definitions(resources)?
        .into_iter()
        .filter(|sd| is_r4(&sd))
        .collect();

    let resource_names: BTreeSet<String> = resource_defs
        .iter()
        .filter(|sd| is_concrete(sd, "resource"))
        .map(|sd| str_of(sd, "type").map(str::to_owned))
        .collect::<Result<_, _>>()?;

    let mut datatypes = Unit {
        resource: None,
        url: "http://hl7.org/fhir/R4/datatypes.html".to_owned(),
        structs: Vec::new(),
    };
    for sd in &type_defs {
        if is_concrete(sd, "complex-type")
            && sd.get("derivation").and_then(Value::as_str) == Some("specialization")
        {
            datatypes
                .structs
                .extend(structs_of(sd, &resource_names, &schema)?);
        }
    }
    let mut resources_out = Vec::new();
    for sd in &resource_defs {
        if is_concrete(sd, "resource") {
            let name = str_of(sd, "type")?.to_owned();
            resources_out.push(Unit {
                url: format!("http://hl7.org/fhir/R4/{}.html", name.to_lowercase()),
                resource: Some(name),
                structs: structs_of(sd, &resource_names, &schema)?,
            });
        }
    }
    resources_out.sort_by(|a, b| a.resource.cmp(&b.resource));
    let mut model = Model {
        datatypes,
        resources: resources_out,
    };
    share_open_type(&mut model)?;
    check_unique_names(&model)?;
    box_cycles(&mut model);
    Ok(model)
}

fn is_concrete(sd: &Value, kind: &str) -> bool {
    sd.get("kind").and_then(Value::as_str) == Some(kind)
        && sd.get("abstract").and_then(Value::as_bool) != Some(true)
        // Element and BackboneElement are the abstract bases every struct already flattens.
        && !matches!(sd.get("type").and_then(Value::as_str), Some("Element" | "BackboneElement"))
}

/// The root struct of a definition and one struct per backbone element under it.
fn structs_of(
    sd: &Value,
    resource_names: &BTreeSet<String>,
    schema: &Schema<'_>,
) -> Result<Vec<Struct>, BoxError> {
    let ty = str_of(sd, "type")?;
    let elements = sd
        .pointer("/snapshot/element")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{ty}: no snapshot"))?;

    // Paths that have children become structs.
    let mut struct_paths: Vec<String> = vec![ty.to_owned()];
    let mut struct_docs: BTreeMap<String, String> = BTreeMap::new();
    struct_docs.insert(
        ty.to_owned(),
        sd.get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    );
    for el in elements {
        let path = str_of(el, "path")?;
        let has_children = elements.iter().any(|c| {
            c.get("path").and_then(Value::as_str).is_some_and(|p| {
                p.len() > path.len() + 1 && p.starts_with(path) && p.as_bytes()[path.len()] == b'.'
            })
        });
        if path != ty && has_children {
            struct_paths.push(path.to_owned());
            struct_docs.insert(path.to_owned(), doc_of(el));
        }
    }

    let mut structs: Vec<Struct> = struct_paths
        .iter()
        .map(|p| Struct {
            name: if p == ty { ty.to_owned() } else { path_name(p) },
            path: p.clone(),
            doc: struct_docs.get(p).cloned().unwrap_or_default(),
            fields: Vec::new(),
            missing: Vec::new(),
        })
        .collect();

    for el in elements {
        let path = str_of(el, "path")?;
        let Some((parent, last)) = path.rsplit_once('.') else {
            continue;
        };
        // `max: 0` elements are profiled away; elements without `isModifier` are additions
        // of the definitions source (Meta.project and friends), not FHIR.
        if el.get("max").and_then(Value::as_str) == Some("0") || el.get("isModifier").is_none() {
            continue;
        }
        let repeating = el.get("max").and_then(Value::as_str) != Some("1");
        let base_path = el
            .pointer("/base/path")
            .and_then(Value::as_str)
            .unwrap_or("");
        let json = last.trim_end_matches("[x]").to_owned();
        let ty_field = if matches!(base_path, "Element.id" | "Extension.url" | "Resource.id") {
            FieldType::PlainString
        } else if let Some(reference) = el.get("contentReference").and_then(Value::as_str) {
            let target = reference.trim_start_matches('#');
            FieldType::Complex {
                name: path_name(target),
                boxed: !repeating,
            }
        } else if struct_paths.iter().any(|p| p == path) {
            // Backbone elements are large and usually absent: a box keeps the parent small
            // to move and the parse frames small (they recurse through Bundle and contained).
            FieldType::Complex {
                name: path_name(path),
                boxed: !repeating,
            }
        } else {
            let codes: Vec<&str> = el
                .get("type")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{path}: no type"))?
                .iter()
                .map(|t| str_of(t, "code"))
                .collect::<Result<_, _>>()?;
            if last.ends_with("[x]") {
                let variants = codes
                    .iter()
                    .map(|code| {
                        Ok(Variant {
                            name: pascal(code),
                            ty: match Prim::from_code(code) {
                                Some(p) => VariantType::Primitive(p),
                                None => VariantType::Complex((*code).to_owned()),
                            },
                        })
                    })
                    .collect::<Result<Vec<_>, BoxError>>()?;
                FieldType::Choice {
                    enum_name: format!("{}{}", path_name(parent), pascal(&json)),
                    variants,
                }
            } else {
                let [code] = codes.as_slice() else {
                    return Err(format!("{path}: several types without [x]").into());
                };
                let code = code
                    .strip_prefix("http://hl7.org/fhirpath/System.")
                    .map(|system| fhir_type_of_system(el, system))
                    .unwrap_or(code);
                if let Some(p) = Prim::from_code(code) {
                    FieldType::Primitive(p)
                } else if code == "Resource" || resource_names.contains(code) {
                    FieldType::Resource
                } else {
                    FieldType::Complex {
                        name: code.to_owned(),
                        boxed: false,
                    }
                }
            }
        };
        let field = Field {
            rust: snake(&json),
            json,
            repeating,
            ty: ty_field,
            doc: doc_of(el),
        };
        let parent_struct = structs
            .iter_mut()
            .find(|s| s.path == parent)
            .ok_or_else(|| format!("{path}: parent {parent} is not a struct"))?;
        parent_struct.fields.push(field);
    }
    schema.reconcile(ty, &mut structs)?;
    Ok(structs)
}

/// The official FHIR R4 JSON schema (`fhir.schema.json`), used as the referee for which
/// JSON members each type has: the definitions source backports some R5 elements into a
/// few R4 StructureDefinitions (ResearchStudy, EvidenceVariable, Binary.url,
/// DeviceDefinition.bodySite). Elements the schema lacks are dropped; R4 members the
/// StructureDefinition lacks are listed on the struct (lenient parsing keeps them).
struct Schema<'v>(&'v Value);

/// Members the definitions source adds to the schema for its own server; none is in FHIR
/// R4 (compare http://hl7.org/fhir/R4/resource.html#Meta, references.html,
/// operationoutcome.html, observationdefinition.html).
const SOURCE_ADDITIONS: &[(&str, &str)] = &[
    ("Meta", "project"),
    ("Meta", "author"),
    ("Meta", "account"),
    ("Meta", "compartment"),
    ("Reference", "resource"),
    ("ObservationDefinition", "publisher"),
    ("OperationOutcome", "status"),
    ("OperationOutcome", "resource"),
];

impl Schema<'_> {
    fn properties(&self, def: &str) -> Option<&serde_json::Map<String, Value>> {
        self.0.get(def)?.get("properties")?.as_object()
    }

    /// The schema definition a member of `def` refers to (`ExplanationOfBenefit_Item`).
    fn child_def(&self, def: &str, member: &str) -> Option<String> {
        let prop = self.properties(def)?.get(member)?;
        let reference = prop
            .pointer("/items/$ref")
            .or_else(|| prop.get("$ref"))?
            .as_str()?;
        reference.strip_prefix("#/definitions/").map(str::to_owned)
    }

    fn reconcile(&self, ty: &str, structs: &mut Vec<Struct>) -> Result<(), BoxError> {
        let mut defs: BTreeMap<String, String> = BTreeMap::new();
        defs.insert(ty.to_owned(), ty.to_owned());
        for s in structs.iter_mut() {
            let path = s.path.clone();
            let Some(def) = defs.get(&path).cloned() else {
                // Its element was dropped from the parent: not R4.
                continue;
            };
            let props = self
                .properties(&def)
                .ok_or_else(|| format!("{def}: not in the JSON schema"))?;
            let mut seen: BTreeSet<String> = BTreeSet::new();
            s.fields.retain_mut(|f| match &mut f.ty {
                FieldType::Choice { variants, .. } => {
                    variants.retain(|v| props.contains_key(&format!("{}{}", f.json, v.name)));
                    seen.extend(variants.iter().map(|v| format!("{}{}", f.json, v.name)));
                    !variants.is_empty()
                }
                _ => {
                    seen.insert(f.json.clone());
                    props.contains_key(&f.json)
                }
            });
            s.missing = props
                .keys()
                .filter(|k| !k.starts_with('_') && *k != "resourceType" && !seen.contains(*k))
                .filter(|k| !SOURCE_ADDITIONS.contains(&(def.as_str(), k.as_str())))
                // The schema lets every nested type have modifierExtension; R4 gives it
                // only to BackboneElements.
                .filter(|k| *k != "modifierExtension")
                .cloned()
                .collect();
            for f in &s.fields {
                if let FieldType::Complex { .. } = f.ty
                    && let Some(child) = self.child_def(&def, &f.json)
                {
                    defs.insert(format!("{path}.{}", f.json), child);
                }
            }
        }
        structs.retain(|s| defs.contains_key(&s.path));
        Ok(())
    }
}

/// `System.String` and friends carry the FHIR type in an extension.
fn fhir_type_of_system<'v>(el: &'v Value, system: &'v str) -> &'v str {
    el.get("type")
        .and_then(Value::as_array)
        .and_then(|types| types.first())
        .and_then(|t| t.get("extension"))
        .and_then(Value::as_array)
        .and_then(|exts| exts.first())
        .and_then(|e| e.get("valueUrl"))
        .and_then(Value::as_str)
        .unwrap_or(match system {
            "Boolean" => "boolean",
            "Integer" => "integer",
            "Decimal" => "decimal",
            "Date" => "date",
            "DateTime" => "dateTime",
            "Time" => "time",
            _ => "string",
        })
}

/// Open-typed elements (`Extension.value[x]` and the eight others that take any datatype)
/// share one enum, `OpenType`, instead of nine identical 50-variant copies.
fn share_open_type(model: &mut Model) -> Result<(), BoxError> {
    let open: Vec<String> = model
        .datatypes
        .structs
        .iter()
        .filter(|s| s.path == "Extension")
        .flat_map(|s| &s.fields)
        .find_map(|f| match &f.ty {
            FieldType::Choice { variants, .. } => {
                Some(variants.iter().map(|v| v.name.clone()).collect())
            }
            _ => None,
        })
        .ok_or("Extension has no value[x]")?;
    let units = std::iter::once(&mut model.datatypes).chain(model.resources.iter_mut());
    for unit in units {
        for s in &mut unit.structs {
            for f in &mut s.fields {
                if let FieldType::Choice {
                    enum_name,
                    variants,
                } = &mut f.ty
                    && variants.iter().map(|v| &v.name).eq(open.iter())
                {
                    *enum_name = super::emit::OPEN_TYPE.to_owned();
                }
            }
        }
    }
    Ok(())
}

fn check_unique_names(model: &Model) -> Result<(), BoxError> {
    let mut seen = BTreeSet::new();
    let units = std::iter::once(&model.datatypes).chain(&model.resources);
    for unit in units {
        for s in &unit.structs {
            if !seen.insert(s.name.clone()) {
                return Err(format!("two types are named {}", s.name).into());
            }
            for f in &s.fields {
                if let FieldType::Choice { enum_name, .. } = &f.ty
                    && enum_name != super::emit::OPEN_TYPE
                    && !seen.insert(enum_name.clone())
                {
                    return Err(format!("two types are named {enum_name}").into());
                }
            }
        }
    }
    Ok(())
}

/// Boxes every singular by-value field whose type can contain the struct it sits in
/// (`Identifier.assigner` → `Reference` → `Reference.identifier` → `Identifier`).
/// Choice variants are always boxed and arrays are already indirect, so only these edges
/// can make a type infinitely large.
fn box_cycles(model: &mut Model) {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let units = std::iter::once(&model.datatypes).chain(&model.resources);
    for unit in units {
        for s in &unit.structs {
            let targets = edges.entry(s.name.clone()).or_default();
            for f in &s.fields {
                if let FieldType::Complex { name, .. } = &f.ty
                    && !f.repeating
                {
                    targets.insert(name.clone());
                }
            }
        }
    }
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone())
                && let Some(next) = edges.get(&n)
            {
                stack.extend(next.iter().cloned());
            }
        }
        false
    };
    let units = std::iter::once(&mut model.datatypes).chain(model.resources.iter_mut());
    for unit in units {
        for s in &mut unit.structs {
            for f in &mut s.fields {
                if let FieldType::Complex { name, boxed } = &mut f.ty
                    && !f.repeating
                    && reaches(name, &s.name)
                {
                    *boxed = true;
                }
            }
        }
    }
}
