package flow

import (
	"context"

	"frontdesk"
)

// Attachment returns a stored file with its content to whoever may see it (T2), the one
// check the API and the pages share: staff who may read tickets, for a file of a ticket
// out of the trash; the requester and the colleagues who may see the ticket (P8), or a
// guest whose link opened it (X5), for a file of a public message; staff who may answer
// tickets, for a file of a request held for review (X4). Anyone else is told it is not
// found, so that ids cannot be probed.
func (f *Flows) Attachment(ctx context.Context, id int64) (*frontdesk.Attachment, error) {
	a, err := f.DB.GetAttachment(ctx, id)
	if err != nil {
		return nil, err
	}
	notFound := frontdesk.Errorf(frontdesk.ENotFound, "there is no attachment %d", id)
	actor := frontdesk.ActorFrom(ctx)
	switch {
	case a.TicketID != nil && actor.Role.IsStaff() && grantedTicket(ctx) == 0:
		if _, err := f.checkStaffTicket(ctx, *a.TicketID); err != nil {
			return nil, err
		}
		return a, nil
	case a.TicketID != nil && a.TicketMessageID != nil:
		if actor.ID == 0 {
			return nil, frontdesk.Errorf(frontdesk.EUnauthorized, "log in to download files of your tickets")
		}
		if _, err := f.visibleTicket(ctx, *a.TicketID); err != nil {
			return nil, notFound
		}
		// Private notes never leave the staff side: their files neither.
		thread, err := f.DB.TicketMessages(ctx, *a.TicketID, false)
		if err != nil {
			return nil, err
		}
		for _, m := range thread {
			if m.ID == *a.TicketMessageID {
				return a, nil
			}
		}
		return nil, notFound
	case a.HeldRequestID != nil && actor.Role.IsStaff():
		if err := need(actor, frontdesk.PermTicketsAnswer, "reading held requests"); err != nil {
			return nil, err
		}
		return a, nil
	case actor.ID == 0:
		return nil, frontdesk.Errorf(frontdesk.EUnauthorized, "log in to download files of your tickets")
	}
	return nil, notFound
}

// checkStaffTicket is GetTicket's check without reading the thread.
func (f *Flows) checkStaffTicket(ctx context.Context, id int64) (*frontdesk.Ticket, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsRead, "reading tickets"); err != nil {
		return nil, err
	}
	t, err := f.DB.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.TrashedAt != nil {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "ticket %d is in the trash", id)
	}
	return t, nil
}
