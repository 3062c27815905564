//! Input variables: values from outside (`--var`, `--var-file`, the
//! environment), type conversion, defaults and validation rules.

use crate::expr::Context;
use crate::refs::Reference;
use crate::scope::{ModuleIndex, Scope};
use nimbus_config::{Module, Variable};
use nimbus_syntax::{Code, Diagnostic, FileId, Span};
use nimbus_value::{Type, Value};
use std::collections::HashMap;

/// Where an input value came from, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub enum InputOrigin {
    /// `--var NAME=VALUE`
    CommandLine,
    /// `NIMBUS_VAR_NAME`
    Environment(String),
    /// A var file; the span of the entry when it is an S-expression file.
    File(String, Option<Span>),
    /// A module call's input form.
    ModuleCall(Span),
    /// No value was given: `validate` checks a required variable without a
    /// value as unknown (see [`unknown_for_unset`]).
    Unset,
}

impl InputOrigin {
    fn describe(&self) -> String {
        match self {
            InputOrigin::CommandLine => "--var".to_string(),
            InputOrigin::Environment(name) => format!("environment variable {name}"),
            InputOrigin::File(path, _) => format!("var file {path}"),
            InputOrigin::ModuleCall(_) => "module input".to_string(),
            InputOrigin::Unset => "no value yet".to_string(),
        }
    }

