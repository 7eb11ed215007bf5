-- CimiGrains schema 010: the samples the hosts measured for Meters (docs/METERS.md). Idempotent.

-- One row per resource, aspect and reading. Meters on the same resource and aspect share these rows (a
-- Meter is a view over them: its target, aspect and time window), so a second Meter costs no writes.
-- Range-partitioned by time: the silo creates partitions ahead (cimi_meter_sample_pYYYYMMDDHH, one per
-- partition width) and retention drops whole partitions, which is a catalogue change rather than a
-- DELETE that bloats the table and its index. No primary key: a reading is never updated, and a unique
-- index would cost every insert a lookup; the (resource, aspect, time) index serves every query of the
-- samples collection (one series, a time range) as an index range scan within the partitions the range
-- touches.
CREATE TABLE IF NOT EXISTS cimi_meter_sample
(
    tenant_id   text             NOT NULL,
    resource_id text             NOT NULL,
    aspect      text             NOT NULL,
    at          timestamptz      NOT NULL,
    value       double precision NOT NULL
) PARTITION BY RANGE (at);

-- The index carries the value (INCLUDE) so that reading a series' range is an index-only scan (schema 013 says why
-- and drops the index without it, which builds before this one made).
CREATE INDEX IF NOT EXISTS cimi_meter_sample_series_value ON cimi_meter_sample (tenant_id, resource_id, aspect, at) INCLUDE (value);
