-- Endpoints disabled and re-enabled, written in the transaction that changed
-- them and removed once published as an operational event (endpoint.disabled,
-- endpoint.gone, endpoint.enabled) to the `herald` account: an outbox, so that
-- a change is announced even if the process dies right after it.
CREATE TABLE endpoint_changes (
    id               BIGSERIAL PRIMARY KEY,
    account_id       TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,   -- no foreign key: a deleted endpoint's change is still told
    url              TEXT NOT NULL,
    change           TEXT NOT NULL,   -- disabled | enabled
    cause            TEXT,            -- disabled: exhausted | gone | manual
    reason           TEXT,
    delivery_id      TEXT,            -- disabled by an attempt: its delivery and number
    attempt_n        BIGINT,
    redeliver_missed BOOLEAN,         -- enabled: whether what it missed is sent again
    at               BIGINT NOT NULL
);
