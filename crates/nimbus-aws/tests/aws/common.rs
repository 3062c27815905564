//! Drives the AWS provider the way the engine does, against the emulator
//! named by NIMBUS_TEST_AWS_ENDPOINT (scripts/moto start).
//!
//! Without that variable the tests print a notice and pass, except under
//! CI=true, where a missing emulator fails them: CI never skips silently.
//! Every test uses names unique to the test (and to the run), so tests share
//! one emulator and run in parallel.
#![allow(dead_code)]

use nimbus_aws::{Aws, Clients, Preset};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::testing::{Driver, Stored};
use nimbus_provider::{PlanResponse, Provider, ProviderError};
use std::ops::Deref;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use nimbus_provider::testing::{assert_consistent, obj, string_map};

pub const ENDPOINT_VAR: &str = "NIMBUS_TEST_AWS_ENDPOINT";

/// The emulator's endpoint, or `None` (with a notice) when the tests should
/// skip. Panics under CI=true when it is missing.
pub fn endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_VAR) {
        Ok(e) if !e.trim().is_empty() => Some(e.trim().to_string()),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{ENDPOINT_VAR} is not set: under CI the AWS emulator is required \
                     (scripts/test starts it; by hand: export {ENDPOINT_VAR}=$(scripts/moto start))"
                );
            }
            eprintln!(
                "notice: {ENDPOINT_VAR} is not set; skipping this AWS emulator test \
                 (run `export {ENDPOINT_VAR}=$(scripts/moto start)` to run it)"
            );
            None
        }
    }
}

/// A name unique to this test run: `PREFIX-<time>-<counter>`, lowercase,
/// valid for buckets, queues, roles, tables and functions.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!(
        "{prefix}-{:x}{:x}-{n}",
        (nanos / 1000) % 0xffff_ffff,
        std::process::id() % 0xfff
    )
}

pub fn s(text: &str) -> Value {
    Value::string(text)
}

/// The provider toolkit's driver (`provider`, `config`, ...) plus what the
/// emulator tests need; objects are their state alone (the AWS provider
/// keeps no private data).
pub struct Harness {
    driver: Driver<Aws>,
    pub clients: Arc<Clients>,
    pub endpoint: String,
    pub dir: tempfile::TempDir,
}

/// The state of a managed object as the engine keeps it.
pub type State = Value;

impl Harness {
    /// A configured provider (LocalStack preset pointed at the emulator), or
    /// `None` when the test should skip.
    pub async fn new() -> Option<Harness> {
        let endpoint = endpoint()?;
        let dir = tempfile::tempdir().unwrap();
        let provider = Aws::new(Preset::LocalStack, dir.path())
            .with_role_propagation_timeout(std::time::Duration::from_secs(20));
        provider
            .configure(&obj(&[
                ("endpoint", s(&endpoint)),
                ("region", s("us-east-1")),
            ]))
            .await
            .expect("configuring the provider against the emulator");
        let clients = provider.clients().unwrap();
        Some(Harness {
            driver: Driver::new(provider),
            clients,
            endpoint,
            dir,
        })
    }

    pub async fn try_plan(
        &self,
        type_name: &str,
        prior: Option<&State>,
        config: &Value,
    ) -> Result<PlanResponse, ProviderError> {
        let prior = prior.cloned().map(Stored::from);
        self.driver
            .try_plan(type_name, prior.as_ref(), config)
            .await
    }

    pub async fn plan(
        &self,
        type_name: &str,
        prior: Option<&State>,
        config: &Value,
    ) -> PlanResponse {
        let prior = prior.cloned().map(Stored::from);
        self.driver.plan(type_name, prior.as_ref(), config).await
    }

