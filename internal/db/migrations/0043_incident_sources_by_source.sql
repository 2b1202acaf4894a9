-- The incidents that cite a source (the data notice's count of the HHS
-- portal's incidents on /about, a source's page, its visibility): without
-- this index the engine read every public incident to find them.
CREATE INDEX incident_sources_source ON incident_sources (source_id, incident_id);
