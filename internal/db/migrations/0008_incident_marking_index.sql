-- A signed-in user's figures add the few restricted incidents they may see
-- to the aggregates (report/signed_in.go): find those without a scan.
CREATE INDEX incidents_tlp ON incidents (tlp);
