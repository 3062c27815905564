//! local-file and local-sensitive-file: the resources and the data sources.

use crate::kinds::Dialect;
use crate::schema::{
    DEFAULT_DIRECTORY_PERMISSION, DEFAULT_FILE_PERMISSION, DEFAULT_SENSITIVE_DIRECTORY_PERMISSION,
    DEFAULT_SENSITIVE_FILE_PERMISSION,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{Field, string_field};
use nimbus_provider::nimbus_value::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Which of the four file types: sensitive or not, in which dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flavor {
    pub sensitive: bool,
    pub dialect: Dialect,
}

impl Flavor {
    /// The attributes that give the content; exactly one must be set.
    fn sources(self) -> &'static [&'static str] {
        if self.dialect == Dialect::Terraform && !self.sensitive {
            &["content", "sensitive-content", "content-base64", "source"]
        } else {
            &["content", "content-base64", "source"]
        }
    }

    /// The default file and directory modes.
    pub(crate) fn default_modes(self) -> (&'static str, &'static str) {
        match (self.sensitive, self.dialect) {
            (false, Dialect::Nimbus) => (DEFAULT_FILE_PERMISSION, DEFAULT_DIRECTORY_PERMISSION),
            (true, Dialect::Nimbus) => (
                DEFAULT_SENSITIVE_FILE_PERMISSION,
                DEFAULT_SENSITIVE_DIRECTORY_PERMISSION,
            ),
            (false, Dialect::Terraform) => ("0777", "0777"),
            (true, Dialect::Terraform) => ("0700", "0700"),
        }
    }

    /// Values of unset attributes, applied at plan time.
    pub(crate) fn defaults(self) -> Vec<(&'static str, Value)> {
        let (file, dir) = self.default_modes();
        vec![
            ("file-permission", Value::string(file)),
            ("directory-permission", Value::string(dir)),
        ]
    }

    /// Whether modes are applied exactly (Nimbus) or before the umask, as
    /// Terraform does.
    pub(crate) fn exact_modes(self) -> bool {
        self.dialect == Dialect::Nimbus
    }
}

