// Package victim serves the victims' pages: the report form, the receipt
// and the recovery plan, the status page where a reporter reads the
// helpers' messages, replies, adds files and withdraws, and the same as a
// JSON API. No account: the receipt is the only key. Nothing identifying
// a reporter is kept: no address (the limits hold salted hashes in
// memory), no user agent, no referrer; what they write is sealed by
// internal/casefile before it reaches the store. Every page speaks the
// reporter's language through internal/i18n.
package victim

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/i18n"
	"github.com/harmtrace/harmtrace/internal/recovery"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server serves the victims' pages.
type Server struct {
	log   *slog.Logger
	cases *casefile.Store
	pages *template.Template
	// receipts counts wrong receipts and reports counts reports sent, per
	// address, as salted hashes in memory.
	receipts, reports *httpkit.Limiter
	now               func() time.Time
}

// New returns the victims' surface on the cases' store (nil: the routes
// only, for the tests that walk them).
func New(log *slog.Logger, cases *casefile.Store) (*Server, error) {
	pages, err := template.New("").Funcs(httpkit.Funcs()).Funcs(template.FuncMap{"t": i18n.T}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{log: log, cases: cases, pages: pages, receipts: httpkit.NewLimiter(httpkit.LimitKeys),
		reports: httpkit.NewLimiter(httpkit.LimitKeys), now: time.Now}, nil
}

// Routes registers the victims' routes.
func (s *Server) Routes(mux httpkit.Router) {
	h := func(f httpkit.HandlerFunc) http.Handler {
		return httpkit.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
			if s.cases == nil {
				return httpkit.Unavailable(w, r, "this server keeps no reports")
			}
			return f(w, r)
		})
	}
	mux.Handle("GET /report", h(s.reportForm))
	mux.Handle("POST /report", h(s.submit))
	mux.Handle("GET /report/status", h(s.statusForm))
	mux.Handle("POST /report/status", h(s.status))
	mux.Handle("POST /api/v1/reports", h(s.apiSubmit))
	mux.Handle("GET /api/v1/reports/status", h(s.apiStatus))
	mux.Handle("DELETE /api/v1/reports/status", h(s.apiWithdraw))
	mux.Handle("POST /api/v1/reports/status/messages", h(s.apiReply))
	mux.Handle("GET /api/v1/reports/figures", h(s.apiFigures))
}

// page is what every victims' page gets.
type page struct {
	Lang     i18n.Lang
	Langs    []i18n.Lang
	Path     string
	TitleKey string
	Problems casefile.Problems
	form     map[string][]string

	AttackTypes, Kinds, Sectors, Affected, Groups []string
	Countries                                     []country

	Receipt   string
	Plan      []recovery.Step
	Case      *casefile.Case
	Messages  []casefile.Message
	Wrong     bool
	Blocked   bool
	Sent      bool
	Erased    string
	Reference string
}

// Problem is the message of field's problem in the page's language.
func (p *page) Problem(field string) string {
	if e := p.Problems.Of(field); e != nil {
		return i18n.T(p.Lang.Code, e.Key, e.Args...)
	}
	return ""
}

