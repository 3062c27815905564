//! The go-plugin handshake: the environment a plugin process expects, and
//! the single line it prints on stdout once it serves:
//!
//! ```text
//! CORE-VERSION|APP-PROTOCOL-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT
//! 1|5|unix|/tmp/plugin123456|grpc|
//! ```

use crate::PluginError;

/// The magic cookie Terraform providers check before serving; without it
/// they print a "this binary is a plugin" notice and exit.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The application protocol versions Nimbus offers, highest last.
pub const PROTOCOL_VERSIONS: &str = "5,6";
/// The go-plugin core protocol version this client speaks.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Unix,
    Tcp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// 5 or 6.
    pub protocol_version: u32,
    pub network: Network,
    /// A socket path (unix) or `host:port` (tcp).
    pub address: String,
    /// The server's certificate (base64 DER) when it serves TLS.
    pub server_cert: Option<String>,
}

const NOT_A_PLUGIN_HINT: &str = "the file is probably not a Terraform provider, was built for another \
operating system or architecture, or failed while starting";

/// Parses the handshake line. `binary` names the plugin in messages.
pub fn parse_handshake(line: &str, binary: &str) -> Result<Handshake, PluginError> {
    let line = line.trim_end_matches(['\r', '\n']);
    let shown: String = line.chars().take(200).collect();
    let fields: Vec<&str> = line.split('|').collect();
    let garbage = || {
        PluginError::Handshake(format!(
            "{binary} did not answer with a plugin handshake; it printed {shown:?} \
             (expected `1|VERSION|unix|ADDRESS|grpc|`): {NOT_A_PLUGIN_HINT}"
        ))
    };
    if fields.len() < 5 {
        return Err(garbage());
    }
    let core: u32 = fields[0].trim().parse().map_err(|_| garbage())?;
    let version: u32 = fields[1].trim().parse().map_err(|_| garbage())?;
    if core != CORE_PROTOCOL_VERSION {
        return Err(PluginError::Handshake(format!(
            "{binary} speaks go-plugin core protocol {core}; Nimbus speaks {CORE_PROTOCOL_VERSION}"
        )));
    }
    let protocol = fields[4].trim();
    if protocol != "grpc" {
        let hint = if protocol == "netrpc" {
            " (net/rpc plugins are Terraform 0.11-era providers speaking plugin protocol 4; \
             use a provider release built for Terraform 0.12 or newer)"
        } else {
            ""
        };
        return Err(PluginError::Handshake(format!(
            "{binary} offers the plugin over {protocol:?} at protocol version {version}; Nimbus only \
             talks gRPC plugins of protocol 5 or 6{hint}"
        )));
    }
    if version != 5 && version != 6 {
        return Err(PluginError::Handshake(format!(
            "{binary} speaks Terraform plugin protocol {version}; Nimbus supports protocols 5 and 6"
        )));
    }
    let network = match fields[2].trim() {
        "unix" => Network::Unix,
        "tcp" => Network::Tcp,
        other => {
            return Err(PluginError::Handshake(format!(
                "{binary} listens on an unsupported network {other:?} (expected unix or tcp)"
            )));
        }
    };
    let address = fields[3].trim().to_string();
    if address.is_empty() {
        return Err(garbage());
    }
    let server_cert = fields
        .get(5)
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    Ok(Handshake {
        protocol_version: version,
        network,
        address,
        server_cert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_grpc_handshakes() {
        let h = parse_handshake("1|5|unix|/tmp/plugin42|grpc|\n", "p").unwrap();
        assert_eq!(h.protocol_version, 5);
        assert_eq!(h.network, Network::Unix);
        assert_eq!(h.address, "/tmp/plugin42");
        assert_eq!(h.server_cert, None);
        let h = parse_handshake("1|6|tcp|127.0.0.1:10001|grpc|MIIB", "p").unwrap();
        assert_eq!(h.network, Network::Tcp);
        assert_eq!(h.server_cert.as_deref(), Some("MIIB"));
    }

    #[test]
    fn refuses_other_protocols_and_garbage() {
        let e = parse_handshake("1|4|unix|/tmp/p|netrpc|", "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains("netrpc") && e.contains("gRPC"), "{e}");
        let e = parse_handshake("1|7|unix|/tmp/p|grpc|", "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains("protocol 7"), "{e}");
        let e = parse_handshake("hello world", "p").unwrap_err().to_string();
        assert!(e.contains("\"hello world\""), "{e}");
        let e = parse_handshake("2|5|unix|/tmp/p|grpc|", "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains("core protocol 2"), "{e}");
        assert!(parse_handshake("1|5|pipe|x|grpc|", "p").is_err());
    }
}
