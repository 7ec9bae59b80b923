//! RS256 JSON Web Tokens for key-pair authentication (`snowflake.md` §1), minted fresh for each
//! request, and the checks Snowflake applies to them (used by the local stand-in server).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::RsaPublicKey;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::account::{token_account, token_user};
use super::keys::{public_key_fingerprint, KeyPair};

/// Lifetime of a minted token. Snowflake caps it at one hour; a short life limits what a
/// leaked token is worth, and each request gets its own token anyway.
pub const TOKEN_LIFETIME_SECS: i64 = 300;
/// A token is refused when it arrives more than this long after its `iat`.
pub const MAX_TOKEN_AGE_SECS: i64 = 60;
/// `exp` may be at most this far after `iat`.
pub const MAX_LIFETIME_SECS: i64 = 3600;

/// The claims Snowflake reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `ACCOUNT.USER.SHA256:<fingerprint>`.
    pub iss: String,
    /// `ACCOUNT.USER`.
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

/// Seconds since the epoch by the system clock.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The claims for an account and user (normalised here) at `now`.
pub fn claims(key: &KeyPair, account: &str, user: &str, now: i64) -> Claims {
    let sub = format!("{}.{}", token_account(account), token_user(user));
    Claims {
        iss: format!("{sub}.{}", key.fingerprint()),
        sub,
        iat: now,
        exp: now + TOKEN_LIFETIME_SECS,
    }
}

/// Signs claims as a compact RS256 JWT.
pub fn sign(key: &KeyPair, claims: &Claims) -> String {
    // Serialising four plain fields cannot fail; an empty payload would be refused by the server.
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    sign_parts(key, br#"{"alg":"RS256","typ":"JWT"}"#, &payload)
}

/// Signs an arbitrary header and payload (JSON bytes) with RS256; tests use it to build the
/// malformed tokens Snowflake must refuse.
pub fn sign_parts(key: &KeyPair, header_json: &[u8], payload_json: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(payload_json)
    );
    let signer = SigningKey::<Sha256>::new(key.private_key().clone());
    let signature = signer.sign(signing_input.as_bytes()).to_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A fresh token for `account` and `user`, issued now.
pub fn mint(key: &KeyPair, account: &str, user: &str) -> String {
    sign(key, &claims(key, account, user, now_secs()))
}

/// Why Snowflake refuses a token: the detailed codes of `snowflake.md` §1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtRejection {
    /// 394300: the user is unknown (or has no key registered).
    UserUnknown,
    /// 394301: `iat` or `exp` missing.
    MissingTimes,
    /// 394302: `iat` too old (or in the future beyond skew).
    IssuedTooLongAgo,
    /// 394303: expired, or `exp` beyond `iat` + 1 h.
    Expired,
    /// 394304: the fingerprint in `iss` is not the registered key's.
    FingerprintMismatch,
    /// 394305: not RS256.
    WrongAlgorithm,
    /// 394306: the signature does not verify (or the token is not a JWT).
    BadSignature,
    /// 394307: the account in the claims is not this account.
    AccountMismatch,
}

impl JwtRejection {
    /// The detailed Snowflake code.
    pub fn code(self) -> &'static str {
        match self {
            JwtRejection::UserUnknown => "394300",
            JwtRejection::MissingTimes => "394301",
            JwtRejection::IssuedTooLongAgo => "394302",
            JwtRejection::Expired => "394303",
            JwtRejection::FingerprintMismatch => "394304",
            JwtRejection::WrongAlgorithm => "394305",
            JwtRejection::BadSignature => "394306",
            JwtRejection::AccountMismatch => "394307",
        }
    }

    /// The rejection with this detailed code.
    pub fn from_code(code: &str) -> Option<JwtRejection> {
        use JwtRejection::*;
        [
            UserUnknown,
            MissingTimes,
            IssuedTooLongAgo,
            Expired,
            FingerprintMismatch,
            WrongAlgorithm,
            BadSignature,
            AccountMismatch,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// What a server knows about the user a token must belong to.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The account, as it appears in the claims (`XY12345`).
    pub account: String,
    /// The user, upper-case.
    pub user: String,
    /// The public key registered with `ALTER USER ... SET RSA_PUBLIC_KEY`.
    pub public_key: RsaPublicKey,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
}

#[derive(Deserialize)]
struct LooseClaims {
    iss: Option<String>,
    sub: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
}

/// Checks a token as Snowflake does: algorithm, signature against the registered key, account,
/// user, fingerprint, `iat` no older than 60 s and `exp` in the future and at most `iat` + 1 h.
pub fn verify(token: &str, reg: &Registration, now: i64) -> Result<Claims, JwtRejection> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtRejection::BadSignature);
    };
    let decode = |x: &str| {
        URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| JwtRejection::BadSignature)
    };
    let header: Header =
        serde_json::from_slice(&decode(h)?).map_err(|_| JwtRejection::BadSignature)?;
    if header.alg.as_deref() != Some("RS256") {
        return Err(JwtRejection::WrongAlgorithm);
    }
    let claims: LooseClaims =
        serde_json::from_slice(&decode(p)?).map_err(|_| JwtRejection::BadSignature)?;
    let (Some(iss), Some(sub)) = (claims.iss, claims.sub) else {
        return Err(JwtRejection::BadSignature);
    };
    // User names may contain dots, so compare whole prefixes rather than splitting.
    if sub != format!("{}.{}", reg.account, reg.user) {
        let right_user = sub.ends_with(&format!(".{}", reg.user));
        return Err(
            if !right_user && sub.starts_with(&format!("{}.", reg.account)) {
                JwtRejection::UserUnknown
            } else {
                JwtRejection::AccountMismatch
            },
        );
    }
    let Some(fp) = iss.strip_prefix(&format!("{sub}.")) else {
        return Err(JwtRejection::AccountMismatch);
    };
    if Some(fp.to_string()) != public_key_fingerprint(&reg.public_key) {
        return Err(JwtRejection::FingerprintMismatch);
    }
    let signature =
        Signature::try_from(decode(s)?.as_slice()).map_err(|_| JwtRejection::BadSignature)?;
    VerifyingKey::<Sha256>::new(reg.public_key.clone())
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| JwtRejection::BadSignature)?;
    let (Some(iat), Some(exp)) = (claims.iat, claims.exp) else {
        return Err(JwtRejection::MissingTimes);
    };
    if now - iat > MAX_TOKEN_AGE_SECS || iat - now > MAX_TOKEN_AGE_SECS {
        return Err(JwtRejection::IssuedTooLongAgo);
    }
    if exp <= now || exp > iat + MAX_LIFETIME_SECS {
        return Err(JwtRejection::Expired);
    }
    Ok(Claims { iss, sub, iat, exp })
}
