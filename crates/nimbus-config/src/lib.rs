//! The configuration model loaded from every configuration file of a
//! directory (`*.nim`, and `*.tf` lowered to the same forms by
//! `nimbus-hcl`), with the modules it uses.
//!
//! File access goes through [`Files`] so that this crate does no I/O of its
//! own: the CLI passes the real file system, tests and the language server
//! pass files held in memory.

pub mod address;
pub mod model;
mod parse;

pub use address::{AddressError, BlockAddr, InstanceAddr, InstanceKey, ModuleStep, Selector};
pub use model::*;
pub use parse::refactor::{declares_block, endpoint_block, module_at};
pub use parse::{
    BACKEND_KINDS, BLOCK_FORMS, BUILTIN_RULE_SETS, BuiltinRule, BuiltinRuleSet, META_ARGUMENTS,
    POLICY_NAMES, POLICY_PREDICATES, POLICY_RULES, SELF, SPECIAL_FORMS, parameters,
    postgres_url_has_password,
};

use nimbus_syntax::{Diagnostic, InvalidUtf8, SourceMap, decode_lossy};
use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Where configuration text comes from.
pub trait Files {
    /// The `*.nim` files directly inside `dir`, sorted by name.
    fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    /// The configuration files directly inside `dir`, sorted by name: what
    /// [`load`] reads. `*.nim`, `*.tf` and `*.tf.json` (see [`is_configuration_file`]);
    /// the default lists [`Files::nim_files`] only, for file systems that
    /// predate the HCL front end.
    fn configuration_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        self.nim_files(dir)
    }
    fn read(&self, path: &Path) -> io::Result<String>;
    /// The file's bytes, which need not be UTF-8: [`load`] reports invalid
    /// UTF-8 with its line and column instead of failing the read.
    fn read_bytes(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read(path).map(String::into_bytes)
    }
    fn is_dir(&self, path: &Path) -> bool;
    /// Every regular file under `dir`, at any depth, sorted: where a
    /// `(policy-file "GLOB")` pattern is matched. A file system that lists
    /// none (the default) finds no policy files.
    fn files_under(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let _ = dir;
        Ok(Vec::new())
    }
}

/// Extensions of configuration files: `.nim`, Terraform's `.tf`, and its
/// JSON syntax `.tf.json`.
pub const CONFIGURATION_EXTENSIONS: &[&str] = &["nim", "tf", "tf.json"];

/// The language a configuration file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Nim,
    /// Terraform's native syntax, lowered by `nimbus-hcl`.
    Terraform,
    /// Terraform's JSON syntax, lowered by `nimbus-hcl` too.
    TerraformJson,
}

impl Language {
    /// The language of a file, by its name; `None` for a file that is no
    /// configuration.
    pub fn of(path: &Path) -> Option<Language> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".tf.json") {
            Some(Language::TerraformJson)
        } else if name.ends_with(".tf") {
            Some(Language::Terraform)
        } else if name.ends_with(".nim") {
            Some(Language::Nim)
        } else {
            None
        }
    }
}

/// Whether `path` names a configuration file by its extension.
pub fn is_configuration_file(path: &Path) -> bool {
    Language::of(path).is_some()
}

/// The directory a root path stands for: itself, or the directory of the
/// one file loaded.
fn root_directory(root: &Path) -> &Path {
    if is_configuration_file(root) {
        root.parent().unwrap_or(root)
    } else {
        root
    }
}

/// Index of a module in [`Config::modules`]; the root is 0.
pub type ModuleId = usize;

#[derive(Debug, Default)]
pub struct Config {
    pub sources: SourceMap,
    /// The root module first, then every module it uses (each loaded once,
    /// however often it is included).
    pub modules: Vec<Module>,
    /// The directory (or file) [`load`] was given.
    pub root_path: PathBuf,
    by_path: HashMap<PathBuf, ModuleId>,
}

impl Config {
    pub fn root(&self) -> &Module {
        &self.modules[0]
    }

    /// `path:line:col` of a span, the path relative to the directory the
    /// configuration was loaded from (as the CLI prints paths), for notes
    /// that point at a second place.
    pub fn location(&self, span: nimbus_syntax::Span) -> String {
        relative_location(&self.sources, span, &self.root_path)
    }

    /// The module an import refers to, once loaded.
    pub fn imported(&self, import: &ModuleImport) -> Option<ModuleId> {
        self.by_path.get(&normalize(&import.resolved)).copied()
    }

    /// The module a call in `module` instantiates.
    pub fn called(&self, module: &Module, call: &ModuleCall) -> Option<ModuleId> {
        let import = module
            .imports
            .iter()
            .find(|i| i.name.text == call.module.text)?;
        self.imported(import)
    }
}

/// Removes `.` and `a/..` lexically, so one module reached by two spellings
/// of its path is loaded once.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `dir` relative to the root module's directory (`root` is that
/// directory, or the one file loaded), `.` for the root itself; a module
/// outside the root keeps its path.
fn path_from_root(root: &Path, dir: &Path) -> String {
    match dir.strip_prefix(root_directory(root)) {
        Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Ok(relative) => relative.display().to_string(),
        Err(_) => dir.display().to_string(),
    }
}

/// `path:line:col` of a span with the path relative to `root` (a
/// directory, or the one file loaded).
pub fn relative_location(sources: &SourceMap, span: nimbus_syntax::Span, root: &Path) -> String {
    let Some(file) = sources.get(span.file) else {
        return "<unknown>".to_string();
    };
    let (line, col) = file.line_col(span.start);
    let path = file
        .path
        .strip_prefix(root_directory(root))
        .unwrap_or(&file.path);
    format!("{}:{line}:{col}", path.display())
}

