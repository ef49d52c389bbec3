package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// The console's new ticket on behalf of a requester (C10): the requester picked by type-ahead
// or created inline (when the setting allows), the general user's caller made a person of
// their own (a setting), and the first message. One call to
// flow.CreateTicketWithRequester, which holds the permission checks and the transaction.

type newTicketView struct {
	*page
	Agents []*frontdesk.Person
	// Inline shows the new person's fields: inline creation is on, or the general user's
	// callers become people.
	Inline, InlineCreate, GeneralUser bool
	GeneralUserName                   string
}

func (s *Server) newTicketPage(r *http.Request) (newTicketView, error) {
	v := newTicketView{page: s.basePage(r, "New ticket")}
	ctx := r.Context()
	set, err := s.db.GetSettings(ctx)
	if err != nil {
		return v, err
	}
	v.InlineCreate = set.InlinePersonCreate
	if set.GeneralUserNewPerson && set.GeneralUserID != nil {
		if g, err := s.db.GetPerson(ctx, *set.GeneralUserID); err == nil {
			v.GeneralUser, v.GeneralUserName = true, optionFor(g).Value
		}
	}
	v.Inline = v.InlineCreate || v.GeneralUser
	staff, _, err := s.db.ListPeople(ctx, frontdesk.PersonFilter{Kind: "staff", States: []frontdesk.State{frontdesk.StateActive}},
		frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		return v, err
	}
	for _, p := range staff {
		if p.Role != frontdesk.RoleCollaborator {
			v.Agents = append(v.Agents, p)
		}
	}
	return v, nil
}

// newTicketForm shows the form; ?requester_id=ID (from a person's profile) preselects them.
func (s *Server) newTicketForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v, err := s.newTicketPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("requester_id"), 10, 64); err == nil && id > 0 {
		if p, err := s.db.GetPerson(r.Context(), id); err == nil {
			v.Values["requester"] = optionFor(p).Value
		}
	}
	s.render(w, http.StatusOK, "ticket_new", v)
}

func (s *Server) newTicket(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v, err := s.newTicketPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	for k, val := range formValues(r, "requester", "subject", "assignee_id") {
		v.Values[k] = val
	}
	v.Values["body"] = r.PostFormValue("body")
	in := frontdesk.TicketInput{Subject: v.Values["subject"], Body: v.Values["body"], Requester: postedNewPerson(r, v.page)}
	if a := v.Values["assignee_id"]; a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			s.newTicketFailed(w, r, &v, frontdesk.InvalidField("assignee_id", "is not a person"))
			return
		}
		in.AssigneeID = &n
	}
	if in.RequesterID, err = s.resolveRequester(r.Context(), v.Values["requester"]); err != nil {
		s.newTicketFailed(w, r, &v, err)
		return
	}
	t, _, err := s.flows.CreateTicketWithRequester(r.Context(), in, frontdesk.TicketViaConsole)
	if err != nil {
		s.newTicketFailed(w, r, &v, err)
		return
	}
	http.Redirect(w, r, "/console/tickets/"+strconv.FormatInt(t.ID, 10)+"?done=created", http.StatusSeeOther)
}

func (s *Server) newTicketFailed(w http.ResponseWriter, r *http.Request, v *newTicketView, err error) {
	status := s.fail(r, v.page, err)
	newPersonErrors(v.page)
	if strings.TrimSpace(v.Values["requester"]) == "" && v.Errors["requester"] == "" && v.Errors["requester_id"] != "" {
		v.Errors["requester"] = v.Errors["requester_id"]
	}
	s.render(w, status, "ticket_new", v)
}
