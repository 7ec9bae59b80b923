-- parking-iot sample queries for the local store (SQLite). The same questions for Snowflake are
-- in sample_queries_snowflake.sql. Run them with: sqlite3 parking-iot.db < sample_queries_sqlite.sql
-- Each query starts with a "-- name:" line (tests/sample_queries.rs runs every one of them).
-- traffic_pattern is 'District|day_tag+hour_tag[+extra]|mult:M.Mx'; SQLite has no SPLIT_PART, so
-- the parts are cut with substr/instr.

-- name: events_by_type_and_district
SELECT district,
       event_type,
       COUNT(*) AS events
FROM parking_events
GROUP BY district, event_type
ORDER BY district, event_type;

-- name: traffic_patterns
WITH parts AS (
    SELECT substr(traffic_pattern, 1, instr(traffic_pattern, '|') - 1)  AS district,
           substr(traffic_pattern, instr(traffic_pattern, '|') + 1)     AS rest
    FROM parking_events
    WHERE event_type = 'CAR_IN'
), tags AS (
    SELECT district,
           substr(rest, 1, instr(rest, '|') - 1)                         AS tags,
           substr(rest, instr(rest, '|') + 1)                            AS mult
    FROM parts
)
SELECT district,
       CASE WHEN instr(tags, '+') > 0 THEN substr(tags, 1, instr(tags, '+') - 1) ELSE tags END AS day_tag,
       COUNT(*)                                                              AS arrivals,
       ROUND(AVG(CAST(replace(replace(mult, 'mult:', ''), 'x', '') AS REAL)), 2) AS avg_multiplier
FROM tags
GROUP BY district, day_tag
ORDER BY district, arrivals DESC;

-- name: revenue_by_district
SELECT district,
       COUNT(*)                            AS completed_sessions,
       ROUND(SUM(cost), 2)                 AS revenue,
       ROUND(AVG(cost), 2)                 AS avg_cost,
       ROUND(AVG(actual_duration_hours), 2) AS avg_hours
FROM parking_sessions
WHERE status = 'completed'
GROUP BY district
ORDER BY revenue DESC;

-- name: plate_state_distribution
SELECT license_plate_state,
       COUNT(*)                                                          AS sessions,
       ROUND(100.0 * COUNT(*) / (SELECT COUNT(*) FROM parking_sessions), 2) AS pct
FROM parking_sessions
GROUP BY license_plate_state
ORDER BY sessions DESC;

-- name: current_occupancy
-- Cars still parked (active sessions) per facility against its capacity.
SELECT f.facility_id,
       f.name,
       f.district,
       f.total_spots,
       COUNT(s.session_id)                                   AS occupied,
       ROUND(100.0 * COUNT(s.session_id) / f.total_spots, 1) AS occupancy_pct
FROM parking_facilities f
LEFT JOIN parking_sessions s
       ON s.facility_id = f.facility_id AND s.status = 'active'
GROUP BY f.facility_id, f.name, f.district, f.total_spots
ORDER BY occupancy_pct DESC, f.facility_id;
