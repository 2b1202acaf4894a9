package prevention

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/retarget"
	"github.com/harmtrace/harmtrace/internal/volunteer"
)

func (s *Server) cap() float64 {
	if s.hoursCap > 0 {
		return s.hoursCap
	}
	return volunteer.DefaultHoursCap
}

// needCases answers 503 when the server keeps no cases (their keys seal
// the tasks' titles).
func (s *Server) needCases(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cases == nil {
			return httpkit.Unavailable(w, r, "this server keeps no cases")
		}
		return h(w, r)
	}
}

// myVolunteering is a volunteer's own page: their profile and the tasks
// assigned to them, nothing else.
func (s *Server) myVolunteering(w http.ResponseWriter, r *http.Request) error {
	u := httpkit.User(r)
	p, err := volunteer.GetProfile(r.Context(), s.store, u.ID)
	if errors.Is(err, db.ErrNotFound) {
		return s.refused(w, r, &access.Refusal{Reason: "this page is for volunteers"})
	}
	if err != nil {
		return err
	}
	problem := ""
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return httpkit.BadRequest(err)
		}
		hours, _ := strconv.ParseFloat(r.PostForm.Get("hours_per_month"), 64)
		p.Skills, p.Languages = r.PostForm["skill"], fields(r.PostForm.Get("languages"))
		p.TimeZone, p.HoursPerMonth, p.Employer = r.PostForm.Get("time_zone"), hours, r.PostForm.Get("employer")
		err := s.store.Write(r.Context(), author(r, "volunteer profile"), func(tx *db.Tx) error { return volunteer.SaveProfile(r.Context(), tx, p) })
		if err == nil {
			http.Redirect(w, r, "/work/volunteer", http.StatusSeeOther)
			return nil
		}
		if !isInput(err) {
			return err
		}
		problem = err.Error()
	}
	tasks, err := volunteer.AssignedTasks(r.Context(), s.store, s.cases.Keys, u.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "volunteer.html", map[string]any{"Profile": p, "Tasks": tasks, "Skills": volunteer.Skills.Values,
		"Error": problem, "Title": "My volunteering"})
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// taskPage shows a task to its case workers and to the volunteers
// assigned; a volunteer logs hours and marks it done there.
func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	v := httpkit.Access(r)
	if err := volunteer.CheckTask(r.Context(), s.store, v, access.Read, id); err != nil {
		return s.refused(w, r, err)
	}
	problem := ""
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return httpkit.BadRequest(err)
		}
		hours, _ := strconv.ParseFloat(r.PostForm.Get("hours"), 64)
		err := s.logHours(r, id, hours, r.PostForm.Get("date"), r.PostForm.Get("done") == "yes")
		if err == nil {
			http.Redirect(w, r, "/work/tasks/"+id, http.StatusSeeOther)
			return nil
		}
		if !isInput(err) {
			return s.refused(w, r, err)
		}
		problem = err.Error()
	}
	t, err := volunteer.GetTask(r.Context(), s.store, s.cases.Keys, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "task.html", map[string]any{"Task": t, "Error": problem, "Today": time.Now().UTC().Format("2006-01-02"),
		"Helper": v.MayHelp() == nil, "Title": "Task"})
}

// logHours records the viewer's hours on task id (access Write: an
// assigned volunteer, or a case worker for themself).
func (s *Server) logHours(r *http.Request, id string, hours float64, day string, done bool) error {
	v := httpkit.Access(r)
	if err := volunteer.CheckTask(r.Context(), s.store, v, access.Write, id); err != nil {
		return err
	}
	return s.store.Write(r.Context(), author(r, "volunteer hours"), func(tx *db.Tx) error {
		t, err := volunteer.GetTask(r.Context(), tx, s.cases.Keys, id)
		if err != nil {
			return err
		}
		if hours > 0 || !done {
			if err := volunteer.LogHours(r.Context(), tx, t, v.UserID, hours, day, s.cap()); err != nil {
				return err
			}
		}
		if done {
			return volunteer.Finish(r.Context(), tx, id)
		}
		return nil
	})
}

