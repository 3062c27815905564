//! The configuration model. Expressions stay as syntax nodes here: how an
//! attribute's form is read depends on the resource type's schema, which
//! only the evaluator (given the providers) knows.

use nimbus_syntax::{Node, Span};
use nimbus_value::Type;
use std::path::PathBuf;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

impl Name {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// One `(NAME ARGS...)` form inside a block body, e.g. `(tags (Env "prod"))`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeForm {
    pub name: Name,
    pub args: Vec<Node>,
    /// The whole form.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub condition: Node,
    pub message: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: Name,
    pub ty: Type,
    pub default: Option<Node>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// Whether null is an acceptable value (default: true, as Terraform).
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Local {
    pub name: Name,
    pub value: Node,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderBlock {
    /// The provider's name: `aws`, `localstack`, `null`, ...
    pub name: Name,
    pub alias: Option<Name>,
    pub attributes: Vec<AttributeForm>,
    pub span: Span,
    /// Made from a `required-providers` entry, not written: the module
    /// names the provider but configures nothing. In the root module it
    /// is an (empty) configuration; in a called module it is none, so the
    /// module's resources use the configurations their call gives them.
    pub implied: bool,
}

impl ProviderBlock {
    /// `aws` or `aws.west`: how resources refer to this configuration.
    pub fn address(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}.{}", self.name.text, alias.text),
            None => self.name.text.clone(),
        }
    }
}

impl Module {
    /// The provider configurations the module writes itself (not those
    /// only its `required-providers` implies). A called module's own
    /// configurations serve its resources (Terraform's legacy
    /// configurations inside a module, `module.x.provider["..."]`).
    pub fn own_providers(&self) -> impl Iterator<Item = (usize, &ProviderBlock)> {
        self.providers
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.implied)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// `resource`: created and owned by Nimbus.
    Managed,
    /// `data`: read-only lookup.
    Data,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: Vec<Name>,
    /// `(ignore-changes all)`
    pub ignore_all_changes: bool,
    /// `(precondition COND MESSAGE)`: checked before the instance is
    /// planned (at apply when unknown while planning).
    pub preconditions: Vec<Condition>,
    /// `(postcondition COND MESSAGE)`: checked on the planned object, or
    /// after the apply when the plan does not know it; `self` is the object.
    pub postconditions: Vec<Condition>,
    /// `(replace-triggered-by REF...)`: `(ref TYPE "NAME" [KEY] [ATTR...])`
    /// of managed resources whose change replaces this one.
    pub replace_triggered_by: Vec<Node>,
}

/// A custom condition: a precondition, postcondition or a check's
/// assertion. The message is an expression (a string, or a template that
/// refers to values).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub condition: Node,
    pub message: Node,
    /// The whole form.
    pub span: Span,
}

/// `(check "NAME" (assert COND MESSAGE) ...)`: assertions evaluated at the
/// end of every plan and apply; a failure is a warning, never an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: Name,
    pub asserts: Vec<Condition>,
    /// Its scoped data sources, by type and name: declared in
    /// `Module::resources` like any other, read like any other, but only
    /// this check may refer to them and a failure to read one is a
    /// warning.
    pub data: Vec<(String, String)>,
    pub span: Span,
}

impl Module {
    /// The check whose scoped data source this is, if any.
    pub fn check_of_data(&self, type_name: &str, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| {
            c.data
                .iter()
                .any(|(t, n)| t.as_str() == type_name && n.as_str() == name)
        })
    }
}

/// A reference written in `depends-on`.
#[derive(Debug, Clone, PartialEq)]
pub struct DependsOn {
    pub target: Dependency,
    pub span: Span,
}

/// What a `depends-on` names, in the module it is written in.
#[derive(Debug, Clone, PartialEq)]
pub enum Dependency {
    /// `(ref TYPE "NAME")` or `(ref data TYPE "NAME")`: a resource block or
    /// data source.
    Block {
        mode: Mode,
        type_name: String,
        name: String,
    },
    /// `(module NAME)`: every resource and data source of the instances
    /// of the `include` NAME, and of the modules they include.
    Module(String),
}

impl DependsOn {
    /// The block it names, if it names one: `(mode, type, name)`.
    pub fn block(&self) -> Option<(Mode, &str, &str)> {
        match &self.target {
            Dependency::Block {
                mode,
                type_name,
                name,
            } => Some((*mode, type_name, name)),
            Dependency::Module(_) => None,
        }
    }

