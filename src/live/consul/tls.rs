//! TLS for the client: the server's certificate checked against a CA file or directory, the
//! system's trust store, or the bundled Mozilla roots; client certificates; and the switch
//! `CONSUL_HTTP_SSL_VERIFY=false` turns verification off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::ConnectOptions;
use crate::error::{Error, Result};

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("reading the {what} {}", path.display()), e))
}

fn pem_certs(data: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: std::result::Result<Vec<_>, _> = CertificateDer::pem_slice_iter(data).collect();
    let certs = certs.map_err(|e| {
        Error::Usage(format!(
            "{} is not a PEM certificate file: {e}",
            path.display()
        ))
    })?;
    if certs.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Accepts any server certificate (`CONSUL_HTTP_SSL_VERIFY=false`), still checking signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

pub(super) fn tls_config(o: &ConnectOptions) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS set-up: {e}")))?;
    let builder = if o.ssl_verify == Some(false) {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let mut files = Vec::new();
        if let Some(f) = &o.ca_file {
            files.push(f.clone());
        }
        if let Some(dir) = &o.ca_path {
            let rd = std::fs::read_dir(dir)
                .map_err(|e| Error::io(format!("reading the CA directory {}", dir.display()), e))?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        }
        if files.is_empty() {
            system_roots(&mut roots);
        }
        for f in &files {
            for c in pem_certs(&read_file(f, "CA certificate")?, f)? {
                roots.add(c).map_err(|e| {
                    Error::Usage(format!("bad CA certificate in {}: {e}", f.display()))
                })?;
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&o.client_cert, &o.client_key) {
        (Some(cert), Some(key)) => {
            let certs = pem_certs(&read_file(cert, "client certificate")?, cert)?;
            let key_der =
                PrivateKeyDer::from_pem_slice(&read_file(key, "client key")?).map_err(|e| {
                    Error::Usage(format!("{} is not a PEM private key: {e}", key.display()))
                })?;
            builder
                .with_client_auth_cert(certs, key_der)
                .map_err(|e| Error::Usage(format!("client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Error::Usage(
                "a client certificate needs both -client-cert and -client-key".into(),
            ))
        }
    };
    Ok(Arc::new(config))
}

/// The system's trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the distribution's bundle
/// under /etc/ssl and the like, as `rustls-native-certs` finds it); the bundled Mozilla roots
/// when it holds nothing usable.
fn system_roots(roots: &mut rustls::RootCertStore) {
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
}
