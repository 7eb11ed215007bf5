-- CimiGrains schema 004: the project's own tables. Idempotent; see 001 for the rules every script
-- here follows. To change a table later, append ALTER TABLE ... ADD COLUMN IF NOT EXISTS (or a new
-- numbered script) rather than editing a CREATE TABLE: existing databases never re-run a CREATE.

CREATE TABLE IF NOT EXISTS cimi_tenant
(
    id      text        PRIMARY KEY,
    name    text        NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);

-- password_hash is the application's PBKDF2 string (algorithm, iterations, salt, hash); a plain
-- password is never stored here.
CREATE TABLE IF NOT EXISTS cimi_user
(
    tenant_id     text        NOT NULL REFERENCES cimi_tenant (id),
    username      text        PRIMARY KEY,
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'user',
    created       timestamptz NOT NULL DEFAULT now()
);

-- Listing a tenant's users, and the foreign-key check when a tenant row is deleted.
CREATE INDEX IF NOT EXISTS cimi_user_tenant_idx ON cimi_user (tenant_id);

-- The read model: one row per resource, its public CIMI document in doc. Grains upsert it after
-- their own state is durable; collection reads page it without activating grains. Never a secret.
CREATE TABLE IF NOT EXISTS cimi_resource
(
    tenant_id text        NOT NULL,
    kind      text        NOT NULL,
    id        text        NOT NULL,
    name      text,
    state     text,
    created   timestamptz NOT NULL,
    updated   timestamptz NOT NULL,
    doc       jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);

-- Collection pages are ordered by (created, id) within a tenant and kind.
CREATE INDEX IF NOT EXISTS cimi_resource_page_idx ON cimi_resource (tenant_id, kind, created, id);

-- CIMI $filter on document properties (doc @> '{...}' and jsonpath matches).
CREATE INDEX IF NOT EXISTS cimi_resource_doc_idx ON cimi_resource USING gin (doc jsonb_path_ops);
