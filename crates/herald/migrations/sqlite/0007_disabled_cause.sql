-- What disabled an endpoint, for machines: exhausted | gone | manual
-- (disabled_reason says it in words). Endpoints disabled before this
-- column existed are told apart by their reason's wording.
ALTER TABLE endpoints ADD COLUMN disabled_cause TEXT;
UPDATE endpoints SET disabled_cause = CASE
        WHEN disabled_reason LIKE 'delivery % failed its last scheduled attempt%' THEN 'exhausted'
        ELSE 'manual'
    END
 WHERE NOT enabled;