/// Parses already-read text of one module (used by tests and by `load`).
pub fn parse_module(
    dir: &Path,
    files: &[(PathBuf, String)],
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Module {
    let files = files
        .iter()
        .map(|(path, text)| (path.clone(), text.clone(), None))
        .collect();
    parse_module_in(dir, dir, files, sources, diagnostics)
}

/// [`parse_module`], with notes locating places relative to `root`.
fn parse_module_in(
    root: &Path,
    dir: &Path,
    files: Vec<(PathBuf, String, Option<InvalidUtf8>)>,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        path_from_root: path_from_root(root, dir),
        ..Module::default()
    };
    // Whether any file of the module has the text `self` at all: only then
    // is every expression walked for a misplaced `self` (a text search is
    // far cheaper than that walk over a large module).
    let mut mentions_self = false;
    let mut backends = Vec::new();
    let mut read = Vec::with_capacity(files.len());
    for (path, text, invalid) in files {
        let file_dir = path.parent().unwrap_or(dir).to_path_buf();
        let language = Language::of(&path).unwrap_or(Language::Nim);
        mentions_self |= text.contains("self");
        let id = sources.add(path, text);
        // The file's own diagnostics, reported when it is parsed: each
        // file's problems stay together, in the order of the files.
        let mut own: Vec<Diagnostic> = invalid
            .map(|invalid| invalid.diagnostic(id))
            .into_iter()
            .collect();
        // Every language comes to the same forms: everything after this
        // point is shared.
        let text = &sources.file(id).text;
        let nodes = match language {
            Language::Terraform | Language::TerraformJson => {
                let lowered = if language == Language::Terraform {
                    nimbus_hcl::lower(id, text)
                } else {
                    nimbus_hcl::lower_json(id, text)
                };
                own.extend(lowered.diagnostics);
                lowered.forms
            }
            Language::Nim => {
                let parsed = nimbus_syntax::read(id, text);
                own.extend(parsed.diagnostics);
                parsed.nodes
            }
        };
        read.push((file_dir, nodes, own));
    }
    // Macros are the module's, wherever they are written: every file's
    // `define-syntax` forms are taken out first, then every use expanded.
    let reserved = |name: &str| {
        SPECIAL_FORMS.contains(&name)
            || BLOCK_FORMS.contains(&name)
            || nimbus_stdlib::lookup(name).is_some()
            || matches!(name, "define-syntax" | "syntax-rules" | "else")
    };
    let sources_ref: &SourceMap = sources;
    let locate = |span| relative_location(sources_ref, span, root);
    let mut expander = nimbus_syntax::macros::Expander::new(&reserved, &locate);
    for (_, nodes, own) in &mut read {
        expander.collect(nodes, own);
    }
    let first_later = diagnostics.len();
    for (file_dir, nodes, own) in read {
        diagnostics.extend(own);
        let mut parser = parse::Parser {
            module: &mut module,
            diagnostics,
            file_dir: &file_dir,
            backends: &mut backends,
        };
        for node in nodes {
            if expander.is_empty() {
                parser.top_level(node);
                continue;
            }
            match expander.expand(node) {
                Ok(node) => parser.top_level(node),
                Err(d) => parser.diagnostics.push(d),
            }
        }
    }
    parse::apply_required_providers(&mut module);
    parse::check_backends(&mut module, backends, sources, root, diagnostics);
    parse::check_duplicates(&module, sources, root, diagnostics);
    parse::check_dependencies(&module, diagnostics);
    parse::check_policy_conditions(&module, diagnostics);
    parse::check_conditions(&module, mentions_self, diagnostics);
    // A problem found in a macro's template names the uses expanding it,
    // now and (through the source map) whenever it is rendered later.
    let macro_uses = expander.uses();
    if !expander.is_empty() {
        for definition in &module.definitions {
            if let Some(at) = expander.macro_span(&definition.name.text) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` is both a macro and a definition",
                        definition.name.text
                    ))
                    .at(definition.name.span)
                    .with_note(format!(
                        "note: the macro is defined at {}",
                        relative_location(sources, at, root)
                    )),
                );
            }
        }
        for d in &mut diagnostics[first_later..] {
            if let Some(span) = d.span {
                for note in expander.notes_for(span) {
                    // An error of the expansion itself already names its use.
                    let about = note.split(" at ").next().unwrap_or_default();
                    if !d.notes.iter().any(|n| n.starts_with(about)) {
                        d.notes.push(note);
                    }
                }
            }
        }
    }
    for uses in macro_uses {
        sources.record_macro_uses(uses);
    }
    module
}

/// Reads the files each `(policy-file "GLOB")` of `module` matches into
/// the source map; a pattern that matches nothing, or a file that cannot
/// be read, is an error at the pattern.
fn read_policy_files(
    module: &mut Module,
    files: &dyn Files,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for policy_file in &mut module.policy_files {
        let pattern = &policy_file.pattern;
        let matched = match matching_files(files, &module.dir, &pattern.text) {
            Ok(matched) if matched.is_empty() => Err(format!(
                "no file matches {:?} in {}",
                pattern.text,
                module.dir.display()
            )),
            other => other,
        };
        let matched = match matched {
            Ok(matched) => matched,
            Err(message) => {
                diagnostics.push(Diagnostic::error(message).at(pattern.span));
                continue;
            }
        };
        for path in matched {
            match files.read(&path) {
                Ok(text) => policy_file.files.push(sources.add(path, text)),
                Err(e) => diagnostics.push(
                    Diagnostic::error(format!("cannot read {}: {e}", path.display()))
                        .at(pattern.span),
                ),
            }
        }
    }
}

/// A file pattern as Terraform's `fileset` reads it (`*` within one
/// directory, `**` across them, `\` escapes), matching `/`-separated
/// relative paths: the one reading of patterns, for `policy-file` and the
/// file functions alike.
pub fn path_pattern(pattern: &str) -> Result<globset::GlobMatcher, String> {
    Ok(globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid pattern {pattern:?}: {}", e.kind()))?
        .compile_matcher())
}

/// The files under `dir` that `pattern` (relative to `dir`, `/`-separated)
/// matches, sorted. Only the directory the pattern's literal part names is
/// listed (`policies` for `policies/*.rego`), not the whole tree.
fn matching_files(files: &dyn Files, dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    // `./policies/*.rego` is `policies/*.rego`: matched paths are relative
    // to `dir`, without `./`.
    let pattern = pattern.trim_start_matches("./");
    let matcher = path_pattern(pattern)?;
    let parts: Vec<&str> = pattern.split('/').collect();
    let literal = parts
        .iter()
        .take_while(|part| !part.contains(['*', '?', '[', '{', '\\']))
        .count();
    // A pattern without metacharacters names one file: its directory.
    let base = &parts[..literal.min(parts.len() - 1)];
    let start = base
        .iter()
        .filter(|part| !part.is_empty() && **part != ".")
        .fold(dir.to_path_buf(), |at, part| at.join(part));
    if !files.is_dir(&start) {
        return Ok(Vec::new());
    }
    let under = files
        .files_under(&start)
        .map_err(|e| format!("cannot list the files of {}: {e}", start.display()))?;
    Ok(under
        .into_iter()
        .filter(|path| {
            path.strip_prefix(dir).is_ok_and(|relative| {
                let relative: Vec<&str> = relative
                    .components()
                    .filter_map(|c| c.as_os_str().to_str())
                    .collect();
                matcher.is_match(relative.join("/"))
            })
        })
        .collect())
}

/// Loads the module in `root` (a directory of `.nim` files, or one file)
/// and, recursively, every module it uses.
pub fn load(root: &Path, files: &dyn Files) -> (Config, Vec<Diagnostic>) {
    let root_path = normalize(root);
    let mut config = Config {
        root_path: root_path.clone(),
        ..Config::default()
    };
    let mut diagnostics = Vec::new();
    // Paths to load, with the path as written and the `use-module` form
    // that asked for it.
    let mut pending: Vec<(PathBuf, Option<(String, nimbus_syntax::Span)>)> =
        vec![(root_path.clone(), None)];
    // Paths in messages are relative to the root directory, as the CLI
    // prints the paths of spans.
    let base = if files.is_dir(&root_path) {
        root_path.clone()
    } else {
        root_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let shown = |p: &Path| p.strip_prefix(&base).unwrap_or(p).display().to_string();
    while let Some((path, used_at)) = pending.pop() {
        if config.by_path.contains_key(&path) {
            continue;
        }
        let span = used_at.as_ref().map(|(_, s)| *s);
        let (dir, paths) = if files.is_dir(&path) {
            match files.configuration_files(&path) {
                Ok(paths) => (path.clone(), paths),
                Err(e) => {
                    diagnostics.push(located(
                        format!("cannot read directory {}: {e}", shown(&path)),
                        span,
                    ));
                    continue;
                }
            }
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir, vec![path.clone()])
        };
        let mut texts = Vec::with_capacity(paths.len());
        let mut unreadable = false;
        for p in paths {
            match files.read_bytes(&p) {
                Ok(bytes) => {
                    let (text, invalid) = decode_lossy(bytes);
                    texts.push((p, text, invalid));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && used_at.is_some() => {
                    unreadable = true;
                    let written = used_at
                        .as_ref()
                        .map(|(w, _)| w.as_str())
                        .unwrap_or_default();
                    diagnostics.push(
                        located(format!("module `{written}` not found: {} does not exist", shown(&p)), span)
                            .with_note("help: the path is relative to the file that uses the module; it names a `.nim` file or a directory of `.nim` or `.tf` files"),
                    );
                }
                Err(e) => {
                    unreadable = true;
                    diagnostics.push(located(format!("cannot read {}: {e}", shown(&p)), span));
                }
            }
        }
        if texts.is_empty() && !unreadable && used_at.is_some() {
            diagnostics.push(located(
                format!(
                    "module directory {} has no .nim, .tf or .tf.json files",
                    shown(&path)
                ),
                span,
            ));
        }
        if texts.is_empty() && !unreadable && used_at.is_none() {
            // Planning an empty configuration would plan to destroy
            // everything in state: refuse, as Terraform does.
            diagnostics.push(
                Diagnostic::error(format!(
                    "no configuration files: {} has no .nim, .tf or .tf.json files",
                    path.display()
                ))
                .with_note("help: run Nimbus in the directory that holds the configuration (or pass `-C DIR`); `nimbus init` writes a starter main.nim in an empty directory"),
            );
        }
        let mut module = parse_module_in(
            &root_path,
            &dir,
            texts,
            &mut config.sources,
            &mut diagnostics,
        );
        read_policy_files(&mut module, files, &mut config.sources, &mut diagnostics);
        for import in &module.imports {
            pending.push((
                normalize(&import.resolved),
                Some((import.path.clone(), import.span)),
            ));
        }
        config.by_path.insert(path, config.modules.len());
        config.modules.push(module);
        // Breadth-first is not needed: modules are independent once loaded.
    }
    // Calls must name an imported module.
    for module in &config.modules {
        for call in &module.calls {
            if !module
                .imports
                .iter()
                .any(|i| i.name.text == call.module.text)
            {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "unknown module `{}`: import it with `(use-module ...)` first",
                        call.module.text
                    ))
                    .at(call.module.span)
                    .with_suggestion(
                        &call.module.text,
                        module.imports.iter().map(|i| i.name.text.as_str()),
                    ),
                );
            }
        }
    }
    if config.modules.is_empty() {
        config.modules.push(Module::default());
    }
    // Only the root module chooses where state is kept (as in Terraform).
    for module in config.modules.iter_mut().skip(1) {
        if let Some(backend) = module.backend.take() {
            diagnostics.push(
                Diagnostic::warning(
                    "the backend of a child module is ignored: only the root module's backend is used",
                )
                .at(backend.span)
                .with_label("ignored"),
            );
        }
    }
    check_module_outputs(&config, &mut diagnostics);
    check_module_providers(&config, &mut diagnostics);
    parse::refactor::check(&config, &mut diagnostics);
    sort_diagnostics(&mut diagnostics);
    (config, diagnostics)
}

/// A called module's own provider configurations, as Terraform allows
/// them (legacy modules): no call on the way to such a module may have
/// `count`, `for-each` or `depends-on` (a configuration is one per module
/// path), and no call may pass a configuration the module writes itself.
fn check_module_providers(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    // (module, its path, the count/for-each/depends-on of a call on the
    // way to it, the modules on the way).
    let mut stack: Vec<(ModuleId, String, Option<nimbus_syntax::Span>, Vec<ModuleId>)> =
        vec![(0, String::new(), None, vec![0])];
    let mut found = Vec::new();
    while let Some((id, path, restricted, chain)) = stack.pop() {
        let module = &config.modules[id];
        for call in &module.calls {
            let Some(child) = config.called(module, call) else {
                continue;
            };
            if chain.contains(&child) || chain.len() > 32 {
                continue; // reported by the engine
            }
            let child_path = if path.is_empty() {
                format!("module.{}", call.name.text)
            } else {
                format!("{path}.module.{}", call.name.text)
            };
            let restricted = restricted.or_else(|| {
                call.count
                    .as_ref()
                    .or(call.for_each.as_ref())
                    .map(|n| n.span)
                    .or_else(|| call.depends_on.first().map(|d| d.span))
            });
            let called = &config.modules[child];
            if let Some(span) = restricted
                && called.own_providers().next().is_some()
            {
                let mut d = Diagnostic::error(format!(
                    "Module {child_path} contains provider configuration; Providers cannot be configured within modules using count, for_each or depends_on"
                ))
                .at(span);
                for (_, block) in called.own_providers() {
                    d = d.with_note(format!(
                        "note: provider `{}` is configured at {}",
                        block.address(),
                        config.location(block.span)
                    ));
                }
                found.push(d.with_note(
                    "help: remove the module's own provider configurations and pass them with `providers` instead",
                ));
            }
            for passed in &call.providers {
                if let Some((_, block)) = called
                    .own_providers()
                    .find(|(_, b)| b.address() == passed.inner.text)
                {
                    found.push(
                        Diagnostic::error(format!(
                            "cannot override provider configuration: `{}` is configured within {child_path}",
                            passed.inner.text
                        ))
                        .at(passed.inner.span)
                        .with_note(format!(
                            "note: it is configured at {}",
                            config.location(block.span)
                        )),
                    );
                }
            }
            let mut chain = chain.clone();
            chain.push(child);
            stack.push((child, child_path, restricted, chain));
        }
    }
    sort_and_dedup_diagnostics(&mut found);
    diagnostics.append(&mut found);
}

/// `(module-output CALL NAME)` must name an output the called module
/// declares, and `(module-outputs CALL)` a call of the module. Checked here because only the whole configuration knows which
/// module a call instantiates; the evaluator sees one module at a time.
fn check_module_outputs(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    for module in &config.modules {
        if module.calls.is_empty() {
            continue;
        }
        let unknown_call = |call: &nimbus_syntax::Node, call_name: &str| {
            Diagnostic::error(format!("unknown module instance `{call_name}`"))
                .at(call.span)
                .with_suggestion(call_name, module.calls.iter().map(|c| c.name.text.as_str()))
                .with_note("note: a module instance is named by `(include MODULE [\"NAME\"] ...)`")
        };
        let mut visit = |node: &nimbus_syntax::Node| {
            // `(module-outputs CALL [INSTANCE])`: every output, so only the
            // call is checked.
            parse::each_form(node, "module-outputs", &mut |items| {
                if let Some(call) = items.get(1)
                    && let Some(call_name) = call.as_name()
                    && !module.calls.iter().any(|c| c.name.text == call_name)
                {
                    diagnostics.push(unknown_call(call, call_name));
                }
            });
            parse::each_form(node, "module-output", &mut |items| {
                // `(module-output CALL NAME)` or `(module-output CALL INSTANCE NAME)`.
                let (call, output) = match items {
                    [_, call, output] | [_, call, _, output] => (call, output),
                    _ => return,
                };
                let (Some(call_name), Some(output_name)) = (call.as_name(), output.as_name())
                else {
                    return;
                };
                let Some(call) = module.calls.iter().find(|c| c.name.text == call_name) else {
                    diagnostics.push(unknown_call(call, call_name));
                    return;
                };
                let Some(called) = config.called(module, call).map(|id| &config.modules[id]) else {
                    return;
                };
                if !called.outputs.iter().any(|o| o.name.text == output_name) {
                    let d = Diagnostic::error(format!(
                        "module `{call_name}` has no output `{output_name}`"
                    ))
                    .at(output.span)
                    .with_suggestion(
                        output_name,
                        called.outputs.iter().map(|o| o.name.text.as_str()),
                    );
                    let d = if d.notes.is_empty() {
                        let names: Vec<&str> = called
                            .outputs
                            .iter()
                            .map(|o| o.name.text.as_str())
                            .collect();
                        if names.is_empty() {
                            d.with_note("note: it declares no outputs")
                        } else {
                            d.with_note(format!("note: its outputs are {}", names.join(", ")))
                        }
                    } else {
                        d
                    };
                    diagnostics.push(d);
                }
            });
        };
        for node in module_expressions(module) {
            visit(node);
        }
    }
}

/// Every expression node written in a module (values of locals, outputs,
/// attributes, meta-arguments and module inputs).
fn module_expressions<'a>(module: &'a Module) -> impl Iterator<Item = &'a nimbus_syntax::Node> {
    fn forms(forms: &[AttributeForm]) -> impl Iterator<Item = &nimbus_syntax::Node> {
        forms.iter().flat_map(|f| f.args.iter())
    }
    let mut out: Vec<&nimbus_syntax::Node> = Vec::new();
    out.extend(module.locals.iter().map(|l| &l.value));
    out.extend(module.outputs.iter().map(|o| &o.value));
    let conditions =
        |conditions: &'a [Condition]| conditions.iter().flat_map(|c| [&c.condition, &c.message]);
    for output in &module.outputs {
        out.extend(conditions(&output.preconditions));
    }
    for resource in &module.resources {
        out.extend(forms(&resource.attributes));
        out.extend(resource.count.iter());
        out.extend(resource.for_each.iter());
        let lifecycle = &resource.lifecycle;
        out.extend(conditions(&lifecycle.preconditions));
        out.extend(conditions(&lifecycle.postconditions));
        out.extend(lifecycle.replace_triggered_by.iter());
    }
    for check in &module.checks {
        out.extend(conditions(&check.asserts));
    }
    for call in &module.calls {
        out.extend(forms(&call.inputs));
        out.extend(call.count.iter());
        out.extend(call.for_each.iter());
    }
    for provider in &module.providers {
        out.extend(forms(&provider.attributes));
    }
    out.into_iter()
}

/// Source order: file, then position; unlocated ones first.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
}

/// [`sort_diagnostics`], then drops exact repeats: an error in an
/// expression of a block with `count` or `for-each` is found once per
/// instance, but is one problem in the text.
pub fn sort_and_dedup_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    sort_diagnostics(diagnostics);
    let mut seen: Vec<Diagnostic> = Vec::new();
    diagnostics.retain(|d| {
        // Repeats share a span, so they are neighbours after sorting; only
        // the diagnostics at the current position need comparing.
        if seen.last().is_some_and(|last| last.span != d.span) {
            seen.clear();
        }
        if seen.contains(d) {
            return false;
        }
        seen.push(d.clone());
        true
    });
}

fn located(message: String, span: Option<nimbus_syntax::Span>) -> Diagnostic {
    let d = Diagnostic::error(message);
    match span {
        Some(s) => d.at(s),
        None => d,
    }
}

/// Files held in memory: for tests and for editors with unsaved buffers.
#[derive(Debug, Default, Clone)]
pub struct MemoryFiles {
    pub files: std::collections::BTreeMap<PathBuf, String>,
}

impl MemoryFiles {
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> MemoryFiles {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl Files for MemoryFiles {
    fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir) && p.extension().is_some_and(|e| e == "nim"))
            .cloned()
            .collect())
    }

    fn configuration_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir) && is_configuration_file(p))
            .cloned()
            .collect())
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn files_under(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self
            .files
            .keys()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect())
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|p| p.starts_with(path) && p != path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_root_and_modules() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module "./modules/net.nim")
                   (define-infrastructure prod
                     (resource null-resource "a" (triggers (x "1")) (count 2))
                     (include net (cidr "10.0.0.0/16"))
                     (output "o" (value (ref null-resource "a" 0 "id"))))"#,
            )
            .with(
                "/p/modules/net.nim",
                r#"(define-variables (cidr (type string))) (resource null-resource "n")"#,
            );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.modules.len(), 2);
        let root = config.root();
        assert_eq!(root.resources.len(), 1);
        assert!(root.resources[0].count.is_some());
        assert_eq!(config.called(root, &root.calls[0]), Some(1));
        assert_eq!(
            config.modules[1].variables[0].ty,
            nimbus_value::Type::String
        );
    }

    #[test]
    fn policy_file_patterns_match_under_the_module_only() {
        let load_with = |pattern: &str| {
            let files = MemoryFiles::default()
                .with("/p/main.nim", format!("(policy-file {pattern:?})"))
                .with("/p/policies/a.rego", "package a")
                .with("/p/policies/sub/b.rego", "package b")
                .with("/p/policies/notes.txt", "not rego")
                .with("/p/other/c.rego", "package c")
                .with("/x.rego", "package outside");
            let (config, diags) = load(Path::new("/p"), &files);
            let matched: Vec<String> = config.root().policy_files[0]
                .files
                .iter()
                .map(|&id| config.sources.file(id).path.display().to_string())
                .collect();
            let errors: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
            (matched, errors)
        };
        assert_eq!(load_with("policies/*.rego").0, ["/p/policies/a.rego"]);
        assert_eq!(
            load_with("policies/**/*.rego").0,
            ["/p/policies/a.rego", "/p/policies/sub/b.rego"]
        );
        assert_eq!(
            load_with("**/*.rego").0,
            [
                "/p/other/c.rego",
                "/p/policies/a.rego",
                "/p/policies/sub/b.rego"
            ]
        );
        assert_eq!(load_with("other/c.rego").0, ["/p/other/c.rego"]);
        for outside in ["nothing/*.rego", "../x.rego", "/x.rego"] {
            let (matched, errors) = load_with(outside);
            assert!(matched.is_empty(), "{outside}: {matched:?}");
            assert_eq!(errors.len(), 1, "{outside}: {errors:?}");
            assert!(errors[0].starts_with("no file matches"), "{errors:?}");
        }
        let (_, errors) = load_with("policies/[*.rego");
        assert!(errors[0].starts_with("invalid pattern"), "{errors:?}");
    }

    #[test]
    fn reports_duplicates_and_unknown_forms() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(resource null-resource "a") (resource null-resource "a") (resorce x "y")"#,
        );
        let (_, diags) = load(Path::new("/p"), &files);
        let messages: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "duplicate resource `null-resource.a`",
                "unknown form `resorce`"
            ]
        );
        assert_eq!(diags[1].notes, ["help: did you mean `resource`?"]);
    }

    #[test]
    fn reads_definitions() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            "(define greeting \"hi\")\n(define (double x) (* x 2))",
        );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        let defs = &config.root().definitions;
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].name.text, "greeting");
        assert!(defs[0].parameters.is_none());
        let params: Vec<&str> = defs[1]
            .parameters
            .iter()
            .flat_map(|p| p.names())
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(params, ["x"]);
    }

    #[test]
    fn begin_splices_its_forms_at_the_top_level() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            "(begin (define a 1) (begin (locals (x 1)) (locals (y 2))))\n(begin)",
        );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.root().definitions.len(), 1);
        assert_eq!(config.root().locals.len(), 2);
        let files = MemoryFiles::default().with("/p/main.nim", "(begin (locals (x 1)) 5)");
        assert_eq!(
            messages(files),
            ["expected a form such as `(resource ...)` at the top level, found a number"]
        );
    }

    const BUCKET_PAIR: &str = r#"(define-syntax bucket-pair
  (syntax-rules (logs)
    ((_ name (logs log-name) (tag value) ...)
     (begin
       (resource s3-bucket name (bucket name) (tags (tag value) ...))
       (resource s3-bucket log-name (bucket (string-append name "-logs")))))))
