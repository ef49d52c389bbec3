package api

import (
	"net/http"

	"frontdesk"
)

// Mailboxes (C8): the addresses Frontdesk receives mail for, with their IMAP polling and
// unknown-sender policy. The IMAP password goes in and never comes back out.

// mailboxView is a mailbox as the API shows it: the password left out, and whether one is
// stored.
type mailboxView struct {
	*frontdesk.Mailbox
	PasswordSet bool `json:"imap_password_set"`
}

// showMailbox returns m without its password.
func showMailbox(m *frontdesk.Mailbox) mailboxView {
	c := *m
	c.IMAP.Password = ""
	return mailboxView{Mailbox: &c, PasswordSet: m.IMAP.Password != ""}
}

func (s *Server) listMailboxes(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.Mailboxes(r.Context())
	if err != nil {
		return err
	}
	out := make([]mailboxView, len(list))
	for i, m := range list {
		out[i] = showMailbox(m)
	}
	writeJSON(w, http.StatusOK, newList(out, 0))
	return nil
}

func (s *Server) createMailbox(w http.ResponseWriter, r *http.Request) error {
	var in frontdesk.MailboxInput
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Inbox.SaveMailbox(r.Context(), 0, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, showMailbox(m))
	return nil
}

func (s *Server) getMailbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.db.GetMailbox(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, showMailbox(m))
	return nil
}

func (s *Server) updateMailbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.MailboxInput
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Inbox.SaveMailbox(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, showMailbox(m))
	return nil
}

func (s *Server) deleteMailbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Inbox.DeleteMailbox(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
