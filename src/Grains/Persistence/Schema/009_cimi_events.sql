-- The event journal (docs/EVENTS.md): one row per CIMI Event, never updated. The identity is the Event's
-- id (events/{id}) and its position on the live stream. A resource's own events carry its per-resource
-- sequence, unique per resource, so writing one twice (the re-projection after a crash) is a no-op;
-- journal events (alarms, access refusals) have none.
CREATE TABLE IF NOT EXISTS cimi_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL,
    resource_type text,
    resource_id text,
    resource_name text,
    sequence bigint,
    type text NOT NULL,
    outcome text NOT NULL,
    severity text NOT NULL,
    time timestamptz NOT NULL,
    contact text,
    -- The Event document without its id (the id is this row's), as the Gateway renders it.
    doc jsonb NOT NULL,
    -- When the row was inserted, by the database's clock: the stream's tail uses it to tell an id that
    -- a running transaction still holds from one a rolled-back transaction left unused.
    recorded timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX IF NOT EXISTS cimi_event_resource_sequence ON cimi_event (tenant_id, resource_id, sequence)
    WHERE sequence IS NOT NULL;
CREATE INDEX IF NOT EXISTS cimi_event_tenant ON cimi_event (tenant_id, id);
CREATE INDEX IF NOT EXISTS cimi_event_resource ON cimi_event (tenant_id, resource_id, id) WHERE resource_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS cimi_event_time ON cimi_event (time);

-- Wakes every gateway's tail at commit (one notification per transaction, whatever it inserted); the
-- tails also poll, so a lost notification only delays.
CREATE OR REPLACE FUNCTION cimi_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cimi_event', '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS cimi_event_notify ON cimi_event;
CREATE TRIGGER cimi_event_notify AFTER INSERT ON cimi_event FOR EACH STATEMENT EXECUTE FUNCTION cimi_event_notify();

-- A request for an id of another tenant is answered 404 and recorded in that tenant's log: finding the
-- owner of an id without its tenant needs this index (read only on such refusals).
CREATE INDEX IF NOT EXISTS cimi_resource_by_id ON cimi_resource (kind, id);
