-- Aggregates kept up to date on every write (internal/stats), so that the
-- dashboard's figures stay fast with a million incidents. incident_stats
-- holds, per marking, dimension and key, the number of incidents and the
-- sums of their harm figures; incident_contributions holds what each
-- incident last added, so that a change can subtract it exactly.
CREATE TABLE incident_stats (
    tlp            TEXT NOT NULL,
    dimension      TEXT NOT NULL,
    key            TEXT NOT NULL,
    incidents      BIGINT NOT NULL DEFAULT 0,
    people_known   BIGINT NOT NULL DEFAULT 0,
    people_min     BIGINT NOT NULL DEFAULT 0,
    people_open    BIGINT NOT NULL DEFAULT 0,
    people_max     BIGINT NOT NULL DEFAULT 0,
    records_known  BIGINT NOT NULL DEFAULT 0,
    records_min    BIGINT NOT NULL DEFAULT 0,
    records_open   BIGINT NOT NULL DEFAULT 0,
    records_max    BIGINT NOT NULL DEFAULT 0,
    patients_known BIGINT NOT NULL DEFAULT 0,
    patients_min   BIGINT NOT NULL DEFAULT 0,
    patients_open  BIGINT NOT NULL DEFAULT 0,
    patients_max   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tlp, dimension, key)
);
CREATE TABLE incident_contributions (
    incident_id TEXT PRIMARY KEY,
    body        TEXT NOT NULL
);
-- One row once the aggregates have been built for the data already stored.
CREATE TABLE stats_state (
    built_at TEXT NOT NULL
);
