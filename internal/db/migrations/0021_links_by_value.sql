-- A filter on an attack type or a country selects the incidents of that
-- value (report.Filter: "i.id IN (SELECT incident_id ... WHERE value = ?)");
-- the primary keys start with the incident, so the value needs its own.
CREATE INDEX incident_attack_types_value ON incident_attack_types (attack_type, incident_id);
CREATE INDEX incident_countries_value ON incident_countries (country, incident_id);
