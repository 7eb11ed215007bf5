-- CimiGrains schema 006: what keeps collection reads fast at 10^5 resources per tenant. Idempotent,
-- like every script here, and cheap to re-run: every script runs on every start, so each step that
-- rewrites or locks cimi_resource runs only when its object is missing.

-- 1. Exact counts without counting rows, kept by triggers in the same transaction as the insert,
--    update or delete that changes them, so they are exact and commit or roll back with the rows.
--    Concurrent writers of one collection serialise on its count rows only for their own
--    (single-statement) transaction, and lock them in key order. An upsert that takes its
--    ON CONFLICT DO UPDATE branch is an update (the INSERT trigger's transition table is empty).
--    cimi_resource_count: one row per collection, for unfiltered pages.
CREATE TABLE IF NOT EXISTS cimi_resource_count
(
    tenant_id text   NOT NULL,
    kind      text   NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

-- epoch, version: where the collection's membership is. version counts the items that came or went
--    in this epoch; it grows by one per writing statement, under the count row's lock, so committed
--    versions are contiguous and in commit order. epoch is fresh from a sequence whenever the row is
--    (re)created (a backfill, a TRUNCATE), when the changes are not in cimi_resource_membership below.
--    Positions in creation order change only with membership (created and id are never updated): a
--    reader that saw (epoch, version) in the snapshot it pages from knows which positions it learned
--    still hold, and the membership log says how later ones moved (PageAnchors).
CREATE SEQUENCE IF NOT EXISTS cimi_resource_count_epoch;
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'cimi_resource_count' AND column_name = 'epoch') THEN
        ALTER TABLE cimi_resource_count
            ADD COLUMN epoch bigint NOT NULL DEFAULT nextval('cimi_resource_count_epoch'),
            ADD COLUMN version bigint NOT NULL DEFAULT 1;
    END IF;
END
$do$;

-- The items that came (+1) or went (-1) at each version of a collection, kept for the last
-- MembershipWindow versions: a reader holding positions of an older version corrects them from here.
CREATE TABLE IF NOT EXISTS cimi_resource_membership
(
    tenant_id text        NOT NULL,
    kind      text        NOT NULL,
    version   bigint      NOT NULL,
    created   timestamptz NOT NULL,
    id        text        NOT NULL,
    delta     smallint    NOT NULL
);
CREATE INDEX IF NOT EXISTS cimi_resource_membership_idx ON cimi_resource_membership (tenant_id, kind, version);

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

-- Inserts and deletes: statement-level with transition tables, so a bulk statement (COPY, a tenant's
-- purge) updates each count row once, not once per row. Keys are written in key order.
CREATE OR REPLACE FUNCTION cimi_resource_counts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- The membership log is pruned every 100 versions to the last 1,000 (ResourceReadModel.MembershipWindow).
    WITH c AS (
        INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
        SELECT tenant_id, kind, count(*) FROM inserted GROUP BY tenant_id, kind ORDER BY tenant_id, kind
        ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, version = c.version + 1
        RETURNING tenant_id, kind, version),
    logged AS (
        INSERT INTO cimi_resource_membership (tenant_id, kind, version, created, id, delta)
        SELECT i.tenant_id, i.kind, c.version, i.created, i.id, 1 FROM inserted i JOIN c USING (tenant_id, kind))
    DELETE FROM cimi_resource_membership m USING c
    WHERE c.version % 100 = 0 AND m.tenant_id = c.tenant_id AND m.kind = c.kind AND m.version <= c.version - 1000;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT tenant_id, kind, doc_state, doc_cpu, doc_memory, count(*) FROM inserted
    GROUP BY tenant_id, kind, doc_state, doc_cpu, doc_memory ORDER BY tenant_id, kind, doc_state, doc_cpu, doc_memory
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$fn$;

-- Like an insert with negative counts, so the count rows are locked in the same (key) order.
CREATE OR REPLACE FUNCTION cimi_resource_counts_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH c AS (
        INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
        SELECT tenant_id, kind, -count(*) FROM deleted GROUP BY tenant_id, kind ORDER BY tenant_id, kind
        ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, version = c.version + 1
        RETURNING tenant_id, kind, version),
    logged AS (
        INSERT INTO cimi_resource_membership (tenant_id, kind, version, created, id, delta)
        SELECT d.tenant_id, d.kind, c.version, d.created, d.id, -1 FROM deleted d JOIN c USING (tenant_id, kind))
    DELETE FROM cimi_resource_membership m USING c
    WHERE c.version % 100 = 0 AND m.tenant_id = c.tenant_id AND m.kind = c.kind AND m.version <= c.version - 1000;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT tenant_id, kind, doc_state, doc_cpu, doc_memory, -count(*) FROM deleted
    GROUP BY tenant_id, kind, doc_state, doc_cpu, doc_memory ORDER BY tenant_id, kind, doc_state, doc_cpu, doc_memory
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$fn$;

-- Updates: row-level, because most upserts take the ON CONFLICT DO UPDATE branch without changing
-- any counted column (a Machine's description, a Job's progress), and the UPDATE trigger's WHEN
-- clause then skips them without calling anything. A row that does change (a state change) leaves
-- its old collection and facet and enters its new ones, written in key order (grouped, so a key
-- both left and entered is written once, or not at all when unchanged).
CREATE OR REPLACE FUNCTION cimi_resource_counts_updated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
    SELECT v.t, v.k, sum(v.d)
    FROM (VALUES (OLD.tenant_id, OLD.kind, -1), (NEW.tenant_id, NEW.kind, 1)) v(t, k, d)
    GROUP BY v.t, v.k HAVING sum(v.d) <> 0 ORDER BY v.t, v.k
    -- A row moved to another collection (never done by CimiGrains): both start a new epoch.
    ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, epoch = EXCLUDED.epoch, version = 1;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT v.t, v.k, v.s, v.c, v.m, sum(v.d)
    FROM (VALUES (OLD.tenant_id, OLD.kind, OLD.doc_state, OLD.doc_cpu, OLD.doc_memory, -1),
                 (NEW.tenant_id, NEW.kind, NEW.doc_state, NEW.doc_cpu, NEW.doc_memory, 1)) v(t, k, s, c, m, d)
    GROUP BY v.t, v.k, v.s, v.c, v.m HAVING sum(v.d) <> 0 ORDER BY v.t, v.k, v.s, v.c, v.m
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cimi_resource_counts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM cimi_resource_count;
    DELETE FROM cimi_resource_facet_count;
    DELETE FROM cimi_resource_membership;
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
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_counts_inserted();
        CREATE TRIGGER cimi_resource_counts_update AFTER UPDATE ON cimi_resource
            FOR EACH ROW WHEN ((OLD.tenant_id, OLD.kind, OLD.doc_state, OLD.doc_cpu, OLD.doc_memory)
                               IS DISTINCT FROM (NEW.tenant_id, NEW.kind, NEW.doc_state, NEW.doc_cpu, NEW.doc_memory))
            EXECUTE FUNCTION cimi_resource_counts_updated();
        CREATE TRIGGER cimi_resource_counts_delete AFTER DELETE ON cimi_resource
            REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_counts_deleted();
        CREATE TRIGGER cimi_resource_counts_truncate AFTER TRUNCATE ON cimi_resource
            FOR EACH STATEMENT EXECUTE FUNCTION cimi_resource_counts_truncated();
        DELETE FROM cimi_resource_count;
        DELETE FROM cimi_resource_membership;
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
