-- parking-iot sample queries for Snowflake (the objects of snowflake_setup.sql, default names).
-- The same questions for the local store are in sample_queries_sqlite.sql.
-- traffic_pattern is 'District|day_tag+hour_tag[+extra]|mult:M.Mx'.
-- Sessions are read from PARKING_SESSIONS_CURRENT (one row per session, its latest state): the
-- live feed streams each session twice (active, then completed) into PARKING_SESSIONS.
USE DATABASE PARKING_IOT;
USE SCHEMA RAW_DATA;

-- name: events_by_type_and_district
SELECT DISTRICT,
       EVENT_TYPE,
       COUNT(*) AS EVENTS
FROM PARKING_EVENTS
GROUP BY DISTRICT, EVENT_TYPE
ORDER BY DISTRICT, EVENT_TYPE;

-- name: traffic_patterns
SELECT SPLIT_PART(TRAFFIC_PATTERN, '|', 1)                               AS DISTRICT,
       SPLIT_PART(SPLIT_PART(TRAFFIC_PATTERN, '|', 2), '+', 1)           AS DAY_TAG,
       COUNT(*)                                                          AS ARRIVALS,
       ROUND(AVG(TRY_TO_DOUBLE(REPLACE(REPLACE(SPLIT_PART(TRAFFIC_PATTERN, '|', 3), 'mult:', ''), 'x', ''))), 2) AS AVG_MULTIPLIER
FROM PARKING_EVENTS
WHERE EVENT_TYPE = 'CAR_IN'
GROUP BY 1, 2
ORDER BY DISTRICT, ARRIVALS DESC;

-- name: revenue_by_district
SELECT DISTRICT,
       COUNT(*)                             AS COMPLETED_SESSIONS,
       ROUND(SUM(COST), 2)                  AS REVENUE,
       ROUND(AVG(COST), 2)                  AS AVG_COST,
       ROUND(AVG(ACTUAL_DURATION_HOURS), 2) AS AVG_HOURS
FROM PARKING_SESSIONS_CURRENT
WHERE STATUS = 'completed'
GROUP BY DISTRICT
ORDER BY REVENUE DESC;

-- name: plate_state_distribution
SELECT LICENSE_PLATE_STATE,
       COUNT(*)                                             AS SESSIONS,
       ROUND(100 * RATIO_TO_REPORT(COUNT(*)) OVER (), 2)    AS PCT
FROM PARKING_SESSIONS_CURRENT
GROUP BY LICENSE_PLATE_STATE
ORDER BY SESSIONS DESC;

-- name: current_occupancy
-- Cars still parked (active sessions) per facility against its capacity.
SELECT f.FACILITY_ID,
       f.NAME,
       f.DISTRICT,
       f.TOTAL_SPOTS,
       COUNT(s.SESSION_ID)                                    AS OCCUPIED,
       ROUND(100 * COUNT(s.SESSION_ID) / f.TOTAL_SPOTS, 1)    AS OCCUPANCY_PCT
FROM PARKING_FACILITIES f
LEFT JOIN PARKING_SESSIONS_CURRENT s
       ON s.FACILITY_ID = f.FACILITY_ID AND s.STATUS = 'active'
GROUP BY f.FACILITY_ID, f.NAME, f.DISTRICT, f.TOTAL_SPOTS
ORDER BY OCCUPANCY_PCT DESC, f.FACILITY_ID;
