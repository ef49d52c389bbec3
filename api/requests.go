package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/intake"
)

// The intake's endpoints (C4, C5, C6, C9, C13, X4, X5): the public request endpoint that the
// embeddable form and other sites post to, the review queue, request forms, and revoking the
// links that open a ticket to a guest.

// MaxRequestBytes bounds a request's body on the public endpoint, besides its files: a
// message of frontdesk.MaxMessageBodyLen, with room for the other fields and JSON escaping.
const MaxRequestBytes = 256 << 10

// requestAnswer is what the public endpoint answers. A guest learns whether the request is a
// ticket, waits for their confirmation, or waits for review; never whose address it was.
type requestAnswer struct {
	Status   intake.Status `json:"status"`
	TicketID *int64        `json:"ticket_id,omitempty"`
}

// createRequest takes a request from anyone (C6): no token needed. With a token, a contact
// raises it as themselves and staff or an integration for the person it names, without
// confirmation or limits.
func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) error {
	allowed := s.allowEmbedOrigin(w, r)
	ctx := r.Context()
	if _, secret, ok := bearer(r); ok {
		actor, err := s.db.Authenticate(ctx, secret)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk", error="invalid_token"`)
			return err
		}
		ctx = frontdesk.WithActor(ctx, actor)
	} else if origin := r.Header.Get("Origin"); origin != "" && !allowed && !strings.EqualFold(origin, s.ownOrigin()) {
		// CORS only keeps a page from reading the answer; a browser still sends a simple
		// request. Pages of sites not in embed_origins are refused here, so that they
		// cannot raise requests in their visitors' names (C6).
		return frontdesk.Errorf(frontdesk.EForbidden, "pages of %s may not send requests here; an admin adds the origin to embed_origins", origin)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		// A JSON type makes every cross-origin browser request ask first (a preflight).
		return frontdesk.InvalidField("Content-Type", "must be application/json, not %q", ct)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := checkTextSize(body, MaxRequestBytes); err != nil {
		return err
	}
	var req struct {
		frontdesk.RequestInput
		Attachments []uploadInput `json:"attachments"`
	}
	if err := decodeBytes(body, &req); err != nil {
		return err
	}
	in := req.RequestInput
	if in.Attachments, err = s.uploads(ctx, req.Attachments); err != nil {
		return err
	}
	out, err := s.cfg.Intake.Submit(ctx, in, intake.Source{Channel: frontdesk.TicketViaAPI, ClientIP: auth.ClientIP(r, s.cfg.TrustedProxies)})
	if err != nil {
		return err
	}
	answer := requestAnswer{Status: out.Status}
	status := http.StatusAccepted
	if out.Ticket != nil {
		answer.TicketID, status = &out.Ticket.ID, http.StatusCreated
	}
	writeJSON(w, status, answer)
	return nil
}

// ownOrigin is the origin of the helpdesk's own pages.
func (s *Server) ownOrigin() string {
	u, err := url.Parse(s.cfg.Flows.BaseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// requestPreflight answers a browser's CORS preflight for the public endpoint: only the
// origins the embed setting lists are told they may post (C6).
func (s *Server) requestPreflight(w http.ResponseWriter, r *http.Request) {
	if s.allowEmbedOrigin(w, r) {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// allowEmbedOrigin sets CORS headers when the request's Origin is one the embeddable form may
// be hosted on, and says whether it was. Credentials are never allowed: the form posts as a
// guest.
func (s *Server) allowEmbedOrigin(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	settings, err := s.db.GetSettings(r.Context())
	if err != nil || !slices.Contains(settings.EmbedOrigins, origin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

func (s *Server) listReview(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Intake.ListReview(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) getReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	h, err := s.cfg.Intake.GetReview(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) releaseReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	out, err := s.cfg.Intake.Release(r.Context(), id)
	if err != nil {
		return err
	}
	answer := map[string]any{"status": out.Status}
	if out.Ticket != nil {
		answer["ticket"] = out.Ticket
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

func (s *Server) discardReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Intake.Discard(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) revokeTicketLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.cfg.Intake.RevokeTicketLinks(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

func (s *Server) listTicketTypes(w http.ResponseWriter, r *http.Request) error {
	types, err := s.db.TicketTypes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(types, 0))
	return nil
}

func (s *Server) createTicketType(w http.ResponseWriter, r *http.Request) error {
	var in frontdesk.TicketTypeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Intake.SaveTicketType(r.Context(), 0, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) updateTicketType(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.TicketTypeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Intake.SaveTicketType(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTicketType(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Intake.DeleteTicketType(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
