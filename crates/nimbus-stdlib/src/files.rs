//! Paths and files: `dirname` and `basename` are string functions (Go's
//! `filepath.Dir` and `filepath.Base` with `/` separators); the rest read
//! through the caller's [`crate::FileAccess`], so the library does no I/O.

use crate::args::Args;
use crate::encoding::{base64_bytes, base64_of, hex_of};
use crate::{FileAccess, FunctionError};
use md5::Md5;
use nimbus_value::Value;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

/// Go's `path.Clean`: the shortest equivalent path (no `.`, no `x/..`, no
/// doubled or trailing `/`), `.` for an empty result.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `(dirname PATH)`: everything before the last `/`, cleaned.
pub(crate) fn dirname(args: &mut Args) -> Result<Value, FunctionError> {
    let path = &*args.string(0)?;
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

/// `(basename PATH)`: the last element, trailing slashes ignored.
pub(crate) fn basename(args: &mut Args) -> Result<Value, FunctionError> {
    let path = &*args.string(0)?;
    if path.is_empty() {
        return Ok(Value::String(".".to_string()));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::String("/".to_string()));
    }
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    Ok(Value::String(base.to_string()))
}

/// The caller's file access, or the error for a caller that gives none.
fn files<'a>(args: &Args<'a>) -> Result<&'a dyn FileAccess, FunctionError> {
    args.context.files.ok_or_else(|| {
        FunctionError::new("file functions are not available here: no file access was given")
    })
}

/// The bytes of the file named by argument 0.
fn read(args: &Args) -> Result<Vec<u8>, FunctionError> {
    let path = &*args.string(0)?;
    files(args)?
        .read(path)
        .map_err(|e| FunctionError::at(0, format!("cannot read {}: {e}", args.quote(path))))
}

/// `(file PATH)`: the file's text, which must be UTF-8.
pub(crate) fn file(args: &mut Args) -> Result<Value, FunctionError> {
    let bytes = read(args)?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        FunctionError::at(
            0,
            "the file is not valid UTF-8; use filebase64 for binary files",
        )
    })
}

pub(crate) fn file_base64(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(base64_bytes(&read(args)?)))
}

pub(crate) fn file_md5(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(hex_of::<Md5>(&read(args)?)))
}

pub(crate) fn file_sha1(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(hex_of::<Sha1>(&read(args)?)))
}

pub(crate) fn file_sha256(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(hex_of::<Sha256>(&read(args)?)))
}

pub(crate) fn file_sha512(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(hex_of::<Sha512>(&read(args)?)))
}

pub(crate) fn file_base64_sha256(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(base64_of::<Sha256>(&read(args)?)))
}

pub(crate) fn file_base64_sha512(args: &mut Args) -> Result<Value, FunctionError> {
    Ok(Value::String(base64_of::<Sha512>(&read(args)?)))
}

/// `(file-exists PATH)`: whether a regular file is there.
pub(crate) fn file_exists(args: &mut Args) -> Result<Value, FunctionError> {
    let path = &*args.string(0)?;
    files(args)?
        .is_file(path)
        .map(Value::Bool)
        .map_err(|e| FunctionError::at(0, e))
}

/// `(file-set DIRECTORY PATTERN)`: the matching files, sorted.
pub(crate) fn file_set(args: &mut Args) -> Result<Value, FunctionError> {
    let (base, pattern) = (&*args.string(0)?, &*args.string(1)?);
    let mut found = files(args)?
        .glob(base, pattern)
        .map_err(|e| FunctionError::at(1, e))?;
    found.sort();
    found.dedup();
    Ok(Value::List(found.into_iter().map(Value::String).collect()))
}

/// `(abs-path PATH)`: PATH made absolute against the current directory,
/// cleaned.
pub(crate) fn abs_path(args: &mut Args) -> Result<Value, FunctionError> {
    let path = &*args.string(0)?;
    if path.starts_with('/') {
        return Ok(Value::String(clean(path)));
    }
    let current = files(args)?
        .current_dir()
        .map_err(|e| FunctionError::new(format!("cannot find the current directory: {e}")))?;
    Ok(Value::String(clean(&format!("{current}/{path}"))))
}

/// `(path-expand PATH)`: a leading `~` replaced by the home directory.
pub(crate) fn path_expand(args: &mut Args) -> Result<Value, FunctionError> {
    let path = &*args.string(0)?;
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return Ok(Value::String(path.to_string())),
    };
    let home = files(args)?
        .home_dir()
        .map_err(|e| FunctionError::new(format!("cannot find the home directory: {e}")))?;
    Ok(Value::String(format!("{home}{rest}")))
}
