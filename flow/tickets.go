package flow

import (
	"context"
	"slices"

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/store"
)

// Tickets as staff work them (T1, R1) and as requesters rate them (T3). Each action is the one
// path the API and the console take (convention 20) and holds its permission check:
// tickets.read to see, tickets.note to add a private note, tickets.answer for everything that
// reaches the requester or changes the ticket.

// CreateTicket opens a ticket on behalf of a requester (R1: agents create tickets on behalf of
// contacts), with its first message in the requester's words when in has a body. A banned or
// trashed requester raises no ticket (L4, L2). Nothing is mailed: the requester asked. It is
// CreateTicketWithRequester (C10), which also takes a requester to create.
func (f *Flows) CreateTicket(ctx context.Context, in frontdesk.TicketInput, channel frontdesk.TicketChannel) (*frontdesk.Ticket, error) {
	t, _, err := f.CreateTicketWithRequester(ctx, in, channel)
	return t, err
}

// GetTicket returns a ticket out of the trash and its whole thread, notes included, to staff
// who may read tickets.
func (f *Flows) GetTicket(ctx context.Context, id int64) (*frontdesk.Ticket, []*frontdesk.TicketMessage, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsRead, "reading tickets"); err != nil {
		return nil, nil, err
	}
	t, err := f.DB.GetTicket(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if t.TrashedAt != nil {
		return nil, nil, frontdesk.Errorf(frontdesk.ENotFound, "ticket %d is in the trash", id)
	}
	thread, err := f.DB.TicketMessages(ctx, id, true)
	return t, thread, err
}

// ListTickets returns one page of the tickets out of the trash that match filter.
func (f *Flows) ListTickets(ctx context.Context, filter frontdesk.TicketFilter, page frontdesk.Page) ([]*frontdesk.Ticket, int64, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsRead, "reading tickets"); err != nil {
		return nil, 0, err
	}
	return f.DB.ListTickets(ctx, filter, page)
}

// UpdateTicket changes a ticket's status, assignee or requester (R1: agents manage queues;
// C11: the end user changes as ChangeRequester changes it). The assignee must be an active
// staff member who may answer tickets.
func (f *Flows) UpdateTicket(ctx context.Context, id int64, in frontdesk.TicketUpdate) (*frontdesk.Ticket, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsAnswer, "changing a ticket"); err != nil {
		return nil, err
	}
	if err := frontdesk.CheckTicketUpdate(in); err != nil {
		return nil, err
	}
	if in.Status == nil && !in.AssigneeID.Set && in.RequesterID == nil {
		t, _, err := f.GetTicket(ctx, id)
		return t, err
	}
	var out *frontdesk.Ticket
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		if in.AssigneeID.Set && in.AssigneeID.ID != nil {
			if err := f.checkAssignee(ctx, *in.AssigneeID.ID); err != nil {
				return err
			}
		}
		var err error
		if in.RequesterID != nil {
			if out, err = f.DB.ChangeTicketRequester(ctx, id, *in.RequesterID); err != nil {
				return err
			}
			if in.Status == nil && !in.AssigneeID.Set {
				return nil
			}
		}
		out, err = f.DB.UpdateTicket(ctx, id, "ticket.update", func(t *frontdesk.Ticket) error {
			if in.Status != nil {
				t.Status = *in.Status
			}
			if in.AssigneeID.Set {
				t.AssigneeID = in.AssigneeID.ID
			}
			return nil
		})
		return err
	})
	return out, err
}

// checkAssignee refuses as assignee anyone but an active staff member who may answer tickets,
// by their built-in role or their custom staff role (R2).
func (f *Flows) checkAssignee(ctx context.Context, id int64) error {
	p, err := f.DB.GetPerson(ctx, id)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return frontdesk.InvalidField("assignee_id", "there is no person %d", id)
	}
	if err != nil {
		return err
	}
	if !p.Role.IsStaff() || p.State != frontdesk.StateActive {
		return frontdesk.InvalidField("assignee_id", "person %d is a %s %s; tickets go to active staff", id, p.State, p.Role)
	}
	can := p.Role.Can(frontdesk.PermTicketsAnswer)
	if p.StaffRoleID != nil {
		sr, err := f.DB.GetStaffRole(ctx, *p.StaffRoleID)
		if err != nil {
			return err
		}
		can = slices.Contains(sr.Permissions, frontdesk.PermTicketsAnswer)
	}
	if !can {
		return frontdesk.InvalidField("assignee_id", "person %d may not answer tickets (%s)", id, frontdesk.PermTicketsAnswer)
	}
	return nil
}

