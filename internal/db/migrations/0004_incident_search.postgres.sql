-- Full-text search over incidents: title, summary, victims' names, attack
-- types. Kept by trace.SaveIncident. PostgreSQL: a tsvector with a GIN index.
CREATE TABLE incident_search (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    tsv  tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX incident_search_tsv ON incident_search USING GIN (tsv);
INSERT INTO incident_search (id, body) SELECT id, title || ' ' || summary FROM incidents;
