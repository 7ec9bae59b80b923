//! Private keys for key-pair authentication: unencrypted PKCS#8, encrypted PKCS#8 (PBES2 with
//! Triple-DES or AES, as `openssl pkcs8 -topk8 -v2 des3|aes256` writes them) and PKCS#1. Keys are
//! held in memory only; nothing here writes a key or a passphrase anywhere.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// The shortest RSA modulus Snowflake accepts.
pub const MIN_BITS: usize = 2048;

/// Why a key could not be used. Each message names the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The file does not exist.
    #[error("the private key file {0} does not exist: check the path (the file Snowflake's instructions call rsa_key.p8)")]
    NotFound(String),
    /// The file could not be read.
    #[error("cannot read the private key file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The file holds no PEM private key.
    #[error("{0} is not a private key file: expected a PEM file beginning with -----BEGIN PRIVATE KEY-----, -----BEGIN ENCRYPTED PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----")]
    NotAKey(String),
    /// The file holds the public half.
    #[error("{0} holds a public key: choose the private key file (rsa_key.p8); the public key (rsa_key.pub) is what goes into ALTER USER ... SET RSA_PUBLIC_KEY")]
    PublicKeyGiven(String),
    /// The file holds a key of another type.
    #[error("{source_name} holds {kind}: Snowflake key-pair authentication needs an RSA key; make one with openssl genrsa 2048 | openssl pkcs8 -topk8 -v2 des3 -inform PEM -out rsa_key.p8")]
    NotRsa {
        /// The file.
        source_name: String,
        /// What it holds.
        kind: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("{0} is encrypted: enter its passphrase (or set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE)")]
    NeedsPassphrase(String),
    /// The passphrase does not open the key.
    #[error("the passphrase does not open {0}: check it (it is case-sensitive) and that this is the key it was set for")]
    WrongPassphrase(String),
    /// The encryption scheme is not one this program reads.
    #[error("{source_name} is encrypted with a scheme this program cannot read ({detail}): re-encrypt it with openssl pkcs8 -topk8 -v2 aes256 (or -v2 des3) -in OLD -out rsa_key.p8")]
    UnsupportedEncryption {
        /// The file.
        source_name: String,
        /// The scheme.
        detail: String,
    },
    /// The key is shorter than Snowflake accepts.
    #[error("{source_name} is a {bits}-bit RSA key; Snowflake needs at least 2048 bits: make a new key with openssl genrsa 2048")]
    TooShort {
        /// The file.
        source_name: String,
        /// Its modulus size.
        bits: usize,
    },
    /// The PEM block is damaged.
    #[error("{source_name} looks like a private key but cannot be read ({detail}): the file may be truncated or edited; copy it again")]
    Malformed {
        /// The file.
        source_name: String,
        /// What the decoder said.
        detail: String,
    },
}

/// A loaded key pair: the private key for signing and the public key facts Snowflake matches.
#[derive(Clone)]
pub struct KeyPair {
    private: RsaPrivateKey,
    public: RsaPublicKey,
    spki_der: Vec<u8>,
    fingerprint: String,
}

impl fmt::Debug for KeyPair {
    // Never print key material, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// The largest key file read: a 4096-bit RSA key in PEM is about 3.3 kB.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Checks, before reading it, that `path` is a regular file of a key's size: a device, a pipe
/// or a huge file would otherwise be read until memory runs out or wait forever.
pub fn check_key_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        // Missing files are reported by the read, with their own message.
        Err(_) => Ok(()),
        Ok(m) if !m.is_file() => Err(
            "it is not a regular file (a folder, device or pipe): choose the .p8/.pem key file"
                .into(),
        ),
        Ok(m) if m.len() > MAX_KEY_FILE_BYTES => Err(format!(
            "it holds {} bytes, far more than a key ({} at most): choose the .p8/.pem key file",
            m.len(),
            MAX_KEY_FILE_BYTES
        )),
        Ok(_) => Ok(()),
    }
}

impl KeyPair {
    /// Wraps an RSA private key, refusing keys under [`MIN_BITS`].
    pub fn from_private(private: RsaPrivateKey, source_name: &str) -> Result<KeyPair, KeyError> {
        let bits = private.n().bits();
        if bits < MIN_BITS {
            return Err(KeyError::TooShort {
                source_name: source_name.into(),
                bits,
            });
        }
        let public = private.to_public_key();
        let spki_der = public
            .to_public_key_der()
            .map_err(|e| KeyError::Malformed {
                source_name: source_name.into(),
                detail: e.to_string(),
            })?
            .as_bytes()
            .to_vec();
        let fingerprint = spki_fingerprint(&spki_der);
        Ok(KeyPair {
            private,
            public,
            spki_der,
            fingerprint,
        })
    }

    /// Reads a PEM key file; `passphrase` is used only for encrypted PKCS#8.
    pub fn load_file(path: &Path, passphrase: Option<&str>) -> Result<KeyPair, KeyError> {
        let name = path.display().to_string();
        if let Err(reason) = check_key_file(path) {
            return Err(KeyError::Unreadable { path: name, reason });
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::NotFound(name))
            }
            Err(e) => {
                return Err(KeyError::Unreadable {
                    path: name,
                    reason: e.to_string(),
                })
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        Self::from_pem(&text, passphrase, &name)
    }

