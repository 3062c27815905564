//! Which kinds of object the built-in provider makes, and the two names
//! each goes by.
//!
//! Every kind is implemented once, against its canonical attribute names
//! (kebab-case, Nimbus's). It is offered under two type names:
//!
//! - Nimbus's (`random-id`, attributes `byte-length`, ...), with Nimbus's
//!   choices where they differ from Terraform (see the crate's docs);
//! - Terraform's (`random_id`, attributes `byte_length`, ...), with
//!   Terraform's attributes, defaults and behaviour, so that a `.tf`
//!   project using hashicorp/null, random, local and time, and
//!   `terraform_data`, runs without a plugin and a Terraform state of such
//!   objects is adopted as it is.
//!
//! [`Dialect`] converts at the provider boundary: incoming objects get
//! canonical names, outgoing objects, attribute names of errors and the
//! attribute names quoted in messages get Terraform's.

use nimbus_provider::nimbus_value::{ProviderSchema, Schema, Value};
use nimbus_provider::{PlanResponse, ProviderDiagnostic, ProviderError};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The kinds of managed object and data source the built-in offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    NullResource,
    TerraformData,
    RandomId,
    RandomString,
    RandomPassword,
    RandomInteger,
    RandomPet,
    RandomShuffle,
    RandomUuid,
    LocalFile,
    LocalSensitiveFile,
    TimeStatic,
    TimeOffset,
    TimeRotating,
    TimeSleep,
}

impl Kind {
    pub(crate) const ALL: [Kind; 15] = [
        Kind::NullResource,
        Kind::TerraformData,
        Kind::RandomId,
        Kind::RandomString,
        Kind::RandomPassword,
        Kind::RandomInteger,
        Kind::RandomPet,
        Kind::RandomShuffle,
        Kind::RandomUuid,
        Kind::LocalFile,
        Kind::LocalSensitiveFile,
        Kind::TimeStatic,
        Kind::TimeOffset,
        Kind::TimeRotating,
        Kind::TimeSleep,
    ];

    /// Nimbus's type name; Terraform's is the same with underscores.
    pub(crate) fn nimbus_name(self) -> &'static str {
        match self {
            Kind::NullResource => "null-resource",
            Kind::TerraformData => "terraform-data",
            Kind::RandomId => "random-id",
            Kind::RandomString => "random-string",
            Kind::RandomPassword => "random-password",
            Kind::RandomInteger => "random-integer",
            Kind::RandomPet => "random-pet",
            Kind::RandomShuffle => "random-shuffle",
            Kind::RandomUuid => "random-uuid",
            Kind::LocalFile => "local-file",
            Kind::LocalSensitiveFile => "local-sensitive-file",
            Kind::TimeStatic => "time-static",
            Kind::TimeOffset => "time-offset",
            Kind::TimeRotating => "time-rotating",
            Kind::TimeSleep => "time-sleep",
        }
    }

    /// The Terraform provider whose type this kind implements.
    pub(crate) fn family(self) -> Family {
        match self {
            Kind::NullResource => Family::Null,
            Kind::TerraformData => Family::Terraform,
            Kind::RandomId
            | Kind::RandomString
            | Kind::RandomPassword
            | Kind::RandomInteger
            | Kind::RandomPet
            | Kind::RandomShuffle
            | Kind::RandomUuid => Family::Random,
            Kind::LocalFile | Kind::LocalSensitiveFile => Family::Local,
            Kind::TimeStatic | Kind::TimeOffset | Kind::TimeRotating | Kind::TimeSleep => {
                Family::Time
            }
        }
    }
}

/// The kinds of data source the built-in offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DataKind {
    LocalFile,
    LocalSensitiveFile,
    NullDataSource,
}

impl DataKind {
    pub(crate) const ALL: [DataKind; 3] = [
        DataKind::LocalFile,
        DataKind::LocalSensitiveFile,
        DataKind::NullDataSource,
    ];

    pub(crate) fn nimbus_name(self) -> &'static str {
        match self {
            DataKind::LocalFile => "local-file",
            DataKind::LocalSensitiveFile => "local-sensitive-file",
            DataKind::NullDataSource => "null-data-source",
        }
    }

    pub(crate) fn family(self) -> Family {
        match self {
            DataKind::LocalFile | DataKind::LocalSensitiveFile => Family::Local,
            DataKind::NullDataSource => Family::Null,
        }
    }
}

/// The providers whose types the built-in implements under their
/// Terraform names: `terraform_data` is Terraform's own
/// (`terraform.io/builtin/terraform`), the others are HashiCorp's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Null,
    Random,
    Local,
    Time,
    Terraform,
}

/// A Terraform provider the built-in stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerraformProvider {
    pub family: Family,
    /// Its type in the registry: `hashicorp/TYPE`.
    pub name: &'static str,
    /// The version whose types, attributes and behaviour the built-in
    /// implements: a `required_providers` constraint this version meets is
    /// served by the built-in.
    pub version: &'static str,
}