    fn span(&self) -> Option<Span> {
        match self {
            InputOrigin::File(_, span) => *span,
            InputOrigin::ModuleCall(span) => Some(*span),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputValue {
    pub value: Value,
    pub origin: InputOrigin,
}

/// Values given from outside, by variable name. Later sources override
/// earlier ones (environment < files < --var, as Terraform orders them).
pub type Inputs = HashMap<String, InputValue>;

/// `inputs` plus an unknown value for every variable of `module` that has
/// neither an input nor a default. `validate` checks with these, as
/// `terraform validate` does, so a configuration can be checked without
/// its values (CI without secrets); plan and apply still require them.
pub fn unknown_for_unset(module: &Module, inputs: &Inputs) -> Inputs {
    let mut all = inputs.clone();
    for variable in &module.variables {
        if variable.default.is_none() && !inputs.contains_key(variable.name.as_str()) {
            all.insert(
                variable.name.text.clone(),
                InputValue {
                    value: Value::Unknown,
                    origin: InputOrigin::Unset,
                },
            );
        }
    }
    all
}

/// Evaluates every variable of a module into `scope.variables`.
///
/// Values are converted to their types first; validation rules run after
/// every variable has its value, so a rule may refer to other variables
/// with `(var NAME)` (its own variable is also bound to its bare name).
pub fn eval_variables(
    index: &ModuleIndex<'_>,
    scope: &mut Scope,
    inputs: &Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut undeclared: Vec<(&String, &InputValue)> = inputs
        .iter()
        .filter(|(name, _)| !index.variables.contains_key(name.as_str()))
        .collect();
    undeclared.sort_by(|a, b| a.0.cmp(b.0));
    for (name, input) in undeclared {
        let mut d = Diagnostic::error(format!(
            "value given for undeclared variable `{name}` ({})",
            input.origin.describe()
        ))
        .with_suggestion(name, index.variables.keys().copied());
        if let Some(span) = input.origin.span() {
            d = d.at(span);
        }
        diagnostics.push(d);
    }
    let mut converted: Vec<(&Variable, Value, Span)> =
        Vec::with_capacity(index.module.variables.len());
    for variable in &index.module.variables {
        let input = inputs.get(variable.name.as_str());
        match convert_variable(index, variable, input) {
            Ok((value, span)) => {
                let marked = value.clone().mark_if(variable.sensitive);
                scope.variables.insert(variable.name.text.clone(), marked);
                converted.push((variable, value, span));
            }
            Err(d) => diagnostics.push(d),
        }
    }
    for (variable, value, span) in converted {
        let input = inputs.get(variable.name.as_str());
        if let Err(d) = validate_variable(index, scope, variable, &value, span, input) {
            diagnostics.push(d);
        }
    }
}

/// The value of a variable converted to its type, and where it was written.
fn convert_variable(
    index: &ModuleIndex<'_>,
    variable: &Variable,
    input: Option<&InputValue>,
) -> Result<(Value, Span), Diagnostic> {
    let name = &variable.name.text;
    let empty = Scope::default();
    let (raw, origin_span) = match (input, &variable.default) {
        (Some(input), _) => {
            // The snippet of a var file's line would show the secret written
            // there: errors about a sensitive variable point at its
            // declaration instead.
            let span = match &input.origin {
                InputOrigin::File(..) if variable.sensitive => None,
                origin => origin.span(),
            };
            (input.value.clone(), span.unwrap_or(variable.name.span))
        }
        (None, Some(default)) => {
            let mut refs = Vec::new();
            crate::refs::references(default, &mut refs);
            if let Some((_, span)) = refs.first() {
                return Err(Diagnostic::error(format!(
                    "the default of variable `{name}` must be a literal value"
                ))
                .at(*span)
                .with_note("note: a default cannot refer to variables, locals, resources or modules; use a local for derived values"));
            }
            (Context::new(index, &empty).eval(default)?, default.span)
        }
        (None, None) => {
            return Err(Diagnostic::error(format!("no value for required variable `{name}`"))
                .with_code(Code::MissingRequiredVariable(name.to_string()))
                .at(variable.name.span)
                .with_note(format!(
                    "help: set it with `--var {name}=VALUE`, a var file, or the environment variable NIMBUS_VAR_{}",
                    env_suffix(name)
                )));
        }
    };
    let from = input
        .map(|i| format!(" (from {})", i.origin.describe()))
        .unwrap_or_default();
    // Marked before converting, so that a type error does not quote it.
    let raw = raw.mark_if(variable.sensitive);
    let value = variable.ty.convert(raw).map_err(|e| {
        Diagnostic::error(crate::block::type_error_message(
            &format!("variable `{name}`{from}"),
            &e,
        ))
        .at(origin_span)
    })?;
    if value.is_null() && !variable.nullable {
        return Err(
            Diagnostic::error(format!("variable `{name}`{from} must not be null"))
                .at(origin_span)
                .with_note("note: it is declared with `(nullable #f)`"),
        );
    }
    Ok((value, origin_span))
}

/// Runs a variable's validation rules; `scope` holds every variable.
fn validate_variable(
    index: &ModuleIndex<'_>,
    scope: &Scope,
    variable: &Variable,
    value: &Value,
    origin_span: Span,
    input: Option<&InputValue>,
) -> Result<(), Diagnostic> {
    let name = &variable.name.text;
    for validation in &variable.validations {
        let mut refs = Vec::new();
        crate::refs::references(&validation.condition, &mut refs);
        if let Some((_, span)) = refs
            .iter()
            .find(|(r, _)| !matches!(r, crate::refs::Reference::Variable(_)))
        {
            return Err(
                Diagnostic::error("a validation condition can only refer to variables")
                    .at(*span)
                    .with_note(format!(
                        "help: refer to the variable itself by its bare name `{name}`"
                    )),
            );
        }
        let mut ctx = Context::new(index, scope);
        ctx.bind(name, value.clone().mark_if(variable.sensitive));
        let result = ctx.eval(&validation.condition)?;
        match result.peel() {
            Value::Bool(true) | Value::Unknown => {}
            Value::Bool(false) => {
                let shown = if variable.sensitive || value.contains_sensitive() {
                    "(sensitive)".to_string()
                } else {
                    value.to_string()
                };
                let from = input
                    .map(|i| format!(" (from {})", i.origin.describe()))
                    .unwrap_or_default();
                return Err(Diagnostic::error(format!(
                    "invalid value for variable `{name}`{from}: {}",
                    validation.message
                ))
                .at(origin_span)
                .with_note(format!("note: the value was {shown}")));
            }
            other => {
                return Err(Diagnostic::error(format!(
                    "a validation condition must be a bool, found {}",
                    other.kind_name()
                ))
                .at(validation.condition.span));
            }
        }
    }
    Ok(())
}

/// `NIMBUS_VAR_` suffix of a variable name: dashes become underscores.
pub fn env_suffix(name: &str) -> String {
    name.replace('-', "_")
}

/// Parses a value given as text on the command line or in the environment:
/// plain text for strings, numbers and bools; for collections, a `.nim`
/// literal such as `(list "a" "b")` or JSON. For a `sensitive` variable the
/// error never quotes the text, which may be the secret.
pub fn parse_text_value(text: &str, ty: &Type, sensitive: bool) -> Result<Value, String> {
    read_text_value(text, ty).map_err(|message| {
        if sensitive {
            format!(
                "cannot read the value as {ty} (not shown: the variable is sensitive): {}",
                how_to_write(ty)
            )
        } else {
            message
        }
    })
}

/// How to write a value of a collection type as text, for messages.
fn how_to_write(ty: &Type) -> &'static str {
    match ty {
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => "write a list as (list ...) or JSON [...]",
        Type::Map(_) | Type::Object(_) => "write a map as (map (KEY VALUE) ...) or JSON {...}",
        _ => "write it as a .nim literal or JSON",
    }
}

fn read_text_value(text: &str, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::String | Type::Number | Type::Bool => Ok(Value::String(text.to_string())),
        _ => {
            let trimmed = text.trim_start();
            if trimmed.starts_with('(') || trimmed.starts_with('"') {
                let parsed = nimbus_syntax::read(FileId(u32::MAX), text);
                if let Some(d) = parsed.diagnostics.first() {
                    return Err(d.message.clone());
                }
                match parsed.nodes.as_slice() {
                    [node] => {
                        literal(node, "a value given as text is literal").map_err(|d| d.message)
                    }
                    _ => Err("expected exactly one value".to_string()),
                }
            } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
                Ok(Value::from_json(&json))
            } else if matches!(ty, Type::Any) {
                Ok(Value::String(text.to_string()))
            } else {
                Err(format!(
                    "cannot read {text:?} as {ty}: {}",
                    how_to_write(ty)
                ))
            }
        }
    }
}

