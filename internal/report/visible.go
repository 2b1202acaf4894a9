package report

import (
	"context"
	"errors"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// RecordVisible reports whether the viewer may read the record with id, of
// any kind, as internal/access decides; a missing record answers false.
func RecordVisible(ctx context.Context, q db.Querier, v access.Viewer, id string) (bool, error) {
	return access.MayRead(ctx, q, v, id)
}

// MayAttach refuses a harm or an attribution of an incident the viewer may
// not change: a hidden incident with the answer a missing one gets, an
// incident of another team with access's refusal. "" (a campaign's
// attribution) is judged by the campaign instead.
func MayAttach(ctx context.Context, q db.Querier, v access.Viewer, field, id string) error {
	if id == "" {
		return nil
	}
	err := access.Check(ctx, q, v, access.Write, id)
	if errors.Is(err, access.ErrHidden) {
		return validate.Errors{{Field: field, Message: "no record with this id"}}
	}
	return err
}
