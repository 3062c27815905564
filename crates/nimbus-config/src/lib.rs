//! The configuration model loaded from every `*.nim` file of a directory,
//! with the modules it uses.
//!
//! File access goes through [`Files`] so that this crate does no I/O of its
//! own: the CLI passes the real file system, tests and the language server
//! pass files held in memory.

pub mod model;
mod parse;

pub use model::*;
pub use parse::{BLOCK_FORMS, META_ARGUMENTS, POLICY_RULES};

use nimbus_syntax::{Diagnostic, SourceMap};
use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Where configuration text comes from.
pub trait Files {
    /// The `*.nim` files directly inside `dir`, sorted by name.
    fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    fn read(&self, path: &Path) -> io::Result<String>;
    fn is_dir(&self, path: &Path) -> bool;
}

/// Index of a module in [`Config::modules`]; the root is 0.
pub type ModuleId = usize;

#[derive(Debug, Default)]
pub struct Config {
    pub sources: SourceMap,
    /// The root module first, then every module it uses (each loaded once,
    /// however often it is included).
    pub modules: Vec<Module>,
    by_path: HashMap<PathBuf, ModuleId>,
}

impl Config {
    pub fn root(&self) -> &Module {
        &self.modules[0]
    }

    /// The module an import refers to, once loaded.
    pub fn imported(&self, import: &ModuleImport) -> Option<ModuleId> {
        self.by_path.get(&normalize(&import.resolved)).copied()
    }

    /// The module a call in `module` instantiates.
    pub fn called(&self, module: &Module, call: &ModuleCall) -> Option<ModuleId> {
        let import = module.imports.iter().find(|i| i.name.text == call.module.text)?;
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

/// Parses already-read text of one module (used by tests and by `load`).
pub fn parse_module(
    dir: &Path,
    files: &[(PathBuf, String)],
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    for (path, text) in files {
        let id = sources.add(path.clone(), text.clone());
        let parsed = nimbus_syntax::read(id, text);
        diagnostics.extend(parsed.diagnostics);
        let file_dir = path.parent().unwrap_or(dir).to_path_buf();
        let mut parser = parse::Parser {
            module: &mut module,
            diagnostics,
            file_dir: &file_dir,
        };
        for node in &parsed.nodes {
            parser.top_level(node);
        }
    }
    parse::check_duplicates(&module, sources, diagnostics);
    module
}

/// Loads the module in `root` (a directory of `.nim` files, or one file)
/// and, recursively, every module it uses.
pub fn load(root: &Path, files: &dyn Files) -> (Config, Vec<Diagnostic>) {
    let mut config = Config::default();
    let mut diagnostics = Vec::new();
    let mut queue = vec![(normalize(root), None::<nimbus_syntax::Span>)];
    while let Some((path, used_at)) = queue.pop() {
        if config.by_path.contains_key(&path) {
            continue;
        }
        let (dir, paths) = if files.is_dir(&path) {
            match files.nim_files(&path) {
                Ok(paths) => (path.clone(), paths),
                Err(e) => {
                    diagnostics.push(located(format!("cannot read directory {}: {e}", path.display()), used_at));
                    continue;
                }
            }
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir, vec![path.clone()])
        };
        let mut texts = Vec::with_capacity(paths.len());
        for p in paths {
            match files.read(&p) {
                Ok(text) => texts.push((p, text)),
                Err(e) => diagnostics.push(located(format!("cannot read {}: {e}", p.display()), used_at)),
            }
        }
        if texts.is_empty() && used_at.is_some() {
            diagnostics.push(located(format!("module {} has no .nim files", path.display()), used_at));
        }
        let module = parse_module(&dir, &texts, &mut config.sources, &mut diagnostics);
        for import in &module.imports {
            queue.push((normalize(&import.resolved), Some(import.span)));
        }
        config.by_path.insert(path, config.modules.len());
        config.modules.push(module);
        // Breadth-first is not needed: modules are independent once loaded.
    }
    // Calls must name an imported module.
    for module in &config.modules {
        for call in &module.calls {
            if !module.imports.iter().any(|i| i.name.text == call.module.text) {
                diagnostics.push(
                    Diagnostic::error(format!("unknown module `{}`: import it with `(use-module ...)` first", call.module.text))
                        .at(call.module.span)
                        .with_suggestion(&call.module.text, module.imports.iter().map(|i| i.name.text.as_str())),
                );
            }
        }
    }
    if config.modules.is_empty() {
        config.modules.push(Module::default());
    }
    sort_diagnostics(&mut diagnostics);
    (config, diagnostics)
}

/// Source order: file, then position; unlocated ones first.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
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

    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
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
            .with("/p/modules/net.nim", r#"(define-variables (cidr (type string))) (resource null-resource "n")"#);
        let (config, diags) = load(Path::new("/p"), &files);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.modules.len(), 2);
        let root = config.root();
        assert_eq!(root.resources.len(), 1);
        assert!(root.resources[0].count.is_some());
        assert_eq!(config.called(root, &root.calls[0]), Some(1));
        assert_eq!(config.modules[1].variables[0].ty, nimbus_value::Type::String);
    }

    #[test]
    fn reports_duplicates_and_unknown_forms() {
        let files = MemoryFiles::default().with(
            "/p/main.nim",
            r#"(resource null-resource "a") (resource null-resource "a") (resorce x "y")"#,
        );
        let (_, diags) = load(Path::new("/p"), &files);
        let messages: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["duplicate resource `null-resource.a`", "unknown form `resorce`"]);
        assert_eq!(diags[1].notes, ["help: did you mean `resource`?"]);
    }
}
