package evidence

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/keys"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Web is the locker's surface in the workspace: the evidence of a case or
// an incident, its upload, downloads and the signed package. Evidence
// follows its case's or incident's access (internal/access): reading it
// needs the right to read the case or incident, adding it the right to
// write it, and exporting a package the right to manage the case or to
// write the incident.
type Web struct {
	log    *slog.Logger
	locker *Store
	pages  *template.Template
}

// NewWeb returns the locker's pages (locker nil: the routes only).
func NewWeb(log *slog.Logger, locker *Store) (*Web, error) {
	pages, err := template.New("").Funcs(httpkit.Funcs()).ParseFS(httpkit.Layout, httpkit.LayoutPattern)
	if err == nil {
		pages, err = pages.ParseFS(templateFiles, "templates/*.html")
	}
	return &Web{log: log, locker: locker, pages: pages}, err
}

// Routes registers the locker's routes.
func (wb *Web) Routes(mux httpkit.Router) {
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /work/evidence/{scope}":              wb.list,
		"POST /work/evidence/{scope}":             wb.add,
		"GET /work/evidence/{scope}/{item}":       wb.download,
		"GET /work/evidence/{scope}/package":      wb.export,
		"POST /work/evidence/{scope}/{item}/note": wb.note,
	} {
		mux.Handle(pattern, httpkit.Handle(wb.log, wb.signedIn(h)))
	}
}

func (wb *Web) signedIn(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	unavailable := ""
	if wb.locker == nil {
		unavailable = "this server keeps no evidence"
	}
	return httpkit.SignedIn(unavailable, h)
}

// may asks access whether the viewer may do what on the scope.
func (wb *Web) may(r *http.Request, what string, scope string) error {
	kind := access.KindOf(scope)
	if kind != access.Case && kind != access.Incident {
		return access.ErrHidden
	}
	action := access.Read
	switch {
	case what == "add" || what == "note":
		action = access.Write
	case what == "export" && kind == access.Case:
		action = access.Manage
	case what == "export":
		action = access.Write
	}
	return access.Check(r.Context(), wb.locker.DB, httpkit.Access(r), action, scope)
}

func (wb *Web) refuse(w http.ResponseWriter, r *http.Request, err error) error {
	var refusal *access.Refusal
	switch {
	case errors.As(err, &refusal):
		return wb.render(w, r, http.StatusForbidden, map[string]any{"Error": refusal.Reason})
	case errors.Is(err, access.ErrHidden), errors.Is(err, ErrNoItem):
		http.Error(w, "No such evidence.", http.StatusNotFound)
		return nil
	}
	return err
}

func (wb *Web) render(w http.ResponseWriter, r *http.Request, status int, data map[string]any) error {
	data["Viewer"], data["Title"] = httpkit.User(r), "Evidence"
	data["Fingerprint"] = keys.Fingerprint(wb.locker.Signer.Public())
	return httpkit.Render(w, wb.pages, status, "evidence.html", data)
}

func (wb *Web) list(w http.ResponseWriter, r *http.Request) error {
	return wb.show(w, r, http.StatusOK, "")
}

func (wb *Web) show(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	scope := r.PathValue("scope")
	if err := wb.may(r, "read", scope); err != nil {
		return wb.refuse(w, r, err)
	}
	items, err := wb.locker.List(r.Context(), wb.locker.DB, scope)
	if err != nil {
		return err
	}
	entries, err := Entries(r.Context(), wb.locker.DB, scope)
	if err != nil {
		return err
	}
	kind := "incident"
	if access.KindOf(scope) == access.Case {
		kind = "case"
	}
	return wb.render(w, r, status, map[string]any{"Scope": scope, "Kind": kind, "Items": items, "Entries": entries, "Error": problem,
		"MayAdd": wb.may(r, "add", scope) == nil, "MayExport": wb.may(r, "export", scope) == nil, "MaxBytes": wb.locker.MaxBytes})
}