    /// The module call it names, if it names one.
    pub fn module(&self) -> Option<&str> {
        match &self.target {
            Dependency::Module(name) => Some(name),
            Dependency::Block { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: Name,
    pub name: Name,
    pub attributes: Vec<AttributeForm>,
    pub count: Option<Node>,
    pub for_each: Option<Node>,
    pub depends_on: Vec<DependsOn>,
    /// `(provider aws.west)`: which provider configuration to use.
    pub provider: Option<Name>,
    pub lifecycle: Lifecycle,
    /// `(policy-exception "RULE" (reason "...") [(expires "YYYY-MM-DD")])`:
    /// policy rules this resource is excepted from. The engine checks the
    /// rule ids and dates.
    pub policy_exceptions: Vec<PolicyException>,
    pub span: Span,
}

/// An inline exception from a policy rule, on one resource block.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyException {
    /// The rule's id, as reports show it (`POLICY.KIND`).
    pub rule: Name,
    /// Why: required, shown in every report.
    pub reason: String,
    /// `YYYY-MM-DD`, as written: after that day the exception no longer
    /// holds and the rule's failure blocks.
    pub expires: Option<Name>,
    pub span: Span,
}

impl Resource {
    /// `TYPE.NAME`, or `data.TYPE.NAME`, without module prefix or index.
    ///
    /// Built by hand rather than with `format!`: the engine asks for it for
    /// every vertex and instance, and formatting costs several times more.
    pub fn address(&self) -> String {
        let prefix = match self.mode {
            Mode::Managed => "",
            Mode::Data => "data.",
        };
        let (t, n) = (self.type_name.text.as_str(), self.name.text.as_str());
        let mut out = String::with_capacity(prefix.len() + t.len() + 1 + n.len());
        out.push_str(prefix);
        out.push_str(t);
        out.push('.');
        out.push_str(n);
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: Name,
    pub value: Node,
    pub sensitive: bool,
    pub description: Option<String>,
    /// `(depends-on ...)`: blocks to finish before the output is read.
    /// Checked at load; the engine does not order outputs by it yet.
    pub depends_on: Vec<DependsOn>,
    /// `(precondition COND MESSAGE)`: checked before the value is recorded.
    pub preconditions: Vec<Condition>,
    pub span: Span,
}

/// `(required-providers (NAME (source "...") (version "...")) ...)`: where
/// a provider comes from (Terraform's `required_providers`). Load adds the
/// source and version to the module's configurations of that provider,
/// making an empty one when the module has none.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredProvider {
    pub name: Name,
    /// The `(source ...)` and `(version ...)` forms as written.
    pub settings: Vec<AttributeForm>,
    pub span: Span,
}

/// `(use-module [NAME] "path")`: makes a module available under NAME.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleImport {
    pub name: Name,
    /// As written, relative to the importing file's directory.
    pub path: String,
    pub resolved: PathBuf,
    pub span: Span,
}

/// `(include MODULE ["instance"] [(count N) | (for-each EXPR)] (input value)...)`:
/// one instance of a module, or one per `count` index or `for-each` key.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleCall {
    /// Instance name; addresses inside get the prefix `module.NAME.`
    /// (`module.NAME[0].` or `module.NAME["key"].` with `count`/`for-each`).
    pub name: Name,
    pub module: Name,
    pub inputs: Vec<AttributeForm>,
    pub count: Option<Node>,
    pub for_each: Option<Node>,
    /// `(depends-on DEP ...)`: blocks of the calling module that every
    /// resource and data source of the called module (and of the modules
    /// it calls) waits for (Terraform's `depends_on` on a `module`).
    pub depends_on: Vec<DependsOn>,
    /// `(providers (INNER OUTER) ...)`: the called module's provider
    /// configuration `INNER` (`aws`, `aws.east`) is the calling module's
    /// `OUTER` (Terraform's `providers = { aws = aws.west }`). Default
    /// configurations not listed are inherited, as without the form.
    pub providers: Vec<PassedProvider>,
    pub span: Span,
}

/// One entry of an `include`'s `(providers ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PassedProvider {
    /// The configuration as the called module names it.
    pub inner: Name,
    /// The configuration of the calling module it stands for.
    pub outer: Name,
    pub span: Span,
}

impl ModuleCall {
    /// Whether the call makes one instance per `count` index or
    /// `for-each` key rather than a single one.
    pub fn is_repeated(&self) -> bool {
        self.count.is_some() || self.for_each.is_some()
    }
}

/// `(policy-file "GLOB" [(enforcement LEVEL)])`: Rego (OPA) policy files,
/// evaluated over the plan's JSON document. The files are read with the
/// module, so they belong to the configuration as its own files do (a
/// saved plan is bound to them).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    /// The pattern, relative to the module's directory (`*` within a
    /// directory, `**` across them).
    pub pattern: Name,
    /// The level of its `deny` and `violation` findings (`warn` is always
    /// advisory); mandatory when not given.
    pub enforcement: Option<Enforcement>,
    /// The files the pattern matched, in the source map, sorted by path.
    pub files: Vec<nimbus_syntax::FileId>,
    pub span: Span,
}

