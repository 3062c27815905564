//! `terraform { backend "KIND" { ... } }` to `(backend KIND ...)`: the
//! kinds Nimbus keeps state in (`local`, `pg` as `postgres`, `s3`), their
//! settings renamed to the `.nim` ones. The configuration parser checks
//! the values (literals only, no password in a URL); here are the
//! Terraform-only matters: settings Nimbus has no use for (a warning),
//! credentials (an error: they come from the environment), other kinds
//! (a warning: state stays local).

use crate::ast::{Block, Expression, ObjectKey, Structure};
use crate::{Lowerer, form, list, string, symbol};
use nimbus_syntax::{Diagnostic, Node, Span};

/// Terraform's settings per kind, with their `.nim` names (`None`: read
/// and ignored with a warning).
const LOCAL: &[(&str, Option<&str>)] = &[("path", Some("path")), ("workspace_dir", None)];
const PG: &[(&str, Option<&str>)] = &[
    ("conn_str", Some("url")),
    ("schema_name", Some("schema")),
    ("skip_schema_creation", None),
    ("skip_table_creation", None),
    ("skip_index_creation", None),
];
const S3: &[(&str, Option<&str>)] = &[
    ("bucket", Some("bucket")),
    ("key", Some("key")),
    ("region", Some("region")),
    ("endpoint", Some("endpoint")),
    ("endpoints", Some("endpoint")),
    ("dynamodb_table", Some("dynamodb-table")),
    ("use_lockfile", Some("lock")),
    ("encrypt", Some("encrypt")),
    ("acl", None),
    ("allowed_account_ids", None),
    ("assume_role", None),
    ("custom_ca_bundle", None),
    ("dynamodb_endpoint", None),
    ("force_path_style", None),
    ("forbidden_account_ids", None),
    ("http_proxy", None),
    ("https_proxy", None),
    ("insecure", None),
    ("kms_key_id", None),
    ("max_retries", None),
    ("no_proxy", None),
    ("profile", None),
    ("retry_mode", None),
    ("role_arn", None),
    ("shared_config_files", None),
    ("shared_credentials_file", None),
    ("shared_credentials_files", None),
    ("skip_credentials_validation", None),
    ("skip_metadata_api_check", None),
    ("skip_region_validation", None),
    ("skip_requesting_account_id", None),
    ("skip_s3_checksum", None),
    ("sts_endpoint", None),
    ("sts_region", None),
    ("use_dualstack_endpoint", None),
    ("use_fips_endpoint", None),
    ("use_path_style", None),
    ("workspace_key_prefix", None),
];
/// Secrets Terraform lets a backend block hold; Nimbus refuses them.
const S3_CREDENTIALS: &[&str] = &["access_key", "secret_key", "token", "sse_customer_key"];
const PG_CREDENTIALS: &[&str] = &["password"];

