//! Account and user names as Snowflake wants them: upper-case in the JWT claims, without
//! region, cloud or `privatelink` segments; the host keeps the account as the user gave it.

/// Segments after the account that qualify a host rather than name an account: clouds,
/// connectivity and the connector's catch-all qualifiers. Region ids (`us-east-2`,
/// `east-us-2`, `ap-southeast-1`) are recognised by shape in [`is_host_qualifier`].
const QUALIFIERS: &[&str] = &[
    "aws",
    "gcp",
    "azure",
    "privatelink",
    "global",
    "extra",
    "cn",
    "snowflakecomputing",
    "com",
];

/// True when a dotted segment is a region, cloud or other host qualifier (so the part before it
/// is an account locator), false when it reads as an account name (`org.account`).
pub fn is_host_qualifier(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    if QUALIFIERS.contains(&s.as_str()) {
        return true;
    }
    // Region ids are words joined by dashes ending in a number: us-east-2, east-us-2, ap-northeast-1.
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 2
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Strips a scheme, a path and the `.snowflakecomputing.com` suffix a user may paste along with
/// the account, so that a copied URL works as an account.
pub fn clean_account_input(account: &str) -> String {
    let mut s = account.trim();
    for scheme in ["https://", "http://"] {
        if s.len() >= scheme.len() && s[..scheme.len()].eq_ignore_ascii_case(scheme) {
            s = &s[scheme.len()..];
        }
    }
    if let Some(i) = s.find('/') {
        s = &s[..i];
    }
    let lower = s.to_ascii_lowercase();
    for suffix in [".snowflakecomputing.com", ".snowflakecomputing.cn"] {
        if lower.ends_with(suffix) {
            s = &s[..s.len() - suffix.len()];
            break;
        }
    }
    s.to_string()
}

/// Checks that an account (as typed, before cleaning) can be an account identifier: letters,
/// digits, `-`, `_` and `.` once a pasted scheme, path and domain are stripped. Anything else
/// (a space, `@`, `;`) would make another host name, or none, out of it.
pub fn check_account(account: &str) -> Result<(), String> {
    let s = clean_account_input(account);
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.starts_with(['.', '-'])
        && !s.ends_with(['.', '-'])
        && !s.contains("..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the account '{}' is not a Snowflake account identifier: use the part of your Snowflake URL before .snowflakecomputing.com (letters, digits, - _ and . only), e.g. xy12345.us-east-2.aws or myorg-myaccount",
            account.trim()
        ))
    }
}

/// Checks a base URL given instead of the account host: http or https, a host, an optional
/// port, nothing else in front. A user name or password in it is refused without repeating it.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let usage = "use https://HOST[:PORT] (or http://127.0.0.1:PORT for a local stand-in)";
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| format!("the base URL '{}' is not a URL ({e}): {usage}", url.trim()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "the base URL must not hold a user name or password (they would travel with every request): {usage}"
        ));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the base URL '{}' uses {}: {usage}",
            url.trim(),
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "the base URL '{}' names no host: {usage}",
            url.trim()
        ));
    }
    // The API paths are appended to it: a path, query or fragment would send them elsewhere.
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "the base URL '{}' has a path, query or fragment: {usage}",
            url.trim()
        ));
    }
    Ok(())
}

/// The account as it goes into the JWT `iss` and `sub` claims.
///
/// Rules (`snowflake.md` §1): upper-case; a locator with region keeps only the part before the
/// first dot (`xy12345.us-east-2.aws` → `XY12345`); never `.privatelink`; `org-account` stays;
/// `org.account` becomes `ORG-ACCOUNT`; with `.global` the part before the first dash is kept,
/// as Snowflake's connectors do (`testaccount-user.global` → `TESTACCOUNT`; without a dash the
/// whole value stays: `s3testaccount.global` → `S3TESTACCOUNT.GLOBAL`).
pub fn token_account(account: &str) -> String {
    let s = clean_account_input(account);
    let lower = s.to_ascii_lowercase();
    if lower.contains(".global") {
        let head = s.split('-').next().unwrap_or(&s);
        return head.to_ascii_uppercase();
    }
    let segments: Vec<&str> = s.split('.').collect();
    let first = segments[0];
    let out = if segments.len() == 2 && !is_host_qualifier(segments[1]) {
        format!("{}-{}", first, segments[1])
    } else {
        first.to_string()
    };
    out.to_ascii_uppercase()
}