/// The HashiCorp providers the built-in implements, at the versions it
/// follows.
pub const TERRAFORM_PROVIDERS: [TerraformProvider; 4] = [
    TerraformProvider {
        family: Family::Null,
        name: "null",
        version: "3.2.2",
    },
    TerraformProvider {
        family: Family::Random,
        name: "random",
        version: "3.5.1",
    },
    TerraformProvider {
        family: Family::Local,
        name: "local",
        version: "2.4.1",
    },
    TerraformProvider {
        family: Family::Time,
        name: "time",
        version: "0.9.2",
    },
];

impl TerraformProvider {
    /// The provider of a registry source (`hashicorp/null`,
    /// `registry.terraform.io/hashicorp/null`); names compare ignoring
    /// case, as the registry does.
    pub fn for_source(source: &str) -> Option<&'static TerraformProvider> {
        let parts: Vec<&str> = source.split('/').collect();
        let (namespace, name) = match parts.as_slice() {
            [namespace, name] => (*namespace, *name),
            [host, namespace, name] if host.eq_ignore_ascii_case("registry.terraform.io") => {
                (*namespace, *name)
            }
            _ => return None,
        };
        if !namespace.eq_ignore_ascii_case("hashicorp") {
            return None;
        }
        TERRAFORM_PROVIDERS
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The provider Terraform implies for a provider configuration named
    /// `name` that gives no source (`hashicorp/NAME`).
    pub fn for_local_name(name: &str) -> Option<&'static TerraformProvider> {
        TERRAFORM_PROVIDERS.iter().find(|p| p.name == name)
    }

    /// `registry.terraform.io/hashicorp/NAME`.
    pub fn source(&self) -> String {
        format!("registry.terraform.io/hashicorp/{}", self.name)
    }
}

/// Which names a type goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Kebab-case names and Nimbus's behaviour.
    Nimbus,
    /// Terraform's names and behaviour.
    Terraform,
}

impl Dialect {
    /// A type or attribute name in this dialect.
    pub(crate) fn name(self, canonical: &str) -> Cow<'_, str> {
        match self {
            Dialect::Nimbus => Cow::Borrowed(canonical),
            Dialect::Terraform => Cow::Owned(canonical.replace('-', "_")),
        }
    }

    /// An object with canonical attribute names (only the top level:
    /// keys of maps inside, like `triggers`, are the user's).
    pub(crate) fn canonical(self, object: &Value) -> Cow<'_, Value> {
        rename(self, object, '_', '-')
    }

    /// An object with this dialect's attribute names.
    pub(crate) fn exposed(self, object: &Value) -> Cow<'_, Value> {
        rename(self, object, '-', '_')
    }

    pub(crate) fn expose_value(self, object: Value) -> Value {
        match self {
            Dialect::Nimbus => object,
            Dialect::Terraform => self.exposed(&object).into_owned(),
        }
    }

    /// A message with the attribute names it quotes (`` `byte-length` ``)
    /// in this dialect.
    pub(crate) fn message(self, text: &str) -> String {
        if self == Dialect::Nimbus || !text.contains('`') {
            return text.to_string();
        }
        let parts: Vec<&str> = text.split('`').collect();
        let last = parts.len() - 1;
        let mut out = String::with_capacity(text.len());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push('`');
            }
            // Odd parts sit between a pair of backticks; an unpaired
            // backtick quotes nothing.
            let quoted = i % 2 == 1 && i < last;
            let a_name = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '*');
            if quoted && a_name {
                out.push_str(&part.replace('-', "_"));
            } else {
                out.push_str(part);
            }
        }
        out
    }

    pub(crate) fn error(self, e: ProviderError) -> ProviderError {
        if self == Dialect::Nimbus {
            return e;
        }
        ProviderError {
            message: self.message(&e.message),
            attribute: e.attribute.map(|a| self.name(&a).into_owned()),
            kind: e.kind,
        }
    }

    pub(crate) fn diagnostic(self, d: ProviderDiagnostic) -> ProviderDiagnostic {
        if self == Dialect::Nimbus {
            return d;
        }
        ProviderDiagnostic {
            error: d.error,
            message: self.message(&d.message),
            attribute: d.attribute.map(|a| self.name(&a).into_owned()),
        }
    }

    pub(crate) fn plan(self, mut plan: PlanResponse) -> PlanResponse {
        if self == Dialect::Nimbus {
            return plan;
        }
        plan.planned_state = self.expose_value(plan.planned_state);
        plan.requires_replace = plan
            .requires_replace
            .iter()
            .map(|a| self.name(a).into_owned())
            .collect();
        plan.warnings = plan
            .warnings
            .into_iter()
            .map(|w| self.diagnostic(w))
            .collect();
        plan
    }

    /// A schema in canonical names as this dialect shows it.
    pub(crate) fn schema(self, canonical: &Schema) -> Schema {
        if self == Dialect::Nimbus {
            return canonical.clone();
        }
        Schema {
            version: canonical.version,
            description: self.message(&canonical.description),
            attributes: canonical
                .attributes
                .iter()
                .map(|(name, a)| {
                    let mut a = a.clone();
                    a.description = self.message(&a.description);
                    (self.name(name).into_owned(), a)
                })
                .collect(),
        }
    }
}

