//! `init`, `validate`, `fmt`, `convert`.

use crate::context::{CmdResult, OsFiles, Reported, Session};
use crate::plugins;
use nimbus_config::Files;
use nimbus_engine::Engine;
use nimbus_engine::backend::BackendSettings;
use std::path::{Path, PathBuf};

const STARTER: &str = r#";; A starter configuration: built-in providers only, no cloud account needed.
;; Try: nimbus plan, nimbus apply, nimbus output, nimbus destroy.

(define-variables
  (greeting (type string) (default "hello from nimbus")))

(define-infrastructure starter
  (resource random-id "suffix"
    (byte-length 4))

  (resource local-file "greeting"
    (filename (format "out/greeting-~a.txt" (ref random-id "suffix" "hex")))
    (content (var greeting)))

  (output "file"
    (value (ref local-file "greeting" "filename"))))
"#;

pub async fn init(session: &Session, upgrade: bool, forced: &[String]) -> CmdResult {
    if let Err(e) = std::fs::create_dir_all(&session.dir) {
        session
            .out
            .error(&format!("cannot create {}: {e}", session.dir.display()));
        return Err(Reported);
    }
    let has_config = OsFiles
        .configuration_files(&session.dir)
        .map(|f| !f.is_empty())
        .unwrap_or(false);
    if !has_config {
        let main = session.dir.join("main.nim");
        if let Err(e) = std::fs::write(&main, STARTER) {
            session
                .out
                .error(&format!("cannot write {}: {e}", main.display()));
            return Err(Reported);
        }
        session.out.line("Wrote a starter main.nim.");
    }
    // The configuration's backend becomes the project's: every later
    // command opens the state there without reading the configuration.
    let config = session.load_config()?;
    let backend = BackendSettings::from_config(config.root().backend.as_ref().map(|b| &b.kind));
    // What an earlier `init` recorded (or the local state of a project
    // from before backends were recorded): a switch is worth saying.
    let previous = BackendSettings::recorded(&session.dir)
        .ok()
        .flatten()
        .or_else(|| {
            let local = BackendSettings::default();
            let dir = local.local_dir(&session.dir)?;
            dir.join(nimbus_state::STATE_DB_FILE)
                .is_file()
                .then_some(local)
        });
    if let Err(e) = backend.open(&session.dir, true, &session.encryption()?) {
        let place = match backend.local_dir(&session.dir) {
            Some(dir) => dir.display().to_string(),
            None => backend.describe(),
        };
        session
            .out
            .error(&format!("cannot create the state in {place}: {e}"));
        return Err(Reported);
    }
    if let Err(e) = backend.record(&session.dir) {
        session
            .out
            .error(&format!("cannot record the backend: {e}"));
        return Err(Reported);
    }
    match &previous {
        Some(previous) if *previous != backend => session.out.line(&format!(
            "State backend: {} (was {}; its state was not moved: `nimbus state migrate` copies it).",
            backend.describe(),
            previous.describe()
        )),
        _ if backend.kind() != "local" => session
            .out
            .line(&format!("State backend: {}.", backend.describe())),
        _ => {}
    }
    let locked = lock_plugins(session, upgrade, forced).await?;
    session.line_or_json(
        &format!("Initialized Nimbus in {}.", session.dir.display()),
        serde_json::json!({
            "initialized": session.dir.display().to_string(),
            "providers": locked,
        }),
    );
    Ok(())
}

/// `nimbus providers install`: the plugin half of `init`.
pub async fn install_plugins(session: &Session, upgrade: bool, forced: &[String]) -> CmdResult {
    let locked = lock_plugins(session, upgrade, forced).await?;
    if !locked.iter().any(|p| p.get("sha256").is_some()) {
        session.line_or_json(
            "This configuration uses no plugin providers.",
            serde_json::json!({ "providers": locked }),
        );
    } else if session.out.json {
        session
            .out
            .event("result", serde_json::json!({ "providers": locked }));
    }
    Ok(())
}

