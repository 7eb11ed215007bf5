-- CimiGrains schema 014: every series summarised per minute (docs/METERS.md, "Storage"), so that reading a range
-- per minute or coarser costs one row per minute instead of one per reading (an hour: 60 rows, not 3,600). Kept
-- exact by a statement trigger on the samples table: every INSERT and COPY, the ingest's and anyone's, adds its
-- rows to their minutes in the same transaction (a reading that arrives late, after a database outage, still
-- lands in its minute). Retention deletes minutes older than the oldest partition kept (SampleStore); deleting a
-- series deletes its minutes. Idempotent; the minutes of rows written before are computed once, when the trigger
-- is made (it takes the samples' write lock first, so no row is counted twice or missed).
CREATE TABLE IF NOT EXISTS cimi_meter_minute
(
    tenant_id   text             NOT NULL,
    resource_id text             NOT NULL,
    aspect      text             NOT NULL,
    minute      timestamptz      NOT NULL,
    min         double precision NOT NULL,
    max         double precision NOT NULL,
    sum         double precision NOT NULL,
    count       bigint           NOT NULL,
    PRIMARY KEY (tenant_id, resource_id, aspect, minute)
);

-- Retention's range deletes. No indexed column is ever updated, so the trigger's updates stay HOT.
CREATE INDEX IF NOT EXISTS cimi_meter_minute_time ON cimi_meter_minute (minute);

CREATE OR REPLACE FUNCTION cimi_meter_minute_roll() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cimi_meter_minute AS m (tenant_id, resource_id, aspect, minute, min, max, sum, count)
    SELECT tenant_id, resource_id, aspect, date_bin('1 minute', at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
           min(value), max(value), sum(value), count(*)
    FROM new_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, resource_id, aspect, minute) DO UPDATE
    SET min = least(m.min, excluded.min), max = greatest(m.max, excluded.max),
        sum = m.sum + excluded.sum, count = m.count + excluded.count;
    RETURN NULL;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'cimi_meter_minute_roll' AND tgrelid = 'cimi_meter_sample'::regclass) THEN
        CREATE TRIGGER cimi_meter_minute_roll AFTER INSERT ON cimi_meter_sample
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cimi_meter_minute_roll();
        INSERT INTO cimi_meter_minute (tenant_id, resource_id, aspect, minute, min, max, sum, count)
        SELECT tenant_id, resource_id, aspect, date_bin('1 minute', at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
               min(value), max(value), sum(value), count(*)
        FROM cimi_meter_sample GROUP BY 1, 2, 3, 4
        ON CONFLICT DO NOTHING;
    END IF;
END $$;
