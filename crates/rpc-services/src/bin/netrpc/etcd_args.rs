//! `netrpc serve`'s flags for a secured etcd (`--etcd-ca`, `--etcd-cert`, `--etcd-key`,
//! `--etcd-user`, `--etcd-password-file`): the same as the options of an `etcds://` address,
//! for deployments that keep file names and secrets out of the address.

use std::path::PathBuf;

use clap::Args;

/// TLS and authentication to etcd (with `--store etcd://...`).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct EtcdArgs {
    /// With --store etcd: CA certificates (PEM) that sign etcd's server certificates; turns on
    /// TLS (as etcds://).
    #[arg(long, value_name = "FILE")]
    pub(crate) etcd_ca: Option<PathBuf>,
    /// With --store etcd: a client certificate (PEM) to present (etcd's --client-cert-auth);
    /// turns on TLS.
    #[arg(long, value_name = "FILE", requires = "etcd_key")]
    pub(crate) etcd_cert: Option<PathBuf>,
    /// With --store etcd: the client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "etcd_cert")]
    pub(crate) etcd_key: Option<PathBuf>,
    /// With --store etcd: the etcd user to authenticate as; the password from
    /// --etcd-password-file or the environment variable NETRPC_ETCD_PASSWORD.
    #[arg(long, value_name = "USER")]
    pub(crate) etcd_user: Option<String>,
    /// With --etcd-user: a file whose first line is the password.
    #[arg(long, value_name = "FILE", requires = "etcd_user")]
    pub(crate) etcd_password_file: Option<PathBuf>,
}

/// The environment variable `--etcd-user` reads the password from without
/// `--etcd-password-file`.
#[cfg(feature = "etcd")]
pub(crate) const PASSWORD_ENV: &str = "NETRPC_ETCD_PASSWORD";

impl EtcdArgs {
    /// Whether any flag is given.
    pub(crate) fn any(&self) -> bool {
        self.etcd_ca.is_some() || self.etcd_cert.is_some() || self.etcd_user.is_some()
    }

    /// Puts the flags into `address` (a flag wins over the address's own option).
    #[cfg(feature = "etcd")]
    pub(crate) fn apply(&self, address: &mut netrpc_etcd::EtcdAddress) -> Result<(), String> {
        if self.etcd_ca.is_some() || self.etcd_cert.is_some() {
            let tls = address.security.tls.get_or_insert_with(Default::default);
            if let Some(ca) = &self.etcd_ca {
                tls.ca = Some(ca.clone());
            }
            if let (Some(cert), Some(key)) = (&self.etcd_cert, &self.etcd_key) {
                tls.cert = Some(cert.clone());
                tls.key = Some(key.clone());
            }
        }
        if let Some(name) = &self.etcd_user {
            let user = match &self.etcd_password_file {
                Some(path) => netrpc_etcd::EtcdUser::from_password_file(name, path)
                    .map_err(|err| format!("--etcd-password-file: {err}"))?,
                None => match std::env::var(PASSWORD_ENV) {
                    Ok(password) if !password.is_empty() => netrpc_etcd::EtcdUser {
                        name: name.clone(),
                        password,
                    },
                    _ => {
                        return Err(format!(
                            "--etcd-user {name}: give the password with --etcd-password-file \
                             FILE or in the environment variable {PASSWORD_ENV}"
                        ));
                    }
                },
            };
            address.security.user = Some(user);
        }
        Ok(())
    }
}
