-- Ordered (FIFO) endpoints: `endpoints.ordered` asks for one delivery at a
-- time in publish order. A delivery made for such an endpoint carries its
-- event's position (`deliveries.fifo_seq`, the account's commit order);
-- the dispatcher sends only the earliest pending one of each ordered
-- endpoint (its head, found through `deliveries_fifo`), and the due index
-- leaves these deliveries out, so the general claim never walks past the
-- ones held behind a failing head.
ALTER TABLE endpoints ADD COLUMN ordered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deliveries ADD COLUMN fifo_seq BIGINT;
CREATE INDEX endpoints_ordered ON endpoints (id) WHERE ordered;
CREATE INDEX deliveries_fifo ON deliveries (endpoint_id, fifo_seq) WHERE status = 'pending' AND fifo_seq IS NOT NULL;
-- Whether an ordered endpoint has a delivery in flight: a head is not
-- leased beside it (a retry or recovery may make an older one the head).
CREATE INDEX deliveries_fifo_leased ON deliveries (endpoint_id, lease_until)
    WHERE status = 'pending' AND fifo_seq IS NOT NULL;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, lease_until NULLS FIRST, endpoint_id)
    WHERE status = 'pending' AND fifo_seq IS NULL;