impl Lowerer<'_> {
    /// A `backend` (or `cloud`) block of `terraform`: the `(backend ...)`
    /// form, or `None` after a diagnostic.
    pub(crate) fn backend(&mut self, block: &Block, span: Span) -> Option<Node> {
        let ident_span = self.span_of(&block.ident, span);
        let Some(label) = block.labels.first() else {
            // `cloud { ... }`: HCP Terraform.
            self.ignored_backend(block.ident.as_str(), ident_span);
            return None;
        };
        let label_span = self.span_of(label, span);
        let (kind, table, credentials) = match label.as_str() {
            "local" => ("local", LOCAL, &[][..]),
            "pg" => ("postgres", PG, PG_CREDENTIALS),
            "s3" => ("s3", S3, S3_CREDENTIALS),
            other => {
                self.ignored_backend(other, label_span);
                return None;
            }
        };
        let mut settings = vec![symbol(kind, label_span)];
        let mut lock: Option<(bool, Span)> = None;
        let mut dynamodb = false;
        let mut ok = true;
        for structure in block.body.iter() {
            let (name, name_span, value, at) = match structure {
                Structure::Attribute(a) => {
                    let at = self.span_of(a, span);
                    (a.key.as_str(), self.span_of(&a.key, at), Some(&a.value), at)
                }
                Structure::Block(b) => {
                    let at = self.span_of(b, span);
                    (b.ident.as_str(), self.span_of(&b.ident, at), None, at)
                }
            };
            if credentials.contains(&name) {
                ok = false;
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "`{name}` in a backend block: credentials are never part of the configuration"
                    ))
                    .at(name_span)
                    .with_label("a secret in the configuration")
                    .with_note(if kind == "s3" {
                        "help: set them in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE`, ...)"
                    } else {
                        "help: set `PGPASSWORD`, or leave `conn_str` out and set `NIMBUS_PG_URL` (or `PG_CONN_STR`) in the environment"
                    }),
                );
                continue;
            }
            let Some(&(_, nim)) = table.iter().find(|(tf, _)| *tf == name) else {
                ok = false;
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "unknown setting `{name}` of backend `{}`",
                        label.as_str()
                    ))
                    .at(name_span)
                    .with_suggestion(name, table.iter().map(|(tf, _)| *tf)),
                );
                continue;
            };
            let Some(nim) = nim else {
                self.diagnostics.push(
                    Diagnostic::warning(format!(
                        "`{name}` of backend `{}` is not used by Nimbus",
                        label.as_str()
                    ))
                    .at(name_span)
                    .with_label("ignored"),
                );
                continue;
            };
            let value = match (name, value) {
                ("endpoints", Some(Expression::Object(object))) => {
                    let mut s3 = None;
                    for (key, value) in object.iter() {
                        let key_text = match key {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(e) => self
                                .literal(e)
                                .and_then(|k| match k {
                                    nimbus_syntax::NodeKind::String(s) => Some(s),
                                    _ => None,
                                })
                                .unwrap_or_default(),
                        };
                        let key_span = self.span_of(key, at);
                        if key_text == "s3" {
                            s3 = Some(value.expr());
                        } else {
                            self.diagnostics.push(
                                Diagnostic::warning(format!(
                                    "the `{key_text}` endpoint of backend `s3` is not used by Nimbus"
                                ))
                                .at(key_span)
                                .with_label("ignored"),
                            );
                        }
                    }
                    match s3 {
                        Some(expr) => expr,
                        None => continue,
                    }
                }
                ("endpoints", None) => {
                    // `endpoints { s3 = "..." }` written as a block.
                    let Structure::Block(b) = structure else {
                        continue;
                    };
                    let mut s3 = None;
                    for a in self.attributes_only(&b.body, "`endpoints`", at) {
                        if a.key.as_str() == "s3" {
                            s3 = Some(&a.value);
                        } else {
                            let key_span = self.span_of(&a.key, at);
                            self.diagnostics.push(
                                Diagnostic::warning(format!(
                                    "the `{}` endpoint of backend `s3` is not used by Nimbus",
                                    a.key.as_str()
                                ))
                                .at(key_span)
                                .with_label("ignored"),
                            );
                        }
                    }
                    match s3 {
                        Some(expr) => expr,
                        None => continue,
                    }
                }
                (_, Some(value)) => value,
                (_, None) => {
                    ok = false;
                    self.error(
                        name_span,
                        format!("`{name}` is a setting: `{name} = VALUE`"),
                    );
                    continue;
                }
            };
            let value_span = self.span_of(value, at);
            let node = match name {
                "use_lockfile" | "encrypt" => {
                    let Some(b) = self.literal_bool(value, &format!("`{name}`"), at) else {
                        ok = false;
                        continue;
                    };
                    if name == "use_lockfile" {
                        lock = Some((b, value_span));
                        continue;
                    }
                    Node {
                        kind: nimbus_syntax::NodeKind::Bool(b),
                        span: value_span,
                    }
                }
                _ => {
                    let Some(text) = self.literal_string(value, &format!("`{name}`"), at) else {
                        ok = false;
                        continue;
                    };
                    dynamodb |= name == "dynamodb_table";
                    string(text, value_span)
                }
            };
            settings.push(list(
                vec![symbol(nim, name_span), node],
                name_span.to(value_span),
            ));
        }
        // Terraform locks with the lock file when `use_lockfile` is true,
        // with DynamoDB when a table is named (both during a migration
        // from one to the other: Nimbus then takes the table), and not at
        // all with neither. The `.nim` form says which.
        let lock = match lock {
            _ if dynamodb => None,
            Some((true, at)) => Some(("lockfile", at)),
            Some((false, at)) => Some(("none", at)),
            None if kind == "s3" => Some(("none", label_span)),
            None => None,
        };
        if let Some((name, at)) = lock {
            settings.push(form("lock", vec![symbol(name, at)], at));
        }
        ok.then(|| form("backend", settings, span))
    }

    fn ignored_backend(&mut self, kind: &str, span: Span) {
        self.diagnostics.push(
            Diagnostic::warning(format!(
                "backend `{kind}` is not supported by Nimbus and is ignored: state stays in .nimbus/"
            ))
            .at(span)
            .with_label("ignored")
            .with_note("note: Nimbus keeps state in the `local`, `pg` (PostgreSQL) and `s3` backends")
            .with_note("note: `nimbus state import-terraform` will adopt a Terraform state"),
        );
    }
}
