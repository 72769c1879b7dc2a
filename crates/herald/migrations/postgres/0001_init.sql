-- Herald's schema on PostgreSQL (and engines that speak its dialect).
-- Times are milliseconds since the Unix epoch (BIGINT), as on SQLite, so both
-- stores share one time type. Plain SQL: no extensions, no enums, no triggers.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE account_keys (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE endpoints (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    event_types           TEXT,              -- JSON array of patterns; NULL = every type
    enabled               BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason       TEXT,
    disabled_at           BIGINT,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_expires_at   BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX endpoints_by_account ON endpoints (account_id, id);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,            -- evt_<ulid>: time-ordered, the cursor
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    payload     BYTEA NOT NULL,              -- the envelope bytes, sent as stored
    is_test     BOOLEAN NOT NULL DEFAULT FALSE -- sent by an endpoint's test button; not listed
);
CREATE INDEX events_by_account ON events (account_id, is_test, id);
CREATE INDEX events_by_account_type ON events (account_id, event_type, id);

CREATE TABLE deliveries (
    id                      TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL,
    event_id                TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id             TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    event_type              TEXT NOT NULL,
    status                  TEXT NOT NULL,     -- pending | succeeded | failed | skipped
    attempt_count           INTEGER NOT NULL DEFAULT 0,
    schedule_base           INTEGER NOT NULL DEFAULT 0, -- attempt_count when the current schedule began
    next_attempt_at         BIGINT,
    lease_until             BIGINT,            -- claimed by a worker until then
    last_response_status    INTEGER,
    missed                  BOOLEAN NOT NULL DEFAULT FALSE, -- redelivered on re-enable with redeliver_missed
    manual                  BOOLEAN NOT NULL DEFAULT FALSE, -- the next attempt is a manual retry
    resume_status           TEXT,              -- status to return to if the manual retry fails
    resume_next_attempt_at  BIGINT,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_account ON deliveries (account_id, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (account_id, status, id);
CREATE INDEX deliveries_missed ON deliveries (endpoint_id) WHERE missed;

CREATE TABLE attempts (
    delivery_id      TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    n                INTEGER NOT NULL,
    started_at       BIGINT NOT NULL,
    duration_ms      BIGINT NOT NULL,
    response_status  INTEGER,
    error            TEXT,
    response_body    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
);

CREATE TABLE idempotency_keys (
    account_id    TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    event_ids     TEXT NOT NULL,               -- comma-separated, in publish order
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
