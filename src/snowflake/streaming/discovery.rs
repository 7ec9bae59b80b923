//! Finding the ingest host and exchanging the key-pair JWT for a scoped token
//! (`snowflake.md` §3.1-2). Both answers come as JSON or as plain text, depending on the
//! Snowflake release: both are accepted.

/// The ingest host from a `/v2/streaming/hostname` answer (`{"hostname":"h"}` or `h`), with
/// `_` turned into `-` (account names may hold `_`, host names may not).
pub fn parse_hostname(body: &str) -> Option<String> {
    let raw = match serde_json::from_str::<serde_json::Value>(body.trim()) {
        Ok(serde_json::Value::Object(o)) => o.get("hostname")?.as_str()?.to_string(),
        Ok(serde_json::Value::String(s)) => s,
        _ => body.trim().trim_matches('"').to_string(),
    };
    let host = raw.trim().trim_end_matches('/').replace('_', "-");
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '/' | '[' | ']'));
    ok.then_some(host)
}

/// The scoped token from an `/oauth/token` answer (`{"token":"t"}`, `{"access_token":"t"}`
/// or `t`) and its lifetime in seconds when the answer gives one.
pub fn parse_token(body: &str) -> Option<(String, Option<u64>)> {
    let trimmed = body.trim();
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let token = o
            .get("token")
            .or_else(|| o.get("access_token"))?
            .as_str()?
            .to_string();
        let expires = o.get("expires_in").and_then(|v| v.as_u64());
        return (!token.is_empty()).then_some((token, expires));
    }
    let token = trimmed.trim_matches('"');
    let ok = !token.is_empty() && !token.contains(char::is_whitespace) && !token.starts_with('<');
    ok.then(|| (token.to_string(), None))
}

/// The base URL of the ingest host, reached with the account URL's protocol: the stand-in
/// (and a `SNOWFLAKE_PROTOCOL=http` proxy) speaks http, Snowflake https. A host that already
/// names its protocol keeps it.
pub fn ingest_base_url(account_base_url: &str, ingest_host: &str) -> String {
    if ingest_host.starts_with("http://") || ingest_host.starts_with("https://") {
        return ingest_host.trim_end_matches('/').to_string();
    }
    let protocol = match account_base_url.split_once("://") {
        Some((p, _)) if p.eq_ignore_ascii_case("http") => "http",
        _ => "https",
    };
    format!("{protocol}://{ingest_host}")
}

/// The host part of a base URL (`127.0.0.1:8080` of `http://127.0.0.1:8080/`).
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

/// `application/x-www-form-urlencoded` text of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The inverse of [`form_encode`] (also used by the stand-in); `None` for broken escapes.
pub fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A path segment with everything but unreserved characters percent-encoded, so a quoted
/// name (spaces, slashes) cannot change the URL's shape.
pub fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'$' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_is_read_from_json_or_plain_text_with_underscores_replaced() {
        assert_eq!(
            parse_hostname(r#"{"hostname":"my_org-my_acct.ingest.snowflakecomputing.com"}"#),
            Some("my-org-my-acct.ingest.snowflakecomputing.com".into())
        );
        assert_eq!(
            parse_hostname("xy12345.us-east-2.ingest.snowflakecomputing.com\n"),
            Some("xy12345.us-east-2.ingest.snowflakecomputing.com".into())
        );
        assert_eq!(
            parse_hostname("127.0.0.1:8123"),
            Some("127.0.0.1:8123".into())
        );
        assert_eq!(parse_hostname("<html>oops</html>"), None);
        assert_eq!(parse_hostname(""), None);
    }

    #[test]
    fn token_is_read_from_json_or_plain_text() {
        assert_eq!(
            parse_token(r#"{"token":"abc.def","expires_in":3600}"#),
            Some(("abc.def".into(), Some(3600)))
        );
        assert_eq!(
            parse_token(r#"{"access_token":"xyz"}"#),
            Some(("xyz".into(), None))
        );
        assert_eq!(
            parse_token("plain-token\n"),
            Some(("plain-token".into(), None))
        );
        assert_eq!(parse_token("two words"), None);
        assert_eq!(parse_token(r#"{"message":"no"}"#), None);
    }

    #[test]
    fn ingest_host_uses_the_connection_protocol_and_keeps_its_port() {
        assert_eq!(
            ingest_base_url("http://127.0.0.1:4000", "127.0.0.1:4000"),
            "http://127.0.0.1:4000"
        );
        assert_eq!(
            ingest_base_url("https://xy.snowflakecomputing.com", "xy.ingest.example:443"),
            "https://xy.ingest.example:443"
        );
        assert_eq!(
            ingest_base_url("http://a", "https://b.example/"),
            "https://b.example"
        );
        assert_eq!(host_of("http://127.0.0.1:9/x"), "127.0.0.1:9");
    }

    #[test]
    fn form_and_path_encoding_round_trip() {
        let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
        assert_eq!(
            form_encode(grant),
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        );
        assert_eq!(form_decode(&form_encode(grant)).as_deref(), Some(grant));
        assert_eq!(form_decode("a+b%2"), None);
        assert_eq!(path_segment("MY PIPE/x\""), "MY%20PIPE%2Fx%22");
    }
}