/// Checks a file resource configuration (unknowns are skipped).
pub(crate) fn check(object: &Value, flavor: Flavor) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    match string_field(object, "filename") {
        Ok(Field::Set(s)) if s.is_empty() => errors
            .push(ProviderError::fatal("`filename` must not be empty").on_attribute("filename")),
        Ok(Field::Null) => {
            errors.push(ProviderError::fatal("`filename` is required").on_attribute("filename"))
        }
        Ok(_) => {}
        Err(e) => errors.push(e.into()),
    }
    let mut given = Vec::new();
    for name in flavor.sources() {
        match string_field(object, name) {
            Ok(Field::Null) => {}
            Ok(field) => given.push((*name, field)),
            Err(e) => errors.push(e.into()),
        }
    }
    let names = flavor
        .sources()
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match given.as_slice() {
        [] if errors.is_empty() => errors.push(
            ProviderError::fatal(format!("one of {names} must be set")).on_attribute("content"),
        ),
        [_, (second, _), ..] => errors.push(
            ProviderError::fatal(format!("only one of {names} may be set")).on_attribute(*second),
        ),
        _ => {}
    }
    if let Ok(Field::Set(encoded)) = string_field(object, "content-base64")
        && let Err(e) = STANDARD.decode(encoded)
    {
        errors.push(
            ProviderError::fatal(format!("`content-base64` is not valid base64: {e}"))
                .on_attribute("content-base64"),
        );
    }
    for name in ["file-permission", "directory-permission"] {
        match string_field(object, name) {
            Ok(Field::Set(s)) => {
                if let Err(e) = parse_mode(&s, name) {
                    errors.push(e);
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    errors
}

/// Parses an octal permission string: 3 or 4 octal digits ("644", "0644").
pub(crate) fn parse_mode(text: &str, name: &str) -> Result<u32, ProviderError> {
    let valid = (3..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(text, 8) {
        Ok(mode) if valid => Ok(mode),
        _ => Err(ProviderError::fatal(format!(
            "`{name}` must be 3 or 4 octal digits such as \"0644\", found {text:?}"
        ))
        .on_attribute(name)),
    }
}

pub(crate) fn format_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// Where the bytes a configuration asks for come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wanted {
    Bytes(Vec<u8>),
    /// The bytes of this file (relative to the configuration).
    Source(String),
}

/// The bytes a configuration asks for.
pub(crate) fn wanted(object: &Value) -> Result<Wanted, ProviderError> {
    for name in ["content", "sensitive-content"] {
        if let Some(text) = string_field(object, name)?.known(name)? {
            return Ok(Wanted::Bytes(text.into_bytes()));
        }
    }
    if let Some(encoded) = string_field(object, "content-base64")?.known("content-base64")? {
        return STANDARD.decode(encoded).map(Wanted::Bytes).map_err(|e| {
            ProviderError::fatal(format!("`content-base64` is not valid base64: {e}"))
                .on_attribute("content-base64")
        });
    }
    match string_field(object, "source")?.known("source")? {
        Some(source) if !source.is_empty() => Ok(Wanted::Source(source)),
        _ => Err(ProviderError::fatal(
            "one of `content`, `content-base64` and `source` must be set",
        )
        .on_attribute("content")),
    }
}

fn mode_of(object: &Value, name: &str, default: &str) -> Result<u32, ProviderError> {
    let text = string_field(object, name)?
        .known(name)?
        .unwrap_or_else(|| default.to_string());
    parse_mode(&text, name)
}

/// The file's mode and its created directories' mode, defaults applied.
pub(crate) fn modes(object: &Value, flavor: Flavor) -> Result<(u32, u32), ProviderError> {
    let (file, dir) = flavor.default_modes();
    Ok((
        mode_of(object, "file-permission", file)?,
        mode_of(object, "directory-permission", dir)?,
    ))
}

/// Sets the hash attributes of the dialect (not `id`) from the bytes.
pub(crate) fn fill_hashes(state: &mut BTreeMap<String, Value>, bytes: &[u8], dialect: Dialect) {
    for (name, _) in crate::schema::hashes(dialect) {
        let value = match *name {
            "content-md5" => hex::encode(Md5::digest(bytes)),
            "content-sha1" => sha1_hex(bytes),
            "content-sha256" => hex::encode(Sha256::digest(bytes)),
            "content-base64sha256" => STANDARD.encode(Sha256::digest(bytes)),
            "content-sha512" => hex::encode(Sha512::digest(bytes)),
            _ => STANDARD.encode(Sha512::digest(bytes)),
        };
        state.insert(name.to_string(), Value::string(value));
    }
}

pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

fn io_error(action: &str, path: &Path, e: &io::Error) -> ProviderError {
    ProviderError::fatal(format!("cannot {action} {}: {e}", path.display()))
}

/// Sets exact permission bits (the umask plays no part).
#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn mode_of_file(metadata: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(metadata.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of_file(_metadata: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory gets the content and the mode, is flushed to disk, then
/// renamed over `path`. Missing parent directories are created. With
/// `exact` modes, the directories get `dir_mode` after the file is in place
/// (so a mode without owner write permission still works) and the umask
/// plays no part; otherwise both modes are given at creation and the umask
/// applies, as Terraform's local provider does. Returns the directories
/// created, outermost first.
pub(crate) fn write_atomically(
    path: &Path,
    bytes: &[u8],
    file_mode: u32,
    dir_mode: u32,
    exact: bool,
) -> Result<Vec<PathBuf>, ProviderError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut missing: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    let mut created = Vec::new();
    for dir in &missing {
        match create_dir(dir, dir_mode, exact) {
            Ok(()) => created.push(dir.clone()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error("create directory", dir, &e)),
        }
    }

    let mut builder = tempfile::Builder::new();
    builder.prefix(".nimbus-").suffix(".tmp");
    if !exact {
        create_with_mode(&mut builder, file_mode);
    }
    let mut temp = builder
        .tempfile_in(&parent)
        .map_err(|e| io_error("create a temporary file in", &parent, &e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| io_error("write", temp.path(), &e))?;
    if exact {
        set_mode(temp.path(), file_mode)
            .map_err(|e| io_error("set the permissions of", temp.path(), &e))?;
    }
    temp.persist(path)
        .map_err(|e| io_error("replace", path, &e.error))?;
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(dir) = std::fs::File::open(&parent) {
        let _ = dir.sync_all();
    }

    if exact {
        for dir in created.iter().rev() {
            set_mode(dir, dir_mode).map_err(|e| io_error("set the permissions of", dir, &e))?;
        }
    }
    Ok(created)
}

/// Creates one directory: with `mode` before the umask unless `exact`
/// (then the caller sets the mode afterwards).
#[cfg(unix)]
fn create_dir(dir: &Path, mode: u32, exact: bool) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let mut builder = std::fs::DirBuilder::new();
    if !exact {
        builder.mode(mode);
    }
    builder.create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path, _mode: u32, _exact: bool) -> io::Result<()> {
    std::fs::create_dir(dir)
}

/// Gives the temporary file `mode` when it is created (before the umask).
#[cfg(unix)]
fn create_with_mode(builder: &mut tempfile::Builder<'_, '_>, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    builder.permissions(std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn create_with_mode(_builder: &mut tempfile::Builder<'_, '_>, _mode: u32) {}

/// A file's bytes and, where the platform has them, its permission bits.
pub(crate) type OnDisk = (Vec<u8>, Option<u32>);

/// Reads a file's bytes and permission bits; `None` when it does not exist.
pub(crate) fn read_file(path: &Path) -> Result<Option<OnDisk>, ProviderError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read", path, &e)),
    };
    let mode = std::fs::metadata(path).ok().as_ref().and_then(mode_of_file);
    Ok(Some((bytes, mode)))
}

pub(crate) fn remove_file(path: &Path) -> Result<(), ProviderError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("delete", path, &e)),
    }
}

