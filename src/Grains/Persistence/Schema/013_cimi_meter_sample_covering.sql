-- CimiGrains schema 013: the series index carries the value (010 now makes cimi_meter_sample_series_value, with
-- INCLUDE (value)), so reading a series' range is an index-only scan. The hosts' batches interleave every series,
-- so the rows of one series' hour lie on as many heap pages as it has readings, and fetching those pages was most
-- of a one-hour read (docs/METERS.md, "Storage"). The index without the value, which builds before made, goes.
-- Its partitions are vacuumed every 100,000 inserted rows, which keeps their pages
-- all-visible (SampleStore). Idempotent. On a deployment with samples, 010 builds the new index once, on the next
-- start, locking the samples' writes while it runs (no CONCURRENTLY on a partitioned parent): the ingest's batches
-- wait for it (bounded: the oldest readings are dropped).
DROP INDEX IF EXISTS cimi_meter_sample_series;
-- The partitions made before get the same vacuum settings.
DO $$
DECLARE p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'cimi_meter_sample'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 100000)', p);
    END LOOP;
END $$;
