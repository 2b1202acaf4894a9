package interchange

import (
	"context"
	"slices"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// NameActor marks an actor of the document as named only by its name (a
// CSV column): when the file is written it becomes the stored actor of
// that name or alias, if there is one, and is created otherwise.
func (doc *Document) NameActor(id string) {
	if doc.namedActors == nil {
		doc.namedActors = map[string]bool{}
	}
	doc.namedActors[id] = true
}

// reuse points the document's references at stored records that are the
// same as records of the document under another id, before anything is
// written: a source whose URL (trace.URLKey) a stored source has, and an
// actor named only by a name or alias a stored actor has. The document's
// copy is then left out, so the stored record stays as it is. With a
// guard, only records the uploader may read are reused.
func (doc *Document) reuse(ctx context.Context, q db.Querier) error {
	moved := map[string]string{}
	var byKey map[string]string
	var sources []trace.Source
	var keptSources, keptActors []int
	for i, s := range doc.Sources {
		to := ""
		if s.URL != "" {
			stored, err := storedID(ctx, q, "sources", s.ID)
			if err != nil {
				return err
			}
			if !stored {
				if byKey == nil {
					if byKey, err = trace.SourcesByURLKey(ctx, q); err != nil {
						return err
					}
				}
				to = byKey[trace.URLKey(s.URL)]
			}
		}
		if ok, err := doc.mayReuse(ctx, q, to); err != nil {
			return err
		} else if ok {
			moved[s.ID] = to
			continue
		}
		sources = append(sources, s)
		keptSources = append(keptSources, i)
	}
	doc.Sources = sources
	doc.renumber("sources", keptSources)
	var actors []trace.Actor
	for i, a := range doc.Actors {
		to := ""
		if doc.namedActors[a.ID] {
			ids, err := trace.FindByName(ctx, q, "actor", a.Name)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				to = ids[0]
				if slices.Contains(ids, a.ID) {
					to = a.ID
				}
			}
		}
		if ok, err := doc.mayReuse(ctx, q, to); err != nil {
			return err
		} else if ok {
			moved[a.ID] = to
			continue
		}
		actors = append(actors, a)
		keptActors = append(keptActors, i)
	}
	doc.Actors = actors
	doc.renumber("actors", keptActors)
	for _, ref := range doc.references() {
		if to, ok := moved[*ref.id]; ok {
			*ref.id = to
		}
	}
	return nil
}

// mayReuse reports whether a record of the document may become the stored
// record to: one there is ("" is none) that the uploader, or the team an
// import is for, may read.
func (doc *Document) mayReuse(ctx context.Context, q db.Querier, to string) (bool, error) {
	if to == "" {
		return false, nil
	}
	switch {
	case doc.Guard != nil:
		return access.MayRead(ctx, q, doc.Guard.Viewer, to)
	case doc.Owner != "":
		// An operator's import for a team reuses what that team may read.
		return access.MayRead(ctx, q, access.User("", doc.Owner, "analyst"), to)
	}
	return true, nil
}

func storedID(ctx context.Context, q db.Querier, table, id string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", id).Scan(&n)
	return n > 0, err
}