// add streams each file of the form into the locker: the fields before
// the files are their metadata (a browser sends a form's fields in order,
// and the form puts the files last).
func (wb *Web) add(w http.ResponseWriter, r *http.Request) error {
	scope := r.PathValue("scope")
	if err := wb.may(r, "add", scope); err != nil {
		return wb.refuse(w, r, err)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		return httpkit.BadRequest(errors.New("evidence is uploaded as multipart/form-data"))
	}
	// A large file takes longer than the server's read timeout allows
	// other requests.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(6 * time.Hour))
	mr, err := r.MultipartReader()
	if err != nil {
		return httpkit.BadRequest(err)
	}
	var meta Metadata
	fields := map[string]*string{"acquired_by": &meta.AcquiredBy, "acquired_at": &meta.AcquiredAt, "method": &meta.Method,
		"system": &meta.System, "note": &meta.Note}
	added := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return httpkit.BadRequest(err)
		}
		if part.FormName() == "file" && part.FileName() != "" {
			m := meta
			m.OriginalName = filepath.Base(part.FileName())
			if _, err := wb.locker.Add(r.Context(), httpkit.User(r).Email, scope, m, part); err != nil {
				if errors.Is(err, ErrTooLarge) {
					return wb.show(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is larger than the limit of %d bytes: nothing of it was kept", m.OriginalName, wb.locker.MaxBytes))
				}
				return err
			}
			added++
			continue
		}
		if p, ok := fields[part.FormName()]; ok {
			b, err := io.ReadAll(io.LimitReader(part, 10000))
			if err != nil {
				return httpkit.BadRequest(err)
			}
			*p = strings.TrimSpace(string(b))
		}
	}
	if added == 0 {
		return wb.show(w, r, http.StatusUnprocessableEntity, "choose at least one file")
	}
	http.Redirect(w, r, "/work/evidence/"+scope, http.StatusSeeOther)
	return nil
}

// item finds the item of the path within its scope.
func (wb *Web) item(r *http.Request) (*Item, error) {
	it, err := wb.locker.Get(r.Context(), wb.locker.DB, r.PathValue("item"))
	if err != nil {
		return nil, err
	}
	if it.ScopeID != r.PathValue("scope") || it.Erased != "" {
		return nil, ErrNoItem
	}
	return it, nil
}

func (wb *Web) download(w http.ResponseWriter, r *http.Request) error {
	if err := wb.may(r, "read", r.PathValue("scope")); err != nil {
		return wb.refuse(w, r, err)
	}
	it, err := wb.item(r)
	if err != nil {
		return wb.refuse(w, r, err)
	}
	rc, _, err := wb.locker.Open(r.Context(), httpkit.User(r).Email, it.ID, "download")
	if err != nil {
		return err
	}
	defer rc.Close()
	// A file of gigabytes takes longer than the server's write timeout
	// allows other answers.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(6 * time.Hour))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": it.Metadata.OriginalName}))
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("X-Content-SHA256", it.SHA256)
	_, err = io.Copy(w, rc)
	return err
}

func (wb *Web) export(w http.ResponseWriter, r *http.Request) error {
	scope := r.PathValue("scope")
	if err := wb.may(r, "export", scope); err != nil {
		return wb.refuse(w, r, err)
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(6 * time.Hour))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "evidence-" + scope + ".zip"}))
	_, err := wb.locker.Export(r.Context(), httpkit.User(r).Email, scope, w)
	return err
}

func (wb *Web) note(w http.ResponseWriter, r *http.Request) error {
	if err := wb.may(r, "note", r.PathValue("scope")); err != nil {
		return wb.refuse(w, r, err)
	}
	it, err := wb.item(r)
	if err != nil {
		return wb.refuse(w, r, err)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	body := strings.TrimSpace(r.PostForm.Get("body"))
	if body == "" {
		return wb.show(w, r, http.StatusUnprocessableEntity, "a note needs text")
	}
	if err := wb.locker.AddNote(r.Context(), httpkit.User(r).Email, it.ID, strings.TrimSpace(r.PostForm.Get("to")), body); err != nil {
		return err
	}
	http.Redirect(w, r, "/work/evidence/"+it.ScopeID, http.StatusSeeOther)
	return nil
}
