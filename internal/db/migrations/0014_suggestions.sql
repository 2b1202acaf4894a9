-- Suggested corrections: a team that may read a record but not write it
-- proposes new values for some of its fields; the record's writers accept
-- or decline. Every step is also a revision of the suggestion.
CREATE TABLE suggestions (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL,
    record_kind  TEXT NOT NULL,
    fields       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_team  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    decided_by   TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    decided_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX suggestions_record ON suggestions (record_id);
CREATE INDEX suggestions_status ON suggestions (status);
