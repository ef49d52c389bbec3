package flow

import (
	"context"

	"frontdesk"
	"frontdesk/store"
)

// Staff actions on people: profile changes, role changes, state changes, approval. Each is
// the one path the API, the console and the CLI take (convention 20), and each holds its
// permission check and its rank check (R3): staff change only people strictly below them.

// need refuses an actor who lacks permission p.
func need(a frontdesk.Actor, p frontdesk.Permission, what string) error {
	if !a.Can(p) {
		return frontdesk.Errorf(frontdesk.EForbidden, "%s needs the %s permission, which %s lacks", what, p, a.RoleName())
	}
	return nil
}

// reach refuses a change by a to p unless a ranks strictly above p (R3): an agent cannot
// change another agent, an admin another admin, and nobody but the system the owner.
// selfOK lets a person act on themselves where that hands nobody else anything.
func reach(a frontdesk.Actor, p *frontdesk.Person, selfOK bool) error {
	if a.System || selfOK && a.ID != 0 && a.ID == p.ID {
		return nil
	}
	if a.ID != 0 && a.ID == p.ID {
		return frontdesk.Errorf(frontdesk.EForbidden, "nobody changes their own role or state; another staff member above you does")
	}
	if !a.Role.Outranks(p.Role) {
		return frontdesk.Errorf(frontdesk.EForbidden, "a %s changes only people below them; person %d is a %s", a.RoleName(), p.ID, p.Role)
	}
	return nil
}

// UpdatePerson changes a person's profile, role and custom staff role (P1, R2, R3), as the
// actor in ctx may. An address that is new to the person is unverified, whatever the input
// says, and gets a confirmation in the same transaction: until it is confirmed no reset or
// login link goes to it.
func (f *Flows) UpdatePerson(ctx context.Context, id int64, in frontdesk.PersonInput) (*frontdesk.Person, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermPeopleUpdate, "changing a person"); err != nil {
		return nil, err
	}
	return f.update(ctx, id, in)
}

// ChangeRole gives a person another built-in role (R3); a custom staff role they had is
// dropped, since its rank no longer fits (R2).
func (f *Flows) ChangeRole(ctx context.Context, id int64, role frontdesk.Role) (*frontdesk.Person, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermRolesAssign, "changing a role"); err != nil {
		return nil, err
	}
	return f.update(ctx, id, frontdesk.PersonInput{Role: &role})
}

func (f *Flows) update(ctx context.Context, id int64, in frontdesk.PersonInput) (*frontdesk.Person, error) {
	fields, err := f.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	return f.updateWith(ctx, id, in, frontdesk.Rules{PhoneRegion: f.PhoneRegion, CustomFields: fields})
}

// updateWith is update with the rules read once by a caller that updates many (X7).
func (f *Flows) updateWith(ctx context.Context, id int64, in frontdesk.PersonInput, rules frontdesk.Rules) (*frontdesk.Person, error) {
	actor := frontdesk.ActorFrom(ctx)
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		var fresh []string
		var err error
		p, err = f.DB.UpdatePerson(ctx, id, func(p *frontdesk.Person) error {
			// Staff edit their own profile, but not their own role.
			roleChange := in.Role != nil && *in.Role != p.Role || in.StaffRoleID.Set
			if err := reach(actor, p, !roleChange); err != nil {
				return err
			}
			if in.Role != nil {
				if err := actor.CheckRoleChange(p.Role, *in.Role); err != nil {
					return err
				}
			}
			if err := f.applyStaffRole(ctx, actor, p, &in); err != nil {
				return err
			}
			known := map[string]bool{}
			for _, e := range p.Emails {
				known[e.Address] = e.Verified
			}
			if err := frontdesk.ApplyPerson(p, in, rules); err != nil {
				return err
			}
			fresh = unverifyNew(p, known, actor)
			return nil
		})
		if err != nil || len(fresh) == 0 {
			return err
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		// A new confirmation supersedes the person's older ones, so one address gets it:
		// the primary when it is new, else the first new one.
		return f.sendConfirmation(ctx, p, fresh[0], s)
	})
	return p, err
}

// unverifyNew clears the verified flag of every address of p that was not verified before
// (known maps address to verified) and returns the new ones, the primary first. Only the
// system (an import, an operator) may vouch for an address; staff typing one in cannot.
func unverifyNew(p *frontdesk.Person, known map[string]bool, actor frontdesk.Actor) []string {
	var fresh []string
	for i := range p.Emails {
		e := &p.Emails[i]
		wasVerified, had := known[e.Address]
		if wasVerified {
			continue
		}
		if actor.System && e.Verified {
			continue
		}
		e.Verified = false
		if had {
			// Known and still unconfirmed: its confirmation went when it was added, and a
			// resend is asked for explicitly (E1, X8); an update naming it again (a bulk
			// sync, X7) sends nothing.
			continue
		}
		if e.Primary {
			fresh = append([]string{e.Address}, fresh...)
		} else {
			fresh = append(fresh, e.Address)
		}
	}
	return fresh
}

