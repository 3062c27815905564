//! Where a project's state lives: the backend `nimbus init` chose.
//!
//! The configuration's `(backend ...)` (or Terraform's `terraform { backend
//! ... }`) is read by `nimbus init`, which records it in
//! `.nimbus/backend.json`; every later command opens the state from that
//! record without reading the configuration, as Terraform does with its
//! initialised backend. A configuration whose backend no longer matches the
//! record is refused by the commands that read both (plan, apply), so state
//! is never written to a backend the user did not initialise.
//!
//! Nothing here holds a secret: a PostgreSQL URL with a password is refused
//! when the configuration is read, and one taken from the environment at
//! run time (where it may carry one) is never recorded.

use std::path::{Path, PathBuf};

use nimbus_config::{BackendKind, S3Lock};
use nimbus_state::{
    CopyReport, Encryption, KeySource, OnNonEmpty, Passphrase, StateError, Store, StoreOptions,
};
use serde::{Deserialize, Serialize};

/// Directory of the embedded state, relative to the project.
pub const DEFAULT_STATE_DIR: &str = ".nimbus";

/// The record of the initialised backend, inside [`DEFAULT_STATE_DIR`].
pub const BACKEND_FILE: &str = "backend.json";

/// Environment variables a PostgreSQL URL is read from when the
/// configuration gives none, in order.
pub const PG_URL_VARIABLES: [&str; 2] = ["NIMBUS_PG_URL", "PG_CONN_STR"];

/// A backend as recorded by `nimbus init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendSettings {
    /// SQLite in `path` (relative to the project).
    Local {
        /// The state directory.
        path: String,
    },
    /// A PostgreSQL schema.
    Postgres {
        /// `None`: from [`PG_URL_VARIABLES`] at run time.
        url: Option<String>,
        /// Schema holding the tables.
        schema: String,
    },
    /// An S3 bucket (not available in this build yet).
    S3 {
        /// Bucket.
        bucket: String,
        /// Key of the state.
        key: String,
        /// Region.
        region: Option<String>,
        /// S3-compatible endpoint.
        endpoint: Option<String>,
        /// `lockfile`, `dynamodb` or `none`.
        lock: String,
        /// DynamoDB table of the lock.
        dynamodb_table: Option<String>,
        /// Server-side encryption.
        encrypt: bool,
    },
}

impl Default for BackendSettings {
    fn default() -> Self {
        BackendSettings::Local {
            path: DEFAULT_STATE_DIR.to_owned(),
        }
    }
}

/// Why the state's backend cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The store itself failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// Reading or writing the record failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The record.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The record cannot be read.
    #[error("{} is not a backend record nimbus reads ({detail}); run `nimbus init` again", path.display())]
    BadRecord {
        /// The record.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A PostgreSQL backend without a URL anywhere.
    #[error(
        "the postgres backend has no URL: set NIMBUS_PG_URL (or PG_CONN_STR) to postgres://USER@HOST:PORT/DATABASE, with the password in PGPASSWORD"
    )]
    NoUrl,
    /// `NIMBUS_STATE_ENCRYPTION` has a value other than `enforced` or `optional`.
    #[error(
        "NIMBUS_STATE_ENCRYPTION is {value:?}: set it to `enforced` (refuse an unencrypted state) or `optional`"
    )]
    BadEncryptionMode {
        /// The value.
        value: String,
    },
    /// A backend this build cannot use yet.
    #[error("the {kind} backend is not available in this nimbus yet; use local or postgres")]
    NotAvailable {
        /// Its kind.
        kind: &'static str,
    },
    /// The configuration asks for another backend than the one initialised.
    #[error(
        "the configuration's backend is {configured}, but this directory was initialised with {recorded}: run `nimbus init` to switch (the state is not moved; `nimbus state migrate` copies it)"
    )]
    Changed {
        /// What the configuration says.
        configured: String,
        /// What `nimbus init` recorded.
        recorded: String,
    },
    /// `state migrate` from a backend to itself.
    #[error(
        "the state is on {backend} already: the configuration's backend is the one in use, so there is nothing to migrate"
    )]
    SameBackend {
        /// The backend.
        backend: String,
    },
    /// `state migrate --to KIND` where the configuration says another kind.
    #[error(
        "--to {asked} does not match the configuration's backend, {configured}: change the configuration's backend to migrate there"
    )]
    KindMismatch {
        /// What `--to` says.
        asked: String,
        /// The configuration's backend.
        configured: String,
    },
    /// `state migrate` with no state on the source.
    #[error("there is no state on {backend} to migrate")]
    NoState {
        /// The backend.
        backend: String,
    },
}

