-- A report's completion reads the few incidents with harm beyond records
-- and people, a claimed figure, or an open duplicate pair (report/
-- index_report.go); these indexes find them without reading every harm.
CREATE INDEX harms_indicator_certainty ON harms (indicator, certainty);
CREATE INDEX duplicate_candidates_status ON duplicate_candidates (status);
