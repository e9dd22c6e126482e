//! The connection options: the `consul` CLI's flags, each falling back to its `CONSUL_*`
//! environment variable, read as the consul CLI reads them.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::live::env;

/// The default of `--timeout`: the longest silence accepted from Consul, and the longest an
/// API call (not a snapshot transfer) may take in all.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How to reach Consul: the `consul` CLI's flags; unset fields fall back to the environment.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `-http-addr`: `host:port`, `http://…`, `https://…` or `unix:///path`.
    pub http_addr: Option<String>,
    /// `-token`.
    pub token: Option<String>,
    /// `-token-file`: a file holding the token (wins over a token, as in Consul).
    pub token_file: Option<PathBuf>,
    /// `-datacenter`.
    pub datacenter: Option<String>,
    /// `-ca-file`: PEM CA bundle to verify the server with.
    pub ca_file: Option<PathBuf>,
    /// `-ca-path`: a directory of PEM CA certificates.
    pub ca_path: Option<PathBuf>,
    /// `-client-cert`: PEM client certificate for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// `-client-key`: PEM key of the client certificate.
    pub client_key: Option<PathBuf>,
    /// `-tls-server-name`: the name to expect in the server's certificate.
    pub tls_server_name: Option<String>,
    /// `CONSUL_HTTP_SSL`: an address without a scheme means https.
    pub ssl: Option<bool>,
    /// `CONSUL_HTTP_SSL_VERIFY=false`: do not verify the server's certificate.
    pub ssl_verify: Option<bool>,
    /// `--timeout`: connect, each read and write, and a whole API call (default
    /// [`DEFAULT_TIMEOUT`]); a snapshot transfer is bounded by it between bytes only.
    pub timeout: Option<Duration>,
}

/// Go's `strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
pub fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn env_bool(name: &str) -> Result<Option<bool>> {
    match env(name) {
        None => Ok(None),
        Some(v) => parse_go_bool(&v).map(Some).ok_or_else(|| {
            Error::Usage(format!(
                "{name}={}: not a boolean (write true or false; Go's strconv.ParseBool also takes 1, t, T, TRUE, True, 0, f, F, FALSE, False)",
                super::clean_text(&v, None)
            ))
        }),
    }
}

impl ConnectOptions {
    /// Fills what the flags left unset from `CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, …; a
    /// `CONSUL_HTTP_SSL` or `CONSUL_HTTP_SSL_VERIFY` that is not a boolean is a usage error.
    pub fn with_env(mut self) -> Result<Self> {
        if self.http_addr.is_none() {
            self.http_addr = env("CONSUL_HTTP_ADDR");
        }
        if self.token.is_none() {
            self.token = env("CONSUL_HTTP_TOKEN");
        }
        if self.token_file.is_none() {
            self.token_file = env("CONSUL_HTTP_TOKEN_FILE").map(PathBuf::from);
        }
        if self.datacenter.is_none() {
            self.datacenter = env("CONSUL_DATACENTER");
        }
        if self.ca_file.is_none() {
            self.ca_file = env("CONSUL_CACERT").map(PathBuf::from);
        }
        if self.ca_path.is_none() {
            self.ca_path = env("CONSUL_CAPATH").map(PathBuf::from);
        }
        if self.client_cert.is_none() {
            self.client_cert = env("CONSUL_CLIENT_CERT").map(PathBuf::from);
        }
        if self.client_key.is_none() {
            self.client_key = env("CONSUL_CLIENT_KEY").map(PathBuf::from);
        }
        if self.tls_server_name.is_none() {
            self.tls_server_name = env("CONSUL_TLS_SERVER_NAME");
        }
        if self.ssl.is_none() {
            self.ssl = env_bool("CONSUL_HTTP_SSL")?;
        }
        if self.ssl_verify.is_none() {
            self.ssl_verify = env_bool("CONSUL_HTTP_SSL_VERIFY")?;
        }
        Ok(self)
    }

    /// The address to use: the flag or variable, or 127.0.0.1:8500; without a scheme, https
    /// when `CONSUL_HTTP_SSL` is true (as the consul CLI does, wherever the address came from).
    pub fn address(&self) -> String {
        let a = self
            .http_addr
            .clone()
            .unwrap_or_else(|| "127.0.0.1:8500".to_string());
        if !a.contains("://") && self.ssl == Some(true) {
            format!("https://{a}")
        } else {
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Some(false), "{f}");
        }
        for bad in ["yes", "no", "tRuE", "", " true", "2", "off"] {
            assert_eq!(parse_go_bool(bad), None, "{bad}");
        }
    }

    #[test]
    fn ssl_applies_to_every_address_without_a_scheme() {
        let o = |a: Option<&str>, ssl| ConnectOptions {
            http_addr: a.map(str::to_string),
            ssl,
            ..Default::default()
        };
        assert_eq!(
            o(Some("10.0.0.1:8501"), Some(true)).address(),
            "https://10.0.0.1:8501"
        );
        assert_eq!(o(None, Some(true)).address(), "https://127.0.0.1:8500");
        assert_eq!(o(Some("http://x:1"), Some(true)).address(), "http://x:1");
        assert_eq!(o(Some("unix:///s"), Some(true)).address(), "unix:///s");
        assert_eq!(o(Some("x:1"), Some(false)).address(), "x:1");
    }
}
