-- The due index carries each pending delivery's lease and endpoint, so a
-- claim walks past deliveries leased already (handed to a worker, or
-- waiting in a queue) and past endpoints it leaves out without reading
-- their rows: with a backlog, most due deliveries at the front of the
-- index are leased, and each was a row lookup per claim.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, lease_until, endpoint_id) WHERE status = 'pending';
