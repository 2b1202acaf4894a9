-- Volunteers: profiles (skills from a vocabulary, languages, time zone,
-- hours a month, employer, vetting), tasks a case worker opens on a case
-- asking for skills and languages, assignments, and the hours logged,
-- which the yearly cap per helped organisation bounds. A task's title is
-- sealed with its case's key, like everything else written about a case,
-- and erased with it.
CREATE TABLE volunteer_profiles (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    skills          TEXT NOT NULL DEFAULT '[]',
    languages       TEXT NOT NULL DEFAULT '[]',
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    hours_per_month REAL NOT NULL DEFAULT 0,
    employer        TEXT NOT NULL DEFAULT '',
    vetting         TEXT NOT NULL DEFAULT 'pending',
    vetted_by       TEXT NOT NULL DEFAULT '',
    vetted_at       TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL
);
CREATE TABLE volunteer_tasks (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    helped       TEXT NOT NULL,
    title_sealed TEXT NOT NULL,
    skills       TEXT NOT NULL DEFAULT '[]',
    languages    TEXT NOT NULL DEFAULT '[]',
    time_zone    TEXT NOT NULL DEFAULT 'UTC',
    hours        REAL NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'open',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX volunteer_tasks_case ON volunteer_tasks (case_id);
CREATE TABLE volunteer_assignments (
    task_id     TEXT NOT NULL REFERENCES volunteer_tasks (id),
    user_id     TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX volunteer_assignments_user ON volunteer_assignments (user_id);
CREATE TABLE volunteer_hours (
    id        TEXT PRIMARY KEY,
    task_id   TEXT NOT NULL REFERENCES volunteer_tasks (id),
    user_id   TEXT NOT NULL,
    helped    TEXT NOT NULL,
    hours     REAL NOT NULL,
    on_date   TEXT NOT NULL,
    logged_at TEXT NOT NULL
);
CREATE INDEX volunteer_hours_user ON volunteer_hours (user_id, helped, on_date);
