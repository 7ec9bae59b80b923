-- parking-iot: the Snowflake objects (database, schema, three tables, two streaming pipes and
-- a view of each session's current state).
--
-- `parking-iot snowflake sql [--iceberg ...]` prints this file rendered with your names, and
-- `parking-iot snowflake setup` runs it. Placeholders {{NAME}} are replaced by quoted identifiers
-- (or, for EXTERNAL_VOLUME and BASE_LOCATION_*, quoted string literals). Lines from a
-- `-- @standard` or `-- @iceberg` marker up to the next marker belong to that variant only;
-- `-- @common` lines belong to both. Every statement ends with `;` at the end of a line.
--
-- Idempotent: every object is created only if it does not exist; nothing is dropped or emptied.
-- Column names are the contract shared with the local SQLite store (sql/sqlite_schema.sql);
-- INGESTED_AT is set by Snowflake when a row lands, OFFSET_TOKEN only by the streaming feed.
-- Types keep to what Iceberg tables allow (VARCHAR, FLOAT, NUMBER(19,0), TIMESTAMP_LTZ(6)) so
-- both variants hold the same values.

-- @common
CREATE DATABASE IF NOT EXISTS {{DATABASE}};
CREATE SCHEMA IF NOT EXISTS {{DATABASE}}.{{SCHEMA}};

-- @standard
CREATE TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{EVENTS_TABLE}} (
    EVENT_ID               VARCHAR(36)    NOT NULL,
    EVENT_TYPE             VARCHAR(8)     NOT NULL,
    SESSION_ID             VARCHAR(36)    NOT NULL,
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    FACILITY_NAME          VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    LICENSE_PLATE          VARCHAR        NOT NULL,
    LICENSE_PLATE_STATE    VARCHAR        NOT NULL,
    EVENT_TIME             TIMESTAMP_LTZ(6) NOT NULL,
    AVAILABLE_SPOTS_AFTER  NUMBER(19,0)   NOT NULL,
    PARKING_DURATION_HOURS FLOAT,
    COST                   FLOAT,
    TRAFFIC_PATTERN        VARCHAR        NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6),
    OFFSET_TOKEN           VARCHAR
);
CREATE TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_TABLE}} (
    SESSION_ID             VARCHAR(36)    NOT NULL,
    LICENSE_PLATE          VARCHAR        NOT NULL,
    LICENSE_PLATE_STATE    VARCHAR        NOT NULL,
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    FACILITY_NAME          VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    IN_TIME                TIMESTAMP_LTZ(6) NOT NULL,
    OUT_TIME               TIMESTAMP_LTZ(6),
    ACTUAL_DURATION_HOURS  FLOAT,
    RATE_PER_HOUR          FLOAT          NOT NULL,
    COST                   FLOAT,
    STATUS                 VARCHAR(9)     NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6),
    OFFSET_TOKEN           VARCHAR
);
CREATE TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{FACILITIES_TABLE}} (
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    NAME                   VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    TOTAL_SPOTS            NUMBER(19,0)   NOT NULL,
    RATE_PER_HOUR          FLOAT          NOT NULL,
    DAILY_MAX              FLOAT          NOT NULL,
    BILLING_INCREMENT_MINUTES NUMBER(19,0) NOT NULL,
    PEAK_HOURS             VARCHAR        NOT NULL,
    STAY_PROFILE           VARCHAR        NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6)
);

-- @iceberg
CREATE ICEBERG TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{EVENTS_TABLE}} (
    EVENT_ID               VARCHAR        NOT NULL,
    EVENT_TYPE             VARCHAR        NOT NULL,
    SESSION_ID             VARCHAR        NOT NULL,
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    FACILITY_NAME          VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    LICENSE_PLATE          VARCHAR        NOT NULL,
    LICENSE_PLATE_STATE    VARCHAR        NOT NULL,
    EVENT_TIME             TIMESTAMP_LTZ(6) NOT NULL,
    AVAILABLE_SPOTS_AFTER  NUMBER(19,0)   NOT NULL,
    PARKING_DURATION_HOURS FLOAT,
    COST                   FLOAT,
    TRAFFIC_PATTERN        VARCHAR        NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6),
    OFFSET_TOKEN           VARCHAR
)
    CATALOG = 'SNOWFLAKE'
    EXTERNAL_VOLUME = {{EXTERNAL_VOLUME}}
    BASE_LOCATION = {{BASE_LOCATION_EVENTS}};
CREATE ICEBERG TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_TABLE}} (
    SESSION_ID             VARCHAR        NOT NULL,
    LICENSE_PLATE          VARCHAR        NOT NULL,
    LICENSE_PLATE_STATE    VARCHAR        NOT NULL,
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    FACILITY_NAME          VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    IN_TIME                TIMESTAMP_LTZ(6) NOT NULL,
    OUT_TIME               TIMESTAMP_LTZ(6),
    ACTUAL_DURATION_HOURS  FLOAT,
    RATE_PER_HOUR          FLOAT          NOT NULL,
    COST                   FLOAT,
    STATUS                 VARCHAR        NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6),
    OFFSET_TOKEN           VARCHAR
)
    CATALOG = 'SNOWFLAKE'
    EXTERNAL_VOLUME = {{EXTERNAL_VOLUME}}
    BASE_LOCATION = {{BASE_LOCATION_SESSIONS}};
CREATE ICEBERG TABLE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{FACILITIES_TABLE}} (
    FACILITY_ID            NUMBER(19,0)   NOT NULL,
    NAME                   VARCHAR        NOT NULL,
    DISTRICT               VARCHAR        NOT NULL,
    TOTAL_SPOTS            NUMBER(19,0)   NOT NULL,
    RATE_PER_HOUR          FLOAT          NOT NULL,
    DAILY_MAX              FLOAT          NOT NULL,
    BILLING_INCREMENT_MINUTES NUMBER(19,0) NOT NULL,
    PEAK_HOURS             VARCHAR        NOT NULL,
    STAY_PROFILE           VARCHAR        NOT NULL,
    INGESTED_AT            TIMESTAMP_LTZ(6)
)
    CATALOG = 'SNOWFLAKE'
    EXTERNAL_VOLUME = {{EXTERNAL_VOLUME}}
    BASE_LOCATION = {{BASE_LOCATION_FACILITIES}};

-- @common
-- Pipes for the live feed (Snowpipe Streaming REST); the historical load does not use them.
CREATE PIPE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{EVENTS_PIPE}}
    AS COPY INTO {{DATABASE}}.{{SCHEMA}}.{{EVENTS_TABLE}}
    FROM TABLE(DATA_SOURCE(TYPE => 'STREAMING'))
    MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;
CREATE PIPE IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_PIPE}}
    AS COPY INTO {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_TABLE}}
    FROM TABLE(DATA_SOURCE(TYPE => 'STREAMING'))
    MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;

-- Each session's current state. The live feed streams a session's changes as they happen (an
-- 'active' row at CAR_IN, a 'completed' row at CAR_OUT), so the table keeps a session's history;
-- questions about sessions (current occupancy, revenue) read this view. A completed row wins
-- over an active one whatever the order the rows landed in; among equals the latest landed wins.
CREATE VIEW IF NOT EXISTS {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_CURRENT_VIEW}} AS
SELECT *
FROM {{DATABASE}}.{{SCHEMA}}.{{SESSIONS_TABLE}}
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY SESSION_ID
    ORDER BY IFF(STATUS = 'completed', 1, 0) DESC, INGESTED_AT DESC NULLS LAST, OFFSET_TOKEN DESC NULLS LAST
) = 1;
