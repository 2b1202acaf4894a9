-- Notifications that are never lost: every notification is a row of the
-- outbox, written in the same transaction as the event it tells of; the
-- worker inside `serve` delivers it (email, webhook) with retries. Only
-- users who consented get email (notification_consents); a webhook is a
-- team's, set by one of its admins, with the secret that signs its bodies.
CREATE TABLE notification_consents (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    email      BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at TEXT NOT NULL
);
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhooks_team ON webhooks (team_id);
-- status: pending (due at next_attempt_at), sending (claimed by a worker
-- until lease_until), delivered, failed (no attempt left), withheld (the
-- recipient withdrew consent, was disabled, or the webhook was removed).
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    event           TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    team_id         TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT NOT NULL DEFAULT '',
    record_id       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    delivered_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_team ON outbox (team_id, created_at);
CREATE TABLE outbox_attempts (
    id        {{autoid}},
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    at        TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id, id);
