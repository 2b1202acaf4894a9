package evidence

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/harmtrace/harmtrace/internal/db"
)

// DirOf is the directory where the locker of a data directory keeps its
// encrypted files, one subdirectory per case or incident.
func DirOf(dataDir string) string { return filepath.Join(dataDir, "evidence") }

// Files lists the encrypted files the items that were not erased point
// at, each once, as slash-separated paths relative to the locker's
// directory (scope/name), sorted byte by byte: what a backup of q must
// hold beside its rows.
func Files(ctx context.Context, q db.Querier) ([]string, error) {
	paths, err := db.Column[string](ctx, q, `SELECT DISTINCT scope_id || '/' || blob FROM evidence_items WHERE erased_at = '' AND blob <> ''`)
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	return paths, nil
}
