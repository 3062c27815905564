//! Protocol 6 end to end, against a fake provider that this test binary
//! serves itself: started as a plugin (with `NIMBUS_FAKE_PLUGIN6` set) it
//! prints a go-plugin handshake and serves `tfplugin6.Provider` and
//! `plugin.GRPCController` on a unix socket. The test then drives it
//! through the Nimbus `Provider` trait like any other plugin.
//!
//! This file has its own `main` (no libtest harness), because libtest
//! prints to stdout, where the handshake line must come first.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip
#![cfg(unix)]

use nimbus_plugin::cty::{self, CtyType};
use nimbus_plugin::proto::plugin::Empty;
use nimbus_plugin::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use nimbus_plugin::proto::tfplugin6 as v6;
use nimbus_plugin::proto::tfplugin6::provider_server::{Provider as ProviderRpc, ProviderServer};
use nimbus_plugin::{PluginOptions, PluginProvider};
use nimbus_provider::nimbus_value::{Presence, Type, Value};
use nimbus_provider::{ApplyRequest, DeleteRequest, PlanRequest, Provider, ReadRequest};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tonic::{Request, Response, Status};

const FAKE_ENV: &str = "NIMBUS_FAKE_PLUGIN6";

// ------------------------------------------------------------ the fake

fn thing_type() -> CtyType {
    let json = r#"["object",{
        "id":"string","name":"string","size":"number","tags":["map","string"],
        "data":"dynamic","secret":"string",
        "endpoints":["list",["object",{"url":"string"}]],
        "rule":["set",["object",{"port":"number","uid":"string"}]]}]"#;
    CtyType::from_json(&serde_json::from_str(json).unwrap()).unwrap()
}

fn echo_type() -> CtyType {
    CtyType::from_json(&serde_json::json!(["object", {"input": "string", "output": "string"}]))
        .unwrap()
}

fn provider_type() -> CtyType {
    CtyType::from_json(&serde_json::json!(["object", {"region": "string"}])).unwrap()
}

fn attribute(
    name: &str,
    ty: &str,
    required: bool,
    optional: bool,
    computed: bool,
) -> v6::schema::Attribute {
    v6::schema::Attribute {
        name: name.into(),
        r#type: ty.as_bytes().to_vec(),
        required,
        optional,
        computed,
        ..Default::default()
    }
}

