//! TLS settings on the command line (for `tls://` and `quic://`): certificates for serving,
//! trust for calling.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use netrpc::transport::tls::{TlsClientConfig, TlsServerConfig};
use netrpc::transport::{Address, DialOptions, ListenOptions};

use crate::Failure;

/// TLS for the side that accepts (`serve`, `call --accept`): used with `tls://` and `quic://` addresses.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ServerTls {
    /// Certificate chain (PEM) for tls:// and quic://; without it a self-signed certificate is generated and
    /// written to a file, whose path is printed.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "FILE")]
    pub(crate) client_ca: Option<PathBuf>,
}

/// TLS for the side that dials (`call --connect`, `watch`, `reverse`): used with `tls://` and `quic://`.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ClientTls {
    /// Trust server certificates signed by this CA (PEM) instead of the system roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS (with --accept: the server certificate).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// Accept any server certificate. For testing only: it gives up TLS's protection.
    #[arg(long)]
    pub(crate) insecure: bool,
}

fn tls_error(what: &str, err: std::io::Error) -> Failure {
    Failure::Usage(format!("{what}: {err}"))
}

impl ServerTls {
    /// Listen settings for `addr`: a certificate when it is `tls://` or `quic://`.
    pub(crate) fn listen_options(&self, addr: &Address) -> Result<ListenOptions, Failure> {
        let (Address::Tls(host_port) | Address::Quic(host_port)) = addr else {
            return Ok(ListenOptions::new());
        };
        let config = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => TlsServerConfig::from_pem_files(cert, key)
                .map_err(|err| tls_error("--cert/--key", err))?,
            _ => self_signed(host_port)?,
        };
        let config = match &self.client_ca {
            Some(ca) => config
                .with_client_ca_file(ca)
                .map_err(|err| tls_error("--client-ca", err))?,
            None => config,
        };
        Ok(ListenOptions::new().with_tls(config))
    }
}

/// A self-signed certificate for local use, written to a new file so clients can trust it.
fn self_signed(host_port: &str) -> Result<TlsServerConfig, Failure> {
    let host = host_port
        .rsplit_once(':')
        .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(host_port);
    let mut names = vec!["localhost", "127.0.0.1", "::1"];
    if !host.is_empty() && !names.contains(&host) {
        names.push(host);
    }
    let (config, cert_pem) = TlsServerConfig::self_signed(&names)
        .map_err(|err| tls_error("self-signed certificate", err))?;
    let path = std::env::temp_dir().join(format!("netrpc-self-signed-{}.pem", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| file.write_all(cert_pem.as_bytes()));
    written.map_err(|err| Failure::Link(format!("writing {}: {err}", path.display())))?;
    eprintln!(
        "self-signed certificate for {} written to {} (trust it with --ca {})",
        names.join(", "),
        path.display(),
        path.display()
    );
    Ok(config)
}

impl ClientTls {
    /// Dial settings for `addr`: trust (and a client certificate) when it is `tls://` or
    /// `quic://`.
    pub(crate) fn dial_options(&self, addr: &Address) -> Result<DialOptions, Failure> {
        if !matches!(addr, Address::Tls(_) | Address::Quic(_)) {
            return Ok(DialOptions::new());
        }
        let config = if self.insecure {
            eprintln!("warning: --insecure: the server's certificate is not checked");
            TlsClientConfig::insecure()
        } else {
            match &self.ca {
                Some(ca) => {
                    TlsClientConfig::from_ca_file(ca).map_err(|err| tls_error("--ca", err))?
                }
                None => {
                    TlsClientConfig::system_roots().map_err(|err| tls_error("system roots", err))?
                }
            }
        };
        let config = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => config
                .with_client_cert_files(cert, key)
                .map_err(|err| tls_error("--cert/--key", err))?,
            _ => config,
        };
        Ok(DialOptions::new().with_tls(config))
    }

    /// Listen settings for `call --accept tls://...`: --cert/--key are the server certificate.
    pub(crate) fn accept_options(&self, addr: &Address) -> Result<ListenOptions, Failure> {
        ServerTls {
            cert: self.cert.clone(),
            key: self.key.clone(),
            client_ca: None,
        }
        .listen_options(addr)
    }
}
