-- STIX objects as they were imported. Objects harmtrace does not model
-- (attack patterns, malware, indicators, reports, …) live only here, so an
-- export gives them back; modelled objects are kept too, so properties
-- harmtrace has no field for (x_mitre_*, kill chains, …) survive a round trip.
CREATE TABLE stix_objects (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    modelled   BOOLEAN NOT NULL,
    tlp        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX stix_objects_type ON stix_objects (type);

-- Pairs of incidents that may be the same attack, found on import but not
-- certain enough to merge; an analyst decides (harmtrace duplicates).
CREATE TABLE duplicate_candidates (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    other_id    TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    score       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    created_at  TEXT NOT NULL,
    PRIMARY KEY (incident_id, other_id)
);
