package importer

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/kev"
)

// importKEV refreshes the Known Exploited Vulnerabilities catalog from
// CISA's own JSON: the version and its release date are recorded, and the
// inventories are matched again, which raises only the new matches.
func importKEV(ctx context.Context, tx *db.Tx, data []byte, file string, sum *interchange.Summary) error {
	c, err := kev.Parse(data)
	if err != nil {
		return err
	}
	res, err := kev.Save(ctx, tx, c, filepath.Base(file))
	if err != nil {
		return err
	}
	if res.Known {
		sum.Notes = append(sum.Notes, fmt.Sprintf("KEV catalog %s (released %s) was loaded before: nothing changed", c.Version, c.Released))
		return nil
	}
	count := sum.Counts["kev entry"]
	if count == nil {
		count = &interchange.Count{}
		sum.Counts["kev entry"] = count
	}
	count.Created += len(res.Added)
	count.Updated += len(res.Updated)
	count.Unchanged += res.Unchanged
	raised, err := alert.Match(ctx, tx, "")
	if err != nil {
		return err
	}
	sum.Notes = append(sum.Notes, fmt.Sprintf("KEV catalog %s (released %s, %d entries) recorded; %d new alerts",
		c.Version, c.Released, len(c.Vulnerabilities), len(raised)))
	return nil
}
