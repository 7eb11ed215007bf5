-- CimiGrains schema 012: Networks and NetworkPorts offer Meters (their bytes and packets, docs/METERS.md), so
-- their documents name their MeterCollection (DSP0263 meters: {collection}/{id}/meters) as Machines, Volumes
-- and Systems do. The grains write it into every document from now on; this gives it to the rows written
-- before. Idempotent: only rows without it are touched, and no counted column changes.
UPDATE cimi_resource
SET doc = doc || jsonb_build_object('meters', jsonb_build_object('href', id || '/meters'))
WHERE kind IN ('Network', 'NetworkPort') AND NOT doc ? 'meters';
