-- CimiGrains schema 006: what keeps collection reads fast at 10^5 resources per tenant. Idempotent,
-- like every script here, and cheap to re-run: every script runs on every start, so each step that
-- rewrites or locks cimi_resource runs only when its object is missing.

-- 1. Exact counts without counting rows, kept by row-level triggers in the same transaction as the
--    insert, update or delete that changes them, so they are exact and commit or roll back with the
--    rows. Concurrent writers of one collection serialise on its count rows only for their own
--    (single-statement) transaction; one row's change locks its count rows in key order. An upsert
--    that takes its ON CONFLICT DO UPDATE branch fires the UPDATE trigger, not the INSERT one.
--    cimi_resource_count: one row per collection, for unfiltered pages.
CREATE TABLE IF NOT EXISTS cimi_resource_count
(
    tenant_id text   NOT NULL,
    kind      text   NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

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

-- Pages of a state ordered by name, in exactly FilterSql's ORDER BY (name NULLS LAST, created, id):
-- the planner walks it and stops after the page, checking cpu/memory from the index. It also
-- answers counts of a state combined with other attributes (index-only where they are covered).
CREATE INDEX IF NOT EXISTS cimi_resource_state_name_idx ON cimi_resource (tenant_id, kind, doc_state, name, created, id)
    INCLUDE (doc_cpu, doc_memory);

-- 3. cimi_resource_facet_count: rows per collection and combination of the typed columns of section 2
-- (a few dozen per collection: states x configurations), so a filter on those attributes alone
-- (state='STARTED' and cpu>=4) is counted exactly by summing a few rows instead of scanning
-- every match. FilterSql emits the same WHERE text for both tables.
CREATE TABLE IF NOT EXISTS cimi_resource_facet_count
(
    tenant_id  text    NOT NULL,
    kind       text    NOT NULL,
    doc_state  text,
    doc_cpu    numeric,
    doc_memory numeric,
    n          bigint  NOT NULL,
    UNIQUE NULLS NOT DISTINCT (tenant_id, kind, doc_state, doc_cpu, doc_memory)
);

-- One row's change: OLD leaves its collection and facet, NEW enters its own. The keys are written in
-- key order (grouped, so a key both left and entered is written once or, if unchanged, not at all).
-- Row-level, so a single-row upsert pays one small function call, and an update that changes none
-- of the counted columns (most upserts: a Machine's description, a Job's progress) none at all:
-- the UPDATE trigger's WHEN clause is checked without calling the function.
CREATE OR REPLACE FUNCTION cimi_resource_counts_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    t1 text; k1 text; s1 text; c1 numeric; m1 numeric; d1 bigint;
    t2 text; k2 text; s2 text; c2 numeric; m2 numeric; d2 bigint := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        t1 := NEW.tenant_id; k1 := NEW.kind; s1 := NEW.doc_state; c1 := NEW.doc_cpu; m1 := NEW.doc_memory; d1 := 1;
    ELSE
        t1 := OLD.tenant_id; k1 := OLD.kind; s1 := OLD.doc_state; c1 := OLD.doc_cpu; m1 := OLD.doc_memory; d1 := -1;
        IF TG_OP = 'UPDATE' THEN
            t2 := NEW.tenant_id; k2 := NEW.kind; s2 := NEW.doc_state; c2 := NEW.doc_cpu; m2 := NEW.doc_memory; d2 := 1;
        END IF;
    END IF;
    INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
    SELECT v.t, v.k, sum(v.d) FROM (VALUES (t1, k1, d1), (t2, k2, d2)) v(t, k, d)
    WHERE v.d <> 0 GROUP BY v.t, v.k HAVING sum(v.d) <> 0 ORDER BY v.t, v.k
    ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT v.t, v.k, v.s, v.c, v.m, sum(v.d) FROM (VALUES (t1, k1, s1, c1, m1, d1), (t2, k2, s2, c2, m2, d2)) v(t, k, s, c, m, d)
    WHERE v.d <> 0 GROUP BY v.t, v.k, v.s, v.c, v.m HAVING sum(v.d) <> 0 ORDER BY v.t, v.k, v.s, v.c, v.m
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cimi_resource_counts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM cimi_resource_count;
    DELETE FROM cimi_resource_facet_count;
    RETURN NULL;
END
$fn$;

-- The triggers and the backfill are created together, once (after the typed columns exist).
-- CREATE TRIGGER locks cimi_resource against writes until the migration commits, so no row is
-- inserted, updated or deleted between the backfill's count and the triggers taking over.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'cimi_resource_counts_insert'
                   AND tgrelid = 'cimi_resource'::regclass) THEN
        CREATE TRIGGER cimi_resource_counts_insert AFTER INSERT ON cimi_resource
            FOR EACH ROW EXECUTE FUNCTION cimi_resource_counts_changed();
        CREATE TRIGGER cimi_resource_counts_update AFTER UPDATE ON cimi_resource
            FOR EACH ROW WHEN ((OLD.tenant_id, OLD.kind, OLD.doc_state, OLD.doc_cpu, OLD.doc_memory)
                               IS DISTINCT FROM (NEW.tenant_id, NEW.kind, NEW.doc_state, NEW.doc_cpu, NEW.doc_memory))
            EXECUTE FUNCTION cimi_resource_counts_changed();
        CREATE TRIGGER cimi_resource_counts_delete AFTER DELETE ON cimi_resource
            FOR EACH ROW EXECUTE FUNCTION cimi_resource_counts_changed();
        CREATE TRIGGER cimi_resource_counts_truncate AFTER TRUNCATE ON cimi_resource
            FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_counts_truncated();
        DELETE FROM cimi_resource_count;
        INSERT INTO cimi_resource_count (tenant_id, kind, n)
        SELECT tenant_id, kind, count(*) FROM cimi_resource GROUP BY tenant_id, kind;
        DELETE FROM cimi_resource_facet_count;
        INSERT INTO cimi_resource_facet_count (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
        SELECT tenant_id, kind, doc_state, doc_cpu, doc_memory, count(*) FROM cimi_resource
        GROUP BY tenant_id, kind, doc_state, doc_cpu, doc_memory;
    END IF;
END
$do$;

-- 4. Index-only scans need the visibility map, and Machines and Jobs rewrite their row on every
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
