package prevention

import (
	"errors"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/outbox"
)

// consentPage shows and changes the viewer's own consent to email: no
// one else may give it.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) error {
	u := httpkit.User(r)
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return httpkit.BadRequest(err)
		}
		on := r.PostForm.Get("email") == "yes"
		err := s.store.Write(r.Context(), author(r, "notification consent"), func(tx *db.Tx) error {
			return outbox.SetConsent(r.Context(), tx, u.ID, on)
		})
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/work/notifications", http.StatusSeeOther)
		return nil
	}
	on, err := outbox.Consents(r.Context(), s.store, u.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "consent.html", map[string]any{"Email": on, "Title": "Notifications"})
}

// admin lets through the admins; each sees the outbox and webhooks of
// their own team.
func (s *Server) admin(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if httpkit.User(r).Role != "admin" {
			return s.refused(w, r, &access.Refusal{Reason: "an admin of your organisation sees its notifications"})
		}
		return h(w, r)
	}
}

type outboxPage struct {
	Counts   map[string]int `json:"counts"`
	Rows     []outbox.Row   `json:"rows"`
	Webhooks []outbox.Hook  `json:"webhooks"`
}

func (s *Server) loadOutbox(r *http.Request) (*outboxPage, error) {
	team := httpkit.User(r).TeamID
	var p outboxPage
	var err error
	if p.Counts, err = outbox.Counts(r.Context(), s.store, team); err != nil {
		return nil, err
	}
	if p.Rows, err = outbox.List(r.Context(), s.store, team, r.URL.Query().Get("status"), 200); err != nil {
		return nil, err
	}
	if p.Webhooks, err = outbox.Webhooks(r.Context(), s.store, team); err != nil {
		return nil, err
	}
	if p.Rows == nil {
		p.Rows = []outbox.Row{}
	}
	if p.Webhooks == nil {
		p.Webhooks = []outbox.Hook{}
	}
	return &p, nil
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadOutbox(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "outbox.html", map[string]any{"Page": p, "Title": "Notifications outbox"})
}

// outboxAct adds or removes a webhook of the admin's team, or retries a
// failed notification; a new webhook's secret is shown once.
func (s *Server) outboxAct(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	team := httpkit.User(r).TeamID
	var secret string
	err := s.store.Write(r.Context(), author(r, "notifications"), func(tx *db.Tx) error {
		switch r.PostForm.Get("action") {
		case "webhook":
			_, sec, err := outbox.AddWebhook(r.Context(), tx, team, r.PostForm.Get("url"))
			if errors.Is(err, outbox.ErrNoKey) {
				return err // the server's fault, not the URL's
			}
			if err != nil {
				return inputError{err}
			}
			secret = sec
			return nil
		case "remove":
			return outbox.RemoveWebhook(r.Context(), tx, team, r.PostForm.Get("webhook"))
		case "retry":
			return outbox.Retry(r.Context(), tx, team, r.PostForm.Get("id"))
		}
		return inputError{errors.New("unknown action")}
	})
	if err != nil {
		return s.refused(w, r, err)
	}
	if secret == "" {
		http.Redirect(w, r, "/admin/notifications", http.StatusSeeOther)
		return nil
	}
	p, err := s.loadOutbox(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "outbox.html", map[string]any{"Page": p, "Secret": secret, "Title": "Notifications outbox"})
}

func (s *Server) apiOutbox(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadOutbox(r)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, p)
}
