-- An endpoint's cap on deliveries per second (NULL: none), and the pacing
-- every node shares: the theoretical arrival time (GCRA) of its next
-- delivery, in microseconds. A table of its own, so that taking a slot
-- never waits on the endpoint row's locks (publishes and outcomes share-lock it).
ALTER TABLE endpoints ADD COLUMN rate_limit INTEGER;
CREATE TABLE endpoint_rates (
    endpoint_id TEXT PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
    tat         BIGINT NOT NULL
);
