package api

import (
	"bytes"
	"context"
	"net/http"

	"frontdesk"
)

// Tickets (T1): thin handlers over the ticket flows, which hold the permission checks.

// ticketView is a ticket with its thread, as GET of one ticket answers it.
type ticketView struct {
	*frontdesk.Ticket
	Messages []*frontdesk.TicketMessage `json:"messages"`
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	f, err := frontdesk.ParseTicketFilter(r.URL.Query())
	pg, perr := page(r)
	if err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	tickets, next, err := s.cfg.Flows.ListTickets(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(tickets, next))
	return nil
}

// createTicket opens a ticket on behalf of a requester; an Idempotency-Key makes a retry safe.
func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.TicketInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) {
			t, err := s.cfg.Flows.CreateTicket(ctx, in, frontdesk.TicketViaAPI)
			if err != nil {
				return nil, err
			}
			return s.viewTicket(ctx, t)
		}, nil
	})
}

func (s *Server) viewTicket(ctx context.Context, t *frontdesk.Ticket) (ticketView, error) {
	_, thread, err := s.cfg.Flows.GetTicket(ctx, t.ID)
	return ticketView{Ticket: t, Messages: thread}, err
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, thread, err := s.cfg.Flows.GetTicket(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ticketView{Ticket: t, Messages: thread})
	return nil
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, s.cfg.Flows.UpdateTicket)
}

func (s *Server) listTicketMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, thread, err := s.cfg.Flows.GetTicket(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(thread, 0))
	return nil
}

// addTicketMessage adds a public reply (mailed to the requester) or a private note.
func (s *Server) addTicketMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := checkTextSize(body, MaxBodyBytes); err != nil {
		return err
	}
	var req struct {
		frontdesk.MessageInput
		Attachments []uploadInput `json:"attachments"`
	}
	if err := decodeBytes(body, &req); err != nil {
		return err
	}
	in := req.MessageInput
	if in.Attachments, err = s.uploads(r.Context(), req.Attachments); err != nil {
		return err
	}
	m, err := s.cfg.Flows.AddMessage(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

type spamInput struct {
	BanReason string `json:"ban_reason"`
}

// markTicketSpam closes a ticket as spam and bans its requester in one step (L4).
func (s *Server) markTicketSpam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// The body is optional: marking spam needs no more than the ticket.
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in spamInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeBytes(body, &in); err != nil {
			return err
		}
	}
	t, err := s.cfg.Flows.MarkSpam(r.Context(), id, in.BanReason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
