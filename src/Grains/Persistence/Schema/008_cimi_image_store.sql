-- CimiGrains schema 008: the cluster image store (docs/IMAGES.md). The bytes of every image that hosts
-- fetch from the cluster (captures, operator-registered files) live here, in the one durable store every
-- silo already shares, so an image outlives the host it was captured on. Idempotent, as every script.

-- One row per stored image, keyed by its canonical image location (driver:reference). blob_id names the
-- chunks of its current content: a re-upload writes a new blob and switches the row to it in one
-- transaction, so a reader never sees a mixture of two uploads. owner_tenant is the capturing tenant, or
-- null for an operator-registered image that every tenant may name.
CREATE TABLE IF NOT EXISTS cimi_image
(
    location     text        PRIMARY KEY,
    driver       text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('capture', 'registered')),
    format       text        NOT NULL,
    owner_tenant text,
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    blob_id      uuid        NOT NULL UNIQUE,
    created      timestamptz NOT NULL DEFAULT now()
);

-- The content, in chunks of at most 1 MiB (a row each, so neither side ever holds a whole image and a
-- download reads one chunk per query). Compressing disk images and tar archives gains little and costs
-- CPU on every read: stored uncompressed, out of line.
CREATE TABLE IF NOT EXISTS cimi_image_chunk
(
    blob_id uuid    NOT NULL,
    seq     integer NOT NULL CHECK (seq >= 0),
    data    bytea   NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
ALTER TABLE cimi_image_chunk ALTER COLUMN data SET STORAGE EXTERNAL;

-- Uploads in progress: their chunks belong to no image yet. A finished upload deletes its row in the
-- transaction that names the blob in cimi_image; the chunks of one that never finished (its gateway
-- died) are reclaimed by the sweep once the row is old (ImageStoreDatabase.SweepAsync).
CREATE TABLE IF NOT EXISTS cimi_image_upload
(
    blob_id  uuid        PRIMARY KEY,
    location text        NOT NULL,
    started  timestamptz NOT NULL DEFAULT now()
);

-- Which hosts fetched which image (a capture's capturer is in its capture record too): a deletion asks
-- each of them to remove its copy.
CREATE TABLE IF NOT EXISTS cimi_image_holder
(
    location text        NOT NULL,
    host_id  text        NOT NULL,
    fetched  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (location, host_id)
);
