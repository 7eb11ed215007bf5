-- CimiGrains schema 002: grain state (Microsoft.Orleans.Persistence.AdoNet), for the Orleans 10.4.2
-- contract. Idempotent; see 001 for the rules every script here follows.
--
-- What the 10.4.2 provider sends and expects:
--   parameters  GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString (the state name),
--               GrainIdExtensionString (NULL for plain integer/Guid keys; the whole key for string
--               keys), ServiceId; plus GrainStateVersion (the ETag, NULL when no row was read) on
--               write/clear/delete, and PayloadBinary (the serialized state) on write.
--   read        one row or none: PayloadBinary (NULL means "no state") and Version (the ETag).
--   write       exactly one row with NewGrainStateVersion: the new version on success, NULL on a
--               conflict. The provider raises InconsistentStateException when the value is NULL or
--               equals the ETag it sent, so a conflict must still return a row: zero rows after an
--               insert attempt with no ETag would be taken as success.
--   clear       the new version in the first column, or no row on a conflict.
--   delete      (only with DeleteStateOnClear) any value other than the ETag sent, or no row.

-- The unique key makes concurrent first writes safe: exactly one INSERT wins, the loser gets NULL.
-- NULLS NOT DISTINCT (PostgreSQL 15+) because a NULL extension string is a real, single key value.
-- It also serves every lookup (the hashes lead). Keys are btree-indexed, so a grain key and state
-- name together must stay well under ~2.7 kB; CIMI ids are far shorter.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              text        NOT NULL,
    GrainIdHash            integer     NOT NULL,
    GrainTypeHash          integer     NOT NULL,
    GrainIdN0              bigint      NOT NULL,
    GrainIdN1              bigint      NOT NULL,
    GrainTypeString        text        NOT NULL,
    GrainIdExtensionString text        NULL,
    PayloadBinary          bytea       NULL,
    ModifiedOn             timestamptz NOT NULL DEFAULT now(),
    Version                integer     NOT NULL,
    CONSTRAINT UQ_OrleansStorage_Grain UNIQUE NULLS NOT DISTINCT
        (ServiceId, GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', $sql$
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;
$sql$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- With an ETag: update only if the stored version still equals it (optimistic concurrency).
-- Without one: insert version 1 unless a row already exists. Exactly one branch can act, and the
-- outer SELECT always yields one row, NULL when neither acted (the conflict the provider reports).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', $sql$
WITH updated AS (
    UPDATE OrleansStorage
    SET PayloadBinary = @PayloadBinary, Version = Version + 1, ModifiedOn = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND ServiceId = @ServiceId
      AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND Version = @GrainStateVersion
    RETURNING Version
), inserted AS (
    INSERT INTO OrleansStorage
        (ServiceId, GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString,
         PayloadBinary, ModifiedOn, Version)
    SELECT @ServiceId, @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString,
           @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT UQ_OrleansStorage_Grain DO NOTHING
    RETURNING Version
)
SELECT COALESCE((SELECT Version FROM updated), (SELECT Version FROM inserted)) AS NewGrainStateVersion;
$sql$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Keeps the row (and moves its version on) so that a later write with the returned ETag succeeds and
-- a stale one still fails.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', $sql$
UPDATE OrleansStorage
SET PayloadBinary = NULL, Version = Version + 1, ModifiedOn = now()
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
$sql$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Optional; present so that a storage provider may set DeleteStateOnClear = true. Returns the deleted
-- version plus one because returning the ETag itself would read as a conflict.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', $sql$
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
$sql$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
