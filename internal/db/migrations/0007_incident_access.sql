-- Who may see an incident beyond its TLP marking: the team that owns it
-- (amber, amber+strict), the teams it is shared with (amber), and the
-- named users (red). internal/access turns these into one SQL condition.
ALTER TABLE incidents ADD COLUMN owner_team TEXT NOT NULL DEFAULT '';
CREATE TABLE incident_access (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    principal   TEXT NOT NULL,
    PRIMARY KEY (incident_id, kind, principal)
);
CREATE INDEX incident_access_principal ON incident_access (principal);