"#;

    #[test]
    fn a_macro_writes_resources() {
        let files = MemoryFiles::default()
            .with("/p/macros.nim", BUCKET_PAIR)
            .with(
                "/p/main.nim",
                "(bucket-pair \"web\" (logs \"web-logs\") (team \"a\") (env \"b\"))\n(bucket-pair \"api\" (logs \"api-logs\"))",
            );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        let names: Vec<&str> = config
            .root()
            .resources
            .iter()
            .map(|r| r.name.text.as_str())
            .collect();
        assert_eq!(names, ["web", "web-logs", "api", "api-logs"]);
        let tags = &config.root().resources[0].attributes[1];
        assert_eq!(tags.args.len(), 2);
    }

    #[test]
    fn macro_errors_name_the_expansion() {
        // No rule matches: at the use, with where the macro is.
        let files = MemoryFiles::default()
            .with("/p/macros.nim", BUCKET_PAIR)
            .with("/p/main.nim", "(locals (a 1))\n(bucket-pair \"web\")");
        let (_, diags) = load(Path::new("/p"), &files);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(
            diags[0].message,
            "no rule of macro `bucket-pair` matches this use"
        );
        assert_eq!(
            diags[0].notes,
            ["note: macro `bucket-pair` is defined at macros.nim:1:1"]
        );
        // A problem of the template's text names the use expanding it.
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            "(define-syntax bad (syntax-rules () ((_ n) (resource s3-bucket n (count)))))\n(bad \"x\")",
        );
        let (_, diags) = load(Path::new("/p"), &files);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0]
                .notes
                .contains(&"note: in expansion of macro `bad` at main.nim:2:1".to_string()),
            "{diags:?}"
        );
        // Nested uses: the note of each expansion.
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            "(define-syntax inner (syntax-rules () ((_ a) a)))\n(define-syntax outer (syntax-rules () ((_) (inner))))\n(locals (x (outer)))",
        );
        let (_, diags) = load(Path::new("/p"), &files);
        assert_eq!(
            diags[0].message,
            "no rule of macro `inner` matches this use"
        );
        assert!(
            diags[0]
                .notes
                .contains(&"note: in expansion of macro `outer` at main.nim:3:12".to_string()),
            "{diags:?}"
        );
        let about_outer = diags[0]
            .notes
            .iter()
            .filter(|n| n.starts_with("note: in expansion of macro `outer`"))
            .count();
        assert_eq!(about_outer, 1, "{diags:?}");
    }

    #[test]
    fn refuses_wrong_macros() {
        for (text, message) in [
            (
                "(define-syntax resource (syntax-rules () ((_) 1)))",
                "`resource` is a form or function of the language",
            ),
            (
                "(define-syntax if (syntax-rules () ((_) 1)))",
                "`if` is a form or function of the language",
            ),
            (
                "(define-syntax m (syntax-rules () ((_) 1)))\n(define-syntax m (syntax-rules () ((_) 1)))",
                "duplicate macro `m`",
            ),
            (
                "(define-syntax m (lambda (x) x))",
                "expected `(define-syntax NAME (syntax-rules",
            ),
            (
                "(define-syntax m (syntax-rules x ((_) 1)))",
                "expected the list of literals",
            ),
            (
                "(define-syntax m (syntax-rules () ((_ a a) 1)))",
                "pattern variable `a` appears twice",
            ),
            (
                "(define-syntax m (syntax-rules () ((_ ... a) 1)))",
                "`...` must follow a pattern",
            ),
            (
                "(define-syntax m (syntax-rules () ((_ a ... b ...) 1)))",
                "`...` must follow a pattern, once per list",
            ),
            (
                "(define-syntax m (syntax-rules () (x 1)))",
                "a pattern is a list",
            ),
            (
                "(define-syntax m (syntax-rules () ((_))))",
                "expected a rule `(PATTERN TEMPLATE)`",
            ),
            (
                "(define-syntax \"m\" (syntax-rules ()))",
                "expected a macro name",
            ),
            (
                "(begin (define-syntax m (syntax-rules ())))",
                "`define-syntax` must stand at the top level",
            ),
        ] {
            let files = MemoryFiles::default().with("/p/main.nim", text);
            let got = messages(files);
            assert!(
                got.first().is_some_and(|m| m.starts_with(message)),
                "{text}: {got:?}"
            );
        }
    }

    #[test]
    fn refuses_wrong_definitions() {
        for (text, message) in [
            (
                "(define (f x) (ref s3-bucket b id))",
                "a definition cannot use `ref`",
            ),
            (
                "(define tags (map (env (var env))))",
                "a definition cannot use `var`",
            ),
            ("(define (f x x) x)", "duplicate parameter `x`"),
            ("(define (f x (y 1) . x) x)", "duplicate parameter `x`"),
            (
                "(define (f (y 1) x) x)",
                "a required parameter cannot follow",
            ),
            ("(define (f . ) 1)", "expected one name after `.`"),
            ("(define (f . a b) 1)", "expected one name after `.`"),
            (
                "(define (f (y)) 1)",
                "expected an optional parameter `(NAME DEFAULT)`",
            ),
            (
                "(define (f (y (var v))) 1)",
                "a definition cannot use `var`",
            ),
            ("(define (f \"x\") 1)", "expected a parameter name, found"),
            ("(define upper 1)", "`upper` is a built-in form or function"),
            ("(define map 1)", "`map` is a built-in form or function"),
            ("(define f)", "expected `(define NAME EXPRESSION)`"),
            ("(define a 1) (define a 2)", "duplicate definition `a`"),
        ] {
            let files = MemoryFiles::default().with("/p/main.nim", text);
            let got = messages(files);
            assert!(
                got.first().is_some_and(|m| m.starts_with(message)),
                "{text}: {got:?}"
            );
        }
    }

    fn messages(files: MemoryFiles) -> Vec<String> {
        let (_, diags) = load(Path::new("/p"), &files);
        diags.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn notes_locate_relative_to_the_root() {
        let files = MemoryFiles::default().with("/p/main.nim", "(locals (a 1))\n(locals (a 2))");
        let (config, diags) = load(Path::new("/p"), &files);
        assert_eq!(diags[0].notes, ["note: first declared at main.nim:1:10"]);
        assert_eq!(config.location(diags[0].span.unwrap()), "main.nim:2:10");
    }

    #[test]
    fn static_reference_checks() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module "./m.nim")
                   (include m (x 1))
                   (resource null-resource "a" (depends-on (ref null-resource "b")))
                   (output "o" (value (list (module-output m "outt") (module-output n "out") '(module-output m "no"))))"#,
            )
            .with("/p/m.nim", r#"(define-variables (x)) (output "out" (value 1))"#);
        assert_eq!(
            messages(files),
            [
                "`depends-on` names undeclared resource `null-resource.b`",
                "module `m` has no output `outt`",
                "unknown module instance `n`",
            ]
        );
    }

    #[test]
    fn conditions_and_checks_load_with_their_static_checks() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module "./m.nim")
                   (include m (x 1))
                   (resource null-resource "a"
                     (triggers (x (get self "id")))
                     (lifecycle
                       (precondition (= (module-output m "outt") 1) "m")
                       (postcondition (!= (get self "id") "") (string-append "id " (get self "id")))
                       (replace-triggered-by (ref null-resource "b") (ref null-resource "a"))))
                   (data null-data-source "d" (lifecycle (replace-triggered-by (ref null-resource "a"))))
                   (output "o" (value (ref data null-data-source "scoped" "outputs"))
                     (precondition (= self 1) "no self here"))
                   (check "c"
                     (data null-data-source "scoped")
                     (assert (= (ref data null-data-source "scoped" "id") "x") "scoped is fine here"))
                   (check "c" (assert #t "again"))"#,
            )
            .with("/p/m.nim", r#"(define-variables (x)) (output "out" (value 1))"#);
        let (config, diags) = load(Path::new("/p"), &files);
        let messages: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`self` is only available in a `postcondition`",
                "module `m` has no output `outt`",
                "`replace-triggered-by` refers to undeclared resource `null-resource.b`",
                "`replace-triggered-by` cannot refer to the resource itself",
                "`replace-triggered-by` belongs to managed resources, not data sources",
                "`data.null-data-source.scoped` belongs to check `c`: only that check can refer to it",
                "`self` is only available in a `postcondition`",
                "duplicate check `c`",
            ]
        );
        let root = config.root();
        let lifecycle = &root.resources[0].lifecycle;
        assert_eq!(lifecycle.preconditions.len(), 1);
        assert_eq!(lifecycle.postconditions.len(), 1);
        assert_eq!(lifecycle.replace_triggered_by.len(), 2);
        let output = root.outputs.iter().find(|o| o.name.text == "o");
        assert_eq!(output.map(|o| o.preconditions.len()), Some(1));
        assert_eq!(root.checks.len(), 2);
        assert_eq!(
            root.checks[0].data,
            [("null-data-source".to_string(), "scoped".to_string())]
        );
        assert!(root.check_of_data("null-data-source", "scoped").is_some());
        assert!(root.check_of_data("null-data-source", "d").is_none());
    }

    #[test]
    fn include_takes_count_or_for_each() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(use-module "./m.nim")
                   (include m "a" (count 2) (x count-index))
                   (include m "b" (for-each (list "k")) (x each-key))
                   (include m "c" (count 1) (for-each (list "k")) (x 1))
                   (include m "d" (count 1) (count 2) (x 1))
                   (output "o" (value (list (module-output a 0 "out") (module-output b "k" "outt"))))"#,
            )
            .with("/p/m.nim", r#"(define-variables (x)) (output "out" (value 1))"#);
        let (config, diags) = load(Path::new("/p"), &files);
        let messages: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "an `include` cannot have both `count` and `for-each`",
                "`count` is set twice in this include",
                "module `b` has no output `outt`",
            ]
        );
        let calls = &config.root().calls;
        assert!(calls[0].count.is_some() && calls[0].for_each.is_none());
        assert!(calls[1].for_each.is_some() && calls[1].is_repeated());
        assert_eq!(calls[0].inputs.len(), 1, "count is no input");
    }

    #[test]
    fn missing_module_is_one_error() {
        let files = MemoryFiles::default().with("/p/main.nim", r#"(use-module "./nowhere.nim")"#);
        assert_eq!(
            messages(files),
            ["module `./nowhere.nim` not found: nowhere.nim does not exist"]
        );
    }

    #[test]
    fn settings_written_twice() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(resource null-resource "a" (count 1) (count 2))
               (output "o" (value 1) (value 2))
               (define-variables (v (type string) (type number)))"#,
        );
        assert_eq!(
            messages(files),
            [
                "`count` is set twice in this resource",
                "`value` is set twice in this output",
                "`type` is set twice in this variable",
            ]
        );
    }

    #[test]
    fn policy_conditions_call_only_known_functions() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(define-policy guard
  (deny "s3:DeleteBucket" (when (= environment "prod")))
  (warn "x:Update" (when (is-prodution resource)))
  (require-approval (when (let ((c (cost-of x))) (> c (lenght '(a (b)))))))
  (require-approval (when (lookup (map (not-a-call 1)) "k" 0))))"#,
        );
        let (_, diags) = load(Path::new("/p"), &files);
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), d.notes.first().map(String::as_str)))
            .collect();
        assert_eq!(
            found,
            [
                ("unknown function `is-prodution`", None),
                ("unknown function `cost-of`", None),
                (
                    "unknown function `lenght`",
                    Some("help: did you mean `length`?")
                ),
            ]
        );
        assert!(diags.iter().all(Diagnostic::is_error));
    }

    #[test]
    fn comprehension_bindings_are_not_calls() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(define-policy guard
  (deny "x:Delete" (when (anytrue (for ((i r (list 1))) (when (> i 0)) (is-bad r))))))"#,
        );
        let (_, diags) = load(Path::new("/p"), &files);
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(errors, ["unknown function `is-bad`"]);
    }

    #[test]
    fn apply_names_a_function() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(define-policy guard
  (deny "x:Delete" (when (> (apply max 0 (list 1)) (apply maks (list (is-bad 1)))))))"#,
        );
        let (_, diags) = load(Path::new("/p"), &files);
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            errors,
            ["unknown function `maks`", "unknown function `is-bad`"]
        );
    }

    #[test]
    fn policy_rules_get_ids_levels_and_conditions() {
        let files = MemoryFiles::default()
            .with("/p/main.nim", r#"(resource null-resource "a")"#)
            .with(
                "/p/policy.nim",
                r#"(define-policy guard
  (enforcement advisory)
  (deny "s3:DeleteBucket" (when (tag-equals "Environment" "Production")))
  (deny "builtin:Delete" (enforcement soft-mandatory))
  (require-tags "owner")
  (require-approval (when (cost-exceeds 1000))))"#,
            );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        let policy = &config.root().policies[0];
        let ids: Vec<&str> = policy.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "guard.deny.1",
                "guard.deny.2",
                "guard.require-tags",
                "guard.require-approval"
            ]
        );
        let levels: Vec<Enforcement> = policy.rules.iter().map(|r| r.enforcement(policy)).collect();
        assert_eq!(
            levels,
            [
                Enforcement::Advisory,
                Enforcement::SoftMandatory,
                Enforcement::Advisory,
                Enforcement::Advisory
            ]
        );
        assert_eq!(policy.rules[0].action.as_deref(), Some("s3:DeleteBucket"));
        assert!(policy.rules[0].condition.is_some() && policy.rules[1].condition.is_none());
        assert_eq!(policy.rules[2].tags, ["owner"]);

        let files = MemoryFiles::default().with(
            "/p/main.nim",
            "(define-policy guard (enforcement strict) (deny \"x\" (enforcement mandatori)))",
        );
        let (_, diags) = load(Path::new("/p"), &files);
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags
                .iter()
                .all(|d| d.message.starts_with("unknown enforcement level"))
        );
        assert!(
            diags
                .iter()
                .any(|d| d.notes.iter().any(|n| n.contains("mandatory"))),
            "{diags:?}"
        );
    }

    #[test]
    fn terraform_files_load_into_the_same_model() {
        let files = MemoryFiles::default()
            .with(
                "/p/variables.tf",
                "variable \"name\" {\n  type    = string\n  default = \"x\"\n}\n",
            )
            .with(
                "/p/main.tf",
                "resource \"null-resource\" \"a\" {\n  triggers = { name = var.name }\n}\n\nmodule \"net\" {\n  source = \"./net\"\n  cidr   = \"10.0.0.0/16\"\n}\n",
            )
            .with(
                "/p/extra.nim",
                r#"(output "a" (value (ref null-resource "a" "id")) (depends-on (ref null-resource "a")))"#,
            )
            .with(
                "/p/net/main.tf",
                "variable \"cidr\" {}\noutput \"range\" {\n  value = var.cidr\n}\n",
            );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        let root = config.root();
        assert_eq!(root.variables[0].name.text, "name");
        assert_eq!(root.resources[0].address(), "null-resource.a");
        assert_eq!(root.outputs[0].depends_on.len(), 1);
        assert_eq!(root.path_from_root, ".");
        let net = &config.modules[config.called(root, &root.calls[0]).unwrap()];
        assert_eq!(net.outputs[0].name.text, "range");
        assert_eq!(net.path_from_root, "net");
    }

    #[test]
    fn terraform_errors_are_located_in_their_file() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.tf",
                "resource \"null-resource\" \"a\" {\n  provisioner \"local-exec\" {}\n}\n",
            )
            .with("/p/broken.tf", "locals {\n  a = \n}\n");
        let (config, diags) = load(Path::new("/p"), &files);
        let found: Vec<_> = diags
            .iter()
            .map(|d| config.location(d.span.unwrap()))
            .collect();
        assert_eq!(found, ["broken.tf:2:7", "main.tf:2:3"]);
    }

    #[test]
    fn required_providers_configure_their_provider() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(required-providers (acme (source "example/acme") (version "~> 1.0")) (other (source "example/other")))
               (provider other (alias two) (version "2.0"))"#,
        );
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        let settings = |p: &ProviderBlock| -> Vec<String> {
            p.attributes
                .iter()
                .map(|a| format!("{}={}", a.name.text, a.args[0].as_str().unwrap_or("?")))
                .collect()
        };
        let providers = &config.root().providers;
        assert_eq!(providers[0].address(), "other.two");
        assert_eq!(
            settings(&providers[0]),
            ["version=2.0", "source=example/other"]
        );
        assert_eq!(providers[1].address(), "acme");
        assert_eq!(
            settings(&providers[1]),
            ["source=example/acme", "version=~> 1.0"]
        );
    }

    #[test]
    fn backends_load_typed_from_nim_and_terraform() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.nim",
                r#"(backend s3 (bucket "acme-state") (key "a/state") (dynamodb-table "locks"))
