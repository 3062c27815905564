//! Deterministic zip archives of a directory, for Lambda code: entries
//! sorted by path, every timestamp 1980-01-01 00:00, modes 0644 or 0755
//! (from the owner's execute bit), no extra fields. The same files always
//! give the same bytes, so an unchanged directory plans no change.

use base64::Engine;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// DOS date of 1980-01-01 (the earliest a zip can say).
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

#[derive(Debug)]
pub struct Entry {
    /// Path inside the archive, `/`-separated.
    pub name: String,
    pub data: Vec<u8>,
    pub executable: bool,
}

/// Every regular file under `dir` (following symbolic links), sorted by
/// archive path.
pub fn collect(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let full = entry.path();
            let archived = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let meta = std::fs::metadata(&full)?;
            if meta.is_dir() {
                stack.push((full, archived));
            } else if meta.is_file() {
                files.push((archived, full));
            }
        }
    }
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    files
        .into_iter()
        .map(|(name, path)| {
            let data = std::fs::read(&path)?;
            Ok(Entry {
                name,
                data,
                executable: is_executable(&path),
            })
        })
        .collect()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o100 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}

/// The archive of `entries`, in the given order.
pub fn archive(entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let too_big =
        || std::io::Error::other("the archive would exceed 4 GiB (zip64 is not supported)");
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let crc = crc32fast::hash(&entry.data);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&entry.data)?;
        let deflated = encoder.finish()?;
        let (method, stored): (u16, &[u8]) = if deflated.len() < entry.data.len() {
            (8, &deflated)
        } else {
            (0, &entry.data)
        };
        let offset = u32::try_from(out.len()).map_err(|_| too_big())?;
        let size = u32::try_from(entry.data.len()).map_err(|_| too_big())?;
        let csize = u32::try_from(stored.len()).map_err(|_| too_big())?;
        let name = entry.name.as_bytes();
        let name_len = u16::try_from(name.len())
            .map_err(|_| std::io::Error::other("a file name is too long"))?;
        // UTF-8 names (bit 11).
        let flags: u16 = if entry.name.is_ascii() { 0 } else { 1 << 11 };
        let mode: u32 = if entry.executable { 0o100755 } else { 0o100644 };

        out.extend_from_slice(&0x04034b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&csize.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(stored);

        central.extend_from_slice(&0x02014b50u32.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&flags.to_le_bytes());
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&csize.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let count =
        u16::try_from(entries.len()).map_err(|_| std::io::Error::other("more than 65535 files"))?;
    let cd_offset = u32::try_from(out.len()).map_err(|_| too_big())?;
    let cd_size = u32::try_from(central.len()).map_err(|_| too_big())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

/// The deployment package for `path`: a directory is zipped
/// deterministically; a `.zip` file is used as it is.
pub fn package(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let entries = collect(path)?;
        if entries.is_empty() {
            return Err(std::io::Error::other(format!(
                "{} has no files",
                path.display()
            )));
        }
        archive(&entries)
    } else {
        std::fs::read(path)
    }
}

/// What Lambda reports as `CodeSha256`: base64 of the SHA-256 of the zip.
pub fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_files_same_bytes_whatever_the_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(
            dir.path().join("index.py"),
            "def handler(e, c):\n    return 1\n".repeat(20),
        )
        .unwrap();
        std::fs::write(dir.path().join("lib/b.txt"), "b").unwrap();
        let first = package(dir.path()).unwrap();
        // Touch a file: the modification time changes, the content not.
        std::fs::write(dir.path().join("lib/b.txt"), "b").unwrap();
        assert_eq!(package(dir.path()).unwrap(), first);
        std::fs::write(dir.path().join("lib/b.txt"), "c").unwrap();
        assert_ne!(package(dir.path()).unwrap(), first);
        assert_eq!(&first[..4], b"PK\x03\x04");
        assert_eq!(code_sha256(&first).len(), 44);
    }

    #[test]
    fn entries_are_sorted_with_forward_slashes() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["z.txt", "a/b.txt", "a.txt", "B.txt"] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, p).unwrap();
        }
        let names: Vec<String> = collect(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["B.txt", "a.txt", "a/b.txt", "z.txt"]);
    }
}
