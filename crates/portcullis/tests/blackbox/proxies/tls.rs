//! A private certificate authority and one certificate for every test
//! site, so the proxies speak https on their standard port as far as the
//! browser can tell, and `Secure` cookies and absolute `next` URLs behave
//! as they do in production.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

/// Files the proxies read, and the authority the test client trusts.
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub authority: reqwest::Certificate,
}

/// Issues a certificate for `names` under a fresh authority and writes it
/// with its key into `dir`.
pub fn issue(dir: &Path, names: &[&str]) -> Tls {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Portcullis proxy tests");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let authority = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();

    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let site_key = KeyPair::generate().unwrap();
    let site = CertificateParams::new(names)
        .unwrap()
        .signed_by(&site_key, &authority)
        .unwrap();
    let cert = dir.join("site.pem");
    let key = dir.join("site.key");
    std::fs::write(&cert, site.pem()).unwrap();
    std::fs::write(&key, site_key.serialize_pem()).unwrap();
    Tls {
        cert,
        key,
        authority: reqwest::Certificate::from_pem(authority.pem().as_bytes()).unwrap(),
    }
}
