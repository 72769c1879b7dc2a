-- An endpoint's filter on content, beside its event types: the text as
-- given (`data.balance <= 10`), parsed again wherever it is read. NULL: none.
ALTER TABLE endpoints ADD COLUMN content_filter TEXT;
