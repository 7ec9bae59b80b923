//! Opening a store only to read it, also where its folder cannot be written: a store in WAL
//! mode needs its `-shm` file, which SQLite cannot create in a read-only folder (a mounted
//! share, another user's files, a CD). Then the file is opened as immutable, which reads it
//! without that file.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// A read-only connection to `path` that has read its schema (so an unreadable file fails
/// here, not at the first query).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    // One thread uses each connection: no SQLite mutex needed.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let first = Connection::open_with_flags(path, flags).and_then(|c| probe(&c).map(|()| c));
    match first {
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
            ) =>
        {
            // Only a store closed cleanly has no -shm file to miss, so nothing sits in its WAL
            // that an immutable read would skip.
            open_immutable(path)
        }
        other => other,
    }
}

fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let c = Connection::open_with_flags(immutable_uri(path), flags)?;
    probe(&c)?;
    Ok(c)
}

fn probe(c: &Connection) -> rusqlite::Result<()> {
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|_| ())
}

/// `file:` URI of a path with `immutable=1`, percent-encoding what a URI reserves.
fn immutable_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file:");
    // A Windows drive path (C:/...) takes the form file:///C:/...
    if text.as_bytes().get(1) == Some(&b':') {
        out.push_str("///");
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?immutable=1");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_a_uri_reserves() {
        assert_eq!(
            immutable_uri(Path::new("/tmp/a b/x?#%.db")),
            "file:/tmp/a%20b/x%3F%23%25.db?immutable=1"
        );
        assert_eq!(
            immutable_uri(Path::new("C:\\Users\\me\\x.db")),
            "file:///C:/Users/me/x.db?immutable=1"
        );
    }

    #[test]
    fn a_cleanly_closed_wal_store_reads_whole_as_immutable() {
        // The fallback for folders that cannot be written: as root (CI) the folder itself
        // cannot be closed, so the fallback is exercised directly.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = dir.path().join("a b#1.db");
        {
            let c = Connection::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
            c.execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (41), (1);",
            )
            .unwrap_or_else(|e| panic!("setup: {e}"));
        }
        assert!(!dir.path().join("a b#1.db-shm").exists(), "closed cleanly");
        for c in [open_immutable(&db), open_read_only(&db)] {
            let c = c.unwrap_or_else(|e| panic!("open: {e}"));
            let sum: i64 = c
                .query_row("SELECT sum(x) FROM t", [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("query: {e}"));
            assert_eq!(sum, 42);
        }
    }
}
