//! The files a configuration's functions read (`file`, `fileset`,
//! `templatefile`, ...): the engine's [`FileAccess`], so the function
//! library stays free of I/O.
//!
//! Relative paths are resolved against the root module's directory. That
//! is Terraform's rule seen from the user's side: Terraform resolves them
//! against its working directory, which is the root module's directory
//! (`terraform -chdir=DIR` moves there), and `path.module` is a path
//! relative to it. Nimbus may be run from anywhere (`nimbus -C DIR`), and a
//! configuration must read the same files wherever it is run from.

use nimbus_stdlib::FileAccess;
use std::path::{Path, PathBuf};

/// Files under a root directory, for a configuration's functions.
#[derive(Debug, Clone)]
pub struct ConfigFiles {
    root: PathBuf,
}

impl ConfigFiles {
    /// Files of the configuration rooted at `root` (made absolute against
    /// the process's directory when relative, so `abspath` gives a real
    /// absolute path).
    pub fn new(root: &Path) -> ConfigFiles {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|cwd| cwd.join(root))
                .unwrap_or_else(|_| root.to_path_buf())
        };
        ConfigFiles {
            root: normalize(&root),
        }
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }
}

/// `a/./b/../c` as `a/c`, without touching the filesystem (symbolic links
/// are not resolved, as Terraform's `abspath` does not).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The message for an I/O error, without Rust's `(os error N)` suffix.
fn message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

impl FileAccess for ConfigFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let resolved = self.resolve(path);
        // Only regular files: a directory is an error, and a device or a
        // pipe (`/dev/zero`, a FIFO) would never end or never answer.
        match std::fs::metadata(&resolved) {
            Ok(meta) if meta.is_dir() => return Err("it is a directory, not a file".to_string()),
            Ok(meta) if !meta.is_file() => return Err("it is not a regular file".to_string()),
            Ok(_) => {}
            Err(e) => return Err(message(&e)),
        }
        std::fs::read(&resolved).map_err(|e| message(&e))
    }

    fn is_file(&self, path: &str) -> Result<bool, String> {
        match std::fs::metadata(self.resolve(path)) {
            Ok(meta) if meta.is_file() => Ok(true),
            Ok(_) => Err(format!("{path} is not a regular file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(message(&e)),
        }
    }

    fn glob(&self, base: &str, pattern: &str) -> Result<Vec<String>, String> {
        let matcher = nimbus_config::path_pattern(pattern)?;
        let dir = self.resolve(base);
        let mut found = Vec::new();
        if !dir.is_dir() {
            // Terraform's fileset gives an empty set for a missing directory.
            return Ok(found);
        }
        for entry in walkdir::WalkDir::new(&dir).follow_links(true) {
            let entry = entry.map_err(|e| match e.io_error() {
                Some(io) => message(io),
                None => e.to_string(),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            let parts: Vec<&str> = relative
                .components()
                .filter_map(|c| c.as_os_str().to_str())
                .collect();
            let relative = parts.join("/");
            if matcher.is_match(&relative) {
                found.push(relative);
            }
        }
        Ok(found)
    }

    fn current_dir(&self) -> Result<String, String> {
        self.root
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| "the directory's path is not valid UTF-8".to_string())
    }

    fn home_dir(&self) -> Result<String, String> {
        std::env::var("HOME").map_err(|_| "HOME is not set".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, ConfigFiles) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("conf/nested")).unwrap();
        std::fs::write(root.join("conf/a.json"), "{}").unwrap();
        std::fs::write(root.join("conf/b.txt"), "b").unwrap();
        std::fs::write(root.join("conf/nested/c.json"), "[]").unwrap();
        let files = ConfigFiles::new(root);
        (dir, files)
    }

    #[test]
    fn relative_paths_are_read_from_the_root() {
        let (_dir, files) = tree();
        assert_eq!(files.read("conf/b.txt").unwrap(), b"b");
        assert_eq!(files.read("./conf/../conf/b.txt").unwrap(), b"b");
        assert_eq!(
            files.read("conf/missing").unwrap_err(),
            "no such file or directory"
        );
        assert!(files.read("conf").unwrap_err().contains("directory"));
        assert!(files.is_file("conf/a.json").unwrap());
        assert!(!files.is_file("conf/none").unwrap());
        assert!(files.is_file("conf").is_err());
        assert_eq!(
            files.read("/dev/zero").unwrap_err(),
            "it is not a regular file"
        );
    }

    #[test]
    fn fileset_matches_like_terraform() {
        let (_dir, files) = tree();
        let mut found = files.glob("conf", "*.json").unwrap();
        found.sort();
        assert_eq!(found, ["a.json"]);
        let mut found = files.glob("conf", "**/*.json").unwrap();
        found.sort();
        assert_eq!(found, ["a.json", "nested/c.json"]);
        let mut found = files.glob("conf", "{a,b}.*").unwrap();
        found.sort();
        assert_eq!(found, ["a.json", "b.txt"]);
        assert_eq!(files.glob("absent", "*").unwrap(), Vec::<String>::new());
        assert!(files.glob("conf", "[").is_err());
    }

    #[test]
    fn the_current_directory_is_the_root() {
        let (dir, files) = tree();
        let root = normalize(dir.path());
        assert_eq!(files.current_dir().unwrap(), root.to_str().unwrap());
    }
}
