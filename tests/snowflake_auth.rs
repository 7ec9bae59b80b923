//! Key-pair authentication: every key format (own encoders and the openssl command line),
//! the SPKI fingerprint against the spec's shell check, refusal messages, and JWT claims and
//! every refusal mode of the token checks.

mod snowflake_support;

use parking_iot::snowflake::account::token_account;
use parking_iot::snowflake::jwt::{self, JwtRejection, Registration};
use parking_iot::snowflake::keys::spki_fingerprint;
use parking_iot::snowflake::{KeyError, KeyPair, SnowflakeError};
use pkcs8::pkcs5::pbes2;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::Digest;
use snowflake_support::*;

const PASS: &str = "correct horse \u{e9} battery";

fn encrypted_pem(scheme: pbes2::EncryptionScheme<'_>) -> String {
    let der = rsa_2048().to_pkcs8_der().expect("der");
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).expect("info");
    let salt = [7u8; 16];
    let params = pbes2::Parameters {
        kdf: pbes2::Pbkdf2Params::hmac_with_sha256(2048, &salt)
            .expect("kdf")
            .into(),
        encryption: scheme,
    };
    let doc = info.encrypt_with_params(params, PASS).expect("encrypt");
    doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .expect("pem")
        .to_string()
}

fn expected_fingerprint() -> String {
    let der = rsa_2048()
        .to_public_key()
        .to_public_key_der()
        .expect("spki");
    spki_fingerprint(der.as_bytes())
}

#[test]
fn unencrypted_pkcs8_loads_with_the_spki_fingerprint() {
    let kp = KeyPair::from_pem(&pkcs8_pem(rsa_2048()), None, "k.p8").expect("load");
    assert_eq!(kp.bits(), 2048);
    assert_eq!(kp.fingerprint(), expected_fingerprint());
    assert!(kp.fingerprint().starts_with("SHA256:"));
    assert_eq!(kp.fingerprint().len(), "SHA256:".len() + 44);
    // Hashing the PKCS#1 RSAPublicKey gives a different, wrong value.
    use rsa::pkcs1::EncodeRsaPublicKey;
    let pkcs1 = rsa_2048().to_public_key().to_pkcs1_der().expect("pkcs1");
    let wrong = spki_fingerprint(pkcs1.as_bytes());
    assert_ne!(kp.fingerprint(), wrong);
    // A passphrase given for an unencrypted key is ignored.
    let again = KeyPair::from_pem(&pkcs8_pem(rsa_2048()), Some("unused"), "k.p8").expect("load");
    assert_eq!(again.fingerprint(), kp.fingerprint());
}

#[test]
fn encrypted_pkcs8_triple_des_and_aes_load_and_refuse_wrong_passphrases() {
    let iv8 = [3u8; 8];
    let iv16 = [5u8; 16];
    for (name, pem) in [
        (
            "des3.p8",
            encrypted_pem(pbes2::EncryptionScheme::DesEde3Cbc { iv: &iv8 }),
        ),
        (
            "aes256.p8",
            encrypted_pem(pbes2::EncryptionScheme::Aes256Cbc { iv: &iv16 }),
        ),
        (
            "aes128.p8",
            encrypted_pem(pbes2::EncryptionScheme::Aes128Cbc { iv: &iv16 }),
        ),
    ] {
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let kp = KeyPair::from_pem(&pem, Some(PASS), name).expect(name);
        assert_eq!(kp.fingerprint(), expected_fingerprint(), "{name}");
        assert_eq!(
            KeyPair::from_pem(&pem, Some("wrong"), name).unwrap_err(),
            KeyError::WrongPassphrase(name.into()),
            "{name}"
        );
        assert_eq!(
            KeyPair::from_pem(&pem, None, name).unwrap_err(),
            KeyError::NeedsPassphrase(name.into())
        );
        assert_eq!(
            KeyPair::from_pem(&pem, Some(""), name).unwrap_err(),
            KeyError::NeedsPassphrase(name.into())
        );
    }
}

#[test]
fn pkcs1_loads() {
    let pem = rsa_2048().to_pkcs1_pem(LineEnding::CRLF).expect("pkcs1");
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let text = format!("Bag Attributes\n    friendlyName: x\n{}", pem.as_str());
    let kp = KeyPair::from_pem(&text, None, "k.pem").expect("load");
    assert_eq!(kp.fingerprint(), expected_fingerprint());
}

