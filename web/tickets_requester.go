package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// The console's "Change end user" dialog (C11): another existing person, or one created
// inline when the setting allows, becomes the ticket's requester through
// flow.ChangeRequester. The ticket page's quick requester field posts here too; with the
// setting requester_dialog_only the page offers only this dialog.

type requesterView struct {
	*page
	Ticket    *frontdesk.Ticket
	Requester *frontdesk.Person
	Inline    bool
}

func (s *Server) requesterPage(r *http.Request) (requesterView, error) {
	v := requesterView{page: s.basePage(r, "Change end user")}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	t, _, err := s.flows.GetTicket(r.Context(), id)
	if err != nil {
		return v, err
	}
	v.Ticket, v.Title = t, "Change end user of ticket #"+strconv.FormatInt(t.ID, 10)
	if v.Requester, err = s.db.GetPerson(r.Context(), t.RequesterID); err != nil {
		return v, err
	}
	set, err := s.db.GetSettings(r.Context())
	v.Inline = set.InlinePersonCreate
	return v, err
}

func (s *Server) changeRequesterForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v, err := s.requesterPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "ticket_requester", v)
}

func (s *Server) changeRequester(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v, err := s.requesterPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values["requester"] = strings.TrimSpace(r.PostFormValue("requester"))
	newPerson := postedNewPerson(r, v.page)
	id, err := s.resolveRequester(r.Context(), v.Values["requester"])
	if err == nil {
		_, _, err = s.flows.ChangeRequester(r.Context(), v.Ticket.ID, id, newPerson)
	}
	if err != nil {
		status := s.fail(r, v.page, err)
		newPersonErrors(v.page)
		s.render(w, status, "ticket_requester", v)
		return
	}
	http.Redirect(w, r, "/console/tickets/"+strconv.FormatInt(v.Ticket.ID, 10)+"?done=requester", http.StatusSeeOther)
}
