-- What exactly went wrong in an attempt that got no answer: the connection
-- error, or the address the guard refused and why. Added, never renamed, so
-- a node of the previous release runs beside this schema (it writes NULL).
-- (Number 0006 on both engines, to keep their migrations in step.)
ALTER TABLE attempts ADD COLUMN error_detail TEXT;
