package flow

import (
	"context"

	"frontdesk"
)

// Tickets as their requesters and their colleagues see them in the help center (T3). What a
// contact sees is decided by their web access level (P8): their own tickets, their site's or
// their organization's; with no access, nothing. A ticket they may not see is not found, so
// that ids cannot be probed. Private notes never leave the staff side. Rating goes through
// Rate, which holds its own checks.

// ticketGrantKey holds, in a context, the one ticket a guest's link opened (X5).
type ticketGrantKey struct{}

// WithTicketGrant returns ctx for the requester of ticketID who came by a link that opens
// that ticket alone (X5): the requester functions then see that ticket and no other, whatever
// the person's web access.
func WithTicketGrant(ctx context.Context, ticketID, personID int64) context.Context {
	ctx = frontdesk.WithActor(ctx, frontdesk.Actor{ID: personID, Role: frontdesk.RoleContact, Permissions: []frontdesk.Permission{}})
	return context.WithValue(ctx, ticketGrantKey{}, ticketID)
}

// grantedTicket returns the ticket a link opened, or 0 for a signed-in person.
func grantedTicket(ctx context.Context) int64 {
	id, _ := ctx.Value(ticketGrantKey{}).(int64)
	return id
}

// viewer returns the logged-in person of ctx; the help center has no anonymous reader.
func (f *Flows) viewer(ctx context.Context) (*frontdesk.Person, error) {
	a := frontdesk.ActorFrom(ctx)
	if a.ID == 0 {
		return nil, frontdesk.Errorf(frontdesk.EUnauthorized, "log in to see your tickets")
	}
	return f.DB.GetPerson(ctx, a.ID)
}

// requesterFilter is the list filter of what p may see, and false when p may see nothing. A
// site or organization level without a site or organization falls back to one's own tickets.
func requesterFilter(p *frontdesk.Person) (frontdesk.TicketFilter, bool) {
	switch p.WebAccess {
	case frontdesk.WebAccessOrganization:
		if p.OrganizationID != nil {
			return frontdesk.TicketFilter{OrganizationID: *p.OrganizationID}, true
		}
	case frontdesk.WebAccessSite:
		if p.SiteID != nil && p.OrganizationID != nil {
			return frontdesk.TicketFilter{OrganizationID: *p.OrganizationID, SiteID: *p.SiteID}, true
		}
	case frontdesk.WebAccessOwn:
	default:
		return frontdesk.TicketFilter{}, false
	}
	return frontdesk.TicketFilter{RequesterID: p.ID}, true
}

// maySee reports whether p may see t by p's web access level (P8).
func maySee(p *frontdesk.Person, t *frontdesk.Ticket) bool {
	f, ok := requesterFilter(p)
	if !ok || t.TrashedAt != nil {
		return false
	}
	same := func(want int64, got *int64) bool { return want == 0 || got != nil && *got == want }
	return (f.RequesterID == 0 || t.RequesterID == f.RequesterID) && same(f.OrganizationID, t.OrganizationID) && same(f.SiteID, t.SiteID)
}

// MyTickets returns one page of the tickets the logged-in person may see (P8, T3), and the
// cursor of the next page (0 at the end).
func (f *Flows) MyTickets(ctx context.Context, page frontdesk.Page) ([]*frontdesk.Ticket, int64, error) {
	if grantedTicket(ctx) != 0 {
		return nil, 0, frontdesk.Errorf(frontdesk.EUnauthorized, "log in to see all your tickets; this link opens one")
	}
	p, err := f.viewer(ctx)
	if err != nil {
		return nil, 0, err
	}
	filter, ok := requesterFilter(p)
	if !ok {
		return []*frontdesk.Ticket{}, 0, nil
	}
	return f.DB.ListTickets(ctx, filter, page)
}

// RequesterTicket returns ticket id and its public thread, without private notes, when the
// logged-in person may see it; otherwise it is not found, whether it exists or not.
func (f *Flows) RequesterTicket(ctx context.Context, id int64) (*frontdesk.Ticket, []*frontdesk.TicketMessage, error) {
	t, err := f.visibleTicket(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	thread, err := f.DB.TicketMessages(ctx, id, false)
	return t, thread, err
}

func (f *Flows) visibleTicket(ctx context.Context, id int64) (*frontdesk.Ticket, error) {
	p, err := f.viewer(ctx)
	if err != nil {
		return nil, err
	}
	t, err := f.DB.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	granted := grantedTicket(ctx)
	if granted != 0 && (granted != id || t.RequesterID != p.ID || t.TrashedAt != nil) || granted == 0 && !maySee(p, t) {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "there is no ticket %d", id)
	}
	return t, nil
}

// RequesterReply adds a public reply by the logged-in person to a ticket they may see. Nothing
// is mailed: the writer is the requester or a colleague, not staff. A reply to a pending or
// closed ticket opens it again, since it asks staff for something. Files (checked by
// frontdesk.CheckUploads) are stored with the reply.
func (f *Flows) RequesterReply(ctx context.Context, id int64, body string, files ...*frontdesk.Attachment) (*frontdesk.TicketMessage, error) {
	public := true
	m, err := frontdesk.NewMessage(frontdesk.MessageInput{Body: body, Public: &public, Attachments: files})
	if err != nil {
		return nil, err
	}
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		t, err := f.visibleTicket(ctx, id)
		if err != nil {
			return err
		}
		if t.Spam {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is closed as spam", id)
		}
		m.TicketID, m.AuthorID = id, frontdesk.ActorFrom(ctx).ID
		if err := f.DB.AddTicketMessage(ctx, m); err != nil {
			return err
		}
		if t.Status == frontdesk.TicketOpen {
			return nil
		}
		_, err = f.DB.UpdateTicket(ctx, id, "ticket.reopen", func(t *frontdesk.Ticket) error {
			t.Status = frontdesk.TicketOpen
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RequesterClose closes a ticket at its requester's word; colleagues who may see it may not
// close it (T3).
func (f *Flows) RequesterClose(ctx context.Context, id int64) (*frontdesk.Ticket, error) {
	var out *frontdesk.Ticket
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		t, err := f.visibleTicket(ctx, id)
		if err != nil {
			return err
		}
		if t.RequesterID != frontdesk.ActorFrom(ctx).ID {
			return frontdesk.Errorf(frontdesk.EForbidden, "only the requester of ticket %d closes it", id)
		}
		if t.Status == frontdesk.TicketClosed {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is already closed", id)
		}
		out, err = f.DB.UpdateTicket(ctx, id, "ticket.close", func(t *frontdesk.Ticket) error {
			t.Status = frontdesk.TicketClosed
			return nil
		})
		return err
	})
	return out, err
}
