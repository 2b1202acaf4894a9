-- The row of the full-text index that holds each incident's text: the text
-- index is searched by word only (its id column is not indexed), so the
-- facet index (report.Index) maps the rows a search matches to incidents
-- by this number, and a save replaces the incident's row by it, without
-- reading every row of the text index. NULL for a row written otherwise.
ALTER TABLE incidents ADD COLUMN search_rowid INTEGER;
UPDATE incidents SET search_rowid = s.rowid FROM (SELECT rowid, id FROM incident_search) s WHERE s.id = incidents.id;