impl BackendSettings {
    /// The settings a configuration's backend asks for (`None`: local).
    pub fn from_config(kind: Option<&BackendKind>) -> BackendSettings {
        match kind {
            None => BackendSettings::default(),
            Some(BackendKind::Local { path }) => BackendSettings::Local { path: path.clone() },
            Some(BackendKind::Postgres { url, schema }) => BackendSettings::Postgres {
                url: url.clone(),
                schema: schema.clone(),
            },
            Some(BackendKind::S3 {
                bucket,
                key,
                region,
                endpoint,
                lock,
                dynamodb_table,
                encrypt,
            }) => BackendSettings::S3 {
                bucket: bucket.clone(),
                key: key.clone(),
                region: region.clone(),
                endpoint: endpoint.clone(),
                lock: match lock {
                    S3Lock::Lockfile => "lockfile",
                    S3Lock::DynamoDb => "dynamodb",
                    S3Lock::None => "none",
                }
                .to_owned(),
                dynamodb_table: dynamodb_table.clone(),
                encrypt: *encrypt,
            },
        }
    }

    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            BackendSettings::Local { .. } => "local",
            BackendSettings::Postgres { .. } => "postgres",
            BackendSettings::S3 { .. } => "s3",
        }
    }

    /// One line for messages: the kind and where.
    pub fn describe(&self) -> String {
        match self {
            BackendSettings::Local { path } => format!("local ({path})"),
            BackendSettings::Postgres {
                url: Some(url),
                schema,
            } => {
                // A record edited by hand may hold a password: never shown.
                format!(
                    "postgres ({}, schema {schema})",
                    nimbus_state_pg::redact(url)
                )
            }
            BackendSettings::Postgres { url: None, schema } => {
                format!("postgres (URL from the environment, schema {schema})")
            }
            BackendSettings::S3 { bucket, key, .. } => format!("s3 (s3://{bucket}/{key})"),
        }
    }

    /// The record's path in a project.
    pub fn record_path(project: &Path) -> PathBuf {
        project.join(DEFAULT_STATE_DIR).join(BACKEND_FILE)
    }

    /// What `nimbus init` recorded in the project, if anything (`None`:
    /// never initialised with a backend, i.e. local).
    pub fn recorded(project: &Path) -> Result<Option<BackendSettings>, BackendError> {
        let path = Self::record_path(project);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(BackendError::Io { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| BackendError::BadRecord {
                path,
                detail: e.to_string(),
            })
    }

    /// The backend the project uses: the record, or local.
    pub fn of_project(project: &Path) -> Result<BackendSettings, BackendError> {
        Ok(Self::recorded(project)?.unwrap_or_default())
    }

    /// Records these settings in the project (written aside, then renamed
    /// over the old record, so a crash leaves one or the other).
    pub fn record(&self, project: &Path) -> Result<(), BackendError> {
        let path = Self::record_path(project);
        let io = |source| BackendError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| BackendError::BadRecord {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        text.push('\n');
        let aside = path.with_extension("json.tmp");
        std::fs::write(&aside, text).map_err(io)?;
        std::fs::rename(&aside, &path).map_err(io)
    }

    /// Refuses a configuration whose backend is not the initialised one.
    pub fn check_matches(
        project: &Path,
        configured: Option<&BackendKind>,
    ) -> Result<(), BackendError> {
        let configured = Self::from_config(configured);
        let recorded = Self::of_project(project)?;
        if configured == recorded {
            Ok(())
        } else {
            Err(BackendError::Changed {
                configured: configured.describe(),
                recorded: recorded.describe(),
            })
        }
    }

    /// The directory of the embedded state, for the local backend.
    pub fn local_dir(&self, project: &Path) -> Option<PathBuf> {
        match self {
            BackendSettings::Local { path } => Some(project.join(path)),
            _ => None,
        }
    }

    /// Opens the state with `encryption` (see
    /// [`encryption_from_environment`]): a missing or wrong key fails here,
    /// before anything is written. For the local backend, `create: false`
    /// opens an existing database read-only and gives `None` when there is
    /// none.
    pub fn open(
        &self,
        project: &Path,
        create: bool,
        encryption: &Encryption,
    ) -> Result<Option<Store>, BackendError> {
        let options = StoreOptions {
            encryption: encryption.clone(),
            ..StoreOptions::default()
        };
        match self {
            BackendSettings::Local { path } => {
                let dir = project.join(path);
                if !create && !dir.join(nimbus_state::STATE_DB_FILE).exists() {
                    return Ok(None);
                }
                let store = if create {
                    Store::open_with(&dir, options)?
                } else {
                    Store::open_read_only_with(&dir, options)?
                };
                Ok(Some(store))
            }
            BackendSettings::Postgres { url, schema } => {
                // Opening creates the schema: without a key, an enforced
                // encryption fails first, so that nothing is created.
                if encryption.enforced && encryption.key.is_none() {
                    return Err(StateError::EncryptionEnforced.into());
                }
                let url = match url {
                    Some(url) => url.clone(),
                    None => pg_url_from_environment(|k| std::env::var(k).ok())?,
                };
                Ok(Some(nimbus_state_pg::open_store(
                    &url,
                    schema,
                    nimbus_state_pg::PgOptions::default(),
                    options,
                )?))
            }
            BackendSettings::S3 { .. } => Err(BackendError::NotAvailable { kind: "s3" }),
        }
    }
}

/// `nimbus state migrate`: the state of the backend the project uses
/// (the one `nimbus init` recorded) copied onto the configuration's, with
/// its whole history ([`Store::copy_into`]). The source is only read.
///
/// [`Migration::open`] opens both sides; the caller then locks every
/// workspace of both (so that no run writes to either meanwhile), decides
/// about a destination that is not empty ([`Store::contents`]), and calls
/// [`Migration::copy`], which records the destination as the project's
/// backend once the copy is committed.
#[derive(Debug)]
pub struct Migration {
    /// The project directory.
    pub project: PathBuf,
    /// The backend the state is copied from.
    pub from: BackendSettings,
    /// The backend it is copied to.
    pub to: BackendSettings,
    /// The source's state.
    pub source: Store,
    /// The destination's state (created if new).
    pub dest: Store,
}

impl Migration {
    /// Opens the state of `from` and of `to`; `kind`, when given (`--to`),
    /// must be `to`'s kind.
    pub fn open(
        project: &Path,
        from: BackendSettings,
        to: BackendSettings,
        kind: Option<&str>,
        encryption: &Encryption,
    ) -> Result<Migration, BackendError> {
        if let Some(asked) = kind
            && asked != to.kind()
        {
            return Err(BackendError::KindMismatch {
                asked: asked.to_owned(),
                configured: to.describe(),
            });
        }
        if from == to {
            return Err(BackendError::SameBackend {
                backend: from.describe(),
            });
        }
        // A local source must exist (opened writable: its locks are rows).
        if let Some(dir) = from.local_dir(project)
            && !dir.join(nimbus_state::STATE_DB_FILE).is_file()
        {
            return Err(BackendError::NoState {
                backend: from.describe(),
            });
        }
        let no_state = || BackendError::NoState {
            backend: from.describe(),
        };
        let source = from.open(project, true, encryption)?.ok_or_else(no_state)?;
        let dest = to.open(project, true, encryption)?.ok_or_else(no_state)?;
        if source.location() == dest.location() {
            return Err(BackendError::SameBackend {
                backend: to.describe(),
            });
        }
        Ok(Migration {
            project: project.to_owned(),
            from,
            to,
            source,
            dest,
        })
    }

    /// Copies the state and records the destination as the project's
    /// backend.
    pub fn copy(&self, on_non_empty: OnNonEmpty) -> Result<CopyReport, BackendError> {
        let report = self.source.copy_into(&self.dest, on_non_empty)?;
        self.to.record(&self.project)?;
        Ok(report)
    }
}

/// The state's encryption from the environment: the passphrase in
/// `NIMBUS_STATE_PASSPHRASE`, the previous one in
/// `NIMBUS_STATE_PASSPHRASE_FALLBACK` while rotating, and
/// `NIMBUS_STATE_ENCRYPTION=enforced` to refuse an unencrypted state
/// (`optional`, the default, allows one). Empty variables count as unset.
pub fn encryption_from_environment(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Encryption, BackendError> {
    let passphrase = |name: &str| -> Result<Option<KeySource>, BackendError> {
        var(name)
            .filter(|v| !v.is_empty())
            .map(|v| Passphrase::new(v).map(KeySource::Passphrase))
            .transpose()
            .map_err(BackendError::State)
    };
    let enforced = match var(nimbus_state::ENFORCED_VAR).as_deref().map(str::trim) {
        None | Some("" | "optional") => false,
        Some("enforced") => true,
        Some(other) => {
            return Err(BackendError::BadEncryptionMode {
                value: other.to_string(),
            });
        }
    };
    Ok(Encryption {
        key: passphrase(nimbus_state::PASSPHRASE_VAR)?,
        fallback: passphrase(nimbus_state::FALLBACK_VAR)?,
        enforced,
        migrating: false,
    })
}

/// The PostgreSQL URL from [`PG_URL_VARIABLES`]. It may carry a password
/// (as Terraform's `PG_CONN_STR` may): it is never recorded, and the
/// backend leaves it out of every message.
pub fn pg_url_from_environment(
    var: impl Fn(&str) -> Option<String>,
) -> Result<String, BackendError> {
    PG_URL_VARIABLES
        .iter()
        .find_map(|name| var(name).filter(|u| !u.trim().is_empty()))
        .ok_or(BackendError::NoUrl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_unknown_records_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            BackendSettings::of_project(dir.path()).expect("none"),
            BackendSettings::default()
        );
        let pg = BackendSettings::Postgres {
            url: None,
            schema: "team".into(),
        };
        pg.record(dir.path()).expect("record");
        assert_eq!(
            BackendSettings::recorded(dir.path()).expect("read"),
            Some(pg)
        );
        std::fs::write(
            BackendSettings::record_path(dir.path()),
            r#"{"kind":"ftp"}"#,
        )
        .expect("write");
        let err = BackendSettings::recorded(dir.path()).expect_err("unknown kind");
        assert!(err.to_string().contains("run `nimbus init` again"), "{err}");
    }

    #[test]
    fn a_recorded_url_is_shown_without_its_password() {
        for url in [
            "postgres://nimbus:hunter2@db:5432/x",
            "postgres://nimbus@db/x?sslpassword=hunter2&sslmode=require",
            "host=db user=nimbus password=hunter2 dbname=x",
            "host=db sslpassword=hunter2",
        ] {
            let shown = BackendSettings::Postgres {
                url: Some(url.into()),
                schema: "s".into(),
            }
            .describe();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("db"), "{shown}");
        }
    }

    #[test]
    fn urls_come_from_the_first_variable_set() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            pg_url_from_environment(env(&[("PG_CONN_STR", "postgres://u@h/db")])).expect("url"),
            "postgres://u@h/db"
        );
        assert_eq!(
            pg_url_from_environment(env(&[
                ("NIMBUS_PG_URL", "postgres://a@h/db"),
                ("PG_CONN_STR", "postgres://b@h/db")
            ]))
            .expect("url"),
            "postgres://a@h/db"
        );
        assert!(matches!(
            pg_url_from_environment(env(&[("NIMBUS_PG_URL", " ")])),
            Err(BackendError::NoUrl)
        ));
    }
}
