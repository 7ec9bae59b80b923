-- parking-iot local store (SQLite). Column names and meanings are the contract shared with
-- the Snowflake tables. Timestamps are ISO-8601 UTC text of fixed width
-- (2025-01-01T05:00:00.000Z), so text order is time order.

CREATE TABLE IF NOT EXISTS parking_facilities (
    facility_id         INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    district            TEXT    NOT NULL,
    total_spots         INTEGER NOT NULL,
    rate_per_hour       REAL    NOT NULL,
    daily_max           REAL    NOT NULL,
    billing_increment_minutes INTEGER NOT NULL,
    peak_hours          TEXT    NOT NULL,
    stay_profile        TEXT    NOT NULL
);

CREATE TABLE IF NOT EXISTS parking_events (
    event_id               TEXT    NOT NULL PRIMARY KEY,
    event_type             TEXT    NOT NULL CHECK (event_type IN ('CAR_IN', 'CAR_OUT')),
    session_id             TEXT    NOT NULL,
    facility_id            INTEGER NOT NULL,
    facility_name          TEXT    NOT NULL,
    district               TEXT    NOT NULL,
    license_plate          TEXT    NOT NULL,
    license_plate_state    TEXT    NOT NULL,
    event_time             TEXT    NOT NULL,
    available_spots_after  INTEGER NOT NULL,
    parking_duration_hours REAL,
    cost                   REAL,
    traffic_pattern        TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS parking_sessions (
    session_id            TEXT    NOT NULL PRIMARY KEY,
    license_plate         TEXT    NOT NULL,
    license_plate_state   TEXT    NOT NULL,
    facility_id           INTEGER NOT NULL,
    facility_name         TEXT    NOT NULL,
    district              TEXT    NOT NULL,
    in_time               TEXT    NOT NULL,
    out_time              TEXT,
    actual_duration_hours REAL,
    rate_per_hour         REAL    NOT NULL,
    cost                  REAL,
    status                TEXT    NOT NULL CHECK (status IN ('active', 'completed'))
) WITHOUT ROWID;

-- Sample queries filter and group by time, district, facility and status.
CREATE INDEX IF NOT EXISTS parking_events_time ON parking_events (event_time);
CREATE INDEX IF NOT EXISTS parking_sessions_status ON parking_sessions (status, facility_id);
CREATE INDEX IF NOT EXISTS parking_sessions_out ON parking_sessions (out_time);

-- Bookkeeping: one row per historical or live run, and its progress.
CREATE TABLE IF NOT EXISTS runs (
    run_id          TEXT    NOT NULL PRIMARY KEY,  -- 3 hex digits: the 12-bit tag inside every id it wrote
    kind            TEXT    NOT NULL,              -- 'historical' or 'live'
    seed            INTEGER NOT NULL,
    start_date      TEXT    NOT NULL,
    end_date        TEXT,
    volume          TEXT    NOT NULL,
    plate_preset    TEXT    NOT NULL,
    catalog_source  TEXT    NOT NULL,
    catalog_fingerprint TEXT NOT NULL,
    days_total      INTEGER NOT NULL,
    days_done       INTEGER NOT NULL DEFAULT 0,
    events_written  INTEGER NOT NULL DEFAULT 0,
    sessions_written INTEGER NOT NULL DEFAULT 0,
    turned_away     INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL,              -- 'running', 'finished'
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- The Snowflake live feed's outbox: rows committed here in the same transaction as the live rows
-- they copy, and deleted once Snowpipe Streaming reports a committed offset at or past their seq.
-- AUTOINCREMENT keeps seq monotonic even after deletes: it is the offset token sent to Snowflake.
CREATE TABLE IF NOT EXISTS stream_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl         TEXT    NOT NULL CHECK (tbl IN ('EVENTS', 'SESSIONS')),
    created_ms  INTEGER NOT NULL,              -- wall clock when the row was generated
    row         TEXT    NOT NULL               -- one JSON object (an NDJSON line without OFFSET_TOKEN)
);
CREATE INDEX IF NOT EXISTS stream_outbox_tbl ON stream_outbox (tbl, seq);

-- Small settings of this store file, such as the installation id the streaming channels are named after.
CREATE TABLE IF NOT EXISTS store_meta (
    key    TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
);