/// Resolves the configuration's plugin providers (mirror, cache, registry)
/// and records them in `.nimbus.lock`, and says which providers the
/// built-in serves; returns both, for `--json`.
async fn lock_plugins(
    session: &Session,
    upgrade: bool,
    forced: &[String],
) -> CmdResult<Vec<serde_json::Value>> {
    let config = session.load_config()?;
    let mut forced_sources = Vec::new();
    for text in forced {
        match nimbus_plugin::ProviderSource::parse(text) {
            Ok(source) => forced_sources.push(source),
            Err(e) => {
                session.out.error(&format!("--plugin {text}: {e}"));
                return Err(Reported);
            }
        }
    }
    let all = plugins::needs(&config, &session.dir, &forced_sources).map_err(|ds| {
        session
            .out
            .diagnostics(&session.sources_for_display(&config), &ds);
        Reported
    })?;
    for source in &forced_sources {
        if !all.plugins.iter().any(|need| need.source == *source) {
            session.out.error(&format!(
                "--plugin {source}: the configuration requires no such provider"
            ));
            return Err(Reported);
        }
    }
    let mut json = Vec::new();
    for (need, provider) in &all.builtin {
        session
            .out
            .line(&format!("- {} {}: built in", need.source, provider.version));
        json.push(serde_json::json!({
            "source": need.source.to_string(),
            "version": provider.version,
            "built_in": true,
        }));
    }
    let needs = all.plugins;
    if needs.is_empty() {
        // Still drops a lock left from plugins the configuration stopped using.
        if session.dir.join(nimbus_plugin::LOCK_FILE).exists() {
            plugins::lock(&plugins::Places::default(), &session.dir, &[], upgrade)
                .await
                .map_err(|errors| {
                    errors.iter().for_each(|e| session.out.error(e));
                    Reported
                })?;
        }
        return Ok(json);
    }
    let places = session.catalog().places().map_err(|e| {
        session.out.error(&e);
        Reported
    })?;
    let locked = plugins::lock(&places, &session.dir, &needs, upgrade)
        .await
        .map_err(|errors| {
            errors.iter().for_each(|e| session.out.error(e));
            Reported
        })?;
    for entry in &locked {
        let installed = &entry.resolved.installed;
        let version = installed.version.to_string();
        let change = match &entry.previous {
            None => "locked".to_string(),
            Some(p) if *p == version => "unchanged".to_string(),
            Some(p) => format!("upgraded from {p}"),
        };
        let from = match entry.origin {
            plugins::Origin::Mirror => "",
            plugins::Origin::Cache => " (from the provider cache)",
            plugins::Origin::Registry => " (installed from its registry)",
        };
        session.out.line(&format!(
            "- {} {version} (sha256 {}): {change}{from}",
            installed.source,
            &entry.resolved.sha256[..12.min(entry.resolved.sha256.len())]
        ));
        json.push(serde_json::json!({
            "source": installed.source.to_string(),
            "version": version,
            "sha256": entry.resolved.sha256,
            "binary": installed.binary.display().to_string(),
            "previous_version": entry.previous,
            "origin": entry.origin.name(),
        }));
    }
    Ok(json)
}

pub async fn validate(session: &Session) -> CmdResult {
    let config = session.load_config()?;
    let (inputs, sources) = session.inputs(&config)?;
    let engine = match Engine::new(&config, &session.catalog()) {
        Ok(e) => e,
        Err(ds) => {
            session.out.diagnostics(&sources, &ds);
            return Err(Reported);
        }
    };
    let diagnostics = engine.validate(&inputs).await;
    if diagnostics.iter().any(|d| d.is_error()) {
        session.out.diagnostics(&sources, &diagnostics);
        return Err(Reported);
    }
    session.out.diagnostics(&sources, &diagnostics);
    let resources: usize = config.modules.iter().map(|m| m.resources.len()).sum();
    session.line_or_json(
        &format!("OK: the configuration is valid ({resources} resource blocks)."),
        serde_json::json!({ "valid": true, "resource_blocks": resources }),
    );
    Ok(())
}

/// The `.nim` files of `dir`, and with `recursive` those of its
/// subdirectories, in a stable order. Hidden directories (`.nimbus/`,
/// `.git/`) are left out, and so are symbolic links to directories, which
/// could lead out of the tree or round in a loop.
fn nim_files_under(dir: &Path, recursive: bool, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    files.extend(OsFiles.nim_files(dir)?);
    if !recursive {
        return Ok(());
    }
    let mut subdirectories = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type()?.is_dir() {
            subdirectories.push(entry.path());
        }
    }
    subdirectories.sort();
    for subdirectory in subdirectories {
        nim_files_under(&subdirectory, true, files)?;
    }
    Ok(())
}

