//! The mission's own certificate authority, for Cursor on Target over TLS the way TAK does it:
//! a device proves who it is with a client certificate the mission issued, and trusts the
//! server because its certificate comes from the same authority. No outside CA is involved, so
//! a mission on a closed network needs nothing it does not run itself.
//!
//! This crate does no I/O: it makes and reads PEM text and returns the bytes of the PKCS#12
//! bundles and of the data package; the command line keeps the files and the store keeps
//! which certificates are valid.
//!
//! Keys are ECDSA P-256 (ring, through `rcgen`, generates no RSA keys); Android's TLS stack,
//! on which ATAK runs, takes them. PKCS#12 bundles are encrypted with
//! pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC, the profile TAK Server's own scripts write,
//! because older ATAK versions cannot open the PBES2/AES bundles OpenSSL 3 writes by default.
//!
//! ```
//! let now = time::OffsetDateTime::now_utc();
//! let ca = truceline_pki::Authority::new("Example mission", now).unwrap();
//! let device = ca.client("patrol-07", now, now + time::Duration::days(365)).unwrap();
//! let p12 = truceline_pki::pkcs12_with_key(&device, &ca, "a passphrase").unwrap();
//! assert!(!p12.is_empty());
//! // The authority is kept as PEM and read back to issue more.
//! let again = truceline_pki::Authority::from_pem(&ca.cert_pem(), &ca.key_pem()).unwrap();
//! assert_eq!(again.cert_der(), ca.cert_der());
//! ```