pub(crate) fn chmod(path: &Path, mode: u32) -> Result<(), ProviderError> {
    match set_mode(path, mode) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(ProviderError::fatal(format!(
            "{} no longer exists; refresh and plan again",
            path.display()
        ))),
        Err(e) => Err(io_error("set the permissions of", path, &e)),
    }
}

/// Changes the mode of the directories a local-file created (those that
/// still exist).
pub(crate) fn chmod_dirs(dirs: &[PathBuf], mode: u32) -> Result<(), ProviderError> {
    for dir in dirs.iter().rev() {
        match set_mode(dir, mode) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("set the permissions of", dir, &e)),
        }
    }
    Ok(())
}

/// Provider-private data of a local-file: the directories it created.
pub(crate) fn encode_private(created: &[PathBuf]) -> Vec<u8> {
    if created.is_empty() {
        return Vec::new();
    }
    let dirs: Vec<serde_json::Value> = created
        .iter()
        .map(|d| serde_json::Value::String(d.to_string_lossy().into_owned()))
        .collect();
    serde_json::json!({ "created-dirs": dirs })
        .to_string()
        .into_bytes()
}

pub(crate) fn decode_private(private: &[u8]) -> Vec<PathBuf> {
    serde_json::from_slice::<serde_json::Value>(private)
        .ok()
        .and_then(|v| {
            v.get("created-dirs")
                .and_then(|d| d.as_array())
                .map(|dirs| {
                    dirs.iter()
                        .filter_map(|d| d.as_str())
                        .map(PathBuf::from)
                        .collect()
                })
        })
        .unwrap_or_default()
}

