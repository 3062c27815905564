//! `(backend KIND (SETTING VALUE) ...)`: where the root module's state is
//! kept. Settings are literals (a backend is chosen before anything is
//! evaluated, as in Terraform) and hold no credentials.

use super::Parser;
use crate::model::*;
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// The kinds of backend Nimbus keeps state in.
pub const BACKEND_KINDS: &[&str] = &["local", "postgres", "s3"];

const LOCAL_SETTINGS: &[&str] = &["path"];
const POSTGRES_SETTINGS: &[&str] = &["schema", "url"];
const S3_SETTINGS: &[&str] = &[
    "bucket",
    "dynamodb-table",
    "encrypt",
    "endpoint",
    "key",
    "lock",
    "region",
];
const S3_LOCKS: &[&str] = &["dynamodb", "lockfile", "none"];

/// The environment variables a backend's secrets come from, for messages.
const POSTGRES_ENV_HELP: &str = "help: keep the password out of the configuration: set `PGPASSWORD`, or leave `url` out and set `NIMBUS_PG_URL` (or `PG_CONN_STR`) in the environment";

/// A literal setting value: a string, a symbol (for keywords), a boolean.
enum Literal {
    Text(String),
    Bool(bool),
}

impl Parser<'_> {
    /// `(backend KIND SETTINGS...)`. A second backend in the module is
    /// reported once the module is read (the message names both places).
    pub(super) fn backend(&mut self, span: Span, mut args: Vec<Node>) {
        let Some(kind_node) = (!args.is_empty()).then(|| args.remove(0)) else {
            self.diagnostics.push(
                Diagnostic::error("`backend` needs a kind: `(backend local|postgres|s3 ...)`")
                    .at(span),
            );
            return;
        };
        let Some(kind) = kind_node.as_name().map(str::to_string) else {
            self.diagnostics.push(
                Diagnostic::error(format!(
                    "a backend kind is a name (`local`, `postgres` or `s3`), found {}",
                    kind_node.describe()
                ))
                .at(kind_node.span),
            );
            return;
        };
        let known: &[&str] = match kind.as_str() {
            "local" => LOCAL_SETTINGS,
            "postgres" => POSTGRES_SETTINGS,
            "s3" => S3_SETTINGS,
            other => {
                self.diagnostics.push(
                    Diagnostic::error(format!("unknown backend kind `{other}`"))
                        .at(kind_node.span)
                        .with_suggestion(other, BACKEND_KINDS.iter().copied())
                        .with_note("note: Nimbus keeps state locally (`local`), in PostgreSQL (`postgres`) or in S3 (`s3`)"),
                );
                return;
            }
        };
        let forms = self.attribute_forms(args, "a `backend` block");
        self.settings_once(&forms, known, "backend");
        let mut values: Vec<(String, Literal, Span)> = Vec::new();
        let mut bad = false;
        for mut form in forms {
            let name = form.name.text.clone();
            if !known.contains(&name.as_str()) {
                bad = true;
                let mut d =
                    Diagnostic::error(format!("unknown setting `{name}` of backend `{kind}`"))
                        .at(form.name.span)
                        .with_suggestion(&name, known.iter().copied());
                if is_credential(&name) {
                    d = d.with_note(credential_help(&kind));
                } else {
                    d = d.with_note(format!(
                        "note: backend `{kind}` takes {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                self.diagnostics.push(d);
                continue;
            }
            let Some(node) = self.single_arg(&mut form) else {
                bad = true;
                continue;
            };
            let value = match node.kind {
                NodeKind::String(s) => Literal::Text(s),
                NodeKind::Symbol(s) => Literal::Text(s.to_string()),
                NodeKind::Bool(b) => Literal::Bool(b),
                _ => {
                    bad = true;
                    self.diagnostics.push(
                        Diagnostic::error(format!(
                            "`{name}` of a backend must be a literal, found {}",
                            node.describe()
                        ))
                        .at(node.span)
                        .with_note("note: backend settings are read before anything is evaluated: they cannot refer to variables, locals or functions"),
                    );
                    continue;
                }
            };
            values.push((name, value, node.span));
        }
        let mut settings = Settings {
            values,
            parser: self,
            bad,
        };
        let kind = match kind.as_str() {
            "local" => {
                let path = settings.string("path");
                if let Some((p, at)) = &path
                    && p.is_empty()
                {
                    settings.error(*at, "`path` of a `local` backend cannot be empty");
                }
                BackendKind::Local {
                    path: path.map_or_else(|| ".nimbus".to_string(), |(p, _)| p),
                }
            }
            "postgres" => {
                let url = settings.string("url");
                if let Some((url, at)) = &url {
                    settings.check_postgres_url(url, *at);
                }
                let schema = settings.string("schema");
                if let Some((schema, at)) = &schema
                    && !valid_schema(schema)
                {
                    settings.error(*at, "`schema` must be a lowercase PostgreSQL identifier: a letter or `_`, then lowercase letters, digits or `_` (at most 63), and not a system schema (`pg_*`, `information_schema`)");
                }
                BackendKind::Postgres {
                    url: url.map(|(u, _)| u),
                    schema: schema.map_or_else(|| "nimbus".to_string(), |(s, _)| s),
                }
            }
            _ => settings.s3(span),
        };
        if !settings.bad {
            self.backends.push(Backend { kind, span });
        }
    }
}

fn is_credential(name: &str) -> bool {
    matches!(
        name,
        "password"
            | "access-key"
            | "secret-key"
            | "token"
            | "session-token"
            | "access_key"
            | "secret_key"
    )
}

fn credential_help(kind: &str) -> String {
    match kind {
        "s3" => "help: credentials are never part of the configuration: Nimbus reads them from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, ...)".to_string(),
        "postgres" => POSTGRES_ENV_HELP.to_string(),
        _ => "help: credentials are never part of the configuration".to_string(),
    }
}

/// An S3 bucket name (the rules of buckets created since 2018).
fn valid_bucket(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(s.chars().next())
        && edge(s.chars().last())
}

/// A schema name the PostgreSQL backend takes (nimbus-state-pg checks the
/// same when it opens one): `[a-z_][a-z0-9_]*`, at most 63 bytes, and not
/// one of PostgreSQL's own (`pg_*`, `information_schema`).
fn valid_schema(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
        && !s.starts_with("pg_")
        && s != "information_schema"
}

/// Whether a PostgreSQL connection string (a `postgres://` URL or
/// libpq's `key=value` form) holds a password.
pub fn postgres_url_has_password(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower
        .strip_prefix("postgres://")
        .or_else(|| lower.strip_prefix("postgresql://"))
    {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo.contains(':')
        {
            return true;
        }
        let query = rest.split_once('?').map_or("", |(_, q)| q);
        return query.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|k| k.ends_with("password"))
        });
    }
    lower.split_whitespace().any(|pair| {
        pair.split('=')
            .next()
            .map(str::trim)
            .is_some_and(|k| k.ends_with("password"))
    })
}