(use-module "./m")
(include m)"#,
            )
            .with("/p/m/main.nim", "(backend local)");
        let (config, diags) = load(Path::new("/p"), &files);
        assert_eq!(
            diags.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
            ["the backend of a child module is ignored: only the root module's backend is used"]
        );
        assert!(!diags[0].is_error());
        assert_eq!(
            config.root().backend.as_ref().map(|b| &b.kind),
            Some(&BackendKind::S3 {
                bucket: "acme-state".into(),
                key: "a/state".into(),
                region: None,
                endpoint: None,
                lock: S3Lock::DynamoDb,
                dynamodb_table: Some("locks".into()),
                encrypt: true,
            })
        );
        assert_eq!(config.modules[1].backend, None);

        let files =
            MemoryFiles::default().with("/t/main.tf", "terraform {\n  backend \"pg\" {}\n}\n");
        let (config, diags) = load(Path::new("/t"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            config.root().backend.as_ref().map(|b| &b.kind),
            Some(&BackendKind::Postgres {
                url: None,
                schema: "nimbus".into()
            })
        );

        let files = MemoryFiles::default().with("/n/main.nim", "(resource null_resource \"a\")");
        let (config, _) = load(Path::new("/n"), &files);
        assert_eq!(config.root().backend, None);
    }

    #[test]
    fn module_instances_by_count_load_from_hcl() {
        let files = MemoryFiles::default()
            .with(
                "/p/main.tf",
                "module \"m\" {\n  source = \"./m\"\n  count  = 2\n}\n",
            )
            .with("/p/m/main.tf", "output \"o\" {\n  value = 1\n}\n");
        let (config, diagnostics) = load(Path::new("/p"), &files);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let call = &config.root().calls[0];
        assert!(call.count.is_some() && call.for_each.is_none());
        assert!(call.inputs.is_empty());
    }

    /// Files as bytes, which need not be UTF-8.
    struct ByteFiles(Vec<(PathBuf, Vec<u8>)>);

    impl Files for ByteFiles {
        fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
            Ok(self
                .0
                .iter()
                .filter(|(p, _)| p.parent() == Some(dir))
                .map(|(p, _)| p.clone())
                .collect())
        }

        fn read(&self, _: &Path) -> io::Result<String> {
            Err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
        }

        fn read_bytes(&self, path: &Path) -> io::Result<Vec<u8>> {
            let found = self.0.iter().find(|(p, _)| p == path);
            found
                .map(|(_, bytes)| bytes.clone())
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
        }

        fn is_dir(&self, path: &Path) -> bool {
            self.0.iter().any(|(p, _)| p.starts_with(path) && p != path)
        }
    }

    #[test]
    fn invalid_utf8_is_located_and_the_rest_still_checked() {
        let files = ByteFiles(vec![(
            PathBuf::from("/p/main.nim"),
            b"(resource null-resource \"a\")\n(locals (x \"caf\xe9\"))\n(resorce y)".to_vec(),
        )]);
        let (config, diags) = load(Path::new("/p"), &files);
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), config.location(d.span.unwrap())))
            .collect();
        assert_eq!(
            found,
            [
                ("the file is not valid UTF-8", "main.nim:2:16".to_string()),
                ("unknown form `resorce`", "main.nim:3:2".to_string()),
            ]
        );
    }

    #[test]
    fn repeated_diagnostics_are_dropped() {
        let span = |start| nimbus_syntax::Span::new(nimbus_syntax::FileId(0), start, start + 1);
        let mut diags = vec![
            Diagnostic::error("b").at(span(5)),
            Diagnostic::error("a").at(span(1)),
            Diagnostic::error("b").at(span(5)),
            Diagnostic::error("c").at(span(5)),
            Diagnostic::error("b").at(span(5)),
            Diagnostic::error("b").at(span(6)),
        ];
        sort_and_dedup_diagnostics(&mut diags);
        let kept: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), d.span.unwrap().start))
            .collect();
        assert_eq!(kept, [("a", 1), ("b", 5), ("c", 5), ("b", 6)]);
    }
}
