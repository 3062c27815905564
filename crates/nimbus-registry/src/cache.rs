//! The provider cache shared between projects, in Terraform's unpacked
//! mirror layout (`CACHE/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/`), so that
//! [`nimbus_plugin::mirror`] reads it as it reads a mirror; and unpacking a
//! provider archive into it.
//!
//! A version appears whole or not at all: the archive is unpacked into a
//! hidden temporary directory beside its final place and renamed into it.
//! Two installs of the same version at once both unpack, one rename wins,
//! and the other sees the winner's directory and discards its own.

use crate::RegistryError;
use nimbus_plugin::{ProviderSource, Version};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most an archive may unpack to (a zip bomb stops here).
pub const MAX_UNPACKED: u64 = 2 << 30;

/// The directory of one version of a provider for one platform.
pub fn version_dir(
    cache: &Path,
    source: &ProviderSource,
    version: &Version,
    platform: &str,
) -> PathBuf {
    source
        .mirror_dir(cache)
        .join(version.to_string())
        .join(platform)
}

/// Whether `dir` holds the provider's binary (`terraform-provider-TYPE*`).
pub fn has_binary(dir: &Path, type_name: &str) -> bool {
    let prefix = format!("terraform-provider-{type_name}");
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            // As the mirror reader looks for it.
            name.strip_prefix(&prefix)
                .is_some_and(|r| r.is_empty() || r.starts_with("_v") || r == ".exe")
                && e.path().is_file()
        })
    })
}

/// Unpacks the provider archive `zip` into the cache as `version` for
/// `platform`; returns the directory. Nothing is left behind on error.
pub fn install_archive(
    cache: &Path,
    source: &ProviderSource,
    version: &Version,
    platform: &str,
    zip: &[u8],
) -> Result<PathBuf, RegistryError> {
    let target = version_dir(cache, source, version, platform);
    if has_binary(&target, &source.type_name) {
        return Ok(target);
    }
    let parent = target.parent().unwrap_or(cache).to_path_buf();
    let io = |path: &Path, e: std::io::Error| RegistryError::Cache {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    let temporary = parent.join(temporary_name(platform));
    std::fs::create_dir(&temporary).map_err(|e| io(&temporary, e))?;
    let unpacked = unpack(zip, &temporary).map_err(|reason| RegistryError::Archive {
        provider: format!("{source} {version}"),
        reason,
    });
    let checked = unpacked.and_then(|()| {
        if has_binary(&temporary, &source.type_name) {
            Ok(())
        } else {
            Err(RegistryError::Archive {
                provider: format!("{source} {version}"),
                reason: format!("it holds no terraform-provider-{} binary", source.type_name),
            })
        }
    });
    if let Err(e) = checked {
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(e);
    }
    match std::fs::rename(&temporary, &target) {
        Ok(()) => Ok(target),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temporary);
            // Another install of the same version won the race.
            if has_binary(&target, &source.type_name) {
                Ok(target)
            } else {
                Err(io(&target, e))
            }
        }
    }
}

/// A name no other install (this process or another) uses at once.
fn temporary_name(platform: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        ".{platform}.tmp-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The path an archive entry names, relative and inside the directory:
/// only plain components (no `..`, no root, no drive, no backslash).
fn entry_path(name: &str) -> Result<PathBuf, String> {
    let refuse = || {
        Err(format!(
            "entry {name:?} points outside the directory it unpacks into"
        ))
    };
    if name.is_empty() || name.contains('\\') || name.contains('\0') {
        return refuse();
    }
    let mut path = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return refuse(),
        }
    }
    if path.as_os_str().is_empty() {
        return refuse();
    }
    Ok(path)
}