// caseVolunteers is a case worker's page of a case's volunteer tasks,
// each with its ranked matches; POST opens a task or assigns one.
func (s *Server) caseVolunteers(w http.ResponseWriter, r *http.Request) error {
	caseID := r.PathValue("id")
	if err := access.Check(r.Context(), s.store, httpkit.Access(r), access.Manage, caseID); err != nil {
		return s.refused(w, r, err)
	}
	problem := ""
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return httpkit.BadRequest(err)
		}
		f := r.PostForm
		var err error
		switch f.Get("action") {
		case "task":
			hours, _ := strconv.ParseFloat(f.Get("hours"), 64)
			_, err = s.createTask(r, &volunteer.Task{CaseID: caseID, Title: f.Get("title"), Skills: f["skill"], Languages: fields(f.Get("languages")),
				TimeZone: f.Get("time_zone"), Hours: hours})
		case "assign":
			err = s.assign(r, caseID, f.Get("task"), f.Get("user_id"))
		default:
			return httpkit.BadRequest(errors.New("unknown action"))
		}
		if err == nil {
			http.Redirect(w, r, "/work/cases/"+caseID+"/volunteers", http.StatusSeeOther)
			return nil
		}
		if !isInput(err) {
			return s.refused(w, r, err)
		}
		problem = err.Error()
	}
	tasks, err := volunteer.CaseTasks(r.Context(), s.store, s.cases.Keys, caseID)
	if err != nil {
		return err
	}
	matches := map[string][]volunteer.Match{}
	for i := range tasks {
		if matches[tasks[i].ID], err = volunteer.Rank(r.Context(), s.store, &tasks[i], s.cap(), time.Now()); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "casevolunteers.html", map[string]any{"CaseID": caseID, "Tasks": tasks, "Matches": matches,
		"Skills": volunteer.Skills.Values, "Cap": s.cap(), "Error": problem, "Title": "Volunteers for " + caseID})
}

// createTask opens a task on a case the viewer manages, for the
// organisation the case is about (else the case itself).
func (s *Server) createTask(r *http.Request, t *volunteer.Task) (*volunteer.Task, error) {
	if err := access.Check(r.Context(), s.store, httpkit.Access(r), access.Manage, t.CaseID); err != nil {
		return nil, err
	}
	orgs, err := retarget.CaseOrganisations(r.Context(), s.store, t.CaseID)
	if err != nil {
		return nil, err
	}
	if len(orgs) > 0 {
		t.Helped = orgs[0]
	}
	return t, s.store.Write(r.Context(), author(r, "volunteer task"), func(tx *db.Tx) error {
		return volunteer.CreateTask(r.Context(), tx, s.cases.Keys, t)
	})
}

// assign gives a task of a case the viewer manages to a matched volunteer.
func (s *Server) assign(r *http.Request, caseID, taskID, userID string) error {
	if err := volunteer.CheckTask(r.Context(), s.store, httpkit.Access(r), access.Manage, taskID); err != nil {
		return err
	}
	return s.store.Write(r.Context(), author(r, "volunteer assignment"), func(tx *db.Tx) error {
		t, err := volunteer.GetTask(r.Context(), tx, s.cases.Keys, taskID)
		if err != nil {
			return err
		}
		if caseID != "" && t.CaseID != caseID {
			return access.ErrHidden
		}
		return volunteer.Assign(r.Context(), tx, t, userID, s.cap())
	})
}

// volunteersPage lists the viewer's team's volunteers for its case
// workers and admins, who vet them there.
func (s *Server) volunteersPage(w http.ResponseWriter, r *http.Request) error {
	v := httpkit.Access(r)
	if err := v.MayHelp(); err != nil {
		return s.refused(w, r, err)
	}
	list, err := volunteer.Profiles(r.Context(), s.store, v.TeamID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "volunteers.html", map[string]any{"Volunteers": list, "States": volunteer.Vetting.Values, "Title": "Volunteers"})
}

func (s *Server) vet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	err := s.checkProfile(r, access.Manage, id)
	if err == nil {
		err = s.store.Write(r.Context(), author(r, "vetting"), func(tx *db.Tx) error {
			return volunteer.SetVetting(r.Context(), tx, id, r.PostForm.Get("vetting"))
		})
	}
	if err != nil {
		return s.refused(w, r, err)
	}
	http.Redirect(w, r, "/work/volunteers", http.StatusSeeOther)
	return nil
}

