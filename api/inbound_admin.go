package api

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
)

// The log of received mail (C8, X3, X4) for staff who answer tickets: every message as it
// was received and what became of it, its raw text as a download, and the held ones to
// release or discard (the inbox holds those checks). And the files of tickets (T2).

func (s *Server) listInbound(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	var probs frontdesk.Problems
	if err != nil {
		probs = append(probs, err.(*frontdesk.Error).Fields...)
	}
	q := r.URL.Query()
	f := frontdesk.InboundFilter{State: frontdesk.InboundState(q.Get("state"))}
	switch f.State {
	case "", frontdesk.InboundReceived, frontdesk.InboundDone, frontdesk.InboundIgnored, frontdesk.InboundHeld, frontdesk.InboundDiscarded:
	default:
		probs.Add("state", "must be received, done, ignored, held or discarded")
	}
	if v := q.Get("mailbox_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			probs.Add("mailbox_id", "must be the id of a mailbox")
		}
		f.MailboxID = n
	}
	if err := probs.Err(); err != nil {
		return err
	}
	items, next, err := s.db.ListInbound(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) getInbound(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetInbound)
}

// inboundRaw answers the message as received, as a download of plain text: never a page a
// browser would render, whatever the sender put in it.
func (s *Server) inboundRaw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	raw, err := s.cfg.Inbox.Raw(r.Context(), id)
	if err != nil {
		return err
	}
	ServeRaw(w, id, raw)
	return nil
}

// ServeRaw writes a received message's raw text as a download; the console serves it the
// same way.
func ServeRaw(w http.ResponseWriter, id int64, raw []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="message-`+strconv.FormatInt(id, 10)+`.eml"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(raw)
}

func (s *Server) releaseInbound(w http.ResponseWriter, r *http.Request) error {
	return s.decideInbound(w, r, s.cfg.Inbox.Release)
}

func (s *Server) discardInbound(w http.ResponseWriter, r *http.Request) error {
	return s.decideInbound(w, r, s.cfg.Inbox.Discard)
}

// decideInbound runs staff's decision on a held message and answers the message as it
// is now.
func (s *Server) decideInbound(w http.ResponseWriter, r *http.Request, decide func(context.Context, int64) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.GetInbound(r.Context(), id); err != nil {
		return err
	}
	if err := decide(r.Context(), id); err != nil {
		return err
	}
	m, err := s.db.GetInbound(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// getAttachment answers a file to whoever may see it (flow.Attachment decides), always as
// a download.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.cfg.Flows.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	ServeAttachment(w, a)
	return nil
}

// ServeAttachment writes a file as a download: the stored type only when harmless, never
// sniffed, never rendered in the helpdesk's origin. The pages serve files the same way.
func ServeAttachment(w http.ResponseWriter, a *frontdesk.Attachment) {
	h := w.Header()
	h.Set("Content-Type", a.ServedContentType())
	h.Set("Content-Disposition", a.ContentDisposition())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(a.Content)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.Content)
}