/// The user as it goes into the JWT claims: the login name in upper case.
pub fn token_user(user: &str) -> String {
    user.trim().to_ascii_uppercase()
}

/// The label before `.snowflakecomputing.com`: the account as given, lower-case (region and
/// `privatelink` segments kept), with `org.account` written `org-account` since a dotted
/// organisation form is not a host name.
pub fn host_label(account: &str) -> String {
    let s = clean_account_input(account).to_ascii_lowercase();
    let segments: Vec<&str> = s.split('.').collect();
    if segments.len() == 2 && !is_host_qualifier(segments[1]) && !s.contains(".global") {
        format!("{}-{}", segments[0], segments[1])
    } else {
        s
    }
}

/// The default base URL of an account: `https://<account>.snowflakecomputing.com`.
pub fn default_base_url(account: &str) -> String {
    format!("https://{}.snowflakecomputing.com", host_label(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_base_urls_that_cannot_work_are_refused() {
        for good in [
            "xy12345.us-east-2.aws",
            "myorg-myaccount",
            "https://myorg-myaccount.snowflakecomputing.com/console",
            "my_org.acct",
        ] {
            assert_eq!(check_account(good), Ok(()), "{good}");
        }
        for bad in [
            "my acct",
            "acct@host",
            "acct;rm -rf",
            "xn--\u{e9}",
            "",
            ".acct",
            "acct-",
            "a..b",
        ] {
            let e = check_account(bad).unwrap_err();
            assert!(
                e.contains("is not a Snowflake account identifier"),
                "{bad}: {e}"
            );
        }
        for good in [
            "http://127.0.0.1:8443",
            "https://acct.snowflakecomputing.com",
        ] {
            assert_eq!(check_base_url(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("notaurl", "is not a URL"),
            ("127.0.0.1:9", "is not a URL"),
            ("localhost:9", "uses localhost"),
            ("ftp://host", "uses ftp"),
            ("http://[::1", "is not a URL"),
            (
                "https://127.0.0.1:9/some/path?x=1#f",
                "has a path, query or fragment",
            ),
            ("http://127.0.0.1:9?x", "has a path, query or fragment"),
        ] {
            let e = check_base_url(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = check_base_url("http://user:pw@127.0.0.1:9").unwrap_err();
        assert!(e.contains("must not hold a user name or password"), "{e}");
        assert!(!e.contains("pw"), "{e}");
    }

    #[test]
    fn spec_vectors() {
        for (input, want) in [
            ("s3testaccount.global", "S3TESTACCOUNT.GLOBAL"),
            ("acct-with-dashes", "ACCT-WITH-DASHES"),
            ("testaccount.extra", "TESTACCOUNT"),
            ("testaccount-user.global", "TESTACCOUNT"),
            ("normalaccount", "NORMALACCOUNT"),
            ("xy12345.us-east-2.aws", "XY12345"),
            ("xy12345.us-east-2.privatelink", "XY12345"),
            ("xy12345.privatelink", "XY12345"),
            ("myorg-myaccount", "MYORG-MYACCOUNT"),
            ("org.account", "ORG-ACCOUNT"),
            ("myorg.myaccount", "MYORG-MYACCOUNT"),
            (
                "https://xy12345.east-us-2.azure.snowflakecomputing.com/",
                "XY12345",
            ),
        ] {
            assert_eq!(token_account(input), want, "{input}");
        }
    }

    #[test]
    fn host_keeps_region_and_privatelink() {
        assert_eq!(
            default_base_url("XY12345.us-east-2.privatelink"),
            "https://xy12345.us-east-2.privatelink.snowflakecomputing.com"
        );
        assert_eq!(
            default_base_url("MyOrg-MyAccount"),
            "https://myorg-myaccount.snowflakecomputing.com"
        );
        assert_eq!(token_user(" jsmith "), "JSMITH");
    }
}