/// Unpacks `zip` into `dir` (which exists). Refuses entries that would
/// land outside it, links, encrypted entries, and more than
/// [`MAX_UNPACKED`] bytes in all.
pub fn unpack(zip: &[u8], dir: &Path) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| format!("not a zip archive: {e}"))?;
    let mut budget = MAX_UNPACKED;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| format!("entry {index}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("entry {index}: {e}"))?
            .to_string();
        let relative = entry_path(&name)?;
        if entry.is_symlink() {
            return Err(format!(
                "entry {name:?} is a link, which provider archives never hold"
            ));
        }
        if entry.encrypted() {
            return Err(format!("entry {name:?} is encrypted"));
        }
        let path = dir.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let written = std::io::copy(&mut (&mut entry).take(budget + 1), &mut file)
            .map_err(|e| format!("entry {name:?}: {e}"))?;
        if written > budget {
            return Err(format!("it unpacks to more than {MAX_UNPACKED} bytes"));
        }
        budget -= written;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Provider binaries are executable whatever the archive says;
            // other files keep their read/write bits.
            let executable = relative
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("terraform-provider-"));
            let mode = entry.unix_mode().unwrap_or(0o644) & 0o777;
            let mode = if executable {
                mode | 0o755
            } else {
                mode | 0o600
            };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::zip_of;

    fn source() -> ProviderSource {
        ProviderSource::parse("127.0.0.1:1/acme/thing").unwrap()
    }

    #[test]
    fn archives_unpack_into_the_mirror_layout_atomically() {
        let cache = tempfile::tempdir().unwrap();
        let version = Version::parse("1.2.3").unwrap();
        let zip = zip_of(&[
            ("terraform-provider-thing_v1.2.3", b"#!/bin/sh\n".as_slice()),
            ("LICENSE", b"text".as_slice()),
            ("docs/README", b"more".as_slice()),
        ]);
        let dir = install_archive(cache.path(), &source(), &version, "linux_amd64", &zip).unwrap();
        assert_eq!(
            dir,
            cache
                .path()
                .join("127.0.0.1:1/acme/thing/1.2.3/linux_amd64")
        );
        assert_eq!(std::fs::read(dir.join("docs/README")).unwrap(), b"more");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("terraform-provider-thing_v1.2.3"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "{mode:o}");
        }
        let found = nimbus_plugin::mirror::find_in_mirror_for(
            cache.path(),
            &source(),
            &nimbus_plugin::VersionConstraint::any(),
            "linux_amd64",
        )
        .unwrap();
        assert_eq!(found.version, version);
        // Installing again finds it there.
        assert_eq!(
            install_archive(
                cache.path(),
                &source(),
                &version,
                "linux_amd64",
                b"not a zip"
            )
            .unwrap(),
            dir
        );
        // No temporary directory is left.
        let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["linux_amd64"]);
    }

    #[test]
    fn bad_archives_are_refused_and_leave_nothing() {
        let cache = tempfile::tempdir().unwrap();
        let version = Version::parse("1.0.0").unwrap();
        let good = zip_of(&[("terraform-provider-thing", b"x".as_slice())]);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (zip_of(&[("../evil", b"x".as_slice())]), "outside"),
            (zip_of(&[("a/../../evil", b"x".as_slice())]), "outside"),
            (zip_of(&[("/etc/evil", b"x".as_slice())]), "outside"),
            (zip_of(&[("a\\..\\evil", b"x".as_slice())]), "outside"),
            (
                zip_of(&[("README", b"x".as_slice())]),
                "no terraform-provider-thing",
            ),
            (b"PK\x03\x04 truncated".to_vec(), "not a zip"),
            (Vec::new(), "not a zip"),
            (good[..good.len() / 2].to_vec(), "not a zip"),
        ];
        for (zip, expected) in cases {
            let e = install_archive(cache.path(), &source(), &version, "linux_amd64", &zip)
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{e}");
            assert!(e.contains("127.0.0.1:1/acme/thing 1.0.0"), "{e}");
            let version_dir = source().mirror_dir(cache.path()).join("1.0.0");
            let left: Vec<_> = std::fs::read_dir(&version_dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert!(left.is_empty(), "{left:?}");
            assert!(!cache.path().join("evil").exists());
        }
        // Every truncation of a good archive is an error or a whole
        // install, never a panic.
        for n in (0..good.len()).step_by(3) {
            let other = tempfile::tempdir().unwrap();
            let _ = install_archive(other.path(), &source(), &version, "linux_amd64", &good[..n]);
        }
    }

    #[test]
    fn entry_names_stay_inside() {
        assert_eq!(entry_path("a/b").unwrap(), PathBuf::from("a/b"));
        assert_eq!(entry_path("./a").unwrap(), PathBuf::from("a"));
        for bad in ["", ".", "..", "../a", "a/../../b", "/a", "a\\b", "a\0b"] {
            assert!(entry_path(bad).is_err(), "{bad:?}");
        }
    }
}