fn rename(dialect: Dialect, object: &Value, from: char, to: char) -> Cow<'_, Value> {
    if dialect == Dialect::Nimbus {
        return Cow::Borrowed(object);
    }
    match object {
        Value::Map(map) if map.keys().any(|k| k.contains(from)) => Cow::Owned(Value::Map(
            map.iter()
                .map(|(k, v)| (k.replace(from, &to.to_string()), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )),
        _ => Cow::Borrowed(object),
    }
}

/// A managed type as the provider offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResourceType {
    pub kind: Kind,
    pub dialect: Dialect,
}

/// A data source as the provider offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataType {
    pub kind: DataKind,
    pub dialect: Dialect,
}

/// Every type name a schema offers, with what it is.
#[derive(Debug, Default)]
pub(crate) struct Types {
    pub resources: BTreeMap<String, (ResourceType, std::sync::Arc<Schema>)>,
    pub data_sources: BTreeMap<String, (DataType, std::sync::Arc<Schema>)>,
}

impl Types {
    /// The types of the given dialects and families, with their canonical
    /// schemas, and the provider schema that shows them.
    pub(crate) fn build(dialects: &[Dialect], families: Option<Family>) -> (Types, ProviderSchema) {
        let mut types = Types::default();
        let mut schema = ProviderSchema {
            provider: Schema::new(
                "Built-in resources that need no remote service: placeholders, stored values, \
                 random values, local files and timestamps, under Nimbus's names and \
                 Terraform's (hashicorp/null, random, local, time, and terraform_data). Takes \
                 no configuration.",
            ),
            ..ProviderSchema::default()
        };
        let wanted = |family: Family| families.is_none_or(|f| f == family);
        for &dialect in dialects {
            for kind in Kind::ALL.into_iter().filter(|k| wanted(k.family())) {
                let canonical = std::sync::Arc::new(crate::schema::resource(kind, dialect));
                let name = dialect.name(kind.nimbus_name()).into_owned();
                schema.resources.insert(
                    name.clone(),
                    std::sync::Arc::new(dialect.schema(&canonical)),
                );
                types
                    .resources
                    .insert(name, (ResourceType { kind, dialect }, canonical));
            }
            for kind in DataKind::ALL.into_iter().filter(|k| wanted(k.family())) {
                let canonical = std::sync::Arc::new(crate::schema::data_source(kind, dialect));
                let name = dialect.name(kind.nimbus_name()).into_owned();
                schema.data_sources.insert(
                    name.clone(),
                    std::sync::Arc::new(dialect.schema(&canonical)),
                );
                types
                    .data_sources
                    .insert(name, (DataType { kind, dialect }, canonical));
            }
        }
        (types, schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_provider::testing::obj;

    #[test]
    fn messages_quote_names_in_the_dialect() {
        let t = Dialect::Terraform;
        assert_eq!(
            t.message("`byte-length` must be at most 4, see `min-*` and `x_y`; \"a-b\" `A-B`"),
            "`byte_length` must be at most 4, see `min_*` and `x_y`; \"a-b\" `A-B`"
        );
        assert_eq!(t.message("no quotes-here"), "no quotes-here");
        assert_eq!(t.message("odd ` quote-x"), "odd ` quote-x");
        assert_eq!(Dialect::Nimbus.message("`a-b`"), "`a-b`");
    }

    #[test]
    fn only_top_level_names_are_renamed() {
        let object = obj(&[
            ("byte_length", Value::int(1)),
            ("keepers", obj(&[("a_b", Value::string("c_d"))])),
        ]);
        let canonical = Dialect::Terraform.canonical(&object).into_owned();
        assert_eq!(
            canonical,
            obj(&[
                ("byte-length", Value::int(1)),
                ("keepers", obj(&[("a_b", Value::string("c_d"))])),
            ])
        );
        assert_eq!(Dialect::Terraform.exposed(&canonical).into_owned(), object);
        assert!(matches!(
            Dialect::Nimbus.canonical(&object),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn sources_name_the_providers_implemented() {
        for source in [
            "hashicorp/null",
            "registry.terraform.io/hashicorp/null",
            "HashiCorp/Null",
        ] {
            assert_eq!(
                TerraformProvider::for_source(source).map(|p| p.family),
                Some(Family::Null),
                "{source}"
            );
        }
        for source in [
            "example/null",
            "other.host/hashicorp/null",
            "hashicorp/aws",
            "null",
        ] {
            assert!(TerraformProvider::for_source(source).is_none(), "{source}");
        }
        assert_eq!(
            TerraformProvider::for_local_name("time").map(|p| p.source()),
            Some("registry.terraform.io/hashicorp/time".to_string())
        );
    }
}
