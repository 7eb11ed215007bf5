-- CimiGrains schema 006: what keeps collection reads fast at 10^5 resources per tenant. Idempotent,
-- like every script here, and cheap to re-run: every script runs on every start, so each step that
-- rewrites or locks cimi_resource runs only when its object is missing.

-- 1. Exact collection counts without counting. One row per (tenant, kind), kept by statement-level
--    triggers in the same transaction as the insert or delete that changes it, so it is exact and
--    commits or rolls back with the rows. Concurrent writers of one collection serialise on its
--    count row only for the duration of their own (single-statement) transaction.
--    Triggers with transition tables see only the rows a statement really inserted: an upsert that
--    took its ON CONFLICT DO UPDATE branch inserts nothing and leaves the count alone.
CREATE TABLE IF NOT EXISTS cimi_resource_count
(
    tenant_id text   NOT NULL,
    kind      text   NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

CREATE OR REPLACE FUNCTION cimi_resource_count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
    SELECT tenant_id, kind, count(*) FROM inserted GROUP BY tenant_id, kind
    -- Sorted, so two multi-collection statements lock count rows in the same order (no deadlock).
    ORDER BY tenant_id, kind
    ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cimi_resource_count_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE cimi_resource_count AS c SET n = c.n - d.n
    FROM (SELECT tenant_id, kind, count(*) AS n FROM deleted GROUP BY tenant_id, kind ORDER BY tenant_id, kind) d
    WHERE c.tenant_id = d.tenant_id AND c.kind = d.kind;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cimi_resource_count_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM cimi_resource_count;
    RETURN NULL;
END
$fn$;

-- The triggers and the backfill are created together, once. CREATE TRIGGER locks cimi_resource
-- against writes until the migration commits, so no row is inserted or deleted between the
-- backfill's count and the triggers taking over: the counts start exact.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'cimi_resource_count_insert'
                   AND tgrelid = 'cimi_resource'::regclass) THEN
        CREATE TRIGGER cimi_resource_count_insert AFTER INSERT ON cimi_resource
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_count_inserted();
        CREATE TRIGGER cimi_resource_count_delete AFTER DELETE ON cimi_resource
            REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_count_deleted();
        CREATE TRIGGER cimi_resource_count_truncate AFTER TRUNCATE ON cimi_resource
            FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_count_truncated();
        DELETE FROM cimi_resource_count;
        INSERT INTO cimi_resource_count (tenant_id, kind, n)
        SELECT tenant_id, kind, count(*) FROM cimi_resource GROUP BY tenant_id, kind;
    END IF;
END
$do$;

-- 2. Typed copies of the hottest filter attributes, exactly the expressions FilterSql compares
--    (a value of another JSON type is NULL, so it never matches, as before). Plain columns give the
--    planner real statistics (it estimated 67 rows for 24,000 through the CASE expression) and let
--    indexes answer counts and pages without reading documents (index-only scans).
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'cimi_resource' AND column_name = 'doc_state') THEN
        ALTER TABLE cimi_resource
            ADD COLUMN doc_state text GENERATED ALWAYS AS
                (CASE WHEN jsonb_typeof(doc->'state') = 'string' THEN doc->>'state' END) STORED,
            ADD COLUMN doc_cpu numeric GENERATED ALWAYS AS
                (CASE WHEN jsonb_typeof(doc->'cpu') = 'number' THEN (doc->'cpu')::numeric END) STORED,
            ADD COLUMN doc_memory numeric GENERATED ALWAYS AS
                (CASE WHEN jsonb_typeof(doc->'memory') = 'number' THEN (doc->'memory')::numeric END) STORED;
    END IF;
END
$do$;

-- Filtered counts by state (and cpu/memory ranges) as index-only scans.
CREATE INDEX IF NOT EXISTS cimi_resource_state_cpu_idx ON cimi_resource (tenant_id, kind, doc_state, doc_cpu)
    INCLUDE (doc_memory);

-- Pages of a state ordered by name, in exactly FilterSql's ORDER BY (name NULLS LAST, created, id):
-- the planner walks it and stops after the page, checking cpu/memory from the index.
CREATE INDEX IF NOT EXISTS cimi_resource_state_name_idx ON cimi_resource (tenant_id, kind, doc_state, name, created, id)
    INCLUDE (doc_cpu, doc_memory);

-- 3. Index-only scans need the visibility map, and Machines and Jobs rewrite their row on every
--    state change: vacuum after 2 % of the table changed or was inserted, not the default 20 %.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = 'cimi_resource'::regclass
                   AND reloptions @> ARRAY['autovacuum_vacuum_insert_scale_factor=0.02']) THEN
        ALTER TABLE cimi_resource SET (autovacuum_vacuum_scale_factor = 0.02,
                                       autovacuum_vacuum_insert_scale_factor = 0.02,
                                       autovacuum_analyze_scale_factor = 0.02);
    END IF;
END
$do$;
