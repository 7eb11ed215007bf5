-- A user's credential stamp: raised by every re-key (and every role change), never by the silent
-- upgrade of a hash to a stronger work factor. A gateway caches a verified password together with the
-- stamp it was verified at, and on every request reads the stamp by primary key (one small row, far
-- cheaper than PBKDF2): a re-key thereby revokes the old password on every gateway process at once.
ALTER TABLE cimi_user ADD COLUMN IF NOT EXISTS credential_stamp bigint NOT NULL DEFAULT 0;
