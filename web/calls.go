package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/flow"
)

// The console's "Log a call" page (C12): the agent types the caller's number, a subject and
// the notes. flow.LogCall matches the number (E.164 in the helpdesk's phone region) against
// people's phones: one match logs the ticket at once; several show the holders to pick from;
// none shows the fields to create the caller, with the number already theirs. The number the
// matches came from travels with the form (matched), so that a number changed afterwards is
// matched again rather than logged against the earlier caller.

type callView struct {
	*page
	// Number is the caller's number in E.164 once the form was sent with a valid one.
	Number  string
	Matches []*frontdesk.Person
	// Unmatched shows the new caller's fields: the number found nobody.
	Unmatched bool
	Picked    int64
}

func (s *Server) callForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v := callView{page: s.basePage(r, "Log a call")}
	v.Values["number"] = strings.TrimSpace(r.URL.Query().Get("number"))
	s.render(w, http.StatusOK, "call_new", v)
}

func (s *Server) logCall(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v := callView{page: s.basePage(r, "Log a call")}
	for k, val := range formValues(r, "number", "subject") {
		v.Values[k] = val
	}
	v.Values["notes"] = r.PostFormValue("notes")
	in := flow.CallInput{Number: v.Values["number"], Subject: v.Values["subject"], Notes: v.Values["notes"]}
	// A pick or a new caller counts only for the number they were offered for.
	number, _ := frontdesk.NormalizePhone(in.Number, s.flows.PhoneRegion)
	if matched := r.PostFormValue("matched"); matched != "" && matched == number {
		if id, err := strconv.ParseInt(r.PostFormValue("requester_id"), 10, 64); err == nil && id > 0 {
			in.RequesterID, v.Picked = id, id
		}
		newPerson := postedNewPerson(r, v.page)
		if r.PostFormValue("create") == "1" {
			if newPerson == nil {
				newPerson = &frontdesk.PersonInput{}
			}
			in.Requester = newPerson
		}
	}
	res, err := s.flows.LogCall(r.Context(), in)
	if err != nil {
		status := s.fail(r, v.page, err)
		newPersonErrors(v.page)
		v.Number = number
		if number != "" {
			// Keep offering what the number found, beside the errors.
			if all, lerr := s.db.PeopleByPhone(r.Context(), number); lerr == nil {
				for _, p := range all {
					if p.State != frontdesk.StateTrashed {
						v.Matches = append(v.Matches, p)
					}
				}
				v.Unmatched = len(v.Matches) == 0
			}
		}
		s.render(w, status, "call_new", v)
		return
	}
	if res.Ticket != nil {
		http.Redirect(w, r, "/console/tickets/"+strconv.FormatInt(res.Ticket.ID, 10)+"?done=created", http.StatusSeeOther)
		return
	}
	v.Number, v.Matches, v.Unmatched = res.Number, res.Matches, len(res.Matches) == 0
	if v.Unmatched {
		v.Notice = "Nobody has the number " + res.Number + ". Fill in what you know of the caller to add them with the call."
	} else {
		v.Notice = strconv.Itoa(len(res.Matches)) + " people have the number " + res.Number + ". Pick the caller."
	}
	s.render(w, http.StatusOK, "call_new", v)
}
