package httpkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// SessionCookie is the name of the cookie that holds a signed-in browser's
// session.
const SessionCookie = "harmtrace_session"

// Page gathers what every page's layout needs with the page's own data.
func Page(r *http.Request, title string, data map[string]any) map[string]any {
	data["Title"] = title
	data["Viewer"] = User(r)
	return data
}

// Require is the one place where roles are checked: a page or endpoint
// that needs at least role answers 401 to the public (SignInFirst) and 403
// to a user whose role is lower, as JSON for the API and with the error
// page of pages otherwise.
func Require(pages *template.Template, role string, h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u := User(r)
		switch {
		case u == nil:
			return SignInFirst(w, r)
		case !u.Allows(role):
			if IsAPI(r) {
				return WriteJSON(w, http.StatusForbidden, APIError{Code: "forbidden", Message: "your role does not allow this"})
			}
			return Render(w, pages, http.StatusForbidden, "error.html", Page(r, "Forbidden", map[string]any{"Message": "Your role does not allow this."}))
		}
		return h(w, r)
	}
}

// NotFound answers 404 for a record that does not exist or that the
// viewer may not see: the two look the same, so a hidden record's
// existence does not leak.
func NotFound(w http.ResponseWriter, r *http.Request, pages *template.Template) error {
	return Render(w, pages, http.StatusNotFound, "error.html", Page(r, "Not found", map[string]any{"Message": "There is no such public record."}))
}

// Refused answers a write that access refused (an *access.Refusal): 403
// with its reason, as JSON for the API and with the error page of pages
// otherwise.
func Refused(w http.ResponseWriter, r *http.Request, pages *template.Template, err error) error {
	var refusal *access.Refusal
	errors.As(err, &refusal)
	if IsAPI(r) {
		return WriteJSON(w, http.StatusForbidden, APIError{Code: "forbidden", Message: refusal.Reason})
	}
	return Render(w, pages, http.StatusForbidden, "error.html", Page(r, "Not yours to change", map[string]any{"Message": refusal.Reason + "."}))
}

// NoRecord is the API's answer to a missing, hidden or other-kind record:
// the three alike.
var NoRecord = APIError{Code: "not_found", Message: "no such record"}

// FieldErrors is the API's body of a 422 for a record: which fields and why.
type FieldErrors struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []validate.FieldError `json:"fields,omitempty"`
}

// DecodeJSON reads a JSON body of at most 1 MiB strictly into v.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not the expected JSON: %w", err)
	}
	return nil
}