/// How a policy rule's failure is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Enforcement {
    /// A warning; the run goes on.
    Advisory,
    /// Blocks the plan, apply or destroy.
    Mandatory,
    /// Blocks unless overridden (`--override RULE --reason TEXT`).
    SoftMandatory,
    /// Not evaluated.
    Disabled,
}

impl Enforcement {
    pub const NAMES: &'static [&'static str] =
        &["advisory", "mandatory", "soft-mandatory", "disabled"];

    pub fn parse(text: &str) -> Option<Enforcement> {
        Some(match text {
            "advisory" => Enforcement::Advisory,
            "mandatory" => Enforcement::Mandatory,
            "soft-mandatory" => Enforcement::SoftMandatory,
            "disabled" => Enforcement::Disabled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Advisory => "advisory",
            Enforcement::Mandatory => "mandatory",
            Enforcement::SoftMandatory => "soft-mandatory",
            Enforcement::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRule {
    /// `deny`, `warn`, `require-approval`, `require-tags`.
    pub kind: Name,
    pub args: Vec<Node>,
    pub span: Span,
    /// The rule's name for reports and `--override`: `POLICY.KIND`, or
    /// `POLICY.KIND.N` (N counting from 1) when the policy has several
    /// rules of that kind.
    pub id: String,
    /// `deny`/`warn`: the provider action it matches.
    pub action: Option<String>,
    /// `(when CONDITION)`.
    pub condition: Option<Node>,
    /// `require-tags`: the tag names.
    pub tags: Vec<String>,
    /// `(enforcement LEVEL)` of the rule, else of its policy, else the
    /// kind's default ([`PolicyRule::enforcement`]).
    pub enforcement: Option<Enforcement>,
    /// `(message "TEXT")`: what to do about a failure, shown with every
    /// finding of the rule.
    pub message: Option<String>,
    /// What the rule checks, in words, when its condition is not the
    /// best reading of it (the rules of a built-in rule set); reports
    /// otherwise quote the rule's source.
    pub summary: Option<String>,
}

impl PolicyRule {
    /// The level in force: the rule's own; else advisory for a `warn`;
    /// else its policy's; else the default of its kind
    /// (`require-approval` soft-mandatory, `deny` and `require-tags`
    /// mandatory).
    pub fn enforcement(&self, policy: &Policy) -> Enforcement {
        if let Some(level) = self.enforcement {
            return level;
        }
        match self.kind.as_str() {
            "warn" => Enforcement::Advisory,
            "require-approval" => policy.enforcement.unwrap_or(Enforcement::SoftMandatory),
            _ => policy.enforcement.unwrap_or(Enforcement::Mandatory),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: Name,
    pub rules: Vec<PolicyRule>,
    pub span: Span,
    /// `(enforcement LEVEL)` at the policy's level: its rules' default.
    pub enforcement: Option<Enforcement>,
    /// `(use-policies SET ...)`: a built-in rule set the configuration
    /// opted into, rather than a `define-policy` of its own. Its rules'
    /// ids are `SET/RULE`, and their spans are the `use-policies` form's.
    pub builtin: bool,
}

/// Everything declared by one directory (or file) of `.nim` sources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Module {
    pub dir: PathBuf,
    /// `dir` relative to the root module's directory, `.` for the root
    /// itself: what `path-module` gives.
    pub path_from_root: String,
    pub infrastructure_names: Vec<Name>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub providers: Vec<ProviderBlock>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    pub imports: Vec<ModuleImport>,
    pub calls: Vec<ModuleCall>,
    pub policies: Vec<Policy>,
    /// `(policy-file "GLOB" ...)`: Rego policies, read with the module.
    pub policy_files: Vec<PolicyFile>,
    pub required_providers: Vec<RequiredProvider>,
    /// `(check ...)` blocks.
    pub checks: Vec<Check>,
    /// `(moved ...)`: objects recorded under another address.
    pub moved: Vec<Moved>,
    /// `(removed ...)`: blocks taken out of the configuration on purpose.
    pub removed: Vec<Removed>,
    /// `(import ...)`: existing objects to bring under management.
    pub import_blocks: Vec<ImportBlock>,
    /// `(define ...)`: the module's own values and functions.
    pub definitions: Vec<Definition>,
    /// `(backend ...)`: where the root module's state is kept. Always
    /// `None` in a child module (its backend is ignored with a warning,
    /// as Terraform does).
    pub backend: Option<Backend>,
}

/// `(backend KIND (SETTING VALUE) ...)`: where state is kept (Terraform's
/// `terraform { backend "KIND" { ... } }`). Settings are literals: a
/// backend is chosen before anything is evaluated. Credentials are never
/// part of it; they come from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub kind: BackendKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BackendKind {
    /// `(backend local [(path DIR)])`: the state directory, `.nimbus` by
    /// default, relative to the root module.
    Local { path: String },
    /// `(backend postgres [(url "postgres://USER@HOST/DB")] [(schema S)])`.
    /// Without `url` the URL is read at run time from `NIMBUS_PG_URL`,
    /// then `PG_CONN_STR`. The URL holds no password (`PGPASSWORD` does).
    Postgres { url: Option<String>, schema: String },
    /// `(backend s3 (bucket B) (key K) ...)`: one object per state.
    S3 {
        bucket: String,
        key: String,
        /// `None`: the region of the environment (`AWS_REGION`, ...).
        region: Option<String>,
        /// An S3-compatible endpoint instead of AWS's.
        endpoint: Option<String>,
        lock: S3Lock,
        /// The table of `S3Lock::DynamoDb`.
        dynamodb_table: Option<String>,
        /// Server-side encryption of the state object.
        encrypt: bool,
    },
}

/// How an S3 backend keeps two runs from writing the state at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Lock {
    /// A `KEY.tflock` object written with a conditional put (the default
    /// without a DynamoDB table).
    Lockfile,
    /// An item in the DynamoDB table `dynamodb_table`.
    DynamoDb,
    /// No lock (`(lock none)`; Terraform's S3 backend without
    /// `use_lockfile` or `dynamodb_table`).
    None,
}

impl BackendKind {
    /// The kind as written in `.nim`: `local`, `postgres`, `s3`.
    pub fn name(&self) -> &'static str {
        match self {
            BackendKind::Local { .. } => "local",
            BackendKind::Postgres { .. } => "postgres",
            BackendKind::S3 { .. } => "s3",
        }
    }
}

impl S3Lock {
    pub fn name(self) -> &'static str {
        match self {
            S3Lock::Lockfile => "lockfile",
            S3Lock::DynamoDb => "dynamodb",
            S3Lock::None => "none",
        }
    }
}

