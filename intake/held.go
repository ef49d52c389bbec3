package intake

import (
	"context"
	"time"

	"frontdesk"
	"frontdesk/flow"
)

// Requests that are not tickets yet: a guest's waiting for confirmation (C5), and those the
// intake policy held for staff (X4); and the links that open one ticket to a guest (X5).

// PeekConfirmation returns the request a confirmation link is for without spending it, so
// that the page a mail scanner opens changes nothing.
func (d *Desk) PeekConfirmation(ctx context.Context, secret string) (*frontdesk.HeldRequest, error) {
	return d.DB.HeldRequestByToken(ctx, secret)
}

// Confirmed is what confirming a request gives the guest: the ticket, the secret of the link
// that opens it (X5), and the onboarding token when onboarding is offered (C5).
type Confirmed struct {
	Ticket          *frontdesk.Ticket
	Person          *frontdesk.Person
	TicketLink      string
	OnboardingToken string
}

// Confirm spends a request's confirmation link (C5): in one transaction the request leaves
// the waiting list, the address is confirmed, and contact and ticket are made together (or
// the ticket joins the person who owns the address). A link works once.
func (d *Desk) Confirm(ctx context.Context, secret string) (*Confirmed, error) {
	var out *Confirmed
	h, err := d.DB.HeldRequestByToken(ctx, secret)
	if err != nil {
		return nil, err
	}
	prepared, err := d.prepareContact(ctx, &h.Request, h.Channel, true)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < maxCreateAttempts; attempt++ {
		err = d.DB.WithTx(ctx, func(ctx context.Context) error {
			h, err := d.DB.HeldRequestByToken(ctx, secret)
			if err != nil {
				return err
			}
			took, err := d.DB.TakeHeldRequest(ctx, h.ID, frontdesk.HeldForConfirmation, "request.confirm")
			if err != nil {
				return err
			}
			if !took {
				return frontdesk.Errorf(frontdesk.EInvalid, "this confirmation link was used already")
			}
			o, who, err := d.createTx(ctx, &h.Request, h.Channel, 0, prepared, created{confirmed: true, heldID: h.ID})
			if err != nil {
				return err
			}
			out = &Confirmed{Ticket: o.Ticket, Person: who.person, TicketLink: who.linkSecret, OnboardingToken: who.onboarding}
			return nil
		})
		if frontdesk.ErrorCode(err) != frontdesk.EConflict {
			break
		}
	}
	return out, err
}

// ListReview returns one page of the requests waiting for review, oldest first, and the
// cursor of the next page (X4). Staff who answer tickets see them.
func (d *Desk) ListReview(ctx context.Context, page frontdesk.Page) ([]*frontdesk.HeldRequest, int64, error) {
	if err := mayReview(ctx); err != nil {
		return nil, 0, err
	}
	return d.DB.ListHeldRequests(ctx, frontdesk.HeldForReview, page)
}

// GetReview returns one request waiting for review.
func (d *Desk) GetReview(ctx context.Context, id int64) (*frontdesk.HeldRequest, error) {
	if err := mayReview(ctx); err != nil {
		return nil, err
	}
	h, err := d.DB.GetHeldRequest(ctx, id)
	if err == nil && h.State != frontdesk.HeldForReview {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "held request %d was not found", id)
	}
	return h, err
}

func mayReview(ctx context.Context) error {
	if !frontdesk.ActorFrom(ctx).Can(frontdesk.PermTicketsAnswer) {
		return frontdesk.Errorf(frontdesk.EForbidden, "the review queue needs the %s permission", frontdesk.PermTicketsAnswer)
	}
	return nil
}

// Release lets a held request through as if it had passed the policy (X4): it becomes a
// ticket, or, while guest requests need confirmation, the guest is mailed the link first
// (C5). A requester who is banned stays refused (L4) and the request stays in the queue.
func (d *Desk) Release(ctx context.Context, id int64) (*Outcome, error) {
	if err := mayReview(ctx); err != nil {
		return nil, err
	}
	var out *Outcome
	err := d.DB.WithTx(ctx, func(ctx context.Context) error {
		h, err := d.DB.GetHeldRequest(ctx, id)
		if err != nil {
			return err
		}
		took, err := d.DB.TakeHeldRequest(ctx, id, frontdesk.HeldForReview, "request.release")
		if err != nil {
			return err
		}
		if !took {
			return frontdesk.Errorf(frontdesk.ENotFound, "held request %d is not waiting for review", id)
		}
		s, err := d.DB.GetSettings(ctx)
		if err != nil {
			return err
		}
		if s.GuestRequests == frontdesk.GuestRequestsConfirm && h.Request.Email != "" {
			from := h.ID
			h.ID, h.State, h.Reason = 0, frontdesk.HeldForConfirmation, ""
			out, err = d.holdMoving(ctx, h, s, from)
			return err
		}
		prepared, err := d.prepareContact(ctx, &h.Request, h.Channel, false)
		if err != nil {
			return err
		}
		out, _, err = d.createTx(ctx, &h.Request, h.Channel, 0, prepared, created{heldID: h.ID})
		return err
	})
	return out, err
}

