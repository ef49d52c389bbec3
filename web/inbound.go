package web

import (
	"net/http"
	"net/url"
	"strconv"

	"frontdesk"
	"frontdesk/api"
)

// The console's log of received mail (C8, X3, X4): every message as received and what became
// of it, the raw text as a download (never rendered), and the held ones to release or
// discard through the inbox, which holds the permission checks.

type inboundView struct {
	*page
	Messages  []*frontdesk.InboundMessage
	Mailboxes map[int64]string
	// MailboxList is the mailbox filter's options.
	MailboxList []*frontdesk.Mailbox
	State       string
	MailboxID   int64
	// Next is the cursor of the next page, 0 at the end.
	Next int64
}

// States are the state filter's options, "" for all.
func (inboundView) States() []string {
	return []string{"", string(frontdesk.InboundHeld), string(frontdesk.InboundReceived), string(frontdesk.InboundDone),
		string(frontdesk.InboundIgnored), string(frontdesk.InboundDiscarded)}
}

// NextURL is the next page's address, with the filters.
func (v inboundView) NextURL() string {
	q := url.Values{"after": {strconv.FormatInt(v.Next, 10)}}
	if v.State != "" {
		q.Set("state", v.State)
	}
	if v.MailboxID != 0 {
		q.Set("mailbox_id", strconv.FormatInt(v.MailboxID, 10))
	}
	return "/console/inbound?" + q.Encode()
}

func (s *Server) inboundLog(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	v := inboundView{page: s.basePage(r, "Received mail"), Mailboxes: map[int64]string{}}
	q := r.URL.Query()
	pg, err := afterPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.State = q.Get("state")
	v.MailboxID, _ = strconv.ParseInt(q.Get("mailbox_id"), 10, 64)
	valid := false
	for _, st := range v.States() {
		valid = valid || st == v.State
	}
	if !valid {
		v.State = ""
		v.Errors["state"] = "there is no state " + strconv.Quote(q.Get("state"))
	}
	pg.Limit = 50
	ctx := r.Context()
	if v.Messages, v.Next, err = s.db.ListInbound(ctx, frontdesk.InboundFilter{State: frontdesk.InboundState(v.State), MailboxID: v.MailboxID}, pg); err == nil {
		v.MailboxList, err = s.db.Mailboxes(ctx)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	for _, m := range v.MailboxList {
		v.Mailboxes[m.ID] = m.Address
	}
	switch q.Get("done") {
	case "release":
		v.Notice = "Message " + q.Get("id") + " released: it is processed again, without the check that held it."
	case "discard":
		v.Notice = "Message " + q.Get("id") + " discarded."
	}
	s.render(w, http.StatusOK, "inbound", v)
}

func (s *Server) inboundRaw(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	raw, err := s.Inbox.Raw(r.Context(), id)
	if err != nil {
		p := s.basePage(r, "Received mail")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	api.ServeRaw(w, id, raw)
}

func (s *Server) inboundAction(w http.ResponseWriter, r *http.Request, done string, run func(r *http.Request, id int64) error) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsAnswer) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := run(r, id); err != nil {
		p := s.basePage(r, "Received mail")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/inbound?state=held", "Back to the held mail"}})
		return
	}
	http.Redirect(w, r, "/console/inbound?state=held&done="+done+"&id="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) releaseInbound(w http.ResponseWriter, r *http.Request) {
	s.inboundAction(w, r, "release", func(r *http.Request, id int64) error { return s.Inbox.Release(r.Context(), id) })
}

func (s *Server) discardInbound(w http.ResponseWriter, r *http.Request) {
	s.inboundAction(w, r, "discard", func(r *http.Request, id int64) error { return s.Inbox.Discard(r.Context(), id) })
}

func urlQuery(s string) string { return url.QueryEscape(s) }
