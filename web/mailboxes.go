package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// The console's mailboxes (C8): the addresses mail is received at, with their IMAP polling
// (last poll, its error) and unknown-sender policy. Saved through the store's one
// validation (frontdesk.ApplyMailbox), as the API saves them; the IMAP password is
// write-only: the form never shows it, and left empty it stays as stored.

type mailboxesView struct {
	*page
	Mailboxes []*frontdesk.Mailbox
}

func (s *Server) mailboxes(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := mailboxesView{page: s.basePage(r, "Mailboxes")}
	var err error
	if v.Mailboxes, err = s.db.Mailboxes(r.Context()); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Notice = "Mailbox saved."
	case "deleted":
		v.Notice = "Mailbox deleted."
	}
	s.render(w, http.StatusOK, "mailboxes", v)
}

type mailboxFormView struct {
	*page
	// Mailbox is the one edited; nil for a new one.
	Mailbox *frontdesk.Mailbox
}

// Action is where the form posts.
func (v mailboxFormView) Action() string {
	if v.Mailbox == nil {
		return "/console/mailboxes/new"
	}
	return "/console/mailboxes/" + strconv.FormatInt(v.Mailbox.ID, 10)
}

// Policies are the choices of unknown_senders, "" following the setting.
func (mailboxFormView) Policies() []string { return []string{"", "create", "hold"} }

// Securities are the IMAP security modes.
func (mailboxFormView) Securities() []string {
	return []string{frontdesk.IMAPTLS, frontdesk.IMAPStartTLS, frontdesk.IMAPNone}
}

// mailboxFields are the form's fields besides the password, named as the API's errors name them.
var mailboxFields = []string{"address", "name", "unknown_senders", "organization_id", "site_id", "imap.host", "imap.port",
	"imap.security", "imap.user", "imap.folder", "imap.move_to"}

func mailboxValues(m *frontdesk.Mailbox) map[string]string {
	ref := func(id *int64) string {
		if id == nil {
			return ""
		}
		return strconv.FormatInt(*id, 10)
	}
	return map[string]string{"address": m.Address, "name": m.Name, "unknown_senders": string(m.UnknownSenders),
		"organization_id": ref(m.OrganizationID), "site_id": ref(m.SiteID), "imap.host": m.IMAP.Host,
		"imap.port": strconv.Itoa(m.IMAP.Port), "imap.security": m.IMAP.Security, "imap.user": m.IMAP.User,
		"imap.folder": m.IMAP.Folder, "imap.move_to": m.IMAP.MoveTo}
}

func (s *Server) loadMailboxForm(r *http.Request) (mailboxFormView, error) {
	v := mailboxFormView{page: s.basePage(r, "New mailbox")}
	if r.PathValue("id") == "" {
		v.Values = map[string]string{"imap.port": "993", "imap.security": frontdesk.IMAPTLS, "imap.folder": "INBOX"}
		return v, nil
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m, err := s.db.GetMailbox(r.Context(), id)
	if err != nil {
		return v, err
	}
	v.Mailbox, v.Title, v.Values = m, "Mailbox "+m.Address, mailboxValues(m)
	return v, nil
}

func (s *Server) mailboxForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v, err := s.loadMailboxForm(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "mailbox_form", v)
}

func (s *Server) saveMailbox(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v, err := s.loadMailboxForm(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values = formValues(r, mailboxFields...)
	in, probs := mailboxInput(v.Values, r.PostFormValue("imap.password"), r.PostFormValue("imap.clear_password") == "true")
	var id int64
	if v.Mailbox != nil {
		id = v.Mailbox.ID
	}
	if len(probs) > 0 {
		check := frontdesk.Mailbox{}
		if v.Mailbox != nil {
			check = *v.Mailbox
		}
		if e, ok := frontdesk.ApplyMailbox(&check, in).(*frontdesk.Error); ok {
			probs = append(probs, e.Fields...)
		}
		err = probs.Err()
	} else {
		_, err = s.Inbox.SaveMailbox(r.Context(), id, in)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "mailbox_form", v)
		return
	}
	http.Redirect(w, r, "/console/mailboxes?done=saved", http.StatusSeeOther)
}

// mailboxInput reads the form; every field is given, so the saved mailbox is the form's. The
// password changes only when one is typed, or when clear is asked.
func mailboxInput(v map[string]string, password string, clear bool) (frontdesk.MailboxInput, frontdesk.Problems) {
	var p frontdesk.Problems
	str := func(k string) *string { s := v[k]; return &s }
	ref := func(k, what string) frontdesk.Ref {
		if v[k] == "" {
			return frontdesk.Ref{Set: true}
		}
		n, err := strconv.ParseInt(v[k], 10, 64)
		if err != nil || n <= 0 {
			p.Add(k, "must be the id of %s, or empty for none", what)
			return frontdesk.Ref{}
		}
		return frontdesk.RefTo(n)
	}
	policy := frontdesk.UnknownSenderPolicy(v["unknown_senders"])
	imap := &frontdesk.IMAPInput{Host: str("imap.host"), Security: str("imap.security"), User: str("imap.user"),
		Folder: str("imap.folder"), MoveTo: str("imap.move_to")}
	if port := strings.TrimSpace(v["imap.port"]); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil {
			p.Add("imap.port", "must be a port number from 1 to 65535")
		} else {
			imap.Port = &n
		}
	}
	if password != "" || clear {
		imap.Password = &password
	}
	in := frontdesk.MailboxInput{Address: str("address"), Name: str("name"), UnknownSenders: &policy,
		OrganizationID: ref("organization_id", "an organization"), SiteID: ref("site_id", "a site"), IMAP: imap}
	return in, p
}

func (s *Server) deleteMailbox(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.Inbox.DeleteMailbox(r.Context(), id); err != nil {
		p := s.basePage(r, "Mailbox not deleted")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/mailboxes", "Back to the mailboxes"}})
		return
	}
	http.Redirect(w, r, "/console/mailboxes?done=deleted", http.StatusSeeOther)
}
