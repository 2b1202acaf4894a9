-- The row of the full-text index that holds each incident's text, on
-- SQLite (0023_incident_search_rowid.sqlite.sql); PostgreSQL finds an
-- incident's text by its id, so the column stays empty.
ALTER TABLE incidents ADD COLUMN search_rowid BIGINT;