/// What a read found of a file resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refreshed {
    Same,
    /// `state` was updated to what is on disk (drift).
    Changed,
    /// The file is not the one this resource made: it is made again.
    Gone,
}

/// Brings `state` (a file resource's) to what is on disk. In Nimbus's
/// dialect, content given inline and the mode are read back, so that an
/// edit shows as drift; in Terraform's, and for content from `source`, a
/// file whose content no longer has the recorded SHA-1 (`id`) is gone, as
/// Terraform's local provider has it.
pub(crate) fn refresh(
    state: &mut BTreeMap<String, Value>,
    bytes: &[u8],
    mode: Option<u32>,
    flavor: Flavor,
) -> Refreshed {
    let inline = ["content", "content-base64"]
        .into_iter()
        .find(|name| !attr_in(state, name).is_null());
    let key = match (flavor.dialect, inline) {
        (Dialect::Nimbus, Some(key)) => key,
        _ => {
            return if attr_in(state, "id").as_str() == Some(sha1_hex(bytes).as_str()) {
                Refreshed::Same
            } else {
                Refreshed::Gone
            };
        }
    };
    let mut changed = false;
    let current = if key == "content-base64" {
        Value::string(STANDARD.encode(bytes))
    } else {
        Value::string(String::from_utf8_lossy(bytes).into_owned())
    };
    if attr_in(state, key) != &current {
        state.insert(key.into(), current);
        fill_hashes(state, bytes, flavor.dialect);
        changed = true;
    }
    if let Some(mode) = mode {
        let recorded = attr_in(state, "file-permission")
            .as_str()
            .and_then(|s| parse_mode(s, "file-permission").ok());
        if recorded != Some(mode) {
            state.insert("file-permission".into(), Value::string(format_mode(mode)));
            changed = true;
        }
    }
    if changed {
        Refreshed::Changed
    } else {
        Refreshed::Same
    }
}

fn attr_in<'a>(state: &'a BTreeMap<String, Value>, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    state.get(name).unwrap_or(&NULL)
}

/// The filename of a local-file object, required to be known.
pub(crate) fn filename(object: &Value) -> Result<String, ProviderError> {
    match string_field(object, "filename")?.known("filename")? {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(ProviderError::fatal("`filename` is required").on_attribute("filename")),
    }
}

/// The data source's result.
pub(crate) fn data_object(filename: &str, bytes: &[u8], dialect: Dialect) -> Value {
    let mut out = BTreeMap::new();
    out.insert("filename".to_string(), Value::string(filename));
    out.insert(
        "content".to_string(),
        Value::string(String::from_utf8_lossy(bytes).into_owned()),
    );
    out.insert(
        "content-base64".to_string(),
        Value::string(STANDARD.encode(bytes)),
    );
    fill_hashes(&mut out, bytes, dialect);
    out.insert("id".to_string(), Value::string(sha1_hex(bytes)));
    Value::Map(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_strictly() {
        assert_eq!(parse_mode("0644", "m").unwrap(), 0o644);
        assert_eq!(parse_mode("755", "m").unwrap(), 0o755);
        assert_eq!(parse_mode("4755", "m").unwrap(), 0o4755);
        for bad in ["", "64", "0888", "rw-r--r--", "00644", "+644"] {
            assert_eq!(
                parse_mode(bad, "m").unwrap_err().attribute.as_deref(),
                Some("m"),
                "{bad}"
            );
        }
        assert_eq!(format_mode(0o644), "0644");
    }

    #[test]
    fn private_round_trips() {
        assert!(encode_private(&[]).is_empty());
        assert!(decode_private(b"").is_empty());
        assert!(decode_private(b"garbage").is_empty());
        let dirs = vec![PathBuf::from("/tmp/a"), PathBuf::from("/tmp/a/b")];
        assert_eq!(decode_private(&encode_private(&dirs)), dirs);
    }
}