/// What `fmt` rewrites: each file named, and the `.nim` files of each
/// directory named (the working directory when none is).
fn fmt_targets(session: &Session, paths: &[PathBuf], recursive: bool) -> CmdResult<Vec<PathBuf>> {
    // Each root with its name as the user gave it, for messages.
    let roots: Vec<(PathBuf, String)> = if paths.is_empty() {
        vec![(session.dir.clone(), session.dir.display().to_string())]
    } else {
        paths
            .iter()
            .map(|p| (session.dir.join(p), p.display().to_string()))
            .collect()
    };
    let mut files = Vec::new();
    for (root, shown) in &roots {
        let listed = match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => nim_files_under(root, recursive, &mut files),
            // A file named explicitly is formatted whatever its extension.
            Ok(_) => {
                files.push(root.clone());
                Ok(())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = listed {
            session.out.error(&format!("cannot list {shown}: {e}"));
            return Err(Reported);
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    Ok(files)
}

pub fn fmt(session: &Session, check: bool, recursive: bool, paths: &[PathBuf]) -> CmdResult<u8> {
    let files = fmt_targets(session, paths, recursive)?;
    let mut changed = Vec::new();
    let mut failed = false;
    for path in files {
        let shown = path
            .strip_prefix(&session.dir)
            .unwrap_or(&path)
            .to_path_buf();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                session
                    .out
                    .error(&format!("cannot read {}: {e}", shown.display()));
                failed = true;
                continue;
            }
        };
        let (text, invalid) = nimbus_syntax::decode_lossy(bytes);
        let mut sources = nimbus_syntax::SourceMap::new();
        let id = sources.add(shown.clone(), text.clone());
        if let Some(invalid) = invalid {
            // Located like any other error; a file that is not text is
            // never rewritten.
            session.out.diagnostics(&sources, &[invalid.diagnostic(id)]);
            failed = true;
            continue;
        }
        match nimbus_syntax::format::format_file(id, &text) {
            Ok(formatted) if formatted != text => {
                if !check {
                    // Write to a sibling and rename: a crash never leaves a
                    // half-written source file.
                    let tmp = path.with_extension("nim.fmt-tmp");
                    if let Err(e) =
                        std::fs::write(&tmp, &formatted).and_then(|_| std::fs::rename(&tmp, &path))
                    {
                        session
                            .out
                            .error(&format!("cannot write {}: {e}", shown.display()));
                        failed = true;
                        continue;
                    }
                }
                changed.push(shown);
            }
            Ok(_) => {}
            Err(diagnostics) => {
                session.out.diagnostics(&sources, &diagnostics);
                failed = true;
            }
        }
    }
    for file in &changed {
        session.line_or_json(
            &file.display().to_string(),
            serde_json::json!({ "file": file.display().to_string(), "changed": true }),
        );
    }
    if failed {
        return Err(Reported);
    }
    Ok(if check && !changed.is_empty() { 1 } else { 0 })
}

/// Where `convert` puts its result.
enum ConvertTo {
    /// Printed, each file under a `;; ---- NAME.nim` line.
    Stdout,
    Directory(PathBuf),
    /// Beside the `.tf` files, which are then deleted.
    InPlace,
}

/// `convert [DIR] [--out DIR | --in-place]`. The module is loaded first,
/// as `validate` loads it, so a configuration that is not valid is refused
/// with its located errors; then every `.tf` file is converted, and only
/// when all of them are is anything written.
pub fn convert(
    session: &Session,
    dir: Option<&Path>,
    out: Option<&Path>,
    in_place: bool,
) -> CmdResult<u8> {
    let dir = dir.map_or_else(|| session.dir.clone(), |d| session.resolve(d));
    let target = match (out, in_place) {
        (Some(out), _) => ConvertTo::Directory(session.resolve(out)),
        (None, true) => ConvertTo::InPlace,
        (None, false) => ConvertTo::Stdout,
    };
    let mut tf_files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && matches!(
                        nimbus_config::Language::of(p),
                        Some(
                            nimbus_config::Language::Terraform
                                | nimbus_config::Language::TerraformJson
                        )
                    )
            })
            .collect(),
        Err(e) => {
            session
                .out
                .error(&format!("cannot list {}: {e}", dir.display()));
            return Err(Reported);
        }
    };
    tf_files.sort();
    if tf_files.is_empty() {
        session.out.error(&format!(
            "{} has no Terraform files (*.tf, *.tf.json) to convert",
            dir.display()
        ));
        return Err(Reported);
    }
    if let ConvertTo::Directory(out) = &target {
        let has_tf = std::fs::read_dir(out).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|e| {
                matches!(
                    nimbus_config::Language::of(&e.path()),
                    Some(
                        nimbus_config::Language::Terraform | nimbus_config::Language::TerraformJson
                    )
                )
            })
        });
        if has_tf {
            session.out.error(&format!(
                "{} holds .tf files: the .nim files written there would declare everything a second time (give --out a directory without them, or use --in-place to replace the .tf files)",
                out.display()
            ));
            return Err(Reported);
        }
    }
    // The whole module first, as validate reads it (modules it calls
    // included): the conversion of a module that is not valid is refused.
    let (config, diagnostics) = nimbus_config::load(&dir, &OsFiles);
    if diagnostics.iter().any(nimbus_syntax::Diagnostic::is_error) {
        let shown = crate::context::relativize(&config.sources, &session.dir);
        session.out.diagnostics(&shown, &diagnostics);
        return Err(Reported);
    }
    let mut sources = nimbus_syntax::SourceMap::new();
    let mut converted = Vec::new();
    let mut failed = false;
    for path in &tf_files {
        let shown = path
            .strip_prefix(&session.dir)
            .unwrap_or(path)
            .to_path_buf();
        // The text the load above read: each file is read once.
        let Some(text) = config
            .sources
            .files()
            .find(|(_, file)| file.path == *path)
            .map(|(_, file)| file.text.clone())
        else {
            session
                .out
                .error(&format!("cannot read {}", shown.display()));
            return Err(Reported);
        };
        let id = sources.add(shown, text);
        let json =
            nimbus_config::Language::of(path) == Some(nimbus_config::Language::TerraformJson);
        let result = if json {
            nimbus_hcl::convert_json(id, &sources.file(id).text)
        } else {
            nimbus_hcl::convert(id, &sources.file(id).text)
        };
        match result {
            Ok(result) => {
                session.out.diagnostics(&sources, &result.warnings);
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                let stem = name
                    .strip_suffix(".tf.json")
                    .or_else(|| name.strip_suffix(".tf"))
                    .unwrap_or(&name);
                converted.push((path.with_file_name(format!("{stem}.nim")), result.text));
            }
            Err(diagnostics) => {
                session.out.diagnostics(&sources, &diagnostics);
                failed = true;
            }
        }
    }
    if failed {
        return Err(Reported);
    }
    let destination = match &target {
        ConvertTo::Stdout => {
            for (path, text) in &converted {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                session
                    .out
                    .line(&format!(";; ---- {name}\n{}", text.trim_end()));
            }
            return Ok(0);
        }
        ConvertTo::Directory(out) => {
            if let Err(e) = std::fs::create_dir_all(out) {
                session
                    .out
                    .error(&format!("cannot create {}: {e}", out.display()));
                return Err(Reported);
            }
            out.clone()
        }
        ConvertTo::InPlace => dir.clone(),
    };
    let targets: Vec<PathBuf> = converted
        .iter()
        .map(|(path, _)| destination.join(path.file_name().unwrap_or_default()))
        .collect();
    // Never overwrite a `.nim` file: it may be the module's own source.
    if let Some(existing) = targets.iter().find(|t| t.exists()) {
        session.out.error(&format!(
            "{} already exists: convert writes new files only (move it away, or choose another --out)",
            existing.strip_prefix(&session.dir).unwrap_or(existing).display()
        ));
        return Err(Reported);
    }
    let mut written = Vec::new();
    for ((_, text), target) in converted.iter().zip(targets) {
        write_whole(session, &target, text)?;
        written.push(target);
    }
    if matches!(target, ConvertTo::InPlace) {
        for tf in &tf_files {
            if let Err(e) = std::fs::remove_file(tf) {
                session
                    .out
                    .error(&format!("cannot delete {}: {e}", tf.display()));
                return Err(Reported);
            }
        }
    }
    let shown = |p: &Path| {
        p.strip_prefix(&session.dir)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    for (tf, nim) in tf_files.iter().zip(&written) {
        session.line_or_json(
            &format!("{} -> {}", shown(tf), shown(nim)),
            serde_json::json!({ "converted": shown(tf), "to": shown(nim) }),
        );
    }
    Ok(0)
}

