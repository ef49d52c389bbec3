package flow

import (
	"context"

	"frontdesk"
)

// PreparePerson checks what staff (or an API client) asked to create, as the actor in ctx
// may: nobody creates a staff member above their own role, with a custom staff role they
// may not give, or a second owner (R3, R2, P2).
func (f *Flows) PreparePerson(ctx context.Context, in frontdesk.PersonInput, channel frontdesk.Channel) (*frontdesk.Person, error) {
	actor := frontdesk.ActorFrom(ctx)
	if !actor.Can(frontdesk.PermPeopleCreate) {
		return nil, frontdesk.Errorf(frontdesk.EForbidden, "creating people needs the %s permission", frontdesk.PermPeopleCreate)
	}
	fields, err := f.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	return f.prepare(ctx, actor, in, channel, frontdesk.Rules{PhoneRegion: f.PhoneRegion, CustomFields: fields})
}

// prepare is PreparePerson past the permission check, with the rules read once by a caller
// that prepares many (X7).
func (f *Flows) prepare(ctx context.Context, actor frontdesk.Actor, in frontdesk.PersonInput, channel frontdesk.Channel, rules frontdesk.Rules) (*frontdesk.Person, error) {
	if in.Role != nil && *in.Role != frontdesk.RoleContact {
		if err := actor.CheckRoleChange(frontdesk.RoleContact, *in.Role); err != nil {
			return nil, err
		}
	}
	p := frontdesk.NewPerson(channel)
	// R2: a custom staff role given at creation sets the rank to its base role.
	if err := f.applyStaffRole(ctx, actor, p, &in); err != nil {
		return nil, err
	}
	if err := frontdesk.ApplyPerson(p, in, rules); err != nil {
		return nil, err
	}
	// Staff typing an address in cannot vouch for it: it is confirmed by mail (E1).
	unverifyNew(p, nil, actor)
	p.State = frontdesk.InitialState(p)
	return p, nil
}

// CreatePerson stores a prepared person and, in the same transaction, queues the mail their
// creation causes (C1, C2, C3, E2, E6).
func (f *Flows) CreatePerson(ctx context.Context, p *frontdesk.Person) error {
	return f.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := f.DB.CreatePerson(ctx, p); err != nil {
			return err
		}
		return f.AfterCreate(ctx, p)
	})
}
