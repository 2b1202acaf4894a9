-- The incident (or campaign) each revision of a harm or an attribution
-- belonged to when it was made: an incident's history finds the records
-- attached to it by this column, not by searching the changes' text. A
-- revision that moved a record names both the old and the new parent.
CREATE TABLE revision_parents (
    revision_id BIGINT NOT NULL,
    parent_id   TEXT NOT NULL,
    PRIMARY KEY (parent_id, revision_id)
);
-- Revisions recorded before: the parents their changes name, and for
-- those that name none the record's parent now.
INSERT INTO revision_parents (revision_id, parent_id)
    SELECT DISTINCT r.id, c.value->>'old' FROM revisions r, jsonb_array_elements(r.changes::jsonb) c
    WHERE r.record_kind IN ('harm', 'attribution') AND c.value->>'field' IN ('incident_id', 'campaign_id')
        AND jsonb_typeof(c.value->'old') = 'string'
    UNION SELECT DISTINCT r.id, c.value->>'new' FROM revisions r, jsonb_array_elements(r.changes::jsonb) c
    WHERE r.record_kind IN ('harm', 'attribution') AND c.value->>'field' IN ('incident_id', 'campaign_id')
        AND jsonb_typeof(c.value->'new') = 'string'
    UNION SELECT r.id, h.incident_id FROM revisions r JOIN harms h ON h.id = r.record_id
    WHERE r.record_kind = 'harm' AND r.changes NOT LIKE '%"field":"incident_id"%'
    UNION SELECT r.id, COALESCE(a.incident_id, a.campaign_id) FROM revisions r JOIN attributions a ON a.id = r.record_id
    WHERE r.record_kind = 'attribution' AND r.changes NOT LIKE '%"field":"incident_id"%' AND r.changes NOT LIKE '%"field":"campaign_id"%';
