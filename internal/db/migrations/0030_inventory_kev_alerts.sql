-- Prevention, part one: what software an organisation runs, the catalog of
-- vulnerabilities known to be exploited (CISA KEV), and the alerts raised
-- where the two meet. An inventory is kept by a helping team (owner_team,
-- '' for any) and read by the teams that are the organisation itself
-- (inventory_members); internal/access decides (prevent.go).
CREATE TABLE inventories (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    owner_team      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE TABLE inventory_members (
    organisation_id TEXT NOT NULL REFERENCES inventories (organisation_id),
    team_id         TEXT NOT NULL,
    PRIMARY KEY (organisation_id, team_id)
);
CREATE INDEX inventory_members_team ON inventory_members (team_id);
-- One piece of software: vendor and product as written, and their
-- normalised keys (case, punctuation, aliases folded), which matching uses.
CREATE TABLE inventory_items (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES inventories (organisation_id),
    vendor          TEXT NOT NULL,
    product         TEXT NOT NULL,
    version         TEXT NOT NULL DEFAULT '',
    cpe             TEXT NOT NULL DEFAULT '',
    vendor_key      TEXT NOT NULL,
    product_key     TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX inventory_items_org ON inventory_items (organisation_id);
CREATE INDEX inventory_items_key ON inventory_items (vendor_key, product_key);

-- Every catalog version loaded, with its release date.
CREATE TABLE kev_catalogs (
    version     TEXT PRIMARY KEY,
    released    TEXT NOT NULL,
    entries     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
-- The newest known state of each catalog entry; catalog_version is the
-- version that first listed it.
CREATE TABLE kev_entries (
    cve                  TEXT PRIMARY KEY,
    vendor               TEXT NOT NULL,
    product              TEXT NOT NULL,
    vendor_key           TEXT NOT NULL,
    product_key          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    short_description    TEXT NOT NULL,
    required_action      TEXT NOT NULL,
    due_date             TEXT NOT NULL,
    date_added           TEXT NOT NULL,
    known_ransomware_use TEXT NOT NULL,
    notes                TEXT NOT NULL DEFAULT '',
    cwes                 TEXT NOT NULL DEFAULT '[]',
    catalog_version      TEXT NOT NULL
);
CREATE INDEX kev_entries_key ON kev_entries (vendor_key, product_key);

-- An alert: one catalog entry that one organisation's inventory matches.
-- It is raised once; its state changes are rows of alert_history.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES inventories (organisation_id),
    cve             TEXT NOT NULL REFERENCES kev_entries (cve),
    item_id         TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (organisation_id, cve)
);
CREATE TABLE alert_history (
    id       {{autoid}},
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    state    TEXT NOT NULL,
    reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);
