package flow

import (
	"context"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
)

// Registration is what a stranger gives to register on the help center (C7).
type Registration struct {
	Name     string
	Email    string
	Password string // optional: without one, onboarding after the confirmation sets it
}

// Register creates a contact from the help center when registration is open (C7). The
// registrant lands in the default site, confirms their address in every case, and then is
// active or waits for a manager's approval. A taken address gets the same answer as a new
// one (the owner of the address is sent nothing new), so registration tells strangers
// nothing about who has an account. Credentials are never sent by mail.
//
// It returns a secret for the registering browser to keep (a cookie): a password given here
// counts only if the address is confirmed from that browser (see Confirm). The secret is
// returned whether or not the address was taken, so that the answer is the same.
func (f *Flows) Register(ctx context.Context, in Registration, clientIP string) (browserSecret string, err error) {
	s, err := f.settings(ctx)
	if err != nil {
		return "", err
	}
	if s.Registration == frontdesk.RegistrationOff {
		return "", frontdesk.Errorf(frontdesk.EForbidden, "registration on this help center is closed")
	}
	var probs frontdesk.Problems
	n, err := frontdesk.NormalizeEmail(in.Email)
	if err != nil {
		probs.Add("email", "%v", err)
	}
	var hash string
	if in.Password != "" {
		if hash, err = auth.HashPassword(in.Password); err != nil {
			probs.Add("password", "%v", err)
		}
	}
	p := frontdesk.NewPerson(frontdesk.ChannelHelpCenter)
	name := in.Name
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &n}, frontdesk.Rules{}); err != nil {
		for _, fe := range err.(*frontdesk.Error).Fields {
			if !probs.Has(fe.Field) {
				probs = append(probs, fe)
			}
		}
	}
	if in.Name == "" {
		probs.Add("name", "is required")
	}
	if err := probs.Err(); err != nil {
		return "", err
	}
	if err := take(ctx, f.RegisterLimit, "ip:"+clientIP, "addr:"+n); err != nil {
		return "", err
	}
	browserSecret = auth.NewSecret(32)
	if s.RegistrationSiteID != nil {
		p.SiteID = s.RegistrationSiteID
	}
	p.State = frontdesk.StateNotActivated
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := f.DB.CreatePerson(ctx, p); err != nil {
			return err
		}
		if hash != "" {
			if err := f.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginPassword, PasswordHash: hash}); err != nil {
				return err
			}
			if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeRegistration, n, browserSecret, hours(s.ConfirmationLinkHours)); err != nil {
				return err
			}
		}
		return f.sendConfirmation(ctx, p, n, s)
	})
	if frontdesk.ErrorCode(err) == frontdesk.EConflict {
		return browserSecret, nil
	}
	if err != nil {
		return "", err
	}
	return browserSecret, nil
}

// Approve lets a registrant in (C7): awaiting approval becomes active, and they are sent the
// registration email with a one-time link that leads, like a welcome link, to onboarding,
// where they set their credentials. Only people awaiting approval are approved.
func (f *Flows) Approve(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = f.awaiting(ctx, id, "approving a registration"); err != nil {
			return err
		}
		if p, err = f.DB.SetState(ctx, id, store.StateChange{To: frontdesk.StateActive}); err != nil {
			return err
		}
		address := p.PrimaryEmail()
		if address == "" || p.Machine || p.WebAccess == frontdesk.WebAccessNone {
			return nil // no one to tell, or nothing to log in to (P8)
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		secret := auth.NewSecret(32)
		if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeWelcome, address, secret, hours(s.WelcomeLinkHours)); err != nil {
			return err
		}
		return f.queue(ctx, "registration_activation", p, f.link("/welcome", secret), hours(s.WelcomeLinkHours))
	})
	return p, err
}

// Activate lets staff activate a person who never confirmed (L5): they become active and get
// a registration email with a link to set their credentials.
func (f *Flows) Activate(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = f.manageable(ctx, id, "activating a person"); err != nil {
			return err
		}
		if p.State != frontdesk.StateNotActivated {
			return frontdesk.InvalidField("state", "only a not activated person is activated by hand; this one is %s", p.State)
		}
		if p, err = f.DB.SetState(ctx, id, store.StateChange{To: frontdesk.StateActive}); err != nil {
			return err
		}
		if p.PrimaryEmail() == "" || p.WebAccess == frontdesk.WebAccessNone && !p.Role.IsStaff() {
			return nil
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		return f.sendWelcome(ctx, p, s)
	})
	return p, err
}

// SendWelcome sends the welcome email from the profile (E2); not to people without web
// access, who cannot log in (P8). A welcome link leads to setting credentials, so it goes to
// an unverified address only while the person has none: it would hand over their account.
func (f *Flows) SendWelcome(ctx context.Context, id int64) error {
	return f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.invitable(ctx, id, "sending the welcome email")
		if err != nil {
			return err
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		return f.sendWelcome(ctx, p, s)
	})
}

// SendReset sends a password reset link from the profile (E3); not to people without web
// access (P8), and never to an unverified address (see sendReset).
func (f *Flows) SendReset(ctx context.Context, id int64) error {
	return f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.invitable(ctx, id, "sending a password reset")
		if err != nil {
			return err
		}
		return f.sendReset(ctx, p, p.PrimaryEmail())
	})
}

// invitable loads a person the actor in ctx may send a link to set credentials: with
// people.update, themselves or someone below them (R3), who can log in.
func (f *Flows) invitable(ctx context.Context, id int64, what string) (*frontdesk.Person, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermPeopleUpdate, what); err != nil {
		return nil, err
	}
	p, err := f.DB.GetPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := reach(actor, p, true); err != nil {
		return nil, err
	}
	return p, canBeInvited(p)
}

func canBeInvited(p *frontdesk.Person) error {
	switch {
	case p.Machine || !p.Role.IsStaff() && p.WebAccess == frontdesk.WebAccessNone:
		return frontdesk.Errorf(frontdesk.EInvalid, "person %d has no web access and cannot log in", p.ID)
	case p.PrimaryEmail() == "":
		return frontdesk.Errorf(frontdesk.EInvalid, "person %d has no email address", p.ID)
	case p.State == frontdesk.StateTrashed || p.State == frontdesk.StateBanned || p.State == frontdesk.StateDisabled:
		return frontdesk.Errorf(frontdesk.EInvalid, "person %d is %s", p.ID, p.State)
	}
	return nil
}