// AddMessage adds to a ticket's thread as the actor in ctx. A public reply needs
// tickets.answer and queues an email to the requester in the same transaction (E6); the
// email's Message-ID is stored on the message, so that the requester's answer to it finds
// its ticket. A private note needs tickets.note and sends nothing.
func (f *Flows) AddMessage(ctx context.Context, ticketID int64, in frontdesk.MessageInput) (*frontdesk.TicketMessage, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermTicketsRead, "writing to a ticket"); err != nil {
		return nil, err
	}
	var m *frontdesk.TicketMessage
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		// The ticket first: a message to no ticket is not found, whatever it says.
		t, err := f.DB.GetTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		if m, err = frontdesk.NewMessage(in); err != nil {
			return err
		}
		if m.Public {
			err = need(actor, frontdesk.PermTicketsAnswer, "replying to a ticket")
		} else {
			err = need(actor, frontdesk.PermTicketsNote, "adding a note to a ticket")
		}
		if err != nil {
			return err
		}
		if actor.ID == 0 {
			return frontdesk.Errorf(frontdesk.EForbidden, "a message needs an author; the system writes none")
		}
		if t.TrashedAt != nil {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is in the trash", ticketID)
		}
		m.TicketID, m.AuthorID = ticketID, actor.ID
		if m.Public {
			requester, err := f.DB.GetPerson(ctx, t.RequesterID)
			if err != nil {
				return err
			}
			msg, err := f.Mail.Queue(ctx, mail.TicketReply, requester, mail.Vars{HelpdeskURL: f.BaseURL,
				TicketID: t.ID, TicketSubject: t.Subject, ReplyBody: m.Body, AgentName: actor.Name})
			if err != nil {
				return err
			}
			m.MessageID = msg.MessageID
		}
		return f.DB.AddTicketMessage(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rate records the requester's satisfaction with their closed ticket (T3); the actor in ctx
// must be the requester. A later rating replaces the earlier one.
func (f *Flows) Rate(ctx context.Context, ticketID int64, in frontdesk.RatingInput) (*frontdesk.Ticket, error) {
	actor := frontdesk.ActorFrom(ctx)
	if g := grantedTicket(ctx); g != 0 && g != ticketID {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "there is no ticket %d", ticketID)
	}
	var out *frontdesk.Ticket
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = f.DB.UpdateTicket(ctx, ticketID, "ticket.rate", func(t *frontdesk.Ticket) error {
			if err := frontdesk.CheckRating(t, actor.ID, &in); err != nil {
				return err
			}
			now := f.DB.Now(ctx)
			r := in.Rating
			t.Rating, t.RatingComment, t.RatedAt = &r, in.Comment, &now
			return nil
		})
		return err
	})
	return out, err
}

// MarkSpam closes a ticket as spam and bans its requester in one step (L4): both happen in
// one transaction or neither. It needs tickets.answer, which lets an agent ban the requester
// of a spam ticket without people.manage; the ban itself goes through SetState, so the
// transition table and the rank check apply (R3): an agent cannot ban an admin this way,
// and then the ticket stays as it was. A requester already banned stays banned as they are.
func (f *Flows) MarkSpam(ctx context.Context, ticketID int64, reason string) (*frontdesk.Ticket, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermTicketsAnswer, "marking a ticket as spam"); err != nil {
		return nil, err
	}
	c := store.StateChange{To: frontdesk.StateBanned, BanReason: reason}
	if c.BanReason == "" {
		c.BanReason = "spam"
	}
	if err := StateChangeProblems(&c).Err(); err != nil {
		return nil, err
	}
	var out *frontdesk.Ticket
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = f.DB.UpdateTicket(ctx, ticketID, "ticket.spam", func(t *frontdesk.Ticket) error {
			t.Status, t.Spam = frontdesk.TicketClosed, true
			return nil
		})
		if err != nil {
			return err
		}
		requester, err := f.DB.GetPerson(ctx, out.RequesterID)
		if err != nil {
			return err
		}
		if requester.State == frontdesk.StateBanned {
			return nil
		}
		_, err = f.SetState(frontdesk.WithActor(ctx, withPermission(actor, frontdesk.PermPeopleManage)), requester.ID, c)
		return err
	})
	return out, err
}

// withPermission returns a with permission p added to its effective set, for one step that a
// wider permission already allows.
func withPermission(a frontdesk.Actor, p frontdesk.Permission) frontdesk.Actor {
	perms := a.Permissions
	if perms == nil {
		perms = a.Role.Permissions()
	}
	a.Permissions = append(slices.Clone(perms), p)
	return a
}