// Value is what the form sent for field.
func (p *page) Value(field string) string {
	if v := p.form[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Checked reports whether the form sent value for field.
func (p *page) Checked(field, value string) bool { return slices.Contains(p.form[field], value) }

type country struct{ Code, Name string }

// countries are named in the reader's language (CLDR, through x/text).
func countries(lang string) []country {
	namer := display.Regions(language.Make(lang))
	var out []country
	for _, c := range vocab.Countries() {
		name := c.Name
		if r, err := language.ParseRegion(c.Code); err == nil {
			if n := namer.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, country{c.Code, name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// newPage is a page in the language asked for (the form's language
// field), else ?lang=, else the browser's.
func (s *Server) newPage(r *http.Request, titleKey, asked string) *page {
	lang := i18n.Pick(firstOf(asked, r.URL.Query().Get("lang")), r.Header.Get("Accept-Language"))
	return &page{Lang: i18n.Of(lang), Langs: i18n.Langs, Path: r.URL.Path, TitleKey: titleKey, form: map[string][]string{}}
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) error {
	private(w)
	return httpkit.Render(w, s.pages, status, name, p)
}

// private keeps every victims' answer out of caches and referrers.
func private(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (s *Server) formPage(r *http.Request, asked string) *page {
	p := s.newPage(r, "report.title", asked)
	p.AttackTypes, p.Kinds, p.Sectors = recovery.AttackTypes, casefile.OrganisationKinds, casefile.Sectors
	p.Affected, p.Groups, p.Countries = casefile.Affected, casefile.HarmedGroups, countries(p.Lang.Code)
	return p
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "report.html", s.formPage(r, ""))
}

// reportOf reads the form as a report.
func reportOf(form map[string][]string) *casefile.Report {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	yes := func(k string) bool { return get(k) == "yes" }
	r := &casefile.Report{AttackTypes: form["attack_types"], WhatHappened: get("what_happened"), Started: get("started"),
		Ongoing: casefile.Ongoing(get("ongoing")), Affected: form["affected"], HarmedGroups: form["harmed_groups"],
		Contact: casefile.Contact{Email: get("email"), Phone: get("phone")},
		Consent: casefile.Consent{ContactMe: yes("contact_me"), ShareAnonymised: yes("share_anonymised"),
			NameOrganisation: yes("name_organisation"), CountGroups: yes("count_groups")},
		Language: get("language")}
	if get("who") == "organisation" {
		r.Organisation = &casefile.Organisation{Name: get("org_name"), Kind: get("org_kind"), Sector: get("org_sector"), Country: get("country")}
	} else {
		r.Person = &casefile.Person{Country: get("country")}
	}
	return r
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	p := s.formPage(r, r.PostForm.Get("language"))
	p.form = r.PostForm
	if s.reports.Blocked(s.now(), "report:"+httpkit.Address(r)) {
		p.Blocked = true
		return s.render(w, http.StatusTooManyRequests, "report.html", p)
	}
	rep := reportOf(r.PostForm)
	rep.Language = p.Lang.Code
	if p.Problems = casefile.Validate(rep, s.now()); p.Problems != nil {
		return s.render(w, http.StatusUnprocessableEntity, "report.html", p)
	}
	receipt, c, err := s.cases.Submit(r.Context(), rep)
	if err != nil {
		return err
	}
	s.reports.Fail(s.now(), "report:"+httpkit.Address(r)) // reports count towards the limit of one address
	p = s.newPage(r, "receipt.title", rep.Language)
	p.Receipt, p.Plan = receipt, recovery.Plan(c.Report.Situation(), p.Lang.Code)
	return s.render(w, http.StatusCreated, "receipt.html", p)
}

func (s *Server) statusForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "status.html", s.newPage(r, "status.title", ""))
}

// open finds the case of the receipt and reads it as its reporter, with
// the read in the audit log; "" when the receipt opens nothing, after the
// same work; blocked after too many wrong receipts from the address.
func (s *Server) open(ctx context.Context, r *http.Request, receipt string) (c *casefile.Case, blocked bool, err error) {
	key := "receipt:" + httpkit.Address(r)
	if s.receipts.Blocked(s.now(), key) {
		return nil, true, nil
	}
	id, err := s.cases.ByReceipt(ctx, receipt)
	if err != nil {
		return nil, false, err
	}
	if id == "" {
		s.receipts.Fail(s.now(), key)
		return nil, false, nil
	}
	if err := access.Decide(access.ReporterOf(id), access.Read, access.Record{Kind: access.Case, ID: id}); err != nil {
		return nil, false, err
	}
	if err := s.audit(ctx, "case.read", id, "by its reporter"); err != nil {
		return nil, false, err
	}
	c, err = s.cases.Get(ctx, s.cases.DB, id)
	return c, false, err
}

func (s *Server) audit(ctx context.Context, action, caseID, detail string) error {
	return s.cases.DB.Write(ctx, db.Author{Who: "reporter", Why: action}, func(tx *db.Tx) error {
		return account.Audit(ctx, tx, "reporter", action, caseID, "", detail)
	})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	form, file, fileName, tooBig, err := readForm(w, r)
	if err != nil {
		return httpkit.BadRequest(err)
	}
	p := s.newPage(r, "status.title", first(form["language"]))
	p.form = form
	ctx := r.Context()
	receipt := first(form["receipt"])
	c, blocked, err := s.open(ctx, r, receipt)
	if err != nil {
		return err
	}
	if c == nil {
		p.Wrong, p.Blocked = !blocked, blocked
		status := http.StatusOK
		if blocked {
			status = http.StatusTooManyRequests
		}
		return s.render(w, status, "status.html", p)
	}
	if c.IsErased() {
		return s.erasedPage(w, r, p, c.Erased)
	}
	switch first(form["action"]) {
	case "withdraw":
		if first(form["confirm"]) != "yes" {
			p.Problems = casefile.Problems{{Field: "confirm", Key: "field.confirm.required"}}
			break
		}
		at, err := s.withdraw(ctx, c.ID)
		if err != nil {
			return err
		}
		return s.erasedPage(w, r, p, at)
	case "reply":
		switch {
		case tooBig:
			p.Problems = casefile.Problems{*casefile.FileTooBig()}
		case casefile.CheckMessage(first(form["message"]), file != nil) != nil:
			p.Problems = casefile.Problems{*casefile.CheckMessage(first(form["message"]), file != nil)}
		default:
			if err := s.reply(ctx, c.ID, first(form["message"]), fileName, file); err != nil {
				return err
			}
			p.Sent, p.form = true, map[string][]string{}
		}
	}
	return s.showCase(w, r, p, receipt, c.ID)
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, p *page, receipt, id string) error {
	c, err := s.cases.Get(r.Context(), s.cases.DB, id)
	if err != nil {
		return err
	}
	msgs, err := s.cases.Messages(r.Context(), s.cases.DB, id)
	if err != nil {
		return err
	}
	p.Case, p.Messages, p.Receipt = c, msgs, receipt
	p.Plan = recovery.Plan(c.Report.Situation(), p.Lang.Code)
	status := http.StatusOK
	if p.Problems != nil {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "status.html", p)
}

func (s *Server) erasedPage(w http.ResponseWriter, r *http.Request, p *page, at string) error {
	p.TitleKey, p.Erased, p.Reference = "erased.title", strings.Replace(at[:16], "T", " ", 1), erasureReference(at)
	return s.render(w, http.StatusOK, "erased.html", p)
}

// erasureReference names an erasure without naming the case.
func erasureReference(at string) string {
	sum := sha256.Sum256([]byte("erased\x00" + at))
	return strings.ToUpper(hex.EncodeToString(sum[:6]))
}

func (s *Server) withdraw(ctx context.Context, id string) (string, error) {
	if err := access.Decide(access.ReporterOf(id), access.Erase, access.Record{Kind: access.Case, ID: id}); err != nil {
		return "", err
	}
	return s.cases.Erase(ctx, id, "reporter", "withdrawn")
}

func (s *Server) reply(ctx context.Context, id, body, fileName string, file []byte) error {
	if err := access.Decide(access.ReporterOf(id), access.Write, access.Record{Kind: access.Case, ID: id}); err != nil {
		return err
	}
	return s.cases.DB.Write(ctx, db.Author{Who: "reporter", Why: "reply"}, func(tx *db.Tx) error {
		return s.cases.AddMessage(ctx, tx, id, "reporter", "", body, fileName, file)
	})
}

func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

// readForm reads a form, multipart or not, in memory: a file a reporter
// adds never touches the disk in clear (ParseMultipartForm would spool a
// large one to a temporary file). tooBig tells that the file was over
// casefile.MaxFile; it is then dropped.
func readForm(w http.ResponseWriter, r *http.Request) (form map[string][]string, file []byte, fileName string, tooBig bool, err error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			return nil, nil, "", false, err
		}
		return r.PostForm, nil, "", false, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, casefile.MaxFile+2<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, "", false, err
	}
	form = map[string][]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return form, nil, "", true, nil
			}
			return nil, nil, "", false, err
		}
		if part.FormName() == "file" && part.FileName() != "" {
			data, err := io.ReadAll(io.LimitReader(part, casefile.MaxFile+1))
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) || len(data) > casefile.MaxFile {
				tooBig = true
				continue
			}
			if err != nil {
				return nil, nil, "", false, err
			}
			if len(data) > 0 {
				file, fileName = data, part.FileName()
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, casefile.MaxMessage*4+1))
		if err != nil {
			return nil, nil, "", false, err
		}
		form[part.FormName()] = append(form[part.FormName()], string(v))
	}
	return form, file, fileName, tooBig, nil
}
