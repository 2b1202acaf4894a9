-- What analysts know of a country's law and treaty status, for the
-- cooperation-request check. A country without a row has the profile the
-- shipped data gives (Budapest status from the MISP country galaxy, the
-- rest unknown).
CREATE TABLE jurisdiction_profiles (
    country    TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
