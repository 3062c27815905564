//! The plugin process: start it the way go-plugin expects, read its
//! handshake, connect over its socket, forward its output to the log, and
//! stop it again (graceful `Shutdown`, then a kill, then the socket file is
//! removed).

use crate::PluginError;
use crate::handshake::{self, Handshake, Network};
use crate::proto::plugin::Empty;
use crate::proto::plugin::grpc_controller_client::GrpcControllerClient;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint, Uri};

/// How many of the plugin's last stderr lines are kept for error messages.
const STDERR_TAIL: usize = 20;

/// How to start one plugin process and talk to it.
#[derive(Debug, Clone)]
pub struct PluginOptions {
    pub binary: PathBuf,
    /// Shown in messages and logs, e.g. `registry.terraform.io/hashicorp/null`.
    pub name: String,
    /// Longest wait for the handshake line (Terraform waits a minute).
    pub handshake_timeout: Duration,
    /// Longest wait for the process to exit after `Shutdown` before it is
    /// killed.
    pub shutdown_timeout: Duration,
    /// The port range a plugin that listens on TCP may use.
    pub min_port: u16,
    pub max_port: u16,
    /// Extra environment variables for the plugin (credentials, `TF_LOG`).
    pub env: Vec<(String, String)>,
    /// Working directory of the plugin; the caller's when `None`.
    pub work_dir: Option<PathBuf>,
    /// The Terraform version announced to the provider in `Configure`
    /// (providers use it in user agents and for feature checks).
    pub terraform_version: String,
}

/// The Terraform release whose behaviour Nimbus mirrors towards plugins.
pub const DEFAULT_TERRAFORM_VERSION: &str = "1.5.7";

impl PluginOptions {
    pub fn new(binary: impl Into<PathBuf>, name: impl Into<String>) -> PluginOptions {
        PluginOptions {
            binary: binary.into(),
            name: name.into(),
            handshake_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(2),
            min_port: 10000,
            max_port: 25000,
            env: Vec::new(),
            work_dir: None,
            terraform_version: DEFAULT_TERRAFORM_VERSION.to_string(),
        }
    }
}

/// The last lines the plugin wrote on stderr.
#[derive(Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == STDERR_TAIL {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The kept lines, or an empty string.
    pub fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// `\n  its stderr ended with:\n  ...` when there is anything to show.
    pub fn as_note(&self) -> String {
        let text = self.text();
        if text.trim().is_empty() {
            String::new()
        } else {
            let indented: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
            format!("\n  its last output was:\n{}", indented.join("\n"))
        }
    }
}

/// A running plugin process, connected.
pub struct PluginProcess {
    pub name: String,
    pub handshake: Handshake,
    pub channel: Channel,
    pub pid: u32,
    pub stderr: StderrTail,
    child: tokio::sync::Mutex<Option<Child>>,
    shutdown_timeout: Duration,
}

/// Logs one line of plugin output at the level it declares: the JSON lines
/// of hclog (`{"@level":"debug",...}`) and the `[LEVEL]` prefix of plain
/// log lines.
fn log_line(name: &str, stream: &str, line: &str) {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return;
    }
    let level = if trimmed.starts_with('{') {
        serde_json::from_str::<serde_json::Value>(trimmed)
            .ok()
            .and_then(|j| {
                j.get("@level")
                    .and_then(|l| l.as_str())
                    .map(str::to_ascii_lowercase)
            })
    } else {
        ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
            .iter()
            .find(|l| trimmed.contains(&format!("[{l}]")))
            .map(|l| l.to_ascii_lowercase())
    };
    match level.as_deref() {
        Some("error") => {
            tracing::error!(target: "nimbus_plugin::output", plugin = name, stream, "{trimmed}")
        }
        Some("warn") => {
            tracing::warn!(target: "nimbus_plugin::output", plugin = name, stream, "{trimmed}")
        }
        Some("info") => {
            tracing::info!(target: "nimbus_plugin::output", plugin = name, stream, "{trimmed}")
        }
        Some("trace") => {
            tracing::trace!(target: "nimbus_plugin::output", plugin = name, stream, "{trimmed}")
        }
        _ => tracing::debug!(target: "nimbus_plugin::output", plugin = name, stream, "{trimmed}"),
    }
}

fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "exited".to_string(),
    }
}

/// Kills the plugin's whole process group (it leads one of its own).
fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        // SAFETY: kill(2) with a negative pid signals a process group; no
        // memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Asks Linux to kill the plugin when the thread that starts it ends: the