/// `(define NAME EXPRESSION)` or `(define (NAME PARAMETER...) BODY)` at
/// module level: a name every expression of the module can use. A body
/// refers to no declaration (no `ref`, `var`, `local`, `module-output`):
/// what it needs comes in as arguments, so the dependency graph of the
/// blocks that call it is the one their own text shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub name: Name,
    /// `None` for `(define NAME EXPRESSION)`; the parameters of a function.
    pub parameters: Option<Parameters>,
    /// The expression, or the function's body.
    pub body: Node,
    pub span: Span,
}

/// The parameters of a function (`define` or `lambda`):
/// `(a b (c DEFAULT) . rest)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters {
    /// Names that every call gives.
    pub required: Vec<Name>,
    /// `(NAME DEFAULT)`: a call may leave them out, from the right; the
    /// DEFAULT expression is evaluated at the call, seeing the parameters
    /// before it.
    pub optional: Vec<(Name, Node)>,
    /// After a `.`: the list of the remaining arguments.
    pub rest: Option<Name>,
}

impl Parameters {
    /// Every parameter's name, in order.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.required
            .iter()
            .chain(self.optional.iter().map(|(n, _)| n))
            .chain(self.rest.iter())
    }
}

impl Module {
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name.text == name)
    }

    pub fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.mode == mode && r.type_name.text == type_name && r.name.text == name)
    }
}

/// An address written in a `moved`, `removed` or `import` block, with
/// where it was written. What it names (a module call or instance, a
/// block, an instance) is the one address type's [`crate::Selector`].
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenAddress {
    pub address: crate::Selector,
    pub span: Span,
}

/// `(moved (from ADDRESS) (to ADDRESS))`: Terraform's `moved` block. The
/// object recorded at `from` is recorded at `to` from now on.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub from: WrittenAddress,
    pub to: WrittenAddress,
    pub span: Span,
}

/// `(removed (from ADDRESS) [(destroy #f)])`: Terraform's `removed`
/// block. The block (or module call) is gone from the configuration; with
/// `destroy` false its objects are forgotten (left alone, dropped from
/// state) instead of destroyed.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub from: WrittenAddress,
    pub destroy: bool,
    pub span: Span,
}

/// `(import (to ADDRESS) (id EXPRESSION) [(provider NAME)])`: Terraform's
/// `import` block. The existing object with that id becomes the object of
/// the instance `to`. With `(for-each EXPRESSION)`, one import per
/// element: `to` names the block and `to_key` is the instance key's
/// expression (`each-key`, ...), evaluated per element as `id` is.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBlock {
    pub to: WrittenAddress,
    pub to_key: Option<Node>,
    pub id: Node,
    pub provider: Option<Name>,
    pub for_each: Option<Node>,
    pub span: Span,
}
