package web

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
	"frontdesk/api"
)

// The help center's ticket pages (T3): a contact's tickets as their web access level allows
// (P8), each with its public thread, a reply form, closing and rating. The requester flows
// decide what is seen and allowed; these handlers only translate. Staff work tickets in the
// console and are sent there.

type myTicketsView struct {
	*page
	Tickets []*frontdesk.Ticket
	// Next is the cursor of the next page, 0 at the end.
	Next int64
}

type myTicketView struct {
	*page
	Ticket *frontdesk.Ticket
	Thread []threadEntry
	// IsRequester shows the close and rating forms, which only the requester may use.
	IsRequester bool
	// MaxMB is the per-file limit of the reply form's files.
	MaxMB   int
	Body    string
	Rating  string
	Comment string
}

// requireContact lets a logged-in contact through, sends a visitor to log in and staff to the
// console page at console.
func (s *Server) requireContact(w http.ResponseWriter, r *http.Request, console string) bool {
	if !s.requireLogin(w, r) {
		return false
	}
	if s.basePage(r, "").Viewer.Role.IsStaff() {
		http.Redirect(w, r, console, http.StatusSeeOther)
		return false
	}
	return true
}

func (s *Server) myTickets(w http.ResponseWriter, r *http.Request) {
	if !s.requireContact(w, r, "/console/tickets") {
		return
	}
	v := myTicketsView{page: s.basePage(r, "My tickets")}
	pg, err := afterPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	if v.Tickets, v.Next, err = s.flows.MyTickets(r.Context(), pg); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "my_tickets", v)
}

// loadMyTicket fills v with ticket id as the viewer may see it.
func (s *Server) loadMyTicket(ctx context.Context, v *myTicketView, id int64) error {
	t, thread, err := s.flows.RequesterTicket(ctx, id)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	v.Ticket, v.Title, v.Thread = t, "Ticket #"+strconv.FormatInt(t.ID, 10)+": "+t.Subject, nil
	for _, m := range thread {
		n, ok := names[m.AuthorID]
		if !ok {
			n = "Support"
			if p, err := s.db.GetPerson(ctx, m.AuthorID); err == nil {
				n = p.FullName()
			}
			names[m.AuthorID] = n
		}
		v.Thread = append(v.Thread, threadEntry{TicketMessage: m, Author: n})
	}
	v.IsRequester = v.Viewer != nil && v.Viewer.ID == t.RequesterID
	set, err := s.db.GetSettings(ctx)
	v.MaxMB = set.MaxAttachmentMB
	return err
}

func ticketID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

func (s *Server) myTicket(w http.ResponseWriter, r *http.Request) {
	id := ticketID(r)
	if !s.requireContact(w, r, "/console/tickets/"+strconv.FormatInt(id, 10)) {
		return
	}
	v := myTicketView{page: s.basePage(r, "Ticket"), Rating: string(frontdesk.RatingGood)}
	if err := s.loadMyTicket(r.Context(), &v, id); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch r.URL.Query().Get("done") {
	case "reply":
		v.Notice = "Your reply is added."
	case "close":
		v.Notice = "The ticket is closed."
	case "rate":
		v.Notice = "Thank you for your rating."
	}
	s.render(w, http.StatusOK, "my_ticket", v)
}

// myTicketAction runs one form of the ticket page and goes back to it, or shows the page
// again with what went wrong.
func (s *Server) myTicketAction(w http.ResponseWriter, r *http.Request, done string, run func(ctx context.Context, id int64, v *myTicketView) error) {
	id := ticketID(r)
	if !s.requireContact(w, r, "/console/tickets/"+strconv.FormatInt(id, 10)) {
		return
	}
	v := myTicketView{page: s.basePage(r, "Ticket"), Rating: string(frontdesk.RatingGood)}
	if err := run(r.Context(), id, &v); err != nil {
		status := s.fail(r, v.page, err)
		if lerr := s.loadMyTicket(r.Context(), &v, id); lerr != nil {
			s.render(w, status, "message", messageView{page: v.page})
			return
		}
		s.render(w, status, "my_ticket", v)
		return
	}
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
}

func (s *Server) replyMyTicket(w http.ResponseWriter, r *http.Request) {
	s.myTicketAction(w, r, "reply", func(ctx context.Context, id int64, v *myTicketView) error {
		files, err := s.formUploads(w, r, api.MaxBodyBytes)
		v.Body = r.PostFormValue("body")
		if err != nil {
			return err
		}
		_, err = s.flows.RequesterReply(ctx, id, v.Body, files...)
		return err
	})
}

func (s *Server) closeMyTicket(w http.ResponseWriter, r *http.Request) {
	s.myTicketAction(w, r, "close", func(ctx context.Context, id int64, v *myTicketView) error {
		_, err := s.flows.RequesterClose(ctx, id)
		return err
	})
}

func (s *Server) rateMyTicket(w http.ResponseWriter, r *http.Request) {
	s.myTicketAction(w, r, "rate", func(ctx context.Context, id int64, v *myTicketView) error {
		v.Rating, v.Comment = r.PostFormValue("rating"), r.PostFormValue("comment")
		// Seen first, so that a ticket the viewer may not see is not found rather than refused.
		if _, _, err := s.flows.RequesterTicket(ctx, id); err != nil {
			return err
		}
		_, err := s.flows.Rate(ctx, id, frontdesk.RatingInput{Rating: frontdesk.Rating(v.Rating), Comment: v.Comment})
		return err
	})
}

// afterPage reads the cursor of a page that lists by id (?after=ID), or says what is wrong
// with it.
func afterPage(r *http.Request) (frontdesk.Page, error) {
	var pg frontdesk.Page
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return pg, frontdesk.Errorf(frontdesk.EInvalid, "after: %q is not the cursor of a page", a)
		}
		pg.After = n
	}
	return pg, nil
}
