package web

import (
	"net/http"
	"strconv"

	"frontdesk"
)

type mailboxView struct {
	*page
	Messages []*frontdesk.Message
	Next     int64
}

// mailbox lists the outbox, which is the local mailbox when no SMTP server is set (E6).
// Mail carries one-time links, so only those who manage settings read it.
func (s *Server) mailbox(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := mailboxView{page: s.basePage(r, "Mailbox")}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	msgs, next, err := s.db.ListMail(r.Context(), frontdesk.MailFilter{}, frontdesk.Page{After: after, Limit: 100})
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Messages, v.Next = msgs, next
	s.render(w, http.StatusOK, "mailbox", v)
}

func (s *Server) mailMessage(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := struct {
		*page
		Message *frontdesk.Message
	}{page: s.basePage(r, "Message")}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m, err := s.db.GetMail(r.Context(), id)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Message, v.Title = m, m.Subject
	s.render(w, http.StatusOK, "mail", v)
}

// resendConfirmation sends a new confirmation link (E1); the answer is the same for every
// address.
func (s *Server) resendConfirmation(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Check your email")
	if err := s.flows.ResendConfirmation(r.Context(), r.PostFormValue("email"), clientIP(r)); err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	s.message(w, r, http.StatusOK, "Check your email", "If this address waits for confirmation, a new link is on its way; older links no longer work.", "/login", "Back to the login")
}
