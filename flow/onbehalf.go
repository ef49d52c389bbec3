package flow

import (
	"context"
	"errors"
	"slices"
	"strings"

	"frontdesk"
)

// Agents working on behalf of requesters: a ticket for a contact, who may be created with it
// (C10); a ticket's end user changed, to someone who may be created then (C11); a phone call
// logged for the caller its number finds, or for a person created from the call (C12). Each
// is one transaction: the person, the ticket and its first message all exist, or none does.
// Creating the ticket needs tickets.answer, creating the person people.create as well.

// CreateTicketWithRequester opens a ticket for in.RequesterID, or for a person created from
// in.Requester in the same transaction when the setting inline_person_create allows it (C10).
// in.Requester with in.RequesterID the general user, when general_user_new_person is on,
// creates the person under the general user's organization and site instead. Problems of the
// new person are named requester.FIELD. It returns the ticket and the person it created, if any.
func (f *Flows) CreateTicketWithRequester(ctx context.Context, in frontdesk.TicketInput, channel frontdesk.TicketChannel) (*frontdesk.Ticket, *frontdesk.Person, error) {
	return f.createTicket(ctx, in, channel, false)
}

// createTicket is CreateTicketWithRequester; anyInline creates the requester whatever the
// inline setting says (a phone call's caller, C12, whose creation no setting switches off).
func (f *Flows) createTicket(ctx context.Context, in frontdesk.TicketInput, channel frontdesk.TicketChannel, anyInline bool) (*frontdesk.Ticket, *frontdesk.Person, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsAnswer, "creating a ticket"); err != nil {
		return nil, nil, err
	}
	t, first, terr := frontdesk.NewTicket(in, channel)
	p, perr := f.newRequester(ctx, in.RequesterID, in.Requester, personChannel(channel), anyInline)
	if err := joinInvalid(terr, perr); err != nil {
		return nil, nil, err
	}
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		if p != nil {
			if err := f.CreatePerson(ctx, p); err != nil {
				return requesterFields(err)
			}
			t.RequesterID = p.ID
		}
		if t.AssigneeID != nil {
			if err := f.checkAssignee(ctx, *t.AssigneeID); err != nil {
				return err
			}
		}
		if err := f.DB.CreateTicket(ctx, t); err != nil {
			return err
		}
		if first == nil {
			return nil
		}
		first.TicketID, first.AuthorID = t.ID, t.RequesterID
		return f.DB.AddTicketMessage(ctx, first)
	})
	if err != nil {
		return nil, nil, err
	}
	stored, err := f.DB.GetTicket(ctx, t.ID)
	return stored, p, err
}

// ChangeRequester makes another person the end user of ticket id (C11): an existing person
// (requesterID), or one created from newPerson in the same transaction when the setting
// inline_person_create allows it; the general user's rule of CreateTicketWithRequester applies
// too. Organization and site follow the new requester unless someone set them by hand (see
// store.ChangeTicketRequester). Banned and trashed people become no requesters. The change
// is audited as ticket.requester.
func (f *Flows) ChangeRequester(ctx context.Context, id, requesterID int64, newPerson *frontdesk.PersonInput) (*frontdesk.Ticket, *frontdesk.Person, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsAnswer, "changing the end user of a ticket"); err != nil {
		return nil, nil, err
	}
	if requesterID < 0 || requesterID == 0 && newPerson == nil {
		return nil, nil, frontdesk.InvalidField("requester_id", "is required: the id of the new end user, or requester: a new person")
	}
	p, err := f.newRequester(ctx, requesterID, newPerson, frontdesk.ChannelConsole, false)
	if err != nil {
		return nil, nil, err
	}
	var out *frontdesk.Ticket
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		if p != nil {
			if err := f.CreatePerson(ctx, p); err != nil {
				return requesterFields(err)
			}
			requesterID = p.ID
		}
		var err error
		out, err = f.DB.ChangeTicketRequester(ctx, id, requesterID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return out, p, nil
}

// newRequester prepares the person in (nil: none to create) as the requester of a ticket
// that names existingID too (0: none). Both at once is allowed only for the general user.
func (f *Flows) newRequester(ctx context.Context, existingID int64, in *frontdesk.PersonInput, channel frontdesk.Channel, anyInline bool) (*frontdesk.Person, error) {
	if in == nil {
		return nil, nil
	}
	s, err := f.settings(ctx)
	if err != nil {
		return nil, err
	}
	pin := *in
	switch {
	case existingID != 0 && s.GeneralUserNewPerson && s.GeneralUserID != nil && existingID == *s.GeneralUserID:
		// C10: the general user with a name filled in stands for a new person of the general
		// user's organization and site.
		if !hasName(pin) {
			return nil, frontdesk.InvalidField("requester.name", "a ticket against the general user creates a person only with a name")
		}
		general, err := f.DB.GetPerson(ctx, existingID)
		if err != nil {
			return nil, err
		}
		pin.OrganizationID = frontdesk.Ref{Set: true, ID: general.OrganizationID}
		pin.SiteID = frontdesk.Ref{Set: true, ID: general.SiteID}
	case existingID != 0:
		return nil, frontdesk.InvalidField("requester", "give requester_id, an existing person, or requester, a new one; not both")
	case !s.InlinePersonCreate && !anyInline:
		return nil, frontdesk.Errorf(frontdesk.EForbidden, "creating the requester along with the ticket is switched off (setting inline_person_create); choose an existing person")
	}
	p, err := f.PreparePerson(ctx, pin, channel)
	if err != nil {
		return nil, requesterFields(err)
	}
	return p, nil
}

