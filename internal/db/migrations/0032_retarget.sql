-- Re-targeting warnings: when an incident first names an organisation
-- that has a case (open, or closed within the window) or an earlier
-- incident, a warning links both records for the case worker.
-- case_organisations says which tracker organisation a case is about, as
-- its case workers linked it (a case's own incident names it too); it is
-- erased with the case's content.
CREATE TABLE case_organisations (
    case_id         TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    linked_by       TEXT NOT NULL,
    linked_at       TEXT NOT NULL,
    PRIMARY KEY (case_id, organisation_id)
);
CREATE INDEX case_organisations_org ON case_organisations (organisation_id);
-- Each (incident, victim) pair is looked at once, when it first appears.
CREATE TABLE retarget_checked (
    incident_id     TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, organisation_id)
);
CREATE TABLE warnings (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    incident_id     TEXT NOT NULL,
    what            TEXT NOT NULL,
    earlier_kind    TEXT NOT NULL,
    earlier_id      TEXT NOT NULL,
    case_id         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    seen_at         TEXT NOT NULL DEFAULT '',
    seen_by         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX warnings_org ON warnings (organisation_id);
CREATE INDEX warnings_case ON warnings (case_id);
CREATE INDEX warnings_created ON warnings (created_at);