func (s *Server) checkProfile(r *http.Request, action access.Action, id string) error {
	rec, err := volunteer.ProfileRecord(r.Context(), s.store, id)
	if errors.Is(err, db.ErrNotFound) {
		return access.ErrHidden
	}
	if err != nil {
		return err
	}
	return access.Decide(httpkit.Access(r), action, rec)
}

// The volunteers' API.

func (s *Server) apiMyTasks(w http.ResponseWriter, r *http.Request) error {
	tasks, err := volunteer.AssignedTasks(r.Context(), s.store, s.cases.Keys, httpkit.User(r).ID)
	if err != nil {
		return err
	}
	if tasks == nil {
		tasks = []volunteer.Task{}
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"tasks": tasks})
}

type hoursInput struct {
	Hours float64 `json:"hours"`
	Date  string  `json:"date"`
	Done  bool    `json:"done"`
}

func (s *Server) apiLogHours(w http.ResponseWriter, r *http.Request) error {
	var in hoursInput
	if err := decodeBody(w, r, &in); err != nil {
		return s.refused(w, r, err)
	}
	id := r.PathValue("id")
	if err := s.logHours(r, id, in.Hours, in.Date, in.Done); err != nil {
		return s.refused(w, r, err)
	}
	t, err := volunteer.GetTask(r.Context(), s.store, s.cases.Keys, id)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, t)
}

type taskInput struct {
	Title     string   `json:"title"`
	Skills    []string `json:"skills"`
	Languages []string `json:"languages"`
	TimeZone  string   `json:"time_zone"`
	Hours     float64  `json:"hours"`
}

func (s *Server) apiCreateTask(w http.ResponseWriter, r *http.Request) error {
	var in taskInput
	if err := decodeBody(w, r, &in); err != nil {
		return s.refused(w, r, err)
	}
	t, err := s.createTask(r, &volunteer.Task{CaseID: r.PathValue("id"), Title: in.Title, Skills: in.Skills, Languages: in.Languages,
		TimeZone: in.TimeZone, Hours: in.Hours})
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusCreated, t)
}

func (s *Server) apiMatches(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := volunteer.CheckTask(r.Context(), s.store, httpkit.Access(r), access.Manage, id); err != nil {
		return s.refused(w, r, err)
	}
	t, err := volunteer.GetTask(r.Context(), s.store, s.cases.Keys, id)
	if err != nil {
		return err
	}
	ranked, err := volunteer.Rank(r.Context(), s.store, t, s.cap(), time.Now())
	if err != nil {
		return err
	}
	if ranked == nil {
		ranked = []volunteer.Match{}
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"task_id": id, "hours_cap": s.cap(), "matches": ranked})
}

func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID string `json:"user_id"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return s.refused(w, r, err)
	}
	id := r.PathValue("id")
	if err := s.assign(r, "", id, in.UserID); err != nil {
		return s.refused(w, r, err)
	}
	t, err := volunteer.GetTask(r.Context(), s.store, s.cases.Keys, id)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, t)
}

// apiProfile reads (GET) or writes (PUT, the volunteer's own) a profile.
func (s *Server) apiProfile(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	action := access.Read
	if r.Method == http.MethodPut {
		action = access.Write
	}
	if err := s.checkProfile(r, action, id); err != nil {
		return s.refused(w, r, err)
	}
	p, err := volunteer.GetProfile(r.Context(), s.store, id)
	if err != nil {
		return s.refused(w, r, err)
	}
	if r.Method == http.MethodPut {
		var in struct {
			Skills        []string `json:"skills"`
			Languages     []string `json:"languages"`
			TimeZone      string   `json:"time_zone"`
			HoursPerMonth float64  `json:"hours_per_month"`
			Employer      string   `json:"employer"`
		}
		if err := decodeBody(w, r, &in); err != nil {
			return s.refused(w, r, err)
		}
		p.Skills, p.Languages, p.TimeZone, p.HoursPerMonth, p.Employer = in.Skills, in.Languages, in.TimeZone, in.HoursPerMonth, in.Employer
		err := s.store.Write(r.Context(), author(r, "volunteer profile"), func(tx *db.Tx) error { return volunteer.SaveProfile(context.WithoutCancel(r.Context()), tx, p) })
		if err != nil {
			return s.refused(w, r, err)
		}
	}
	return httpkit.WriteJSON(w, http.StatusOK, p)
}