use std::io::Write;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// Why a certificate, bundle or package could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("PKCS#12: {0}")]
    Pkcs12(String),
    #[error("data package: {0}")]
    Package(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// How long the authority itself is valid: longer than any mission it serves.
pub const AUTHORITY_YEARS: i64 = 20;

/// A certificate authority: its certificate and the key it signs with.
pub struct Authority {
    cert_pem: String,
    cert_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate issued with a fresh key.
pub struct Issued {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// Its private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    pub key_pem: String,
    /// The last instant it is valid.
    pub not_after: OffsetDateTime,
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Truceline");
    dn.push(DnType::CommonName, common);
    dn
}

impl Authority {
    /// A new authority named for the mission, valid from `now` for [`AUTHORITY_YEARS`].
    pub fn new(mission: &str, now: OffsetDateTime) -> Result<Authority, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::new())?;
        params.distinguished_name = name(&format!("{mission} certificate authority"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // A day's slack for devices whose clocks run behind.
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365 * AUTHORITY_YEARS);
        let cert = params.self_signed(&key)?;
        Ok(Authority {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The authority kept as PEM: its certificate and its private key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Authority, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let der = der_of_pem(cert_pem)?;
        let issuer = Issuer::from_ca_cert_der(&der.clone().into(), key)?;
        Ok(Authority {
            cert_pem: cert_pem.to_string(),
            cert_der: der,
            issuer,
        })
    }

    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The authority's private key, PEM: to be kept readable by the server's user alone.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A client certificate for an account: its name is the certificate's common name (what a
    /// TAK server shows), but the server knows a device by the certificate's digest, which the
    /// store keeps, not by the name.
    pub fn client(
        &self,
        account: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Issued, PkiError> {
        if account.is_empty() || account.chars().any(char::is_control) {
            return Err(PkiError::Invalid {
                field: "account",
                message: "expected a non-empty name without control characters".into(),
            });
        }
        let mut params = CertificateParams::new(Vec::new())?;
        params.distinguished_name = name(account);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, not_before, not_after)
    }

    /// A server certificate for the names (host names or IP addresses) devices connect to.
    pub fn server(
        &self,
        names: &[String],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Issued, PkiError> {
        if names.is_empty() {
            return Err(PkiError::Invalid {
                field: "names",
                message: "expected at least one host name or address".into(),
            });
        }
        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name = name(&names[0]);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, not_before, not_after)
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Issued, PkiError> {
        if not_after <= not_before {
            return Err(PkiError::Invalid {
                field: "valid",
                message: "the certificate would end before it starts".into(),
            });
        }
        let key = KeyPair::generate()?;
        params.not_before = not_before;
        params.not_after = not_after;
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            not_after,
        })
    }
}

/// A TLS client identity as a TAK server's administrator hands it out, read for federation
/// (`serve --cot-upstream-cert`): a PKCS#12 bundle (the private key, its certificate and perhaps
/// the chain, under `password`; TAK Server's scripts write them under `atakatak` by default),
/// or PEM text holding the certificate chain (leaf first) and the private key. Answers the chain,
/// leaf first, and the key.
pub fn identity(
    bytes: &[u8],
    password: &str,
) -> Result<
    (
        Vec<rustls_pki_types::CertificateDer<'static>>,
        rustls_pki_types::PrivateKeyDer<'static>,
    ),
    PkiError,
> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    if is_pem(bytes) {
        let chain = pem_certificates(bytes)?;
        let key = PrivateKeyDer::from_pem_slice(bytes).map_err(|e| PkiError::Invalid {
            field: "key",
            message: format!("no private key in the PEM ({e}): expected PKCS#8, PKCS#1 or SEC1"),
        })?;
        return Ok((chain, key));
    }
    let store = read_p12(bytes, password)?;
    let (_, entry) = store.private_key_chain().ok_or_else(|| {
        PkiError::Pkcs12(
            "no private key in the bundle: expected a client certificate's .p12".into(),
        )
    })?;
    let chain: Vec<CertificateDer<'static>> = entry
        .chain()
        .iter()
        .map(|c| CertificateDer::from(c.as_der().to_vec()))
        .collect();
    if chain.is_empty() {
        return Err(PkiError::Pkcs12(
            "the bundle's key has no certificate".into(),
        ));
    }
    Ok((chain, PrivateKeyDer::Pkcs8(entry.key().to_vec().into())))
}

/// The certificates to trust, read from a PKCS#12 trust store (TAK's `truststore-*.p12`,
/// under `password`) or PEM text.
pub fn trusted(
    bytes: &[u8],
    password: &str,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, PkiError> {
    if is_pem(bytes) {
        return pem_certificates(bytes);
    }
    let store = read_p12(bytes, password)?;
    let certs: Vec<_> = store
        .entries()
        .flat_map(|(_, e)| match e {
            p12_keystore::KeyStoreEntry::Certificate(c) => vec![c.as_der().to_vec().into()],
            // A bundle with a key: the authority is the end of its chain.
            p12_keystore::KeyStoreEntry::PrivateKeyChain(k) => k
                .chain()
                .iter()
                .skip(1)
                .map(|c| c.as_der().to_vec().into())
                .collect(),
            p12_keystore::KeyStoreEntry::Secret(_) => vec![],
        })
        .collect();
    if certs.is_empty() {
        return Err(PkiError::Pkcs12(
            "no certificate to trust in the bundle".into(),
        ));
    }
    Ok(certs)
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN")
}

fn pem_certificates(
    bytes: &[u8],
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Invalid {
            field: "certificate",
            message: format!("unreadable PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(PkiError::Invalid {
            field: "certificate",
            message: "no certificate in the PEM: expected -----BEGIN CERTIFICATE-----".into(),
        });
    }
    Ok(certs)
}

fn read_p12(bytes: &[u8], password: &str) -> Result<p12_keystore::KeyStore, PkiError> {
    p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|e| {
        PkiError::Pkcs12(format!(
            "cannot open the bundle ({e}): expected PKCS#12 under the password given, or PEM"
        ))
    })
}

/// The DER of the first certificate in PEM text.
fn der_of_pem(pem: &str) -> Result<Vec<u8>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|d| d.to_vec())
        .map_err(|e| PkiError::Invalid {
            field: "certificate",
            message: format!("expected PEM (-----BEGIN CERTIFICATE-----): {e}"),
        })
}

fn p12_cert(der: &[u8]) -> Result<p12_keystore::Certificate, PkiError> {
    p12_keystore::Certificate::from_der(der).map_err(|e| PkiError::Pkcs12(e.to_string()))
}

fn write_p12(store: &p12_keystore::KeyStore, password: &str) -> Result<Vec<u8>, PkiError> {
    store
        .writer(password)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
        .write()
        .map_err(|e| PkiError::Pkcs12(e.to_string()))
}

