-- Recoveries: an endpoint's failed and skipped deliveries created in
-- [since, until) sent again, page by page in the background. `cursor` is the
-- last delivery id a page went past, so each page starts where the last
-- ended and no delivery is queued twice.
CREATE TABLE recoveries (
    id          TEXT PRIMARY KEY,            -- rcv_<ulid>
    account_id  TEXT NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    since       BIGINT NOT NULL,
    until       BIGINT NOT NULL,
    cursor      TEXT NOT NULL,
    queued      BIGINT NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,               -- running | done | stopped
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX recoveries_running ON recoveries (created_at) WHERE status = 'running';
CREATE INDEX recoveries_by_endpoint ON recoveries (endpoint_id, id);