#[test]
fn short_keys_public_keys_and_junk_are_refused_with_their_reason() {
    let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("keygen");
    let err = KeyPair::from_pem(&pkcs8_pem(&small), None, "small.p8").unwrap_err();
    assert_eq!(
        err,
        KeyError::TooShort {
            source_name: "small.p8".into(),
            bits: 1024
        }
    );
    assert!(err.to_string().contains("at least 2048 bits"), "{err}");

    let public = rsa_2048()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pub");
    let err = KeyPair::from_pem(&public, None, "rsa_key.pub").unwrap_err();
    assert_eq!(err, KeyError::PublicKeyGiven("rsa_key.pub".into()));
    assert!(err.to_string().contains("rsa_key.p8"));

    let err = KeyPair::from_pem("hello, I am a shopping list", None, "list.txt").unwrap_err();
    assert_eq!(err, KeyError::NotAKey("list.txt".into()));

    let pem = pkcs8_pem(rsa_2048());
    let cut = format!("{}\n-----END PRIVATE KEY-----\n", &pem[..200]);
    assert!(matches!(
        KeyPair::from_pem(&cut, None, "cut.p8"),
        Err(KeyError::Malformed { .. })
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.p8");
    assert_eq!(
        KeyPair::load_file(&missing, None).unwrap_err(),
        KeyError::NotFound(missing.display().to_string())
    );
    let err = SnowflakeError::from(KeyError::NotFound("x".into()));
    assert!(err.to_string().contains("does not exist"));
}

#[test]
fn openssl_made_keys_load_and_match_the_shell_fingerprint() {
    if !have_openssl() {
        eprintln!("openssl not installed: cross-check skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(d, &["genrsa", "-out", "plain.pem", "2048"]);
    openssl(
        d,
        &["rsa", "-in", "plain.pem", "-pubout", "-out", "rsa_key.pub"],
    );
    let shell_fp = openssl_fingerprint(d, "rsa_key.pub");
    assert_eq!(shell_fp.len(), 44, "{shell_fp}");
    // Snowflake's instructions: openssl pkcs8 -topk8 -v2 des3.
    for (file, extra) in [
        ("rsa_key_des3.p8", vec!["-v2", "des3"]),
        ("rsa_key_aes.p8", vec!["-v2", "aes256"]),
    ] {
        let mut args = vec![
            "pkcs8",
            "-topk8",
            "-inform",
            "PEM",
            "-in",
            "plain.pem",
            "-out",
            file,
        ];
        args.extend(extra);
        args.extend(["-passout", "pass:s3cret;'\""]);
        openssl(d, &args);
        let kp = KeyPair::load_file(&d.join(file), Some("s3cret;'\"")).expect(file);
        assert_eq!(kp.fingerprint(), format!("SHA256:{shell_fp}"), "{file}");
        assert!(matches!(
            KeyPair::load_file(&d.join(file), Some("s3cret")),
            Err(KeyError::WrongPassphrase(_))
        ));
    }
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "plain.pem",
            "-out",
            "nocrypt.p8",
        ],
    );
    let kp = KeyPair::load_file(&d.join("nocrypt.p8"), None).expect("nocrypt");
    assert_eq!(kp.fingerprint(), format!("SHA256:{shell_fp}"));
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "plain.pem",
            "-traditional",
            "-out",
            "pkcs1.pem",
        ],
    );
    let kp = KeyPair::load_file(&d.join("pkcs1.pem"), None).expect("pkcs1");
    assert_eq!(kp.fingerprint(), format!("SHA256:{shell_fp}"));
    // The public key body printed for ALTER USER is the same SPKI openssl writes.
    let pub_pem = std::fs::read_to_string(d.join("rsa_key.pub")).expect("pub");
    let body: String = pub_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(kp.public_key_body(), body);
    assert_eq!(
        kp.alter_user_line("jsmith"),
        format!("ALTER USER \"JSMITH\" SET RSA_PUBLIC_KEY='{body}';")
    );
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    assert!(matches!(
        KeyPair::load_file(&d.join("ec.pem"), None),
        Err(KeyError::NotRsa { .. })
    ));
}

fn registration(key: &KeyPair) -> Registration {
    Registration {
        account: "XY12345".into(),
        user: "LOADER".into(),
        public_key: key.public_key().clone(),
    }
}

#[test]
fn minted_tokens_carry_the_normalised_claims_and_verify() {
    let kp = key_pair();
    let now = jwt::now_secs();
    let claims = jwt::claims(&kp, "xy12345.us-east-2.aws", "loader", now);
    assert_eq!(claims.sub, "XY12345.LOADER");
    assert_eq!(claims.iss, format!("XY12345.LOADER.{}", kp.fingerprint()));
    assert_eq!(claims.iat, now);
    assert!(claims.exp > now && claims.exp <= now + 3600);
    let token = jwt::sign(&kp, &claims);
    assert_eq!(jwt::verify(&token, &registration(&kp), now), Ok(claims));
    // A fresh token per request: two mints a second apart differ.
    let a = jwt::sign(&kp, &jwt::claims(&kp, "xy12345", "loader", now));
    let b = jwt::sign(&kp, &jwt::claims(&kp, "xy12345", "loader", now + 1));
    assert_ne!(a, b);
}