// Discard drops a held request, audited (X4): staff decided, nothing went silently.
func (d *Desk) Discard(ctx context.Context, id int64) error {
	if err := mayReview(ctx); err != nil {
		return err
	}
	took, err := d.DB.TakeHeldRequest(ctx, id, frontdesk.HeldForReview, "request.discard")
	if err == nil && !took {
		err = frontdesk.Errorf(frontdesk.ENotFound, "held request %d is not waiting for review", id)
	}
	return err
}

// OpenTicketLink returns a context for the person a ticket link opens, limited to that one
// ticket (X5), and the ticket's id. A revoked link, or one whose person is banned or
// trashed, opens nothing.
func (d *Desk) OpenTicketLink(ctx context.Context, secret string) (context.Context, int64, error) {
	ticketID, personID, err := d.DB.TicketLink(ctx, secret)
	if err != nil {
		return nil, 0, err
	}
	p, err := d.DB.GetPerson(ctx, personID)
	if err != nil {
		return nil, 0, err
	}
	if p.State == frontdesk.StateBanned || p.State == frontdesk.StateTrashed || p.State == frontdesk.StateDisabled {
		return nil, 0, frontdesk.Errorf(frontdesk.EInvalid, "this link does not open a request any more")
	}
	return flow.WithTicketGrant(ctx, ticketID, personID), ticketID, nil
}

// RevokeTicketLinks revokes every link that opens a ticket (X5) and says how many worked.
func (d *Desk) RevokeTicketLinks(ctx context.Context, ticketID int64) (int, error) {
	if !frontdesk.ActorFrom(ctx).Can(frontdesk.PermTicketsAnswer) {
		return 0, frontdesk.Errorf(frontdesk.EForbidden, "revoking a ticket's links needs the %s permission", frontdesk.PermTicketsAnswer)
	}
	if _, err := d.DB.GetTicket(ctx, ticketID); err != nil {
		return 0, err
	}
	return d.DB.RevokeTicketLinks(ctx, ticketID)
}

// purgeBatch bounds one purge transaction, so that purging never holds the writer long.
const purgeBatch = 1000

// Purge deletes every unconfirmed request whose time is up (C5) and says how many.
func (d *Desk) Purge(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := d.DB.PurgeExpiredRequests(ctx, purgeBatch)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// Run purges expired requests every PurgeEvery until ctx ends. Purging is a delete by
// expiry, so instances running it at once do no harm.
func (d *Desk) Run(ctx context.Context) {
	t := time.NewTicker(d.PurgeEvery)
	defer t.Stop()
	for {
		if n, err := d.Purge(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("purging expired requests failed", "err", err)
		} else if n > 0 {
			d.Log.Info("purged expired requests", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Request forms (C9), as admins define them in the console and the API: one path each, with
// the settings.manage check inside.

func mayManageTypes(ctx context.Context) error {
	if !frontdesk.ActorFrom(ctx).Can(frontdesk.PermSettingsManage) {
		return frontdesk.Errorf(frontdesk.EForbidden, "request types need the %s permission", frontdesk.PermSettingsManage)
	}
	return nil
}

// SaveTicketType creates (id 0) or changes a request form; ApplyTicketType checks the key,
// the name and that the custom fields it asks for exist.
func (d *Desk) SaveTicketType(ctx context.Context, id int64, in frontdesk.TicketTypeInput) (*frontdesk.TicketType, error) {
	if err := mayManageTypes(ctx); err != nil {
		return nil, err
	}
	fields, err := d.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	return d.DB.SaveTicketType(ctx, id, func(t *frontdesk.TicketType) error {
		return frontdesk.ApplyTicketType(t, in, fields)
	})
}

// DeleteTicketType deletes a request form; tickets keep its key.
func (d *Desk) DeleteTicketType(ctx context.Context, id int64) error {
	if err := mayManageTypes(ctx); err != nil {
		return err
	}
	return d.DB.DeleteTicketType(ctx, id)
}
