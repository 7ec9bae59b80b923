//! Shared helpers of the Snowflake tests: keys generated at test time (never committed), and
//! the openssl command line for cross-checks when it is installed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use parking_iot::snowflake::KeyPair;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;

/// A 2048-bit key, generated once per test binary.
pub fn rsa_2048() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("keygen"))
}

/// A second, unrelated 2048-bit key.
pub fn other_rsa_2048() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("keygen"))
}

/// The first key as a [`KeyPair`].
pub fn key_pair() -> KeyPair {
    KeyPair::from_private(rsa_2048().clone(), "test key").expect("key pair")
}

/// The second key as a [`KeyPair`].
pub fn other_key_pair() -> KeyPair {
    KeyPair::from_private(other_rsa_2048().clone(), "other key").expect("key pair")
}

/// Unencrypted PKCS#8 PEM of a key.
pub fn pkcs8_pem(key: &RsaPrivateKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string()
}

/// Whether the openssl command is installed.
pub fn have_openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs openssl with arguments in `dir`, returning stdout.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The spec's shell check: base64(SHA-256(DER SPKI)) of a public key PEM file, via openssl.
pub fn openssl_fingerprint(dir: &Path, pub_pem: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("openssl rsa -pubin -in {pub_pem} -outform DER 2>/dev/null | openssl dgst -sha256 -binary | openssl enc -base64"))
        .current_dir(dir)
        .output()
        .expect("run openssl pipeline");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
