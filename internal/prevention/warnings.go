package prevention

import (
	"errors"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/retarget"
)

func (s *Server) warnings(r *http.Request) ([]retarget.Warning, error) {
	list, err := retarget.List(r.Context(), s.store, httpkit.Access(r), 200)
	if list == nil {
		list = []retarget.Warning{}
	}
	return list, err
}

func (s *Server) warningsPage(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.Access(r).MayHelp(); err != nil {
		return s.refused(w, r, err)
	}
	list, err := s.warnings(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "warnings.html", map[string]any{"Warnings": list, "Title": "Attacked again"})
}

func (s *Server) apiWarnings(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.Access(r).MayHelp(); err != nil {
		return s.refused(w, r, err)
	}
	list, err := s.warnings(r)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"warnings": list})
}

// warningSeen marks a warning seen, by a viewer who may read it.
func (s *Server) warningSeen(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	rec, err := retarget.Record(r.Context(), s.store, id)
	if errors.Is(err, db.ErrNotFound) {
		err = access.ErrHidden
	}
	if err == nil {
		err = access.Decide(httpkit.Access(r), access.Write, rec)
	}
	if err == nil {
		err = s.store.Write(r.Context(), author(r, "warning seen"), func(tx *db.Tx) error { return retarget.Seen(r.Context(), tx, id) })
	}
	if err != nil {
		return s.refused(w, r, err)
	}
	http.Redirect(w, r, "/work/warnings#"+id, http.StatusSeeOther)
	return nil
}

// linkCase records which tracker organisation a case is about: the
// viewer manages the case and reads the organisation.
func (s *Server) linkCase(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var ref string
	if httpkit.IsAPI(r) {
		var in struct {
			Organisation string `json:"organisation"`
		}
		if err := decodeBody(w, r, &in); err != nil {
			return s.refused(w, r, err)
		}
		ref = in.Organisation
	} else {
		if err := r.ParseForm(); err != nil {
			return httpkit.BadRequest(err)
		}
		ref = r.PostForm.Get("organisation")
	}
	v := httpkit.Access(r)
	if err := access.Check(r.Context(), s.store, v, access.Manage, id); err != nil {
		return s.refused(w, r, err)
	}
	o, err := inventory.ResolveOrganisation(r.Context(), s.store, ref)
	if err == nil {
		if ok, _ := access.MayRead(r.Context(), s.store, v, o.ID); !ok {
			err = inventory.ErrNoOrganisation
		}
	}
	if err != nil {
		return s.refused(w, r, inputError{errors.New("no organisation you may read has that id or exact name")})
	}
	err = s.store.Write(r.Context(), author(r, "case organisation"), func(tx *db.Tx) error { return retarget.LinkCase(r.Context(), tx, id, o.ID) })
	if err != nil {
		return err
	}
	if httpkit.IsAPI(r) {
		orgs, err := retarget.CaseOrganisations(r.Context(), s.store, id)
		if err != nil {
			return err
		}
		return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"case_id": id, "organisations": orgs})
	}
	http.Redirect(w, r, "/work/cases/"+id, http.StatusSeeOther)
	return nil
}
