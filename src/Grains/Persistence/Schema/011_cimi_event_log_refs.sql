-- CimiGrains schema 011: every Machine, Volume, Network, NetworkPort and System document names its
-- EventLog (DSP0263 eventLog: eventLogs/{segment}.{localId}, docs/EVENTS.md). The grains write it into
-- every document from now on; this gives it to the rows written before, so that collection reads and
-- reads by id agree without waiting for each resource's next write. Idempotent: only rows without it
-- are touched, and no counted column changes (the count triggers do not fire).
UPDATE cimi_resource
SET doc = doc || jsonb_build_object('eventLog', jsonb_build_object('href', 'eventLogs/' || replace(id, '/', '.')))
WHERE kind IN ('Machine', 'Volume', 'Network', 'NetworkPort', 'System') AND NOT doc ? 'eventLog';
