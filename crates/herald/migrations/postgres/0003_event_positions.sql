-- Event positions: each account numbers its events in the order they were
-- committed (`events.seq`), and keeps the last number handed out
-- (`accounts.event_seq`). Polling with `after=` and the live stream follow
-- this order, so an event committed late (its id made before another's, its
-- commit after) is never skipped. Publishing takes the numbers with
-- `UPDATE accounts … RETURNING` just before inserting its events: the row
-- lock it holds until commit makes two publishes of one account commit in
-- number order (publishes of different accounts do not wait on each other).

ALTER TABLE accounts ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;

-- Events stored before this migration keep their id order.
UPDATE events SET seq = ranked.n
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY id) AS n FROM events) AS ranked
 WHERE events.id = ranked.id;
UPDATE accounts SET event_seq = COALESCE((SELECT MAX(seq) FROM events WHERE events.account_id = accounts.id), 0);

ALTER TABLE events ALTER COLUMN seq DROP DEFAULT;
CREATE UNIQUE INDEX events_by_position ON events (account_id, seq);
