package web

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
	"frontdesk/api"
)

// The console's ticket page (T1): the thread, a form to reply or add a note, status and
// assignee, and spam. Every form calls the ticket flows, which hold the permission checks.

type threadEntry struct {
	*frontdesk.TicketMessage
	Author string
}

type ticketView struct {
	*page
	Ticket    *frontdesk.Ticket
	Requester *frontdesk.Person
	Assignee  string
	// AssigneeValue is the assignee's id, 0 for nobody, for the select.
	AssigneeValue int64
	Thread        []threadEntry
	Statuses      []frontdesk.TicketStatus
	Agents        []*frontdesk.Person
	// CanAnswer shows the forms that need tickets.answer; the flows check it again.
	CanAnswer bool
	// DialogOnly leaves the quick requester field out: the setting requester_dialog_only
	// makes the "Change end user" dialog the only way (C11).
	DialogOnly bool
	// MaxMB is the per-file limit of the reply form's files.
	MaxMB  int
	Body   string
	Public bool
}

// loadTicket fills v with ticket id as the viewer may see it.
func (s *Server) loadTicket(ctx context.Context, v *ticketView, id int64) error {
	t, thread, err := s.flows.GetTicket(ctx, id)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	name := func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := "person " + strconv.FormatInt(id, 10)
		if p, err := s.db.GetPerson(ctx, id); err == nil {
			n = p.FullName()
		}
		names[id] = n
		return n
	}
	v.Ticket, v.Title, v.Statuses = t, "Ticket #"+strconv.FormatInt(t.ID, 10)+": "+t.Subject, frontdesk.TicketStatuses
	if v.Requester, err = s.db.GetPerson(ctx, t.RequesterID); err != nil {
		return err
	}
	if t.AssigneeID != nil {
		v.Assignee, v.AssigneeValue = name(*t.AssigneeID), *t.AssigneeID
	}
	v.Thread = nil
	for _, m := range thread {
		v.Thread = append(v.Thread, threadEntry{TicketMessage: m, Author: name(m.AuthorID)})
	}
	v.CanAnswer = frontdesk.ActorFrom(ctx).Can(frontdesk.PermTicketsAnswer)
	set, err := s.db.GetSettings(ctx)
	if err != nil {
		return err
	}
	v.MaxMB = set.MaxAttachmentMB
	if v.CanAnswer {
		v.DialogOnly = set.RequesterDialogOnly
		// Who can take the ticket: active staff; the flow refuses those without tickets.answer.
		staff, _, err := s.db.ListPeople(ctx, frontdesk.PersonFilter{Kind: "staff", States: []frontdesk.State{frontdesk.StateActive}},
			frontdesk.Page{Limit: frontdesk.MaxPageSize})
		if err != nil {
			return err
		}
		for _, p := range staff {
			if p.Role != frontdesk.RoleCollaborator {
				v.Agents = append(v.Agents, p)
			}
		}
	}
	return nil
}

func (s *Server) ticket(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsRead) {
		return
	}
	v := ticketView{page: s.basePage(r, "Ticket"), Public: true}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.loadTicket(r.Context(), &v, id); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch r.URL.Query().Get("done") {
	case "reply":
		v.Notice = "Reply sent to the requester."
	case "note":
		v.Notice = "Note added."
	case "update":
		v.Notice = "Ticket updated."
	case "spam":
		v.Notice = "Marked as spam; the requester is banned."
	case "created":
		v.Notice = "Ticket created."
	case "requester":
		v.Notice = "End user changed."
	}
	s.render(w, http.StatusOK, "ticket", v)
}

// ticketAction runs one form of the ticket page and goes back to it, or shows the page again
// with what went wrong.
func (s *Server) ticketAction(w http.ResponseWriter, r *http.Request, done string, run func(ctx context.Context, id int64, v *ticketView) error) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsRead) {
		return
	}
	v := ticketView{page: s.basePage(r, "Ticket"), Public: true}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := run(r.Context(), id, &v); err != nil {
		status := s.fail(r, v.page, err)
		if lerr := s.loadTicket(r.Context(), &v, id); lerr != nil {
			s.render(w, status, "message", messageView{page: v.page})
			return
		}
		s.render(w, status, "ticket", v)
		return
	}
	if done == "message" {
		done = "note"
		if v.Public {
			done = "reply"
		}
	}
	http.Redirect(w, r, "/console/tickets/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
}

func (s *Server) addTicketMessage(w http.ResponseWriter, r *http.Request) {
	s.ticketAction(w, r, "message", func(ctx context.Context, id int64, v *ticketView) error {
		files, err := s.formUploads(w, r, api.MaxBodyBytes)
		v.Body, v.Public = r.PostFormValue("body"), r.PostFormValue("public") == "1"
		if err != nil {
			return err
		}
		in := frontdesk.MessageInput{Body: v.Body, Attachments: files}
		if p := r.PostFormValue("public"); p == "1" || p == "0" {
			in.Public = &v.Public
		}
		_, err = s.flows.AddMessage(ctx, id, in)
		return err
	})
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) {
	s.ticketAction(w, r, "update", func(ctx context.Context, id int64, v *ticketView) error {
		var in frontdesk.TicketUpdate
		if st := r.PostFormValue("status"); st != "" {
			status := frontdesk.TicketStatus(st)
			in.Status = &status
		}
		if a, ok := r.PostForm["assignee_id"]; ok && len(a) > 0 {
			in.AssigneeID.Set = true
			if a[0] != "" {
				n, err := strconv.ParseInt(a[0], 10, 64)
				if err != nil || n <= 0 {
					return frontdesk.InvalidField("assignee_id", "is not a person")
				}
				in.AssigneeID.ID = &n
			}
		}
		_, err := s.flows.UpdateTicket(ctx, id, in)
		return err
	})
}

func (s *Server) markTicketSpam(w http.ResponseWriter, r *http.Request) {
	s.ticketAction(w, r, "spam", func(ctx context.Context, id int64, v *ticketView) error {
		_, err := s.flows.MarkSpam(ctx, id, r.PostFormValue("ban_reason"))
		return err
	})
}

// ticketsOf lists the first tickets a person raised for the profile page, or none when the
// viewer may not read tickets; the profile shows without them when they cannot be read.
func (s *Server) ticketsOf(ctx context.Context, personID int64) []*frontdesk.Ticket {
	if !frontdesk.ActorFrom(ctx).Can(frontdesk.PermTicketsRead) {
		return nil
	}
	list, _, err := s.flows.ListTickets(ctx, frontdesk.TicketFilter{RequesterID: personID}, frontdesk.Page{Limit: frontdesk.DefaultPageSize})
	if err != nil {
		s.log.Error("person's tickets", "person", personID, "err", err)
		return nil
	}
	return list
}
