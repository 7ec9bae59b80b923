//! Append bodies: NDJSON lines (each outbox row with its batch's OFFSET_TOKEN added), gzip
//! compressed, within Snowpipe Streaming's 4 MB request limit.

use std::io::Write as _;

/// The largest request body Snowpipe Streaming accepts (compressed), per `snowflake.md` §3.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// The most uncompressed NDJSON put in one request: gzip never grows text by more than a few
/// bytes per 16 KB block, so this keeps even incompressible rows under [`MAX_REQUEST_BYTES`].
pub const MAX_RAW_BYTES: usize = MAX_REQUEST_BYTES - 64 * 1024;

/// NDJSON of `rows` (JSON objects), each with `"OFFSET_TOKEN":"<offset>"` added in front so
/// the table shows which batch delivered a row.
pub fn ndjson<'a>(rows: impl Iterator<Item = &'a str>, offset_token: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        let rest = row.trim().strip_prefix('{').unwrap_or(row);
        out.extend_from_slice(b"{\"OFFSET_TOKEN\":\"");
        out.extend_from_slice(offset_token.as_bytes());
        out.extend_from_slice(b"\"");
        if !rest.trim_start().starts_with('}') {
            out.push(b',');
        }
        out.extend_from_slice(rest.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Gzip of `raw` (fast level: the feed is latency-bound, not bandwidth-bound).
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    enc.write_all(raw)?;
    enc.finish()
}

/// Gunzip (for the stand-in), refusing output above `limit` bytes (a gzip bomb).
pub fn gunzip(data: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::other("decompressed body too large"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_adds_the_offset_token_to_every_line_and_gzip_round_trips() {
        let rows = [r#"{"EVENT_ID":"a","COST":null}"#, "{}"];
        let raw = ndjson(rows.iter().copied(), "42");
        let text = String::from_utf8(raw.clone()).expect("utf8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(
            lines,
            vec![
                serde_json::json!({"OFFSET_TOKEN":"42","EVENT_ID":"a","COST":null}),
                serde_json::json!({"OFFSET_TOKEN":"42"}),
            ]
        );
        let z = gzip(&raw).expect("gzip");
        assert_eq!(gunzip(&z, 1 << 20).expect("gunzip"), raw);
        assert!(gunzip(&z, 10).is_err());
    }
}
