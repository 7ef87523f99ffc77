//! A private certificate authority for the HTTPS tests: a CA that no trust store knows, and
//! a server certificate for the loopback hosts signed by it.

use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA (as PEM, for `SSL_CERT_FILE`) and the server's certificate and key.
pub struct Pki {
    pub ca_pem: String,
    certificate: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Pki {
    /// A fresh CA and a server certificate for `localhost`, 127.0.0.1 and 127.0.0.2.
    pub fn new() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "caro-install test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "127.0.0.2".to_string(),
        ];
        let server = CertificateParams::new(names)
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        Pki {
            ca_pem,
            certificate: server.der().clone(),
            key: server_key.serialize_der(),
        }
    }

    /// Writes the CA certificate to `path`.
    pub fn write_ca(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &self.ca_pem).unwrap();
    }

    /// The rustls configuration of the test server.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.certificate.clone()], key)
            .unwrap();
        Arc::new(config)
    }
}
