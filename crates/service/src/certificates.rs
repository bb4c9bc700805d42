//! Client certificates for TAK devices (Cursor on Target over TLS): the mission's authority as
//! files of the data directory (`tls/ca.pem`, and `tls/ca.key` readable by its owner alone),
//! made on first use, and a device's certificate issued with the data package it imports.
//!
//! A certificate is registered beside the account's tokens (`crt_…`, by its digest, see
//! [`crate::accounts::certificate_hash`]), so it is listed, expires and is revoked as a token
//! is; the authority's signature is what the TLS handshake checks, the registration what
//! says the device may still connect.

use std::path::{Path, PathBuf};

use truceline_pki::{Authority, PkiError};
use truceline_store::{AccountStore, AccountWrite, Token};

use crate::accounts::{AccountError, certificate_hash, token_id};

/// The authority's files, under the data directory.
pub const TLS_DIR: &str = "tls";

/// Why a certificate could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a certificate authority: {source}")]
    Authority { path: String, source: PkiError },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CertificateError + '_ {
    move |source| CertificateError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn paths(data: &Path) -> (PathBuf, PathBuf) {
    let dir = data.join(TLS_DIR);
    (dir.join("ca.pem"), dir.join("ca.key"))
}

/// The data directory's authority, made (and kept) if it has none.
pub fn authority(data: &Path) -> Result<Authority, CertificateError> {
    let (cert, key) = paths(data);
    if cert.exists() || key.exists() {
        let c = std::fs::read_to_string(&cert).map_err(io(&cert))?;
        let k = std::fs::read_to_string(&key).map_err(io(&key))?;
        return Authority::from_pem(&c, &k).map_err(|source| CertificateError::Authority {
            path: cert.display().to_string(),
            source,
        });
    }
    let ca = Authority::new("Truceline mission", time::OffsetDateTime::now_utc())?;
    let dir = data.join(TLS_DIR);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    // The key first, created private: at no moment can another user read it.
    write_private_file(&key, ca.key_pem().as_bytes())?;
    let tmp = cert.with_extension("tmp");
    std::fs::write(&tmp, ca.cert_pem()).map_err(io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, &cert).map_err(io(&cert))?;
    tracing::info!(path = %cert.display(), "made the mission's certificate authority");
    Ok(ca)
}

/// Writes a new file readable by its owner alone (a key, or a data package, which holds one);
/// refuses to replace one.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), CertificateError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// What a device is issued for.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    pub account: String,
    /// Where devices reach the TLS Cursor on Target port.
    pub host: String,
    pub port: u16,
    /// How long the certificate is valid, milliseconds.
    pub valid_ms: i64,
}

/// A device's certificate, registered, and the data package that carries it.
pub struct DevicePackage {
    pub token: Token,
    /// The zip a TAK device imports.
    pub zip: Vec<u8>,
    /// The instant the certificate ends, milliseconds.
    pub expires_ms: i64,
}

/// Issues a device its certificate and data package, and registers the certificate. The
/// package holds the key and its passphrase: it is handed over as a password is.
pub fn issue_device(
    store: &dyn AccountStore,
    ca: &Authority,
    req: &DeviceRequest,
    now_ms: i64,
) -> Result<DevicePackage, CertificateError> {
    let name = req.account.as_str();
    match store.account(name).map_err(AccountError::from)? {
        Some(a) if !a.disabled => {}
        Some(_) => {
            return Err(AccountError::Invalid {
                field: "account",
                message: format!("{name} is disabled; enable it before issuing it a certificate"),
            }
            .into());
        }
        None => {
            return Err(AccountError::Invalid {
                field: "account",
                message: format!("no account {name}; add it first"),
            }
            .into());
        }
    }
    if req.valid_ms <= 0 {
        return Err(AccountError::Invalid {
            field: "valid",
            message: "expected a positive duration such as 365d".into(),
        }
        .into());
    }
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(now_ms as i128 * 1_000_000).map_err(
        |e| AccountError::Invalid {
            field: "now",
            message: e.to_string(),
        },
    )?;
    // Devices with clocks a little behind still accept it.
    let issued = ca.client(
        name,
        now - time::Duration::hours(1),
        now + time::Duration::milliseconds(req.valid_ms),
    )?;
    use base64::Engine;
    let password =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>());
    let client_p12 = truceline_pki::pkcs12_with_key(&issued, ca, &password)?;
    let trust_p12 = truceline_pki::truststore(ca, &password)?;
    let uid: String = rand::random::<[u8; 16]>()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    let zip = truceline_pki::data_package(&truceline_pki::Package {
        account: name,
        host: &req.host,
        port: req.port,
        client_p12: &client_p12,
        truststore_p12: &trust_p12,
        password: &password,
        uid: &uid,
    })?;
    let expires_ms = issued.not_after.unix_timestamp() * 1000;
    // Registered beside the account's tokens: valid until it ends or is revoked.
    let hash = certificate_hash(&issued.cert_der);
    let token = Token {
        id: token_id("crt", &hash),
        hash,
        account: name.to_string(),
        created_ms: now_ms,
        expires_ms: Some(expires_ms),
        revoked_ms: None,
    };
    store
        .write_accounts(AccountWrite::AddToken(token.clone()))
        .map_err(AccountError::from)?;
    Ok(DevicePackage {
        token,
        zip,
        expires_ms,
    })
}

/// How long the TLS port's own certificate is valid; it is issued again at each start.
pub const SERVER_CERTIFICATE_DAYS: i64 = 2 * 365;

/// The TLS Cursor on Target port's certificate for the names devices connect to, issued by
/// the authority (devices trust the authority, so this can be issued again at each start).
pub fn server_certificate(
    ca: &Authority,
    names: &[String],
) -> Result<truceline_pki::Issued, CertificateError> {
    let now = time::OffsetDateTime::now_utc();
    Ok(ca.server(
        names,
        now - time::Duration::hours(1),
        now + time::Duration::days(SERVER_CERTIFICATE_DAYS),
    )?)
}