#[test]
fn every_refusal_mode_is_detected_and_explained() {
    let kp = key_pair();
    let other = other_key_pair();
    let reg = registration(&kp);
    let now = jwt::now_secs();
    let payload = |iss: &str, sub: &str, iat: Option<i64>, exp: Option<i64>| {
        let mut v = serde_json::json!({"iss": iss, "sub": sub});
        if let Some(i) = iat {
            v["iat"] = i.into();
        }
        if let Some(e) = exp {
            v["exp"] = e.into();
        }
        serde_json::to_vec(&v).expect("json")
    };
    let iss = |acct: &str, user: &str, fp: &str| format!("{acct}.{user}.{fp}");
    let rs256 = br#"{"alg":"RS256","typ":"JWT"}"#;
    let fp = kp.fingerprint().to_string();
    let cases: Vec<(String, JwtRejection)> = vec![
        (
            jwt::sign_parts(
                &kp,
                br#"{"alg":"HS256","typ":"JWT"}"#,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    Some(now),
                    Some(now + 60),
                ),
            ),
            JwtRejection::WrongAlgorithm,
        ),
        (
            jwt::sign_parts(
                &other,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    Some(now),
                    Some(now + 60),
                ),
            ),
            JwtRejection::BadSignature,
        ),
        (
            jwt::sign_parts(
                &other,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", other.fingerprint()),
                    "XY12345.LOADER",
                    Some(now),
                    Some(now + 60),
                ),
            ),
            JwtRejection::FingerprintMismatch,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345.US-EAST-2", "LOADER", &fp),
                    "XY12345.US-EAST-2.LOADER",
                    Some(now),
                    Some(now + 60),
                ),
            ),
            JwtRejection::AccountMismatch,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345", "SOMEONE", &fp),
                    "XY12345.SOMEONE",
                    Some(now),
                    Some(now + 60),
                ),
            ),
            JwtRejection::UserUnknown,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    None,
                    Some(now + 60),
                ),
            ),
            JwtRejection::MissingTimes,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    Some(now - 61),
                    Some(now + 60),
                ),
            ),
            JwtRejection::IssuedTooLongAgo,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    Some(now),
                    Some(now + 3601),
                ),
            ),
            JwtRejection::Expired,
        ),
        (
            jwt::sign_parts(
                &kp,
                rs256,
                &payload(
                    &iss("XY12345", "LOADER", &fp),
                    "XY12345.LOADER",
                    Some(now - 30),
                    Some(now - 1),
                ),
            ),
            JwtRejection::Expired,
        ),
        ("not.a.token".to_string(), JwtRejection::BadSignature),
    ];
    for (token, want) in cases {
        assert_eq!(jwt::verify(&token, &reg, now), Err(want), "{want:?}");
    }

    let explain = |detail| {
        SnowflakeError::Auth {
            code: "390144".into(),
            detail,
            account: "xy12345.us-east-2.aws".into(),
            token_account: token_account("xy12345.us-east-2.aws"),
            user: "LOADER".into(),
            fingerprint: fp.clone(),
        }
        .to_string()
    };
    let general = explain(None);
    for phrase in [
        "account",
        "XY12345",
        "login name",
        &fp,
        "ALTER USER",
        "clock",
    ] {
        assert!(general.contains(phrase), "{phrase} missing in: {general}");
    }
    assert!(explain(Some(JwtRejection::FingerprintMismatch)).contains("RSA_PUBLIC_KEY_FP"));
    assert!(explain(Some(JwtRejection::BadSignature)).contains("registered"));
    assert!(explain(Some(JwtRejection::IssuedTooLongAgo)).contains("clock"));
    assert!(explain(Some(JwtRejection::Expired)).contains("clock"));
    assert!(explain(Some(JwtRejection::AccountMismatch)).contains("account identifier"));
    assert!(explain(Some(JwtRejection::UserUnknown)).contains("LOGIN_NAME"));
    assert!(explain(Some(JwtRejection::WrongAlgorithm)).contains("RS256"));
    assert!(explain(Some(JwtRejection::MissingTimes)).contains("expiry"));
    for code in [
        "394300", "394301", "394302", "394303", "394304", "394305", "394306", "394307",
    ] {
        assert_eq!(JwtRejection::from_code(code).map(|r| r.code()), Some(code));
    }
}

#[test]
fn debug_output_never_shows_key_material() {
    let kp = key_pair();
    let text = format!("{kp:?}");
    assert!(text.contains("bits: 2048"));
    let body = pkcs8_pem(rsa_2048());
    let line = body.lines().nth(1).expect("line");
    assert!(!text.contains(line));
    let _ = sha2::Sha256::digest(b"");
}
