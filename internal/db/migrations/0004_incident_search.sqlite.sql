-- Full-text search over incidents: title, summary, victims' names, attack
-- types. Kept by trace.SaveIncident. SQLite: an FTS5 table.
CREATE VIRTUAL TABLE incident_search USING fts5(id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO incident_search (id, body) SELECT id, title || ' ' || summary FROM incidents;