fn schemas() -> v6::get_provider_schema::Response {
    let thing = v6::Schema {
        version: 3,
        block: Some(v6::schema::Block {
            attributes: vec![
                attribute("id", r#""string""#, false, false, true),
                attribute("name", r#""string""#, true, false, false),
                attribute("size", r#""number""#, false, true, false),
                attribute("tags", r#"["map","string"]"#, false, true, false),
                attribute("data", r#""dynamic""#, false, true, false),
                v6::schema::Attribute {
                    sensitive: true,
                    ..attribute("secret", r#""string""#, false, true, false)
                },
                v6::schema::Attribute {
                    name: "endpoints".into(),
                    nested_type: Some(v6::schema::Object {
                        attributes: vec![attribute("url", r#""string""#, true, false, false)],
                        nesting: v6::schema::object::NestingMode::List as i32,
                        min_items: 0,
                        max_items: 0,
                    }),
                    optional: true,
                    ..Default::default()
                },
            ],
            block_types: vec![v6::schema::NestedBlock {
                type_name: "rule".into(),
                block: Some(v6::schema::Block {
                    attributes: vec![
                        attribute("port", r#""number""#, true, false, false),
                        attribute("uid", r#""string""#, false, false, true),
                    ],
                    ..Default::default()
                }),
                nesting: v6::schema::nested_block::NestingMode::Set as i32,
                min_items: 0,
                max_items: 0,
            }],
            ..Default::default()
        }),
    };
    let echo = v6::Schema {
        version: 0,
        block: Some(v6::schema::Block {
            attributes: vec![
                attribute("input", r#""string""#, true, false, false),
                attribute("output", r#""string""#, false, false, true),
            ],
            ..Default::default()
        }),
    };
    let provider = v6::Schema {
        version: 0,
        block: Some(v6::schema::Block {
            attributes: vec![attribute("region", r#""string""#, false, true, false)],
            ..Default::default()
        }),
    };
    v6::get_provider_schema::Response {
        provider: Some(provider),
        resource_schemas: [("fake_thing".to_string(), thing)].into(),
        data_source_schemas: [("fake_echo".to_string(), echo)].into(),
        diagnostics: Vec::new(),
        provider_meta: None,
    }
}

fn dv(value: &Value, ty: &CtyType) -> Option<v6::DynamicValue> {
    Some(v6::DynamicValue {
        msgpack: cty::to_msgpack(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn read_dv(value: &Option<v6::DynamicValue>, ty: &CtyType) -> Value {
    match value {
        Some(v) if !v.msgpack.is_empty() => cty::from_msgpack(&v.msgpack, ty).unwrap(),
        _ => Value::Null,
    }
}

fn error_at(attribute: &str, summary: &str) -> v6::Diagnostic {
    v6::Diagnostic {
        severity: v6::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: String::new(),
        attribute: Some(v6::AttributePath {
            steps: vec![v6::attribute_path::Step {
                selector: Some(v6::attribute_path::step::Selector::AttributeName(
                    attribute.into(),
                )),
            }],
        }),
    }
}

fn set(value: &mut Value, key: &str, new: Value) {
    if let Value::Map(map) = value {
        map.insert(key.to_string(), new);
    }
}

#[derive(Default)]
struct Fake {
    next_id: AtomicU64,
}

#[tonic::async_trait]
impl ProviderRpc for Fake {
    async fn get_provider_schema(
        &self,
        _: Request<v6::get_provider_schema::Request>,
    ) -> Result<Response<v6::get_provider_schema::Response>, Status> {
        Ok(Response::new(schemas()))
    }

    async fn validate_provider_config(
        &self,
        _: Request<v6::validate_provider_config::Request>,
    ) -> Result<Response<v6::validate_provider_config::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_resource_config(
        &self,
        request: Request<v6::validate_resource_config::Request>,
    ) -> Result<Response<v6::validate_resource_config::Response>, Status> {
        let config = read_dv(&request.into_inner().config, &thing_type());
        let mut diagnostics = Vec::new();
        if config.get("name").and_then(Value::as_str) == Some("bad") {
            diagnostics.push(error_at("name", "name must not be \"bad\""));
        }
        Ok(Response::new(v6::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        _: Request<v6::validate_data_resource_config::Request>,
    ) -> Result<Response<v6::validate_data_resource_config::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<v6::upgrade_resource_state::Request>,
    ) -> Result<Response<v6::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let raw = request.raw_state.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&raw.json)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let mut state = cty::from_cty_json(&json, &thing_type())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        // Version 1 state kept the size in `tags.size`.
        if request.version < 2
            && let Some(size) = state.get("tags").and_then(|t| t.get("size")).cloned()
        {
            set(&mut state, "size", size);
        }
        Ok(Response::new(v6::upgrade_resource_state::Response {
            upgraded_state: dv(&state, &thing_type()),
            diagnostics: Vec::new(),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<v6::configure_provider::Request>,
    ) -> Result<Response<v6::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let config = read_dv(&request.config, &provider_type());
        let mut diagnostics = Vec::new();
        if config.get("region").and_then(Value::as_str) == Some("nowhere") {
            diagnostics.push(error_at("region", "unknown region"));
        }
        if request.terraform_version.is_empty() {
            diagnostics.push(error_at("region", "no terraform version"));
        }
        Ok(Response::new(v6::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn read_resource(
        &self,
        request: Request<v6::read_resource::Request>,
    ) -> Result<Response<v6::read_resource::Response>, Status> {
        let request = request.into_inner();
        let mut private = request.private;
        private.extend_from_slice(b"|read");
        Ok(Response::new(v6::read_resource::Response {
            new_state: request.current_state,
            diagnostics: Vec::new(),
            private,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<v6::plan_resource_change::Request>,
    ) -> Result<Response<v6::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let ty = thing_type();
        let prior = read_dv(&request.prior_state, &ty);
        let mut planned = read_dv(&request.proposed_new_state, &ty);
        let mut requires_replace = Vec::new();
        if prior.is_null() {
            set(&mut planned, "id", Value::Unknown);
        } else if prior.get("name") != planned.get("name") {
            requires_replace.push(v6::AttributePath {
                steps: vec![v6::attribute_path::Step {
                    selector: Some(v6::attribute_path::step::Selector::AttributeName(
                        "name".into(),
                    )),
                }],
            });
        }
        if let Some(rules) = planned.get("rule").and_then(Value::as_list) {
            let rules: Vec<Value> = rules
                .iter()
                .cloned()
                .map(|mut r| {
                    if r.get("uid").is_none_or(Value::is_null) {
                        set(&mut r, "uid", Value::Unknown);
                    }
                    r
                })
                .collect();
            set(&mut planned, "rule", Value::List(rules));
        }
        let mut planned_private = b"planned:".to_vec();
        planned_private.extend_from_slice(&request.prior_private);
        Ok(Response::new(v6::plan_resource_change::Response {
            planned_state: dv(&planned, &ty),
            requires_replace,
            planned_private,
            diagnostics: Vec::new(),
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<v6::apply_resource_change::Request>,
    ) -> Result<Response<v6::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let ty = thing_type();
        let planned = read_dv(&request.planned_state, &ty);
        if planned.is_null() {
            return Ok(Response::new(v6::apply_resource_change::Response {
                new_state: dv(&Value::Null, &ty),
                private: Vec::new(),
                diagnostics: Vec::new(),
            }));
        }
        let mut state = planned;
        if state.get("id").is_some_and(Value::is_unknown) {
            let n = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
            set(&mut state, "id", Value::string(format!("thing-{n}")));
        }
        if let Some(rules) = state.get("rule").and_then(Value::as_list) {
            let rules: Vec<Value> = rules
                .iter()
                .cloned()
                .map(|mut r| {
                    let port = r
                        .get("port")
                        .map(|p| p.to_display_string())
                        .unwrap_or_default();
                    set(&mut r, "uid", Value::string(format!("uid-{port}")));
                    r
                })
                .collect();
            set(&mut state, "rule", Value::List(rules));
        }
        let mut private = b"applied;".to_vec();
        private.extend_from_slice(&request.planned_private);
        Ok(Response::new(v6::apply_resource_change::Response {
            new_state: dv(&state, &ty),
            private,
            diagnostics: Vec::new(),
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<v6::import_resource_state::Request>,
    ) -> Result<Response<v6::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let state = Value::Map(
            [
                ("id".to_string(), Value::string(request.id.clone())),
                ("name".to_string(), Value::string("imported")),
                ("rule".to_string(), Value::List(Vec::new())),
            ]
            .into(),
        );
        Ok(Response::new(v6::import_resource_state::Response {
            imported_resources: vec![v6::import_resource_state::ImportedResource {
                type_name: request.type_name,
                state: dv(&state, &thing_type()),
                private: b"imported".to_vec(),
            }],
            diagnostics: Vec::new(),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<v6::read_data_source::Request>,
    ) -> Result<Response<v6::read_data_source::Response>, Status> {
        let mut state = read_dv(&request.into_inner().config, &echo_type());
        let input = state
            .get("input")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        set(
            &mut state,
            "output",
            Value::string(format!("echo: {input}")),
        );
        Ok(Response::new(v6::read_data_source::Response {
            state: dv(&state, &echo_type()),
            diagnostics: Vec::new(),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<v6::stop_provider::Request>,
    ) -> Result<Response<v6::stop_provider::Response>, Status> {
        Ok(Response::new(Default::default()))
    }
}

struct Controller(Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        if let Some(tx) = self.0.lock().unwrap().take() {
            let _ = tx.send(());
        }
        Ok(Response::new(Empty {}))
    }
}

/// Both services on one connection, routed by gRPC path.
#[derive(Clone)]
struct Services {
    provider: ProviderServer<Fake>,
    controller: GrpcControllerServer<Controller>,
}

type HttpRequest = tonic::codegen::http::Request<tonic::body::Body>;
type HttpResponse = tonic::codegen::http::Response<tonic::body::Body>;

impl tower::Service<HttpRequest> for Services {
    type Response = HttpResponse;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        if request.uri().path().starts_with("/plugin.GRPCController/") {
            Box::pin(self.controller.call(request))
        } else {
            Box::pin(self.provider.call(request))
        }
    }
}

/// The plugin side: what a go-plugin server does.
fn serve() {
    let cookie_ok = std::env::var("TF_PLUGIN_MAGIC_COOKIE").as_deref()
        == Ok("d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2");
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !cookie_ok || !versions.split(',').any(|v| v == "6") {
        eprintln!("not started as a plugin");
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let socket = std::env::temp_dir().join(format!("nimbus-fake6-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        let listener = tokio::net::UnixListener::bind(&socket).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        eprintln!(r#"{{"@level":"info","@message":"fake provider serving"}}"#);
        let mut stdout = std::io::stdout();
        writeln!(stdout, "1|6|unix|{}|grpc|", socket.display()).unwrap();
        stdout.flush().unwrap();
        let services = Services {
            provider: ProviderServer::new(Fake::default()),
            controller: GrpcControllerServer::new(Controller(Mutex::new(Some(tx)))),
        };
        tonic::transport::Server::builder()
            .serve_with_incoming_shutdown(
                services,
                tokio_stream::wrappers::UnixListenerStream::new(listener),
                async {
                    let _ = rx.await;
                },
            )
            .await
            .unwrap();
        let _ = std::fs::remove_file(&socket);
    });
}

// ------------------------------------------------------------ the tests

use nimbus_provider::testing::obj;

fn options() -> PluginOptions {
    let mut options = PluginOptions::new(std::env::current_exe().unwrap(), "example.com/test/fake");
    options.env.push((FAKE_ENV.to_string(), "1".to_string()));
    options
}

fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as i32, 0) == 0 }
}

fn lifecycle() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let provider = PluginProvider::launch_async(options()).await.expect("the fake provider starts");
        assert_eq!(provider.protocol_version(), 6);

        let schema = provider.schema();
        let thing = &schema.resources["fake_thing"];
        assert_eq!(thing.version, 3);
        assert_eq!(thing.attributes["id"].presence, Presence::Computed);
        assert_eq!(thing.attributes["name"].presence, Presence::Required);
        assert!(thing.attributes["secret"].sensitive);
        assert_eq!(thing.attributes["data"].ty, Type::Any);
        assert_eq!(
            thing.attributes["endpoints"].ty,
            Type::list(Type::Object([("url".to_string(), Type::String)].into()))
        );
        assert!(matches!(&thing.attributes["rule"].ty, Type::Set(inner) if matches!(**inner, Type::Object(_))));
        assert_eq!(schema.data_sources["fake_echo"].attributes["output"].presence, Presence::Computed);

        let e = provider.configure(&obj(&[("region", "nowhere".into())])).await.unwrap_err();
        assert_eq!(e.message, "unknown region");
        assert_eq!(e.attribute.as_deref(), Some("region"));
        provider.configure(&obj(&[("region", "eu".into())])).await.expect("configure");

        let diags = provider.validate_resource("fake_thing", &obj(&[("name", "bad".into())])).await.unwrap();
        assert_eq!(diags.len(), 1);
        assert!(diags[0].error);
        assert_eq!(diags[0].attribute.as_deref(), Some("name"));

        // Create, with a dynamic value, a nested attribute and a set block.
        let data = obj(&[("list", Value::List(vec![Value::int(1), "two".into()]))]);
        let config = obj(&[
            ("name", "alpha".into()),
            ("size", Value::int(3)),
            ("data", data.clone()),
            ("secret", "s3cret".into()),
            ("endpoints", Value::List(vec![obj(&[("url", "https://a".into())])])),
            ("rule", Value::List(vec![obj(&[("port", Value::int(443))]), obj(&[("port", Value::int(80))])])),
        ]);
        let plan = provider
            .plan(PlanRequest {
                type_name: "fake_thing",
                prior_state: None,
                prior_private: &[],
                config: &config,
                proposed_state: &config,
            })
            .await
            .expect("plan create");
        assert!(plan.planned_state.get("id").unwrap().is_unknown());
        assert_eq!(plan.planned_state.get("data"), Some(&data));
        assert_eq!(plan.planned_private, b"planned:".to_vec());
        let created = provider
            .create(ApplyRequest {
                type_name: "fake_thing",
                prior_state: None,
                planned_state: &plan.planned_state,
                config: &config,
                private: &plan.planned_private,
            })
            .await
            .expect("create");
        assert_eq!(created.new_state.get("id"), Some(&Value::string("thing-1")));
        assert_eq!(created.private, b"applied;planned:".to_vec());
        let rules = created.new_state.get("rule").unwrap().as_list().unwrap();
        let uids: Vec<&str> = rules.iter().filter_map(|r| r.get("uid").and_then(Value::as_str)).collect();
        assert_eq!(uids.len(), 2);
        assert!(uids.contains(&"uid-80") && uids.contains(&"uid-443"));

        // Refresh from the stored (JSON) form, private bytes passed along.
        let stored = Value::from_json(&created.new_state.to_json());
        let read = provider
            .read(ReadRequest {
                type_name: "fake_thing",
                current_state: &stored,
                private: &created.private,
            })
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(read.new_state, created.new_state);
        assert_eq!(read.private, b"applied;planned:|read".to_vec());

        // No change; then a change that forces replacement.
        let plan = provider
            .plan(PlanRequest {
                type_name: "fake_thing",
                prior_state: Some(&read.new_state),
                prior_private: &read.private,
                config: &config,
                proposed_state: &config,
            })
            .await
            .expect("plan without change");
        assert_eq!(plan.planned_state, read.new_state);
        assert!(plan.requires_replace.is_empty());
        let mut renamed = config.clone();
        set(&mut renamed, "name", "beta".into());
        let plan = provider
            .plan(PlanRequest {
                type_name: "fake_thing",
                prior_state: Some(&read.new_state),
                prior_private: &read.private,
                config: &renamed,
                proposed_state: &renamed,
            })
            .await
            .expect("plan replacement");
        assert_eq!(plan.requires_replace, vec!["name".to_string()]);
        assert!(plan.planned_state.get("id").unwrap().is_unknown(), "planned as a create");

        // Stored state of an older schema version is upgraded.
        let old = obj(&[
            ("id", "thing-9".into()),
            ("name", "old".into()),
            ("tags", obj(&[("size", "7".into())])),
        ]);
        let upgraded = provider.upgrade_state("fake_thing", 1, old).await.expect("upgrade");
        assert_eq!(upgraded.get("size"), Some(&Value::int(7)));
        assert_eq!(upgraded.get("rule"), Some(&Value::Null));

        let imported = provider.import("fake_thing", "thing-42").await.expect("import");
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0].state.get("id"), Some(&Value::string("thing-42")));
        assert_eq!(imported[0].private, b"imported".to_vec());

        let echoed = provider.read_data("fake_echo", &obj(&[("input", "hi".into())])).await.expect("data");
        assert_eq!(echoed.get("output"), Some(&Value::string("echo: hi")));

        provider
            .delete(DeleteRequest {
                type_name: "fake_thing",
                prior_state: &read.new_state,
                private: &read.private,
            })
            .await
            .expect("delete");
        provider.stop().await.expect("stop");

        let pid = provider.pid();
        let socket = std::env::temp_dir().join(format!("nimbus-fake6-{pid}.sock"));
        assert!(socket.exists());
        provider.shutdown().await;
        assert!(!alive(pid), "the fake exited after Shutdown");
        assert!(!socket.exists(), "the socket is gone");
    });
}

fn main() {
    if std::env::var_os(FAKE_ENV).is_some() {
        serve();
        return;
    }
    let tests: [(&str, fn()); 1] = [("protocol 6 lifecycle against a fake provider", lifecycle)];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(test) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