/// The literal settings of one backend, each taken once.
struct Settings<'p, 'a> {
    values: Vec<(String, Literal, Span)>,
    parser: &'p mut Parser<'a>,
    /// Whether an error was reported: the backend is then left out.
    bad: bool,
}

impl Settings<'_, '_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.bad = true;
        self.parser
            .diagnostics
            .push(Diagnostic::error(message).at(span));
    }

    fn take(&mut self, name: &str) -> Option<(Literal, Span)> {
        let i = self.values.iter().position(|v| v.0 == name)?;
        let (_, value, span) = self.values.remove(i);
        Some((value, span))
    }

    fn string(&mut self, name: &str) -> Option<(String, Span)> {
        match self.take(name)? {
            (Literal::Text(s), span) => Some((s, span)),
            (Literal::Bool(_), span) => {
                self.error(span, format!("`{name}` must be a string"));
                None
            }
        }
    }

    fn bool(&mut self, name: &str) -> Option<(bool, Span)> {
        match self.take(name)? {
            (Literal::Bool(b), span) => Some((b, span)),
            (Literal::Text(_), span) => {
                self.error(span, format!("`{name}` must be #t or #f"));
                None
            }
        }
    }

    fn check_postgres_url(&mut self, url: &str, at: Span) {
        let lower = url.to_ascii_lowercase();
        let is_url = lower.starts_with("postgres://") || lower.starts_with("postgresql://");
        if !is_url && !url.contains('=') {
            self.parser.diagnostics.push(
                Diagnostic::error("`url` of a `postgres` backend must be a `postgres://` URL")
                    .at(at)
                    .with_note("note: e.g. `postgres://nimbus@db.example.com:5432/infra`"),
            );
            self.bad = true;
            return;
        }
        if postgres_url_has_password(url) {
            // The message does not repeat the URL: it holds a secret.
            self.parser.diagnostics.push(
                Diagnostic::error("the connection URL of the `postgres` backend holds a password")
                    .at(at)
                    .with_label("a secret in the configuration")
                    .with_note(POSTGRES_ENV_HELP),
            );
            self.bad = true;
        }
    }

    fn s3(&mut self, span: Span) -> BackendKind {
        let bucket = self.string("bucket");
        let key = self.string("key");
        let region = self.string("region");
        let endpoint = self.string("endpoint");
        let lock = self.string("lock");
        let table = self.string("dynamodb-table");
        let encrypt = self.bool("encrypt");
        if bucket.is_none() || key.is_none() {
            let missing: Vec<&str> = [("bucket", &bucket), ("key", &key)]
                .into_iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| n)
                .collect();
            if !self.bad {
                let what = missing
                    .iter()
                    .map(|n| format!("`({n} \"...\")`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                self.parser.diagnostics.push(
                    Diagnostic::error(format!("an `s3` backend needs {what}"))
                        .at(span)
                        .with_label("incomplete `backend`"),
                );
            }
            self.bad = true;
        }
        if let Some((name, at)) = &bucket
            && !name.is_empty()
            && !valid_bucket(name)
        {
            let at = *at;
            self.error(at, "`bucket` is not an S3 bucket name: 3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit");
        }
        for (name, value) in [
            ("bucket", &bucket),
            ("region", &region),
            ("dynamodb-table", &table),
        ] {
            if let Some(("", at)) = value.as_ref().map(|(v, s)| (v.as_str(), *s)) {
                self.error(at, format!("`{name}` cannot be empty"));
            }
        }
        if let Some((key, at)) = &key
            && (key.is_empty() || key.starts_with('/') || key.ends_with('/'))
        {
            self.error(
                *at,
                "`key` is the path of the state object: not empty, and neither starting nor ending with `/`",
            );
        }
        if let Some((endpoint, at)) = &endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            self.error(*at, "`endpoint` must be an `http://` or `https://` URL");
        }
        let lock = match lock {
            None if table.is_some() => S3Lock::DynamoDb,
            None => S3Lock::Lockfile,
            Some((name, at)) => match name.as_str() {
                "lockfile" => S3Lock::Lockfile,
                "dynamodb" => S3Lock::DynamoDb,
                "none" => S3Lock::None,
                other => {
                    self.bad = true;
                    self.parser.diagnostics.push(
                        Diagnostic::error(format!("unknown S3 lock `{other}`"))
                            .at(at)
                            .with_suggestion(other, S3_LOCKS.iter().copied())
                            .with_note("note: `(lock lockfile)` (a lock object next to the state), `(lock dynamodb)` (with `dynamodb-table`) or `(lock none)`"),
                    );
                    S3Lock::Lockfile
                }
            },
        };
        match (lock, &table) {
            (S3Lock::DynamoDb, None) if !self.bad => {
                self.error(span, "`(lock dynamodb)` needs `(dynamodb-table \"NAME\")`");
            }
            (S3Lock::Lockfile | S3Lock::None, Some((_, at))) => {
                let at = *at;
                self.error(
                    at,
                    format!(
                        "`dynamodb-table` is only used with `(lock dynamodb)`, not `(lock {})`",
                        lock.name()
                    ),
                );
            }
            _ => {}
        }
        BackendKind::S3 {
            bucket: bucket.map(|(b, _)| b).unwrap_or_default(),
            key: key.map(|(k, _)| k).unwrap_or_default(),
            region: region.map(|(r, _)| r),
            endpoint: endpoint.map(|(e, _)| e),
            lock,
            dynamodb_table: table.map(|(t, _)| t),
            encrypt: encrypt.is_none_or(|(e, _)| e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::postgres_url_has_password;

    #[test]
    fn finds_passwords_in_connection_strings() {
        for with in [
            "postgres://u:secret@h/db",
            "postgresql://u:@h:5432/db",
            "postgres://h/db?user=u&password=x",
            "host=h user=u password=x dbname=db",
            "POSTGRES://U:S@H/DB",
        ] {
            assert!(postgres_url_has_password(with), "{with}");
        }
        for without in [
            "postgres://u@h:5432/db",
            "postgres://h/db?sslmode=require",
            "postgresql://[::1]:5432/db",
            "host=h user=u dbname=db",
            "postgres://u@h/db?passwordless=1",
        ] {
            assert!(!postgres_url_has_password(without), "{without}");
        }
    }
}