func hasName(in frontdesk.PersonInput) bool {
	for _, s := range []*string{in.Name, in.FirstName, in.LastName} {
		if s != nil && strings.TrimSpace(*s) != "" {
			return true
		}
	}
	return false
}

// personChannel is how a person created with a ticket of channel came to exist.
func personChannel(c frontdesk.TicketChannel) frontdesk.Channel {
	if c == frontdesk.TicketViaAPI {
		return frontdesk.ChannelAPI
	}
	return frontdesk.ChannelConsole
}

// requesterFields names the field errors of a new requester requester.FIELD, so that they
// are told apart from the ticket's own.
func requesterFields(err error) error {
	var e *frontdesk.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = slices.Clone(e.Fields)
	for i := range out.Fields {
		out.Fields[i].Field = "requester." + out.Fields[i].Field
	}
	return &out
}

// joinInvalid returns nil when both are nil; both field lists in one error when both are
// invalid input; else the first error that is not (a refusal comes before a typo).
func joinInvalid(a, b error) error {
	ea, eb := frontdesk.ErrorCode(a), frontdesk.ErrorCode(b)
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case ea == frontdesk.EInvalid && eb == frontdesk.EInvalid:
		var x, y *frontdesk.Error
		errors.As(a, &x)
		errors.As(b, &y)
		return append(slices.Clone(frontdesk.Problems(x.Fields)), y.Fields...).Err()
	case ea != frontdesk.EInvalid:
		return a
	default:
		return b
	}
}

// CallInput is a phone call an agent logs (C12): the caller's number as the agent heard it,
// a subject and the notes of the call. RequesterID is the person the agent picked when the
// number found several; Requester is the person to create when it found nobody (the number
// is added to their phones).
type CallInput struct {
	Number      string
	Subject     string
	Notes       string
	RequesterID int64
	Requester   *frontdesk.PersonInput
}

// CallResult is what logging a call came to: the number in E.164 form, the people holding it
// (trashed people left out), and the ticket once the caller is known (nil while the agent
// still has to pick among several or create the caller), with the person created, if any.
type CallResult struct {
	Number  string
	Matches []*frontdesk.Person
	Ticket  *frontdesk.Ticket
	Created *frontdesk.Person
}

// LogCall logs a phone call as a ticket of channel phone (C12). The number is normalized to
// E.164 in the helpdesk's phone region and matched against people's phones: one match gets
// the ticket, with the notes as its first message; several wait for the agent's pick; none
// waits for the agent to create the caller, which happens with the ticket in one transaction.
// Creating the caller is not subject to inline_person_create, but needs people.create.
func (f *Flows) LogCall(ctx context.Context, in CallInput) (*CallResult, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermTicketsAnswer, "logging a call"); err != nil {
		return nil, err
	}
	var probs frontdesk.Problems
	number, nerr := frontdesk.NormalizePhone(in.Number, f.PhoneRegion)
	if nerr != nil {
		probs.Add("number", "%v", nerr)
	}
	tin := frontdesk.TicketInput{RequesterID: in.RequesterID, Subject: in.Subject, Body: in.Notes, Channel: frontdesk.TicketViaPhone}
	// The ticket's own fields are checked now, whoever turns out to be the caller.
	_, _, terr := frontdesk.NewTicket(frontdesk.TicketInput{Subject: in.Subject, Body: in.Notes, Requester: &frontdesk.PersonInput{}}, frontdesk.TicketViaPhone)
	if err := joinInvalid(probs.Err(), terr); err != nil {
		return nil, err
	}
	res := &CallResult{Number: number}
	all, err := f.DB.PeopleByPhone(ctx, number)
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if p.State != frontdesk.StateTrashed {
			res.Matches = append(res.Matches, p)
		}
	}
	switch {
	case in.Requester != nil:
		pin := *in.Requester
		phones := []frontdesk.Phone{{Number: number}}
		if pin.Phones != nil {
			// The caller's number comes first, once: ApplyPerson refuses a number given twice.
			for _, ph := range *pin.Phones {
				if n, err := frontdesk.NormalizePhone(ph.Number, f.PhoneRegion); err == nil && n == number {
					phones[0].Label = ph.Label
					continue
				}
				phones = append(phones, ph)
			}
		}
		pin.Phones = &phones
		tin.RequesterID, tin.Requester = 0, &pin
	case in.RequesterID != 0:
	case len(res.Matches) == 1:
		tin.RequesterID = res.Matches[0].ID
	default:
		return res, nil
	}
	res.Ticket, res.Created, err = f.createTicket(ctx, tin, frontdesk.TicketViaPhone, true)
	if err != nil {
		return nil, err
	}
	return res, nil
}
