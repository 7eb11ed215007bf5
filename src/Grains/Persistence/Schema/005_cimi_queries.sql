-- CimiGrains schema 005: what CIMI collection queries ($filter, $orderby, $expand) need from the
-- read model. Idempotent, like every script here.

-- $filter compares dates held in documents as timestamptz; a string that is not a valid date must
-- make the comparison false, not fail the whole query (a plain ::timestamptz cast would raise).
CREATE OR REPLACE FUNCTION cimi_try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$fn$;

-- $orderby=name (and name comparisons) walk this index in order within a tenant's collection.
CREATE INDEX IF NOT EXISTS cimi_resource_name_idx ON cimi_resource (tenant_id, kind, name, id);

-- The most common filter of every stateful collection (state='STARTED').
CREATE INDEX IF NOT EXISTS cimi_resource_state_idx ON cimi_resource (tenant_id, kind, (doc->>'state'));

-- $expand fetches referenced documents by id without knowing their kind.
CREATE INDEX IF NOT EXISTS cimi_resource_id_idx ON cimi_resource (tenant_id, id);