    pub async fn try_create(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<State, ProviderError> {
        Ok(self.driver.try_create(type_name, config).await?.state)
    }

    /// Plans and creates; checks the result against the plan.
    pub async fn create(&self, type_name: &str, config: &Value) -> State {
        self.driver.create(type_name, config).await.state
    }

    /// Refreshes, then plans with `config`; asserts the plan is a no-op.
    pub async fn assert_no_changes(&self, type_name: &str, state: &State, config: &Value) -> State {
        let current = self
            .read(type_name, state)
            .await
            .unwrap_or_else(|| panic!("{type_name} is gone"));
        let plan = self.plan(type_name, Some(&current), config).await;
        assert!(
            plan.requires_replace.is_empty(),
            "{type_name}: unexpected replacement of {:?}",
            plan.requires_replace
        );
        assert_same(type_name, &current, &plan.planned_state);
        current
    }

    /// Plans a change that must be in place, and applies it.
    pub async fn update(&self, type_name: &str, prior: &State, config: &Value) -> State {
        let prior_object = Stored::from(prior.clone());
        let plan = self
            .driver
            .plan(type_name, Some(&prior_object), config)
            .await;
        assert_ne!(
            &plan.planned_state, prior,
            "{type_name}: expected a change, the plan is a no-op"
        );
        self.driver
            .apply_update(type_name, &prior_object, config, &plan)
            .await
            .state
    }

    /// Plans a change that must replace the object because of `attribute`;
    /// deletes and creates as the engine does.
    pub async fn replace(
        &self,
        type_name: &str,
        prior: &State,
        config: &Value,
        attribute: &str,
    ) -> State {
        let plan = self.plan(type_name, Some(prior), config).await;
        assert!(
            plan.requires_replace.iter().any(|a| a == attribute),
            "{type_name}: expected `{attribute}` to force replacement, got {:?}",
            plan.requires_replace
        );
        self.delete(type_name, prior).await;
        self.create(type_name, config).await
    }

    pub async fn read(&self, type_name: &str, state: &State) -> Option<State> {
        self.driver
            .read(type_name, &Stored::from(state.clone()))
            .await
            .map(|r| r.new_state)
    }

    pub async fn delete(&self, type_name: &str, state: &State) {
        self.driver
            .delete(type_name, &Stored::from(state.clone()))
            .await
    }

    /// Imports by id into a fresh state and checks the result: equal to
    /// `expected` on every attribute but `except` (what AWS cannot tell), and
    /// a plan with `config` afterwards changes nothing but those.
    pub async fn import_matches(
        &self,
        type_name: &str,
        id: &str,
        expected: &State,
        config: &Value,
        except: &[&str],
    ) -> State {
        let imported = self
            .provider
            .import(type_name, id)
            .await
            .unwrap_or_else(|e| panic!("importing {type_name} {id}: {e:?}"));
        assert_eq!(imported.len(), 1);
        let state = imported[0].state.clone();
        let (a, b) = (state.as_map().unwrap(), expected.as_map().unwrap());
        for (k, v) in b {
            if !except.contains(&k.as_str()) {
                // A JSON document may come back spelt differently.
                let same = a.get(k) == Some(v) || a.get(k).is_some_and(|got| same_document(got, v));
                assert!(
                    same,
                    "{type_name}: imported `{k}` differs: {:?} vs {v:?}",
                    a.get(k)
                );
            }
        }
        let plan = self.plan(type_name, Some(&state), config).await;
        assert!(
            plan.requires_replace.is_empty(),
            "{type_name}: plan after import replaces {:?}",
            plan.requires_replace
        );
        for (k, v) in plan.planned_state.as_map().unwrap() {
            if !except.contains(&k.as_str()) {
                assert_eq!(
                    a.get(k),
                    Some(v),
                    "{type_name}: plan after import changes `{k}`"
                );
            }
        }
        state
    }

    /// Deletes, then checks the object is gone (read says so, and a second
    /// delete is harmless).
    pub async fn destroy(&self, type_name: &str, state: &State) {
        self.delete(type_name, state).await;
        assert!(
            self.read(type_name, state).await.is_none(),
            "{type_name} still exists after delete"
        );
        self.delete(type_name, state).await;
    }
}

impl Deref for Harness {
    type Target = Driver<Aws>;

    fn deref(&self) -> &Driver<Aws> {
        &self.driver
    }
}

pub fn assert_same(type_name: &str, current: &Value, planned: &Value) {
    let (c, p) = (current.as_map().unwrap(), planned.as_map().unwrap());
    for (k, v) in p {
        assert_eq!(
            c.get(k),
            Some(v),
            "{type_name}: plan changes `{k}` although nothing changed"
        );
    }
    assert_eq!(current, planned);
}

pub fn get<'a>(state: &'a Value, name: &str) -> &'a Value {
    state
        .get(name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

pub fn get_str<'a>(state: &'a Value, name: &str) -> &'a str {
    get(state, name)
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string: {:?}", get(state, name)))
}

/// A trust policy letting Lambda assume a role.
pub fn lambda_trust() -> Value {
    s(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    )
}

impl Harness {
    /// Whether the emulator is moto (it answers its management API), for
    /// the few operations moto does not implement.
    pub async fn is_moto(&self) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Some(host) = self.endpoint.strip_prefix("http://") else {
            return false;
        };
        let host = host.trim_end_matches('/');
        let Ok(mut stream) = tokio::net::TcpStream::connect(host).await else {
            return false;
        };
        let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: {host}\r\n\r\n");
        if stream.write_all(request.as_bytes()).await.is_err() {
            return false;
        }
        let mut head = [0u8; 16];
        let n = stream.read(&mut head).await.unwrap_or(0);
        String::from_utf8_lossy(&head[..n]).contains(" 200")
    }
}

/// Says that a step is left out because the emulator cannot do it.
pub fn not_on_emulator(what: &str) {
    eprintln!(
        "notice: moto does not implement {what}; that step runs against LocalStack or AWS only"
    );
}

/// Whether two values are the same JSON document (strings parsed as JSON,
/// maps as they are), whatever the spelling.
pub fn same_document(a: &Value, b: &Value) -> bool {
    let json = |v: &Value| match v {
        Value::String(text) => serde_json::from_str::<serde_json::Value>(text).ok(),
        Value::Map(_) => Some(v.to_json()),
        _ => None,
    };
    match (json(a), json(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}