/// A PKCS#12 bundle of an issued key, its certificate and the authority's certificate (the
/// chain a TAK device presents, and where clients such as pytak find the authority to trust).
pub fn pkcs12_with_key(
    issued: &Issued,
    ca: &Authority,
    password: &str,
) -> Result<Vec<u8>, PkiError> {
    let mut store = p12_keystore::KeyStore::new();
    let chain = [p12_cert(&issued.cert_der)?, p12_cert(ca.cert_der())?];
    // The key's id ties it to its certificate inside the bundle; any unique bytes do.
    let key_id = &issued.cert_der[issued.cert_der.len().saturating_sub(20)..];
    store.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            &issued.key_der,
            key_id,
            chain,
        )),
    );
    write_p12(&store, password)
}

/// A PKCS#12 trust store holding the authority's certificate alone (a TAK device's
/// `caLocation`).
pub fn truststore(ca: &Authority, password: &str) -> Result<Vec<u8>, PkiError> {
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "truceline-ca",
        p12_keystore::KeyStoreEntry::Certificate(p12_cert(ca.cert_der())?),
    );
    write_p12(&store, password)
}

/// What a device's data package says and holds.
pub struct Package<'a> {
    /// The account the certificate is for; also the callsign suggested to the device.
    pub account: &'a str,
    /// Where devices reach the server's TLS Cursor on Target port.
    pub host: &'a str,
    pub port: u16,
    /// The client bundle ([`pkcs12_with_key`]) and the trust store ([`truststore`]), both
    /// under `password`.
    pub client_p12: &'a [u8],
    pub truststore_p12: &'a [u8],
    pub password: &'a str,
    /// A unique id for the package (TAK devices replace a package of the same uid).
    pub uid: &'a str,
}