    /// Parses PEM text; `source_name` names it in errors.
    pub fn from_pem(
        text: &str,
        passphrase: Option<&str>,
        source_name: &str,
    ) -> Result<KeyPair, KeyError> {
        let malformed = |detail: String| KeyError::Malformed {
            source_name: source_name.into(),
            detail,
        };
        // Files exported by some tools carry text (bag attributes, comments) before the block.
        let start = text
            .find("-----BEGIN ")
            .ok_or_else(|| KeyError::NotAKey(source_name.into()))?;
        let block = &text[start..];
        let label = block["-----BEGIN ".len()..]
            .split("-----")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let pem_text = match block.find(&format!("-----END {label}-----")) {
            Some(end) => &block[..end + format!("-----END {label}-----").len()],
            None => return Err(malformed(format!("no -----END {label}----- line"))),
        };
        match label.as_str() {
            "PRIVATE KEY" => {
                let (_, der) = pkcs8::der::pem::decode_vec(pem_text.as_bytes())
                    .map_err(|e| malformed(e.to_string()))?;
                let private = private_from_pkcs8_der(&der, source_name, false)?;
                Self::from_private(private, source_name)
            }
            "ENCRYPTED PRIVATE KEY" => {
                let Some(pass) = passphrase.filter(|p| !p.is_empty()) else {
                    return Err(KeyError::NeedsPassphrase(source_name.into()));
                };
                let (_, der) = pkcs8::der::pem::decode_vec(pem_text.as_bytes())
                    .map_err(|e| malformed(e.to_string()))?;
                let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
                    .map_err(|e| malformed(e.to_string()))?;
                let plain = match info.decrypt(pass.as_bytes()) {
                    Ok(doc) => doc,
                    Err(pkcs8::Error::EncryptedPrivateKey(e)) => {
                        return Err(match e {
                            // A wrong passphrase shows up as bad padding, which pkcs5 reports
                            // as a failed decryption (or, in some versions, encryption).
                            pkcs8::pkcs5::Error::DecryptFailed
                            | pkcs8::pkcs5::Error::EncryptFailed => {
                                KeyError::WrongPassphrase(source_name.into())
                            }
                            other => KeyError::UnsupportedEncryption {
                                source_name: source_name.into(),
                                detail: other.to_string(),
                            },
                        });
                    }
                    Err(e) => return Err(malformed(e.to_string())),
                };
                let private = private_from_pkcs8_der(plain.as_bytes(), source_name, true)?;
                Self::from_private(private, source_name)
            }
            "RSA PRIVATE KEY" => {
                if pem_text.contains("Proc-Type: 4,ENCRYPTED") {
                    return Err(KeyError::UnsupportedEncryption {
                        source_name: source_name.into(),
                        detail: "legacy OpenSSL PEM encryption".into(),
                    });
                }
                let private = RsaPrivateKey::from_pkcs1_pem(pem_text)
                    .map_err(|e| malformed(e.to_string()))?;
                Self::from_private(private, source_name)
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(KeyError::PublicKeyGiven(source_name.into())),
            "EC PRIVATE KEY" => Err(KeyError::NotRsa {
                source_name: source_name.into(),
                kind: "an elliptic-curve key".into(),
            }),
            "OPENSSH PRIVATE KEY" => Err(KeyError::NotRsa {
                source_name: source_name.into(),
                kind: "an OpenSSH key (not PEM PKCS#8)".into(),
            }),
            "CERTIFICATE" => Err(KeyError::NotRsa {
                source_name: source_name.into(),
                kind: "a certificate".into(),
            }),
            _ => Err(KeyError::NotAKey(source_name.into())),
        }
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.public.n().bits()
    }

    /// The private key, for signing.
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.private
    }

    /// The public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// DER SubjectPublicKeyInfo of the public key.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// `SHA256:<base64>`, as Snowflake shows it in `DESC USER` (RSA_PUBLIC_KEY_FP).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> String {
        self.public
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The base64 body of the public key, as `ALTER USER ... SET RSA_PUBLIC_KEY` takes it.
    pub fn public_key_body(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.spki_der)
    }

    /// The exact line that registers this key for `user`.
    pub fn alter_user_line(&self, user: &str) -> String {
        format!(
            "ALTER USER {} SET RSA_PUBLIC_KEY='{}';",
            super::setup::quote_ident(user.trim()),
            self.public_key_body()
        )
    }
}

fn private_from_pkcs8_der(
    der: &[u8],
    source_name: &str,
    was_encrypted: bool,
) -> Result<RsaPrivateKey, KeyError> {
    let info = match pkcs8::PrivateKeyInfo::try_from(der) {
        Ok(info) => info,
        // Garbage after decryption means the passphrase was wrong even if the padding matched.
        Err(_) if was_encrypted => return Err(KeyError::WrongPassphrase(source_name.into())),
        Err(e) => {
            return Err(KeyError::Malformed {
                source_name: source_name.into(),
                detail: e.to_string(),
            })
        }
    };
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(KeyError::NotRsa {
            source_name: source_name.into(),
            kind: format!("a key of algorithm {}", info.algorithm.oid),
        });
    }
    RsaPrivateKey::from_pkcs8_der(der).map_err(|e| KeyError::Malformed {
        source_name: source_name.into(),
        detail: e.to_string(),
    })
}

/// `SHA256:` + standard base64 (padded) of SHA-256 over DER SubjectPublicKeyInfo.
pub fn spki_fingerprint(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The fingerprint of a public key.
pub fn public_key_fingerprint(public: &RsaPublicKey) -> Option<String> {
    public
        .to_public_key_der()
        .ok()
        .map(|d| spki_fingerprint(d.as_bytes()))
}
