-- Unleased deliveries first among those due at the same time. PostgreSQL
-- sorts NULL last by default (SQLite first), so a claim on a backlog due
-- all at once (a re-enable with redelivery) walked every leased delivery,
-- and every index entry left behind by a delivery already sent, before it
-- reached the unleased ones: 75 ms a claim of 512 after 50,000 sent. The
-- claim orders by the same columns (`store/postgres/dispatch.rs`).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, lease_until NULLS FIRST, endpoint_id)
    WHERE status = 'pending';