/// Writes a whole file through a sibling and a rename: a crash never
/// leaves half a file.
fn write_whole(session: &Session, path: &Path, text: &str) -> CmdResult {
    let tmp = path.with_extension("nim.convert-tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            session
                .out
                .error(&format!("cannot write {}: {e}", path.display()));
            Reported
        })
}

/// `man-pages DIR`: the manual, generated from the command line's own
/// definition (so it says what `--help` says): `nimbus.1` and a page per
/// command (`nimbus-plan.1`, `nimbus-state-list.1`, ...).
pub fn man_pages(session: &Session, dir: &Path) -> CmdResult<u8> {
    use clap::CommandFactory;
    let dir = session.resolve(dir);
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| write_man_pages(&crate::Cli::command(), "nimbus", "nimbus", &dir))
        .map_err(|e| {
            session.out.error(&format!(
                "cannot write the manual to {}: {e}",
                dir.display()
            ));
            Reported
        })?;
    session.line_or_json(
        &format!("Wrote {written} manual pages to {}.", dir.display()),
        serde_json::json!({ "man_pages": written, "dir": dir.display().to_string() }),
    );
    Ok(0)
}

/// Writes the page of `command` (the file `FILE.1`, the command invoked as
/// `invoked`) and of its subcommands; returns how many.
fn write_man_pages(
    command: &clap::Command,
    file: &str,
    invoked: &str,
    dir: &Path,
) -> std::io::Result<usize> {
    let command = command
        .clone()
        .display_name(file.to_string())
        .bin_name(invoked.to_string());
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    std::fs::write(dir.join(format!("{file}.1")), page)?;
    let mut written = 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        written += write_man_pages(
            sub,
            &format!("{file}-{name}"),
            &format!("{invoked} {name}"),
            dir,
        )?;
    }
    Ok(written)
}
