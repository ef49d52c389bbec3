package flow

import (
	"context"
	"time"

	"frontdesk"
)

// Invitations in bulk (X8): the confirmation (E1) or the welcome (E2) sent again to every
// person of a segment who still needs it, with a link lifetime chosen for the occasion. Each
// person goes through the same sendConfirmation and sendWelcome as a single send, so links
// are hashed, single-use and supersede the older ones. People are read and sent to in
// batches, each its own transaction; a per-person guard (store.ClaimInvitation) makes a
// second request within InvitationWindow send nothing again.

// Purposes of a bulk invitation.
const (
	InvitePurposeConfirmation = "confirmation"
	InvitePurposeWelcome      = "welcome"
)

// Bounds of the link lifetime of a bulk invitation, in hours: at least an hour to read the
// mail, at most a month, past which a link in an old mailbox is a risk more than a help.
const (
	MinInviteHours = 1
	MaxInviteHours = 720
)

// InvitationWindow is how long after a bulk invitation the same person gets no other of the
// same purpose from a bulk resend: longer than any double click or retry.
const InvitationWindow = 15 * time.Minute

// inviteBatch is how many people one transaction of a bulk invitation handles.
const inviteBatch = 200

// Invitation asks for a bulk invitation.
type Invitation struct {
	Filter        frontdesk.PersonFilter `json:"filter"`
	Purpose       string                 `json:"purpose"`
	LifetimeHours int                    `json:"lifetime_hours"`
}

// InvitationSuppressed counts the people who would have been sent to, had their mail not
// been suppressed (E5, X3), by reason.
type InvitationSuppressed struct {
	Machine         int `json:"machine"`
	DoNotEmail      int `json:"do_not_email"`
	SuppressionList int `json:"suppression_list"`
}

// InvitationSkipped counts the people of the segment with nothing to send, by reason.
type InvitationSkipped struct {
	AlreadyVerified int `json:"already_verified"` // confirmation: the primary address is confirmed
	AlreadyActive   int `json:"already_active"`   // welcome: not in the not-activated state
	NoAddress       int `json:"no_address"`
	NoWebAccess     int `json:"no_web_access"` // welcome: a contact who cannot log in (P8)
	Closed          int `json:"closed"`        // trashed, banned or disabled
	OutOfReach      int `json:"out_of_reach"`  // staff at or above the actor's rank (R3)
	RecentlySent    int `json:"recently_sent"` // within InvitationWindow
	Unconfirmed     int `json:"unconfirmed"`   // welcome: has credentials, address unconfirmed (E3)
}

// InvitationReport says what a bulk invitation did.
type InvitationReport struct {
	Purpose       string               `json:"purpose"`
	LifetimeHours int                  `json:"lifetime_hours"`
	Matched       int                  `json:"matched"`
	Sent          int                  `json:"sent"`
	Suppressed    InvitationSuppressed `json:"suppressed"`
	Skipped       InvitationSkipped    `json:"skipped"`
}

// CheckInvitation reports every problem of an invitation request at once and normalizes
// its filter; a front end calls it before showing how many people it reaches.
func (f *Flows) CheckInvitation(ctx context.Context, in *Invitation) error {
	var probs frontdesk.Problems
	if in.Purpose != InvitePurposeConfirmation && in.Purpose != InvitePurposeWelcome {
		probs.Add("purpose", "must be %s or %s", InvitePurposeConfirmation, InvitePurposeWelcome)
	}
	if in.LifetimeHours < MinInviteHours || in.LifetimeHours > MaxInviteHours {
		probs.Add("lifetime_hours", "must be a whole number of hours from %d to %d", MinInviteHours, MaxInviteHours)
	}
	fields, err := f.DB.CustomFieldMap(ctx)
	if err != nil {
		return err
	}
	filter, err := in.Filter.Normalize(fields)
	if e, ok := err.(*frontdesk.Error); ok {
		for _, fe := range e.Fields {
			probs.Add("filter."+fe.Field, "%s", fe.Message)
		}
	} else if err != nil {
		return err
	}
	in.Filter = filter
	return probs.Err()
}

