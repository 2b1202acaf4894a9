package workspace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// duplicatePair is a proposed duplicate with both incidents.
type duplicatePair struct {
	interchange.Duplicate
	Incident, Other *trace.Incident
}

// visiblePairs returns the proposed duplicates whose two incidents the
// viewer may both see: a pair with a hidden incident is not shown at all.
func (s *Server) visiblePairs(ctx context.Context, r *http.Request, status string) ([]duplicatePair, error) {
	pairs, err := interchange.Duplicates(ctx, s.store, status)
	if err != nil {
		return nil, err
	}
	var out []duplicatePair
	for _, p := range pairs {
		a, errA := s.visibleIncident(ctx, r, p.IncidentID)
		b, errB := s.visibleIncident(ctx, r, p.OtherID)
		if err := errors.Join(errA, errB); err != nil {
			return nil, err
		}
		if a != nil && b != nil {
			out = append(out, duplicatePair{p, a, b})
		}
	}
	return out, nil
}

// visibleIncident returns the incident when the viewer may see it, else nil.
func (s *Server) visibleIncident(ctx context.Context, r *http.Request, id string) (*trace.Incident, error) {
	ok, err := report.Visible(ctx, s.store, httpkit.Access(r), id)
	if err != nil || !ok {
		return nil, err
	}
	return trace.GetIncident(ctx, s.store, id)
}

func (s *Server) workDuplicates(w http.ResponseWriter, r *http.Request) error {
	return s.showDuplicates(w, r, http.StatusOK, "")
}

func (s *Server) showDuplicates(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	pairs, err := s.visiblePairs(r.Context(), r, "open")
	if err != nil {
		return err
	}
	return s.render(w, status, "duplicates.html", httpkit.Page(r, "Possible duplicates", map[string]any{"Pairs": pairs, "Error": problem}))
}

// workSettle merges or dismisses a pair. A merge keeps one incident and
// folds the other into it, under the kept incident's marking: so the kept
// one must be marked at least as strictly, or the merge would publish what
// the other's marking withholds.
func (s *Server) workSettle(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	action, keep, other := r.PostForm.Get("action"), r.PostForm.Get("keep"), r.PostForm.Get("other")
	a, errA := s.visibleIncident(ctx, r, keep)
	b, errB := s.visibleIncident(ctx, r, other)
	if err := errors.Join(errA, errB); err != nil {
		return err
	}
	if a == nil || b == nil || (action != "merge" && action != "dismiss") {
		return s.showDuplicates(w, r, http.StatusBadRequest, "No such pair of incidents.")
	}
	if action == "merge" && strictness(a.TLP) < strictness(b.TLP) {
		return s.showDuplicates(w, r, http.StatusConflict, fmt.Sprintf(
			"%q is marked TLP:%s, stricter than TLP:%s of the incident it would be merged into: keep the stricter one, or change a marking first.",
			b.Title, b.TLP, a.TLP))
	}
	why := cmp.Or(strings.TrimSpace(r.PostForm.Get("reason")), action+" duplicate")
	err := s.store.Write(ctx, db.Author{Who: httpkit.User(r).Email, Why: why}, func(tx *db.Tx) error {
		if action == "merge" {
			return interchange.MergeIncidents(ctx, tx, keep, other)
		}
		return interchange.DismissDuplicate(ctx, tx, keep, other)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/work/duplicates", http.StatusSeeOther)
	return nil
}

func strictness(tlp string) int { return slices.Index(vocab.TLP.Values, tlp) }

// maxUpload bounds an uploaded file: the HHS archive, the largest bundled
// file, is under 2 MB; a large STIX bundle belongs on the command line.
const maxUpload = 32 << 20

func (s *Server) workImportForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "import.html", httpkit.Page(r, "Import a file", map[string]any{
		"Formats": importer.Formats, "Markings": vocab.TLP.Values, "TLP": trace.DefaultTLP, "Encoding": ""}))
}

// workImport imports an uploaded file as the command line does, in one
// transaction, but guarded: it touches only incidents the uploader may
// see, and the incidents it brings belong to the uploader's organisation.
func (s *Server) workImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	data := map[string]any{"Formats": importer.Formats, "Markings": vocab.TLP.Values, "Encoding": ""}
	fail := func(status int, msg string) error {
		data["Error"] = msg
		return s.render(w, status, "import.html", httpkit.Page(r, "Import a file", data))
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return fail(http.StatusBadRequest, "The upload could not be read: is the file larger than 32 MB?")
	}
	opts := importer.Options{Format: r.FormValue("format"), TLP: cmp.Or(r.FormValue("tlp"), trace.DefaultTLP),
		Encoding: r.FormValue("encoding")}
	dryRun := r.FormValue("dry_run") == "on"
	data["TLP"], data["Format"], data["DryRun"], data["Encoding"] = opts.TLP, opts.Format, dryRun, opts.Encoding
	if err := vocab.TLP.Check(opts.TLP); err != nil {
		return fail(http.StatusBadRequest, err.Error())
	}
	name, body, err := uploaded(r, "file")
	if err != nil {
		return fail(http.StatusBadRequest, err.Error())
	}
	if mapName, mapping, err := uploaded(r, "mapping"); err == nil {
		if opts.Mapping, err = csvmap.LoadMapping(mapping, mapName); err != nil {
			return fail(http.StatusUnprocessableEntity, err.Error())
		}
		opts.Format = "csv"
	}
	if opts.Format == "" {
		if opts.Format = importer.Detect(body); opts.Format == "" {
			return fail(http.StatusUnprocessableEntity, name+": the format is not recognised; choose it.")
		}
	}
	u := httpkit.User(r)
	sum := interchange.NewSummary()
	// Decode before the transaction, which then only writes: the store has
	// one writer, and parsing a large file inside held every other write.
	doc, err := importer.Decode(body, name, opts.Format, opts, sum)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, err.Error()+" — nothing was imported.")
	}
	doc.Guard = &interchange.Guard{Viewer: httpkit.Access(r), Owner: u.TeamID}
	err = s.store.Write(ctx, db.Author{Who: u.Email, Why: cmp.Or(strings.TrimSpace(r.FormValue("reason")), "upload "+name)}, func(tx *db.Tx) error {
		if err := interchange.Write(ctx, tx, name, doc, sum, nil); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	switch {
	case err == nil, errors.Is(err, errDryRun):
	case validate.Fields(err) != nil:
		// A refused record is the uploader's to fix: the message names the
		// file, the record and the field, from what they sent.
		return fail(http.StatusUnprocessableEntity, err.Error()+" — nothing was imported.")
	default:
		return err
	}
	data["Summary"], data["File"] = sum, name
	return s.render(w, http.StatusOK, "import.html", httpkit.Page(r, "Import a file", data))
}

var errDryRun = errors.New("dry run")

// uploaded reads a file field of a multipart form.
func uploaded(r *http.Request, field string) (string, []byte, error) {
	f, h, err := r.FormFile(field)
	if err != nil {
		return "", nil, fmt.Errorf("choose a file to import")
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return "", nil, err
	}
	return filepath.Base(h.Filename), body, nil
}
