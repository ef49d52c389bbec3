package flow

import (
	"context"
	"slices"

	"frontdesk"
	"frontdesk/store"
)

// Provisioning by an identity provider (B6). SCIM creates, changes and deprovisions people
// as the owner of the token it calls with. The scim.provision permission stands in for
// people.create, people.update, people.manage and roles.assign on these paths alone; the
// rank rules (R3) still hold, so a provider never changes its token's owner, anyone of
// their rank or above, or the owner. Addresses the provider sends count as verified, as a
// directory's do: the provider is the authority for its own people's addresses.

// provisioner returns the actor SCIM's changes are made as, or refuses an actor without
// scim.provision.
func provisioner(a frontdesk.Actor) (frontdesk.Actor, error) {
	if err := need(a, frontdesk.PermSCIMProvision, "provisioning over SCIM"); err != nil {
		return a, err
	}
	perms := a.Permissions
	if perms == nil {
		perms = a.Role.Permissions()
	}
	perms = slices.Clone(perms)
	for _, p := range []frontdesk.Permission{frontdesk.PermPeopleCreate, frontdesk.PermPeopleUpdate, frontdesk.PermPeopleManage, frontdesk.PermRolesAssign} {
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	a.Permissions = perms
	return a, nil
}

// CheckProvision refuses an actor without the scim.provision permission.
func CheckProvision(ctx context.Context) error {
	_, err := provisioner(frontdesk.ActorFrom(ctx))
	return err
}

// vouch marks every address of p verified: they come from the identity provider.
func vouch(p *frontdesk.Person) {
	for i := range p.Emails {
		p.Emails[i].Verified = true
	}
}

// ProvisionPerson creates a person an identity provider sends: active at once when active is
// set (the provider vouches for them and their addresses, so no confirmation mail goes
// out), else disabled.
func (f *Flows) ProvisionPerson(ctx context.Context, in frontdesk.PersonInput, active bool) (*frontdesk.Person, error) {
	actor, err := provisioner(frontdesk.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	ctx = frontdesk.WithActor(ctx, actor)
	p, err := f.PreparePerson(ctx, in, frontdesk.ChannelSCIM)
	if err != nil {
		return nil, err
	}
	vouch(p)
	p.State = frontdesk.StateDisabled
	if active {
		p.State = frontdesk.StateActive
	}
	if err := f.CreatePerson(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// ProvisionUpdate changes a person as an identity provider asks: the profile in (nil for no
// change) and, when active is not nil, whether they may sign in. check sees the person as
// stored first (SCIM's If-Match). Deprovisioning disables through the transition table,
// which ends the person's sessions and tokens (L3); enabling again makes them active. A ban
// or the trash, which staff decided, stays as it is.
func (f *Flows) ProvisionUpdate(ctx context.Context, id int64, in *frontdesk.PersonInput, active *bool, check func(p *frontdesk.Person) error) (*frontdesk.Person, error) {
	actor, err := provisioner(frontdesk.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	ctx = frontdesk.WithActor(ctx, actor)
	fields, err := f.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	rules := frontdesk.Rules{PhoneRegion: f.PhoneRegion, CustomFields: fields}
	var out *frontdesk.Person
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		p, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(p); err != nil {
				return err
			}
		}
		if err := reach(actor, p, false); err != nil {
			return err
		}
		out = p
		if in != nil {
			out, err = f.DB.UpdatePerson(ctx, id, func(p *frontdesk.Person) error {
				if err := frontdesk.ApplyPerson(p, *in, rules); err != nil {
					return err
				}
				vouch(p)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if active == nil {
			return nil
		}
		to := provisionedState(out.State, *active)
		if to == out.State {
			return nil
		}
		if _, err := f.manageable(ctx, id, "deprovisioning a person"); err != nil {
			return err
		}
		out, err = f.DB.SetState(ctx, id, store.StateChange{To: to})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// provisionedState is the state SCIM's active flag leads to from state s.
func provisionedState(s frontdesk.State, active bool) frontdesk.State {
	switch {
	case active && (s == frontdesk.StateDisabled || s == frontdesk.StateNotActivated):
		return frontdesk.StateActive
	case !active && (s == frontdesk.StateActive || s == frontdesk.StateNotActivated):
		return frontdesk.StateDisabled
	}
	return s
}

// ProvisionGrant gives a member of a SCIM group what the group maps to under the scim_groups
// setting (its custom staff role or its organization), or takes it away from someone who
// left the group, as long as they still have it from this group. Role changes pass the same
// checks as in the console (R2, R3).
func (f *Flows) ProvisionGrant(ctx context.Context, g *frontdesk.SCIMGroup, personID int64, member bool) error {
	actor, err := provisioner(frontdesk.ActorFrom(ctx))
	if err != nil {
		return err
	}
	ctx = frontdesk.WithActor(ctx, actor)
	s, err := f.settings(ctx)
	if err != nil {
		return err
	}
	var in frontdesk.PersonInput
	switch {
	case s.SCIMGroups == frontdesk.SCIMGroupsStaffRoles && g.StaffRoleID != nil:
		p, err := f.DB.GetPerson(ctx, personID)
		if err != nil {
			return err
		}
		has := p.StaffRoleID != nil && *p.StaffRoleID == *g.StaffRoleID
		switch {
		case member && !has:
			in.StaffRoleID = frontdesk.RefTo(*g.StaffRoleID)
		case !member && has:
			contact := frontdesk.RoleContact
			in.Role = &contact
		default:
			return nil
		}
	case s.SCIMGroups == frontdesk.SCIMGroupsOrganizations && g.OrganizationID != nil:
		p, err := f.DB.GetPerson(ctx, personID)
		if err != nil {
			return err
		}
		has := p.OrganizationID != nil && *p.OrganizationID == *g.OrganizationID
		if member == has {
			return nil
		}
		// Written directly rather than through update, so that the organization is marked as
		// set by SCIM, which a domain rule leaves alone (X6).
		_, err = f.DB.UpdatePerson(ctx, personID, func(p *frontdesk.Person) error {
			if err := reach(actor, p, false); err != nil {
				return err
			}
			if member {
				p.OrganizationID, p.SiteID, p.OrganizationSource = g.OrganizationID, nil, frontdesk.OrgSourceSCIM
			} else {
				p.OrganizationID, p.SiteID, p.OrganizationSource = nil, nil, frontdesk.OrgSourceNone
			}
			return nil
		})
		return err
	default:
		return nil
	}
	_, err = f.update(ctx, personID, in)
	return err
}

// SetSCIMGroupMapping associates a SCIM group with a custom staff role or an organization by
// hand (B6), as the actor in ctx may: with settings.manage, and for a staff role only one the
// actor could grant (R2, R3). It applies to membership changes from then on.
func (f *Flows) SetSCIMGroupMapping(ctx context.Context, id int64, in frontdesk.SCIMGroupMappingInput) (*frontdesk.SCIMGroup, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermSettingsManage, "mapping a SCIM group"); err != nil {
		return nil, err
	}
	if in.StaffRoleID.Set && in.StaffRoleID.ID != nil {
		sr, err := f.DB.GetStaffRole(ctx, *in.StaffRoleID.ID)
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			return nil, frontdesk.InvalidField("staff_role_id", "there is no staff role %d", *in.StaffRoleID.ID)
		}
		if err != nil {
			return nil, err
		}
		if err := actor.CheckStaffRole(sr); err != nil {
			return nil, err
		}
	}
	return f.DB.SetSCIMGroupMapping(ctx, id, in)
}