/// plugin runtime's one worker, which lives as long as the provider. A
/// plugin runs in its own process group (a Ctrl-C meant for Nimbus must
/// not reach it first), so without this a Nimbus that is killed, or that
/// aborts, would leave its plugins running with nobody to stop them.
#[cfg(target_os = "linux")]
fn die_with_this_thread(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed: prctl(2), getppid(2) and
    // building an io::Error from a number are.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the request was made.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// `ETXTBSY` (Linux, macOS): the executable is open for writing somewhere.
fn text_file_busy(e: &std::io::Error) -> bool {
    cfg!(unix) && e.raw_os_error() == Some(26)
}

impl PluginProcess {
    /// Starts the plugin and connects to it. Must run inside a Tokio
    /// runtime with I/O and time enabled.
    pub async fn start(options: &PluginOptions) -> Result<PluginProcess, PluginError> {
        let name = options.name.clone();
        let shown = options.binary.display().to_string();
        if !options.binary.is_file() {
            return Err(PluginError::Start(format!(
                "{name}: no plugin binary at {shown}"
            )));
        }
        let mut command = Command::new(&options.binary);
        command
            .env(handshake::MAGIC_COOKIE_KEY, handshake::MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", handshake::PROTOCOL_VERSIONS)
            .env("PLUGIN_MIN_PORT", options.min_port.to_string())
            .env("PLUGIN_MAX_PORT", options.max_port.to_string())
            .envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        #[cfg(target_os = "linux")]
        die_with_this_thread(&mut command);
        if let Some(dir) = &options.work_dir {
            command.current_dir(dir);
        }
        // A binary written moments ago (a registry install, a test's fake
        // plugin) can be refused with ETXTBSY while another thread's
        // freshly forked child still holds its write descriptor, until that
        // child execs: a passing state, so it is waited out, briefly.
        let mut busy_retries = 0;
        let mut child = loop {
            match command.spawn() {
                Ok(child) => break child,
                Err(e) if text_file_busy(&e) && busy_retries < 20 => {
                    busy_retries += 1;
                    tokio::time::sleep(Duration::from_millis(25 * busy_retries)).await;
                }
                Err(e) => {
                    return Err(PluginError::Start(format!(
                        "{name}: cannot start {shown}: {e}"
                    )));
                }
            }
        };
        let pid = child.id().unwrap_or(0);
        tracing::debug!(plugin = %name, pid, binary = %shown, "started plugin");

        let stderr = StderrTail::default();
        let stderr_done = child.stderr.take().map(|pipe| {
            let tail = stderr.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log_line(&name, "stderr", &line);
                    tail.push(line);
                }
            })
        });
        let (line_tx, line_rx) = tokio::sync::oneshot::channel::<String>();
        if let Some(pipe) = child.stdout.take() {
            let name = name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                let mut first = Some(line_tx);
                while let Ok(Some(line)) = lines.next_line().await {
                    match first.take() {
                        Some(tx) if !line.trim().is_empty() => {
                            let _ = tx.send(line);
                        }
                        Some(tx) => first = Some(tx),
                        None => log_line(&name, "stdout", &line),
                    }
                }
            });
        }

        let failure = |message: String, stderr: &StderrTail| {
            PluginError::Start(format!("{message}{}", stderr.as_note()))
        };
        // Waits briefly for the stderr reader, so a plugin that died at once
        // has its last words in the message.
        async fn settle(done: Option<tokio::task::JoinHandle<()>>) {
            if let Some(done) = done {
                let _ = tokio::time::timeout(Duration::from_millis(500), done).await;
            }
        }

        let line = tokio::select! {
            biased;
            line = line_rx => line.ok(),
            _ = tokio::time::sleep(options.handshake_timeout) => {
                kill_group(pid);
                let _ = child.kill().await;
                return Err(failure(
                    format!(
                        "{name}: {shown} did not complete the plugin handshake within {:?}",
                        options.handshake_timeout
                    ),
                    &stderr,
                ));
            }
        };
        let Some(line) = line else {
            // Stdout closed without a line: the process is exiting.
            let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            settle(stderr_done).await;
            let how = match status {
                Ok(Ok(status)) => describe_exit(status),
                _ => {
                    kill_group(pid);
                    let _ = child.kill().await;
                    "closed its output".to_string()
                }
            };
            return Err(failure(
                format!("{name}: {shown} {how} before completing the plugin handshake"),
                &stderr,
            ));
        };
        let handshake = match handshake::parse_handshake(&line, &format!("{name} ({shown})")) {
            Ok(h) => h,
            Err(e) => {
                kill_group(pid);
                let _ = child.kill().await;
                settle(stderr_done).await;
                return Err(PluginError::Handshake(format!("{e}{}", stderr.as_note())));
            }
        };
        if handshake.server_cert.is_some() {
            kill_group(pid);
            let _ = child.kill().await;
            return Err(PluginError::Handshake(format!(
                "{name}: the plugin serves TLS, which Nimbus does not support yet (it starts plugins \
                 without a client certificate, so they should serve plaintext on a local socket)"
            )));
        }
        tracing::debug!(plugin = %name, protocol = handshake.protocol_version, address = %handshake.address, "plugin handshake");

        let channel = match connect(&handshake).await {
            Ok(c) => c,
            Err(e) => {
                kill_group(pid);
                let _ = child.kill().await;
                remove_socket(&handshake);
                return Err(failure(
                    format!(
                        "{name}: cannot connect to the plugin at {}: {e}",
                        handshake.address
                    ),
                    &stderr,
                ));
            }
        };
        Ok(PluginProcess {
            name,
            handshake,
            channel,
            pid,
            stderr,
            child: tokio::sync::Mutex::new(Some(child)),
            shutdown_timeout: options.shutdown_timeout,
        })
    }

    /// `Some(description)` when the process has ended.
    pub async fn exited(&self) -> Option<String> {
        let mut guard = self.child.lock().await;
        match guard.as_mut() {
            None => Some("was shut down".to_string()),
            Some(child) => match child.try_wait() {
                Ok(Some(status)) => Some(describe_exit(status)),
                _ => None,
            },
        }
    }

    /// Graceful stop: `GRPCController.Shutdown`, a wait for the process to
    /// exit, a kill when it does not, then the socket file is removed.
    /// Idempotent.
    pub async fn shutdown(&self) {
        let mut guard = self.child.lock().await;
        let Some(mut child) = guard.take() else {
            return;
        };
        let mut controller = GrpcControllerClient::new(self.channel.clone());
        let asked =
            tokio::time::timeout(self.shutdown_timeout, controller.shutdown(Empty {})).await;
        if let Ok(Err(status)) = &asked {
            tracing::debug!(plugin = %self.name, "Shutdown call failed: {status}");
        }
        match tokio::time::timeout(self.shutdown_timeout, child.wait()).await {
            Ok(Ok(status)) => {
                tracing::debug!(plugin = %self.name, "plugin {}", describe_exit(status))
            }
            _ => {
                tracing::debug!(plugin = %self.name, "plugin did not exit in {:?}; killing it", self.shutdown_timeout);
                kill_group(self.pid);
                let _ = child.kill().await;
                let _ = child.wait().await;
            }
        }
        remove_socket(&self.handshake);
    }

    /// Last-resort stop without awaiting: kill and remove the socket.
    pub fn kill_now(&self) {
        if let Ok(mut guard) = self.child.try_lock()
            && let Some(mut child) = guard.take()
        {
            kill_group(self.pid);
            let _ = child.start_kill();
        } else {
            kill_group(self.pid);
        }
        remove_socket(&self.handshake);
    }
}

fn remove_socket(handshake: &Handshake) {
    if handshake.network == Network::Unix {
        let path = Path::new(&handshake.address);
        if path.exists() {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn connect(handshake: &Handshake) -> Result<Channel, String> {
    let timeout = Duration::from_secs(10);
    match handshake.network {
        Network::Tcp => Endpoint::from_shared(format!("http://{}", handshake.address))
            .map_err(|e| e.to_string())?
            .connect_timeout(timeout)
            .connect()
            .await
            .map_err(|e| e.to_string()),
        Network::Unix => {
            let path = PathBuf::from(&handshake.address);
            // The URI is required by the API but unused: the connector
            // below always dials the socket.
            Endpoint::from_static("http://plugin.invalid")
                .connect_timeout(timeout)
                .connect_with_connector(tower::service_fn(move |_: Uri| {
                    let path = path.clone();
                    async move {
                        Ok::<_, std::io::Error>(TokioIo::new(
                            tokio::net::UnixStream::connect(path).await?,
                        ))
                    }
                }))
                .await
                .map_err(|e| {
                    let mut text = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        text.push_str(&format!(": {s}"));
                        source = s.source();
                    }
                    text
                })
        }
    }
}
