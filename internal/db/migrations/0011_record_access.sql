-- Every kind of record carries its own marking (TLP 2.0) and owner team,
-- not incidents alone; the sharing lists of all of them are rows of one
-- table. internal/access reads these columns for every kind.
CREATE TABLE record_access (
    record_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    principal TEXT NOT NULL,
    PRIMARY KEY (record_id, kind, principal)
);
CREATE INDEX record_access_principal ON record_access (principal);
INSERT INTO record_access (record_id, kind, principal) SELECT incident_id, kind, principal FROM incident_access;
DROP TABLE incident_access;

ALTER TABLE organisations ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE organisations ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE sources ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE actors ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE actors ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE campaigns ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE harms ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE harms ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE attributions ADD COLUMN tlp TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE attributions ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
ALTER TABLE stix_objects ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
CREATE INDEX organisations_tlp ON organisations (tlp);
CREATE INDEX sources_tlp ON sources (tlp);

-- Records stored before this change take the marking they were read by:
-- a harm and an incident's attribution that of their incident; an
-- organisation or a source named only by restricted incidents (as victim,
-- in a harm, as a citation of the incident, a harm or an attribution) that
-- of the most open of them, with its sharing lists. The bundled open data
-- and everything named by a clear incident stay clear and public.
UPDATE harms SET tlp = (SELECT i.tlp FROM incidents i WHERE i.id = harms.incident_id),
    owner_team = (SELECT i.owner_team FROM incidents i WHERE i.id = harms.incident_id);
INSERT INTO record_access (record_id, kind, principal)
    SELECT h.id, x.kind, x.principal FROM harms h JOIN record_access x ON x.record_id = h.incident_id;
UPDATE attributions SET tlp = (SELECT i.tlp FROM incidents i WHERE i.id = attributions.incident_id),
    owner_team = (SELECT i.owner_team FROM incidents i WHERE i.id = attributions.incident_id)
    WHERE incident_id IS NOT NULL;
INSERT INTO record_access (record_id, kind, principal)
    SELECT a.id, x.kind, x.principal FROM attributions a JOIN record_access x ON x.record_id = a.incident_id;

CREATE TABLE migration_referrers AS
    SELECT v.organisation_id AS record_id, v.incident_id AS incident_id FROM incident_victims v
    UNION SELECT h.organisation_id, h.incident_id FROM harms h WHERE h.organisation_id IS NOT NULL
    UNION SELECT s.source_id, s.incident_id FROM incident_sources s
    UNION SELECT hs.source_id, h.incident_id FROM harm_sources hs JOIN harms h ON h.id = hs.harm_id
    UNION SELECT ats.source_id, a.incident_id FROM attribution_sources ats JOIN attributions a ON a.id = ats.attribution_id
        WHERE a.incident_id IS NOT NULL;
CREATE TABLE migration_marking AS
    SELECT r.record_id AS record_id,
        (SELECT i.id FROM migration_referrers r2 JOIN incidents i ON i.id = r2.incident_id WHERE r2.record_id = r.record_id
         ORDER BY CASE i.tlp WHEN 'clear' THEN 0 WHEN 'green' THEN 1 WHEN 'amber' THEN 2 WHEN 'amber+strict' THEN 3 ELSE 4 END, i.id
         LIMIT 1) AS incident_id
    FROM (SELECT DISTINCT record_id FROM migration_referrers) r
    WHERE NOT EXISTS (SELECT 1 FROM attribution_sources ats JOIN attributions a ON a.id = ats.attribution_id
        WHERE ats.source_id = r.record_id AND a.campaign_id IS NOT NULL);
UPDATE organisations SET
    tlp = (SELECT i.tlp FROM migration_marking m JOIN incidents i ON i.id = m.incident_id WHERE m.record_id = organisations.id),
    owner_team = (SELECT i.owner_team FROM migration_marking m JOIN incidents i ON i.id = m.incident_id WHERE m.record_id = organisations.id)
    WHERE id IN (SELECT record_id FROM migration_marking);
UPDATE sources SET
    tlp = (SELECT i.tlp FROM migration_marking m JOIN incidents i ON i.id = m.incident_id WHERE m.record_id = sources.id),
    owner_team = (SELECT i.owner_team FROM migration_marking m JOIN incidents i ON i.id = m.incident_id WHERE m.record_id = sources.id)
    WHERE id IN (SELECT record_id FROM migration_marking);
INSERT INTO record_access (record_id, kind, principal)
    SELECT m.record_id, x.kind, x.principal FROM migration_marking m JOIN record_access x ON x.record_id = m.incident_id;
DROP TABLE migration_marking;
DROP TABLE migration_referrers;

-- Victims now count as undisclosed where their marking is stricter than
-- their incident's: rebuild the aggregates once.
DELETE FROM stats_state;