fn xml_escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// A file name safe in a zip entry and on a device's storage.
fn file_stem(account: &str) -> String {
    account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// The preferences a TAK device applies on import: one TLS Cursor on Target connection, with
/// where its certificates are and their passphrases.
pub fn preferences(p: &Package) -> String {
    let stem = file_stem(p.account);
    let e = xml_escape;
    format!(
        r#"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>
<preferences>
  <preference version="1" name="cot_streams">
    <entry key="count" class="class java.lang.Integer">1</entry>
    <entry key="description0" class="class java.lang.String">Truceline</entry>
    <entry key="enabled0" class="class java.lang.Boolean">true</entry>
    <entry key="connectString0" class="class java.lang.String">{host}:{port}:ssl</entry>
  </preference>
  <preference version="1" name="com.atakmap.app_preferences">
    <entry key="displayServerConnectionWidget" class="class java.lang.Boolean">true</entry>
    <entry key="locationCallsign" class="class java.lang.String">{callsign}</entry>
    <entry key="caLocation" class="class java.lang.String">cert/truststore-truceline.p12</entry>
    <entry key="caPassword" class="class java.lang.String">{password}</entry>
    <entry key="certificateLocation" class="class java.lang.String">cert/{stem}.p12</entry>
    <entry key="clientPassword" class="class java.lang.String">{password}</entry>
  </preference>
</preferences>
"#,
        host = e(p.host),
        port = p.port,
        callsign = e(p.account),
        password = e(p.password),
        stem = e(&stem),
    )
}

/// The data package (a zip a TAK device imports: `MANIFEST/manifest.xml`, the preferences and
/// both bundles).
pub fn data_package(p: &Package) -> Result<Vec<u8>, PkiError> {
    if p.host.is_empty() || p.host.contains(':') && !p.host.starts_with('[') {
        return Err(PkiError::Invalid {
            field: "host",
            message: format!(
                "expected a host name or address devices reach the server at (an IPv6 address in brackets), found {:?}",
                p.host
            ),
        });
    }
    let stem = file_stem(p.account);
    let prefs = preferences(p);
    let files: [(String, &[u8]); 3] = [
        ("certs/truceline.pref".into(), prefs.as_bytes()),
        (format!("certs/{stem}.p12"), p.client_p12),
        ("certs/truststore-truceline.p12".into(), p.truststore_p12),
    ];
    let contents: String = files
        .iter()
        .map(|(path, _)| {
            format!(
                "    <Content ignore=\"false\" zipEntry=\"{}\"/>\n",
                xml_escape(path)
            )
        })
        .collect();
    let manifest = format!(
        r#"<MissionPackageManifest version="2">
  <Configuration>
    <Parameter name="uid" value="{uid}"/>
    <Parameter name="name" value="Truceline {account}"/>
    <Parameter name="onReceiveDelete" value="true"/>
  </Configuration>
  <Contents>
{contents}  </Contents>
</MissionPackageManifest>
"#,
        uid = xml_escape(p.uid),
        account = xml_escape(p.account),
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let z = |e: zip::result::ZipError| PkiError::Package(e.to_string());
    let io = |e: std::io::Error| PkiError::Package(e.to_string());
    zip.start_file("MANIFEST/manifest.xml", options)
        .map_err(z)?;
    zip.write_all(manifest.as_bytes()).map_err(io)?;
    for (path, bytes) in &files {
        zip.start_file(path.as_str(), options).map_err(z)?;
        zip.write_all(bytes).map_err(io)?;
    }
    Ok(zip.finish().map_err(z)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn an_authority_read_back_from_pem_issues_certificates_under_the_same_name() {
        let ca = Authority::new("Test mission", now()).unwrap();
        let again = Authority::from_pem(&ca.cert_pem(), &ca.key_pem()).unwrap();
        let a = ca.client("a", now(), now() + Duration::days(1)).unwrap();
        let b = again.client("b", now(), now() + Duration::days(1)).unwrap();
        // Both name the same issuer (the authority's subject).
        let issuer = |der: &[u8]| {
            let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
            c.issuer().to_string()
        };
        assert_eq!(issuer(&a.cert_der), issuer(&b.cert_der));
        assert!(issuer(&a.cert_der).contains("Test mission certificate authority"));
        assert_ne!(a.cert_der, b.cert_der);
    }

    /// What a TAK server's administrator hands out for a connection reads back: the client's
    /// bundle (key, certificate, chain) and the trust store under their password, or PEM; a
    /// wrong password or a file of something else is refused, saying what was expected.
    #[test]
    fn a_tak_client_bundle_and_trust_store_read_back_as_pkcs12_or_pem() {
        let ca = Authority::new("TAK server", now()).unwrap();
        let me = ca
            .client("truceline", now(), now() + Duration::days(1))
            .unwrap();
        let p12 = pkcs12_with_key(&me, &ca, "atakatak").unwrap();
        let (chain, key) = identity(&p12, "atakatak").unwrap();
        assert_eq!(chain[0].as_ref(), &me.cert_der[..]);
        assert_eq!(key.secret_der(), &me.key_der[..]);
        assert_eq!(
            trusted(&truststore(&ca, "atakatak").unwrap(), "atakatak").unwrap(),
            vec![ca.cert_der().to_vec().into()]
        );
        // The client's own bundle also names the authority at the end of its chain.
        assert!(
            trusted(&p12, "atakatak")
                .unwrap()
                .iter()
                .any(|c| c.as_ref() == ca.cert_der())
        );

        let pem = format!("{}{}", me.cert_pem, me.key_pem);
        let (chain, key) = identity(pem.as_bytes(), "").unwrap();
        assert_eq!(
            (chain[0].as_ref(), key.secret_der()),
            (&me.cert_der[..], &me.key_der[..])
        );
        assert_eq!(
            trusted(ca.cert_pem().as_bytes(), "").unwrap(),
            vec![ca.cert_der().to_vec().into()]
        );

        let wrong = identity(&p12, "not it").unwrap_err().to_string();
        assert!(wrong.contains("password"), "{wrong}");
        assert!(
            identity(me.cert_pem.as_bytes(), "")
                .unwrap_err()
                .to_string()
                .contains("private key")
        );
        assert!(trusted(b"-----BEGIN NOTHING-----\n", "").is_err());
        assert!(trusted(b"not a bundle", "atakatak").is_err());
    }

    #[test]
    fn a_client_certificate_names_its_account_and_is_for_client_authentication_only() {
        let ca = Authority::new("Test mission", now()).unwrap();
        let end = now() + Duration::days(30);
        let c = ca.client("patrol-07", now(), end).unwrap();
        let (_, x) = x509_parser::parse_x509_certificate(&c.cert_der).unwrap();
        assert!(x.subject().to_string().contains("CN=patrol-07"));
        let eku = x.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert!(!x.is_ca());
        assert_eq!(x.validity().not_after.timestamp(), end.unix_timestamp());
        assert!(ca.client("", now(), end).is_err());
        assert!(ca.client("a\nb", now(), end).is_err());
        assert!(ca.client("a", end, now()).is_err());
    }

    #[test]
    fn a_server_certificate_carries_its_names_and_addresses() {
        let ca = Authority::new("Test mission", now()).unwrap();
        let s = ca
            .server(
                &["127.0.0.1".into(), "tak.example.org".into()],
                now(),
                now() + Duration::days(1),
            )
            .unwrap();
        let (_, x) = x509_parser::parse_x509_certificate(&s.cert_der).unwrap();
        let san = x.subject_alternative_name().unwrap().unwrap().value;
        let names: Vec<String> = san.general_names.iter().map(|g| g.to_string()).collect();
        assert!(
            names.iter().any(|n| n == "IPAddress(7f:00:00:01)"),
            "{names:?}"
        );
        assert!(
            names.iter().any(|n| n.contains("tak.example.org")),
            "{names:?}"
        );
        assert!(ca.server(&[], now(), now() + Duration::days(1)).is_err());
    }

    #[test]
    fn bundles_open_with_their_passphrase_and_hold_the_chain() {
        let ca = Authority::new("Test mission", now()).unwrap();
        let c = ca
            .client("patrol-07", now(), now() + Duration::days(1))
            .unwrap();
        let p12 = pkcs12_with_key(&c, &ca, "s3cret passphrase").unwrap();
        let read = p12_keystore::KeyStore::from_pkcs12(&p12, "s3cret passphrase").unwrap();
        let (_, chain) = read.private_key_chain().unwrap();
        assert_eq!(chain.key(), c.key_der.as_slice());
        assert_eq!(chain.chain()[0].as_der(), c.cert_der.as_slice());
        assert!(p12_keystore::KeyStore::from_pkcs12(&p12, "wrong").is_err());
        let trust = truststore(&ca, "pw").unwrap();
        let read = p12_keystore::KeyStore::from_pkcs12(&trust, "pw").unwrap();
        assert_eq!(read.entries_count(), 1);
        assert!(read.private_key_chain().is_none());
    }

    #[test]
    fn the_data_package_holds_a_manifest_the_preferences_and_both_bundles() {
        let p = Package {
            account: "patrol 07/<x>",
            host: "tak.example.org",
            port: 8089,
            client_p12: b"client",
            truststore_p12: b"trust",
            password: "pw&1",
            uid: "0f0e",
        };
        let bytes = data_package(&p).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = zip.file_names().map(String::from).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "MANIFEST/manifest.xml",
                "certs/patrol_07__x_.p12",
                "certs/truceline.pref",
                "certs/truststore-truceline.p12"
            ]
        );
        let mut pref = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("certs/truceline.pref").unwrap(), &mut pref)
            .unwrap();
        assert!(pref.contains(">tak.example.org:8089:ssl<"));
        assert!(pref.contains(">cert/patrol_07__x_.p12<"));
        assert!(pref.contains(">pw&amp;1<"));
        assert!(pref.contains(">patrol 07/&lt;x&gt;<"));
        let bad = Package {
            host: "fe80::1",
            ..p
        };
        assert!(data_package(&bad).is_err());
    }

    #[test]
    fn pem_reads_back_to_the_same_der() {
        let ca = Authority::new("Test mission", now()).unwrap();
        assert_eq!(der_of_pem(&ca.cert_pem()).unwrap(), ca.cert_der());
        assert!(der_of_pem("no pem here").is_err());
    }
}
