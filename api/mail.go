package api

import (
	"net/http"
	"strconv"

	"frontdesk"
)

// The mail endpoints: admin-editable templates with preview (E4) and the outbox, which is the
// local mailbox when no SMTP server is configured (E6).

type templateInput struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

func (s *Server) listMailTemplates(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Flows.Mail.Templates(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(list, 0))
	return nil
}

func (s *Server) getMailTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.cfg.Flows.Mail.Template(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// saveMailTemplate stores the admins' version; a template with an unknown variable is
// refused with the variable named (E4).
func (s *Server) saveMailTemplate(w http.ResponseWriter, r *http.Request) error {
	m := s.cfg.Flows.Mail
	name := r.PathValue("name")
	var in templateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if _, err := m.Template(r.Context(), name); err != nil {
		return err
	}
	t := &frontdesk.MailTemplate{Name: name, Subject: in.Subject, Text: in.Text, HTML: in.HTML}
	if err := m.SaveTemplate(r.Context(), t); err != nil {
		return err
	}
	saved, err := m.Template(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// resetMailTemplate drops the admins' version; the built-in one applies again.
func (s *Server) resetMailTemplate(w http.ResponseWriter, r *http.Request) error {
	m := s.cfg.Flows.Mail
	name := r.PathValue("name")
	if _, err := m.Template(r.Context(), name); err != nil {
		return err
	}
	if err := m.ResetTemplate(r.Context(), name); err != nil && frontdesk.ErrorCode(err) != frontdesk.ENotFound {
		return err
	}
	t, err := m.Template(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// previewMailTemplate renders a draft (the body) or, with an empty body, the version in use,
// with sample values (E4).
func (s *Server) previewMailTemplate(w http.ResponseWriter, r *http.Request) error {
	m := s.cfg.Flows.Mail
	name := r.PathValue("name")
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var draft *frontdesk.MailTemplate
	if len(body) > 0 {
		var in templateInput
		if err := decodeBytes(body, &in); err != nil {
			return err
		}
		draft = &frontdesk.MailTemplate{Name: name, Subject: in.Subject, Text: in.Text, HTML: in.HTML}
	}
	if _, err := m.Template(r.Context(), name); err != nil {
		return err
	}
	out, err := m.Preview(r.Context(), name, draft)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listMail(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := frontdesk.MailFilter{State: frontdesk.MessageState(q.Get("state")), To: q.Get("to")}
	if f.State != "" && !f.State.Valid() {
		return frontdesk.InvalidField("state", "must be one of %v", frontdesk.MessageStates)
	}
	if v := q.Get("person_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return frontdesk.InvalidField("person_id", "must be a positive integer id")
		}
		f.PersonID = id
	}
	msgs, next, err := s.db.ListMail(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(msgs, next))
	return nil
}

func (s *Server) getMail(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetMail)
}

// activatePerson activates a not activated person by hand and sends them the registration
// email with a link to set their credentials (L5).
func (s *Server) activatePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.Flows.Activate(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewPerson(r.Context(), p))
	return nil
}

type queued struct {
	Status string `json:"status"`
}

// sendWelcome sends the welcome email from the profile (E2).
func (s *Server) sendWelcome(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Flows.SendWelcome(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, queued{"queued"})
	return nil
}

// sendPasswordReset sends a password reset link from the profile (E3).
func (s *Server) sendPasswordReset(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Flows.SendReset(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, queued{"queued"})
	return nil
}
