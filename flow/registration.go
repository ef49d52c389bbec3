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
func (f *Flows) Register(ctx context.Context, in Registration, clientIP string) error {
	s, err := f.settings(ctx)
	if err != nil {
		return err
	}
	if s.Registration == frontdesk.RegistrationOff {
		return frontdesk.Errorf(frontdesk.EForbidden, "registration on this help center is closed")
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
		return err
	}
	if err := take(ctx, f.RegisterLimit, "ip:"+clientIP, "addr:"+n); err != nil {
		return err
	}
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
		}
		return f.sendConfirmation(ctx, p, n, s)
	})
	if frontdesk.ErrorCode(err) == frontdesk.EConflict {
		return nil
	}
	return err
}

// Approve lets a registrant in (C7): awaiting approval becomes active, and they are told.
func (f *Flows) Approve(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = f.DB.SetState(ctx, id, store.StateChange{To: frontdesk.StateActive}); err != nil {
			return err
		}
		return f.queue(ctx, "registration_activation", p, f.BaseURL+"/login", 0)
	})
	return p, err
}

// Activate lets staff activate a person who never confirmed (L5): they become active and get
// a registration email with a link to set their credentials.
func (f *Flows) Activate(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = f.DB.GetPerson(ctx, id); err != nil {
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
// access, who cannot log in (P8).
func (f *Flows) SendWelcome(ctx context.Context, id int64) error {
	return f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if err := canBeInvited(p); err != nil {
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
// access (P8).
func (f *Flows) SendReset(ctx context.Context, id int64) error {
	return f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if err := canBeInvited(p); err != nil {
			return err
		}
		return f.sendReset(ctx, p, p.PrimaryEmail())
	})
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