// applyStaffRole resolves the staff_role_id of an input for p, who has it as before: giving a
// custom role sets the rank to its base role; changing the role alone drops the custom role,
// whose rank no longer fits. Both the role given and the one taken pass R3.
func (f *Flows) applyStaffRole(ctx context.Context, actor frontdesk.Actor, p *frontdesk.Person, in *frontdesk.PersonInput) error {
	if in.Role != nil && *in.Role != p.Role && !in.StaffRoleID.Set && p.StaffRoleID != nil {
		in.StaffRoleID = frontdesk.Ref{Set: true}
	}
	if !in.StaffRoleID.Set {
		return nil
	}
	if sameRef(p.StaffRoleID, in.StaffRoleID.ID) {
		if p.StaffRoleID != nil && in.Role != nil && *in.Role != p.Role {
			return frontdesk.InvalidField("role", "the staff role %d ranks as %s; give that role or none", *p.StaffRoleID, p.Role)
		}
		return nil
	}
	if p.StaffRoleID != nil {
		old, err := f.DB.GetStaffRole(ctx, *p.StaffRoleID)
		if err != nil {
			return err
		}
		if err := actor.CheckStaffRole(old); err != nil {
			return err
		}
	}
	if in.StaffRoleID.ID == nil {
		if err := need(actor, frontdesk.PermRolesAssign, "taking a staff role"); err != nil {
			return err
		}
		p.StaffRoleID = nil
		return nil
	}
	sr, err := f.DB.GetStaffRole(ctx, *in.StaffRoleID.ID)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return frontdesk.InvalidField("staff_role_id", "there is no staff role %d", *in.StaffRoleID.ID)
	}
	if err != nil {
		return err
	}
	if in.Role != nil && *in.Role != sr.BaseRole {
		return frontdesk.InvalidField("role", "the staff role %q ranks as %s; give that role or none", sr.Name, sr.BaseRole)
	}
	if err := actor.CheckStaffRole(sr); err != nil {
		return err
	}
	if err := actor.CheckRoleChange(p.Role, sr.BaseRole); err != nil {
		return err
	}
	p.StaffRoleID, p.Role = &sr.ID, sr.BaseRole
	return nil
}

func sameRef(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// SetState moves a person to another state through the one transition table (L1), as the
// actor in ctx may: with people.manage, never on themselves, only on people below them, and
// never the owner, who stays active (P2). A ban may carry a reason and an end (L4).
func (f *Flows) SetState(ctx context.Context, id int64, c store.StateChange) (*frontdesk.Person, error) {
	if err := StateChangeProblems(&c).Err(); err != nil {
		return nil, err
	}
	var out *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.manageable(ctx, id, "changing a person's state")
		if err != nil {
			return err
		}
		out, err = f.DB.SetState(ctx, p.ID, c)
		return err
	})
	return out, err
}

// StateChangeProblems lists what is wrong with a state change before any person is looked at,
// so that a front end can add its own parsing problems and report them all at once. It
// tidies the ban reason as every text field is tidied.
func StateChangeProblems(c *store.StateChange) frontdesk.Problems {
	var probs frontdesk.Problems
	if !c.To.Valid() {
		probs.Add("state", "must be one of %v", frontdesk.States)
	}
	if c.To != frontdesk.StateBanned && (c.BanReason != "" || c.BannedUntil != nil) {
		probs.Add("ban_reason", "only a ban has a reason and an end")
	}
	c.BanReason = frontdesk.CleanText(&probs, "ban_reason", c.BanReason, 1000, frontdesk.MultiLine)
	return probs
}

// Restore takes a person out of the trash into the state they had before (L2).
func (f *Flows) Restore(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var out *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.manageable(ctx, id, "restoring a person")
		if err != nil {
			return err
		}
		if p.State != frontdesk.StateTrashed {
			return frontdesk.Errorf(frontdesk.EConflict, "person %d is %s, not in the trash", p.ID, p.State)
		}
		before, err := f.DB.StateBeforeTrash(ctx, p.ID)
		if err != nil {
			return err
		}
		out, err = f.DB.SetState(ctx, p.ID, store.StateChange{To: before})
		return err
	})
	return out, err
}

// manageable loads a person whose state the actor in ctx may change, in ctx's transaction.
func (f *Flows) manageable(ctx context.Context, id int64, what string) (*frontdesk.Person, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermPeopleManage, what); err != nil {
		return nil, err
	}
	p, err := f.DB.GetPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := reach(actor, p, false); err != nil {
		return nil, err
	}
	if p.Role == frontdesk.RoleOwner {
		return nil, frontdesk.Errorf(frontdesk.EForbidden, "the owner stays active; hand ownership over first")
	}
	return p, nil
}

// awaiting loads a person in the approval queue (C7) whose state the actor may change; anyone
// else is refused with a conflict and nothing changes.
func (f *Flows) awaiting(ctx context.Context, id int64, what string) (*frontdesk.Person, error) {
	p, err := f.manageable(ctx, id, what)
	if err != nil {
		return nil, err
	}
	if p.State != frontdesk.StateAwaitingApproval {
		return nil, frontdesk.Errorf(frontdesk.EConflict, "person %d is %s, not awaiting approval", p.ID, p.State)
	}
	return p, nil
}

// Reject turns a registrant away (C7): they go to the trash, from which they can be restored.
func (f *Flows) Reject(ctx context.Context, id int64) (*frontdesk.Person, error) {
	var out *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.awaiting(ctx, id, "rejecting a registration")
		if err != nil {
			return err
		}
		out, err = f.DB.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateTrashed})
		return err
	})
	return out, err
}
