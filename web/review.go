package web

import (
	"net/http"
	"strconv"

	"frontdesk"
)

// The console's review queue (X4): requests the intake policy held, with the reason, for
// staff to release or discard; and revoking the links that open a ticket to its guest (X5).
// The desk holds the permission checks; these handlers translate.

type reviewView struct {
	*page
	Held []*frontdesk.HeldRequest
	// Next is the cursor of the next page, 0 at the end.
	Next int64
}

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v := reviewView{page: s.basePage(r, "Requests to review")}
	pg, err := afterPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	if v.Held, v.Next, err = s.Intake.ListReview(r.Context(), pg); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "release":
		v.Notice = "Request released."
		if t := q.Get("ticket"); t != "" {
			v.Notice = "Request released: it is ticket #" + t + "."
		} else if q.Get("status") == "pending_confirmation" {
			v.Notice = "Request released: the guest was emailed a link to confirm it."
		}
	case "discard":
		v.Notice = "Request discarded."
	}
	s.render(w, http.StatusOK, "review", v)
}

func heldID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

func (s *Server) releaseHeld(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	out, err := s.Intake.Release(r.Context(), heldID(r))
	if err != nil {
		p := s.basePage(r, "Requests to review")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/review", "Back to the review queue"}})
		return
	}
	to := "/console/review?done=release&status=" + string(out.Status)
	if out.Ticket != nil {
		to += "&ticket=" + strconv.FormatInt(out.Ticket.ID, 10)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) discardHeld(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	if err := s.Intake.Discard(r.Context(), heldID(r)); err != nil {
		p := s.basePage(r, "Requests to review")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/review", "Back to the review queue"}})
		return
	}
	http.Redirect(w, r, "/console/review?done=discard", http.StatusSeeOther)
}

// revokeGuestLinks revokes every link that opens a ticket to its guest (X5).
func (s *Server) revokeGuestLinks(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	id := ticketID(r)
	back := &struct{ Href, Text string }{"/console/tickets/" + strconv.FormatInt(id, 10), "Back to the ticket"}
	n, err := s.Intake.RevokeTicketLinks(r.Context(), id)
	if err != nil {
		p := s.basePage(r, "Revoke guest links")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: back})
		return
	}
	body := "No link opened this ticket; nothing changed."
	switch {
	case n == 1:
		body = "The guest link of this ticket is revoked: it opens nothing any more."
	case n > 1:
		body = strconv.Itoa(n) + " guest links of this ticket are revoked: they open nothing any more."
	}
	s.render(w, http.StatusOK, "message", messageView{page: s.basePage(r, "Guest links revoked"), Body: body, Link: back})
}
