package prevention

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// checkInventory asks access whether the viewer may do action on the
// inventory of organisation id.
func (s *Server) checkInventory(r *http.Request, action access.Action, id string) error {
	return inventory.Check(r.Context(), s.store, httpkit.Access(r), action, id)
}

// inventoryData is the data of inventory.html.
type inventoryData struct {
	Organisation *trace.Organisation
	Items        []inventory.Item
	Alerts       []alert.Alert
	Catalog      *kev.Info
	Write        bool
	Error        string
}

func (s *Server) loadInventory(r *http.Request, id string) (*inventoryData, error) {
	ctx := r.Context()
	if err := s.checkInventory(r, access.Read, id); err != nil {
		return nil, err
	}
	o, err := trace.GetOrganisation(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	d := &inventoryData{Organisation: o, Write: s.checkInventory(r, access.Write, id) == nil}
	if d.Items, err = inventory.List(ctx, s.store, id); err != nil {
		return nil, err
	}
	if d.Alerts, err = alert.List(ctx, s.store, httpkit.Access(r), alert.Filter{OrganisationID: id}); err != nil {
		return nil, err
	}
	d.Catalog, err = kev.Current(ctx, s.store)
	if errors.Is(err, db.ErrNotFound) {
		err = nil
	}
	return d, err
}

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadInventory(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return s.render(w, r, http.StatusOK, "inventory.html", map[string]any{"Page": d, "Title": "Software of " + d.Organisation.Name})
}

// inventoryAct adds an item, removes one, or imports a CSV list, and
// matches the inventory against the catalog.
func (s *Server) inventoryAct(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	var items []inventory.Item
	switch r.PostForm.Get("action") {
	case "add":
		items = []inventory.Item{{OrganisationID: id, Vendor: r.PostForm.Get("vendor"), Product: r.PostForm.Get("product"),
			Version: r.PostForm.Get("version"), CPE: r.PostForm.Get("cpe")}}
	case "import":
		var err error
		if items, err = inventory.ReadCSV(strings.NewReader(r.PostForm.Get("csv")), id); err != nil {
			return s.inventoryProblem(w, r, id, err)
		}
	case "remove":
	default:
		return httpkit.BadRequest(errors.New("unknown action"))
	}
	err := s.changeInventory(r, id, func(ctx context.Context, tx *db.Tx) error {
		if r.PostForm.Get("action") == "remove" {
			return inventory.Remove(ctx, tx, id, r.PostForm.Get("item"))
		}
		_, err := s.addItems(ctx, tx, httpkit.Access(r), items)
		return err
	})
	if isInput(err) {
		return s.inventoryProblem(w, r, id, err)
	}
	if err != nil {
		return s.refused(w, r, err)
	}
	http.Redirect(w, r, "/work/organisations/"+id+"/inventory", http.StatusSeeOther)
	return nil
}

func (s *Server) inventoryProblem(w http.ResponseWriter, r *http.Request, id string, problem error) error {
	d, err := s.loadInventory(r, id)
	if err != nil {
		return s.refused(w, r, err)
	}
	if !d.Write {
		return s.refused(w, r, s.checkInventory(r, access.Write, id))
	}
	d.Error = problem.Error()
	return s.render(w, r, http.StatusUnprocessableEntity, "inventory.html", map[string]any{"Page": d, "Title": "Software of " + d.Organisation.Name})
}

// changeInventory runs fn as the viewer's change of the inventory of
// organisation id, after access allows it.
func (s *Server) changeInventory(r *http.Request, id string, fn func(ctx context.Context, tx *db.Tx) error) error {
	if err := s.checkInventory(r, access.Write, id); err != nil {
		return err
	}
	return s.store.Write(r.Context(), author(r, "inventory"), func(tx *db.Tx) error { return fn(r.Context(), tx) })
}

// addItems adds items to their organisation's inventory, kept by the
// viewer's team when it is new, and raises the alerts they match.
func (s *Server) addItems(ctx context.Context, tx *db.Tx, v access.Viewer, items []inventory.Item) ([]alert.Alert, error) {
	owner := ""
	if v.MayHelp() == nil {
		owner = v.TeamID
	}
	for i := range items {
		if _, err := inventory.Add(ctx, tx, owner, &items[i]); err != nil {
			return nil, err
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	return alert.Match(ctx, tx, items[0].OrganisationID)
}

type itemList struct {
	OrganisationID string           `json:"organisation_id"`
	Items          []inventory.Item `json:"items"`
}

func (s *Server) apiInventory(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.checkInventory(r, access.Read, id); err != nil {
		return s.refused(w, r, err)
	}
	items, err := inventory.List(r.Context(), s.store, id)
	if err != nil {
		return err
	}
	if items == nil {
		items = []inventory.Item{}
	}
	return httpkit.WriteJSON(w, http.StatusOK, itemList{id, items})
}

// itemInput is what POST /api/v1/organisations/{id}/inventory adds.
type itemInput struct {
	Vendor  string `json:"vendor"`
	Product string `json:"product"`
	Version string `json:"version"`
	CPE     string `json:"cpe"`
}

type itemAnswer struct {
	Item   inventory.Item `json:"item"`
	Raised []alert.Alert  `json:"raised"`
}

func (s *Server) apiAddItem(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.checkInventory(r, access.Write, id); err != nil {
		return s.refused(w, r, err)
	}
	var in itemInput
	if err := decodeBody(w, r, &in); err != nil {
		return s.refused(w, r, err)
	}
	items := []inventory.Item{{OrganisationID: id, Vendor: in.Vendor, Product: in.Product, Version: in.Version, CPE: in.CPE}}
	var raised []alert.Alert
	err := s.changeInventory(r, id, func(ctx context.Context, tx *db.Tx) (err error) {
		raised, err = s.addItems(ctx, tx, httpkit.Access(r), items)
		return err
	})
	if err != nil {
		return s.refused(w, r, err)
	}
	if raised == nil {
		raised = []alert.Alert{}
	}
	return httpkit.WriteJSON(w, http.StatusCreated, itemAnswer{items[0], raised})
}

func (s *Server) apiRemoveItem(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := s.changeInventory(r, id, func(ctx context.Context, tx *db.Tx) error {
		return inventory.Remove(ctx, tx, id, r.PathValue("item"))
	})
	if err != nil {
		return s.refused(w, r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Alerts.

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	f := alert.Filter{}
	if st := r.URL.Query().Get("state"); st != "" {
		f.States = []string{st}
	}
	v := httpkit.Access(r)
	if ref := r.URL.Query().Get("organisation"); ref != "" {
		// Open (or start) an organisation's inventory by its id or exact name.
		o, err := inventory.ResolveOrganisation(r.Context(), s.store, ref)
		if err == nil {
			err = s.checkInventory(r, access.Read, o.ID)
		}
		if err != nil {
			return s.refused(w, r, access.ErrHidden)
		}
		http.Redirect(w, r, "/work/organisations/"+o.ID+"/inventory", http.StatusSeeOther)
		return nil
	}
	list, err := alert.List(r.Context(), s.store, v, f)
	if err != nil {
		return err
	}
	inventories, err := inventory.Readable(r.Context(), s.store, v)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "alerts.html", map[string]any{"Alerts": list, "Inventories": inventories, "Helper": v.MayHelp() == nil,
		"Title": "Alerts"})
}

func (s *Server) alertsOfOrganisation(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadInventory(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	history := map[string][]alert.Step{}
	for _, a := range d.Alerts {
		if history[a.ID], err = alert.History(r.Context(), s.store, a.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "orgalerts.html", map[string]any{"Page": d, "History": history,
		"Title": "Alerts of " + d.Organisation.Name})
}

// decideAlert records the viewer's decision on alert id, after access
// allows writing its organisation's inventory.
func (s *Server) decideAlert(r *http.Request, id, state, reason string) (*alert.Alert, error) {
	a, err := alert.Get(r.Context(), s.store, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkInventory(r, access.Write, a.OrganisationID); err != nil {
		return nil, err
	}
	err = s.store.Write(r.Context(), author(r, "alert "+state), func(tx *db.Tx) error {
		return alert.Decide(r.Context(), tx, id, state, reason)
	})
	if err != nil {
		return nil, err
	}
	return alert.Get(r.Context(), s.store, id)
}

func (s *Server) alertAct(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	a, err := s.decideAlert(r, r.PathValue("id"), r.PostForm.Get("state"), r.PostForm.Get("reason"))
	if err != nil {
		return s.refused(w, r, err)
	}
	http.Redirect(w, r, "/work/organisations/"+a.OrganisationID+"/alerts#"+a.ID, http.StatusSeeOther)
	return nil
}

type alertList struct {
	Catalog *kev.Info     `json:"catalog"`
	Alerts  []alert.Alert `json:"alerts"`
}

// apiAlerts lists the alerts the viewer may read: ?organisation=ID and
// ?state=S narrow it.
func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := alert.Filter{OrganisationID: q.Get("organisation")}
	if st := q.Get("state"); st != "" {
		f.States = strings.Split(st, ",")
	}
	list, err := alert.List(r.Context(), s.store, httpkit.Access(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []alert.Alert{}
	}
	cat, err := kev.Current(r.Context(), s.store)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, alertList{cat, list})
}

// decision is what PATCH /api/v1/alerts/{id} records.
type decision struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request) error {
	var d decision
	if err := decodeBody(w, r, &d); err != nil {
		return s.refused(w, r, err)
	}
	a, err := s.decideAlert(r, r.PathValue("id"), d.State, d.Reason)
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusOK, a)
}