/// Evaluates a literal (no references): used for var files and text values.
/// `holder` starts the message for a reference, e.g. "var files hold
/// literal values": evaluating one would only say that the name is unknown.
pub fn literal(node: &nimbus_syntax::Node, holder: &str) -> Result<Value, Diagnostic> {
    let mut refs = Vec::new();
    crate::refs::references(node, &mut refs);
    if let Some((reference, span)) = refs.first() {
        let what = match reference {
            Reference::Variable(name) => format!("the variable `{name}`"),
            Reference::Local(name) => format!("the local `{name}`"),
            Reference::Resource(_, type_name, name) => {
                format!("a reference to `{type_name}.{name}`")
            }
            Reference::ModuleOutput(module, name) => format!("the module output `{module}.{name}`"),
            Reference::Module(module) => format!("the outputs of module `{module}`"),
        };
        return Err(
            Diagnostic::error(format!("{holder}: {what} cannot be used here"))
                .at(*span)
                .with_note("help: write the value itself; a value computed from others belongs in a local of the configuration"),
        );
    }
    let module = nimbus_config::Module::default();
    let index = ModuleIndex::new(&module);
    let scope = Scope::default();
    Context::new(&index, &scope).eval(node)
}

/// Reads an S-expression var file: `(NAME VALUE)` entries.
pub fn parse_var_file(file: FileId, text: &str, path: &str) -> Result<Inputs, Vec<Diagnostic>> {
    let parsed = nimbus_syntax::read(file, text);
    if parsed.has_errors() {
        return Err(parsed.diagnostics);
    }
    let mut inputs = Inputs::new();
    let mut errors = Vec::new();
    for node in &parsed.nodes {
        match node.as_list() {
            Some([name, value]) if name.as_name().is_some() => {
                match literal(value, "var files hold literal values") {
                    Ok(v) => {
                        inputs.insert(
                            name.as_name().unwrap_or_default().to_string(),
                            InputValue {
                                value: v,
                                origin: InputOrigin::File(path.to_string(), Some(node.span)),
                            },
                        );
                    }
                    Err(e) => errors.push(e),
                }
            }
            _ => errors.push(Diagnostic::error("expected an entry `(NAME VALUE)`").at(node.span)),
        }
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(errors)
    }
}

/// Reads a JSON var file: an object of name to value.
pub fn parse_var_json(text: &str, path: &str) -> Result<Inputs, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    let Some(object) = json.as_object() else {
        return Err(format!("{path}: expected a JSON object of variable values"));
    };
    Ok(object
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                InputValue {
                    value: Value::from_json(v),
                    origin: InputOrigin::File(path.to_string(), None),
                },
            )
        })
        .collect())
}
