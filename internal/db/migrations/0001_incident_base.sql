-- The incident base: who was attacked, what happened, who did it, who says so.
-- Lists that are only displayed (aliases) are JSON text; lists that are
-- filtered or counted are rows in their own table.

CREATE TABLE organisations (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    aliases                 TEXT NOT NULL DEFAULT '[]',
    kind                    TEXT NOT NULL,
    sector                  TEXT NOT NULL DEFAULT '',
    naics                   TEXT NOT NULL DEFAULT '',
    country                 TEXT NOT NULL DEFAULT '',
    humanitarian            BOOLEAN NOT NULL DEFAULT FALSE,
    healthcare              BOOLEAN NOT NULL DEFAULT FALSE,
    critical_infrastructure TEXT NOT NULL DEFAULT '',
    civil_society           BOOLEAN NOT NULL DEFAULT FALSE,
    description             TEXT NOT NULL DEFAULT '',
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX organisations_country ON organisations (country);
CREATE INDEX organisations_sector ON organisations (sector);

CREATE TABLE sources (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL,
    publisher   TEXT NOT NULL DEFAULT '',
    published   TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    reliability TEXT NOT NULL DEFAULT 'F',
    credibility INTEGER NOT NULL DEFAULT 6,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX sources_url ON sources (url);

CREATE TABLE actors (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    aliases        TEXT NOT NULL DEFAULT '[]',
    type           TEXT NOT NULL,
    origin_country TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Normalised names and aliases of organisations and actors, for matching
-- an imported record to one the store already has.
CREATE TABLE name_keys (
    record_kind TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (record_kind, name_key, record_id)
);
CREATE INDEX name_keys_record ON name_keys (record_id);

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    first_seen  TEXT NOT NULL DEFAULT '',
    last_seen   TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    determination   TEXT NOT NULL,
    start_date      TEXT NOT NULL DEFAULT '',
    end_date        TEXT NOT NULL DEFAULT '',
    discovered_date TEXT NOT NULL DEFAULT '',
    disclosed_date  TEXT NOT NULL DEFAULT '',
    campaign_id     TEXT REFERENCES campaigns (id),
    tlp             TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX incidents_campaign ON incidents (campaign_id);
CREATE INDEX incidents_start ON incidents (start_date);

CREATE TABLE incident_attack_types (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    attack_type TEXT NOT NULL,
    PRIMARY KEY (incident_id, attack_type)
);
CREATE TABLE incident_countries (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    country     TEXT NOT NULL,
    PRIMARY KEY (incident_id, country)
);
CREATE TABLE incident_articles (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    article     INTEGER NOT NULL,
    PRIMARY KEY (incident_id, article)
);
CREATE TABLE incident_victims (
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    role            TEXT NOT NULL,
    PRIMARY KEY (incident_id, organisation_id, role)
);
CREATE INDEX incident_victims_organisation ON incident_victims (organisation_id);
CREATE TABLE incident_sources (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    source_id   TEXT NOT NULL REFERENCES sources (id),
    PRIMARY KEY (incident_id, source_id)
);

-- Who attributed an incident or a campaign to an actor, when, on what basis.
CREATE TABLE attributions (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT REFERENCES incidents (id) ON DELETE CASCADE,
    campaign_id   TEXT REFERENCES campaigns (id) ON DELETE CASCADE,
    actor_id      TEXT NOT NULL REFERENCES actors (id),
    attributed_by TEXT NOT NULL,
    attributed_on TEXT NOT NULL DEFAULT '',
    basis         TEXT NOT NULL DEFAULT '',
    confidence    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((incident_id IS NULL) <> (campaign_id IS NULL))
);
CREATE INDEX attributions_incident ON attributions (incident_id);
CREATE INDEX attributions_campaign ON attributions (campaign_id);
CREATE INDEX attributions_actor ON attributions (actor_id);
CREATE TABLE attribution_sources (
    attribution_id TEXT NOT NULL REFERENCES attributions (id) ON DELETE CASCADE,
    source_id      TEXT NOT NULL REFERENCES sources (id),
    PRIMARY KEY (attribution_id, source_id)
);

-- One harm figure of an incident: a range (min = max when exact, both NULL
-- when unknown) of one indicator, with its certainty and sources.
CREATE TABLE harms (
    id              TEXT PRIMARY KEY,
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    organisation_id TEXT REFERENCES organisations (id),
    category        TEXT NOT NULL,
    indicator       TEXT NOT NULL,
    min_value       BIGINT,
    max_value       BIGINT,
    unit            TEXT NOT NULL,
    certainty       TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value)
);
CREATE INDEX harms_incident ON harms (incident_id);
CREATE TABLE harm_data_types (
    harm_id   TEXT NOT NULL REFERENCES harms (id) ON DELETE CASCADE,
    data_type TEXT NOT NULL,
    PRIMARY KEY (harm_id, data_type)
);
CREATE TABLE harm_sources (
    harm_id   TEXT NOT NULL REFERENCES harms (id) ON DELETE CASCADE,
    source_id TEXT NOT NULL REFERENCES sources (id),
    PRIMARY KEY (harm_id, source_id)
);

-- Ids that other systems gave a record (STIX ids, MISP uuids, VERIS ids,
-- dataset row keys), so that importing the same file twice changes nothing.
CREATE TABLE external_ids (
    system      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (system, external_id)
);
CREATE INDEX external_ids_record ON external_ids (record_id);

-- Every create, update and delete of any record, with its field-level
-- changes as JSON. Append-only: nothing updates or deletes these rows.
CREATE TABLE revisions (
    id          {{autoid}},
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    author      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    changes     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX revisions_record ON revisions (record_id, id);
