-- Victims' reports and the cases of their helpers. Whatever a reporter
-- writes (the account of the attack, the organisation, the contact,
-- messages, files) and whatever helpers note is sealed with the case's
-- own key (internal/keys), which is kept outside the database: the
-- columns named *_sealed hold only ciphertext. The plain columns are what
-- triage, lists and anonymous counts need, and nothing that names anyone.
CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    receipt_hash      TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL DEFAULT 'received',
    outcome           TEXT NOT NULL DEFAULT '',
    severity          TEXT NOT NULL DEFAULT '',
    priority          TEXT NOT NULL DEFAULT '',
    owner_team        TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL DEFAULT 'en',
    subject           TEXT NOT NULL DEFAULT '',
    attack_types      TEXT NOT NULL DEFAULT '[]',
    ongoing           TEXT NOT NULL DEFAULT '',
    affected          TEXT NOT NULL DEFAULT '[]',
    harmed_groups     TEXT NOT NULL DEFAULT '[]',
    consent_contact   INTEGER NOT NULL DEFAULT 0,
    consent_share     INTEGER NOT NULL DEFAULT 0,
    consent_name      INTEGER NOT NULL DEFAULT 0,
    consent_count     INTEGER NOT NULL DEFAULT 0,
    content_sealed    TEXT NOT NULL DEFAULT '',
    contact_sealed    TEXT NOT NULL DEFAULT '',
    incident_id       TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    first_response_at TEXT NOT NULL DEFAULT '',
    closed_at         TEXT NOT NULL DEFAULT '',
    erased_at         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_status ON cases (status, created_at);
CREATE INDEX cases_owner ON cases (owner_team);

CREATE TABLE case_assignments (
    case_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_assignments_user ON case_assignments (user_id);

CREATE TABLE case_tasks (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    step_id      TEXT NOT NULL DEFAULT '',
    title_sealed TEXT NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    done_by      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    done_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_tasks_case ON case_tasks (case_id, position);

CREATE TABLE case_notes (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

CREATE TABLE case_messages (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    sender      TEXT NOT NULL,
    author_id   TEXT NOT NULL DEFAULT '',
    body_sealed TEXT NOT NULL,
    file_id     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, created_at);

CREATE TABLE case_files (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    name_sealed    TEXT NOT NULL,
    size           INTEGER NOT NULL,
    content_sealed TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX case_files_case ON case_files (case_id);

-- The timeline: what happened to the case, in words that name no one
-- outside the team (statuses, assignments, tasks done).
CREATE TABLE case_events (
    id      TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    what    TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);