// Invite sends the invitation of in.Purpose to every person in.Filter keeps who needs it, as
// the actor in ctx may: with people.update, to themselves and people below them (R3), as a
// single welcome goes. It reports how many were sent, suppressed and skipped, by reason.
func (f *Flows) Invite(ctx context.Context, in Invitation) (*InvitationReport, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermPeopleUpdate, "sending invitations"); err != nil {
		return nil, err
	}
	if err := f.CheckInvitation(ctx, &in); err != nil {
		return nil, err
	}
	rep := &InvitationReport{Purpose: in.Purpose, LifetimeHours: in.LifetimeHours}
	after := int64(0)
	for {
		var next int64
		err := f.DB.WithTx(ctx, func(ctx context.Context) error {
			people, n, err := f.DB.ListPeople(ctx, in.Filter, frontdesk.Page{After: after, Limit: inviteBatch})
			if err != nil {
				return err
			}
			next = n
			return f.inviteBatch(ctx, actor, in, people, rep)
		})
		if err != nil {
			return nil, err
		}
		if next == 0 {
			break
		}
		after = next
	}
	err := f.DB.Audit(ctx, "people.invite", "person", 0, nil, map[string]any{"filter": in.Filter, "report": rep})
	return rep, err
}

// inviteBatch handles one batch of people in the transaction of ctx.
func (f *Flows) inviteBatch(ctx context.Context, actor frontdesk.Actor, in Invitation, people []*frontdesk.Person, rep *InvitationReport) error {
	s, err := f.settings(ctx)
	if err != nil {
		return err
	}
	// The lifetime chosen for this occasion, through the same senders as a single send.
	s.ConfirmationLinkHours, s.WelcomeLinkHours = in.LifetimeHours, in.LifetimeHours
	var addresses []string
	for _, p := range people {
		if a := p.PrimaryEmail(); a != "" {
			addresses = append(addresses, a)
		}
	}
	listed, err := f.DB.SuppressedAddresses(ctx, addresses)
	if err != nil {
		return err
	}
	for _, p := range people {
		rep.Matched++
		primary := p.PrimaryEmail()
		switch {
		case primary == "":
			rep.Skipped.NoAddress++
			continue
		case p.State == frontdesk.StateTrashed || p.State == frontdesk.StateBanned || p.State == frontdesk.StateDisabled:
			rep.Skipped.Closed++
			continue
		case in.Purpose == InvitePurposeConfirmation && verified(p, primary):
			rep.Skipped.AlreadyVerified++
			continue
		case in.Purpose == InvitePurposeWelcome && p.State != frontdesk.StateNotActivated:
			rep.Skipped.AlreadyActive++
			continue
		case reach(actor, p, true) != nil:
			rep.Skipped.OutOfReach++
			continue
		case p.Machine:
			rep.Suppressed.Machine++
			continue
		case p.DoNotEmail:
			rep.Suppressed.DoNotEmail++
			continue
		case listed[primary]:
			rep.Suppressed.SuppressionList++
			continue
		case in.Purpose == InvitePurposeWelcome && !p.Role.IsStaff() && p.WebAccess == frontdesk.WebAccessNone:
			rep.Skipped.NoWebAccess++
			continue
		}
		sent := false
		err := f.DB.Savepoint(ctx, func(ctx context.Context) error {
			ok, err := f.DB.ClaimInvitation(ctx, p.ID, in.Purpose, InvitationWindow)
			if err != nil {
				return err
			}
			if !ok {
				rep.Skipped.RecentlySent++
				return nil
			}
			if in.Purpose == InvitePurposeWelcome {
				err = f.sendWelcome(ctx, p, s)
			} else {
				err = f.sendConfirmation(ctx, p, primary, s)
			}
			sent = err == nil
			return err
		})
		switch {
		case err == nil:
			if sent {
				rep.Sent++
			}
		case frontdesk.ErrorCode(err) == frontdesk.EInvalid && in.Purpose == InvitePurposeWelcome:
			// sendWelcome refuses an unconfirmed address of someone with credentials (E3);
			// the savepoint took the guard back.
			rep.Skipped.Unconfirmed++
		default:
			return err
		}
	}
	return nil
}
