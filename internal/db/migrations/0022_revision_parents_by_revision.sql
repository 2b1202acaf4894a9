-- The facet index (report.Index) catches up with writes made by another
-- process from the revisions recorded since it last looked, and finds the
-- incidents of the harms and attributions among them by revision.
CREATE INDEX revision_parents_revision ON revision_parents (revision_id);
