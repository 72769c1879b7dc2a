-- An endpoint's custom headers: the names in plain text (a JSON array, for
-- showing), the whole set sealed like the secrets (a JSON object, opened
-- only to send or to reveal). NULL: none.
ALTER TABLE endpoints ADD COLUMN header_names TEXT;
ALTER TABLE endpoints ADD COLUMN headers TEXT;
