package flow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"frontdesk"
)

// Organization mapping that keeps up (X6): adding a domain to an organization first shows
// the people who already have a confirmed address at it and are elsewhere, then adds the
// domain and moves them when confirmed. Those a domain rule placed (or nobody) move by
// default; those whose organization was set by staff, an import, the directory or SCIM, and
// staff members, are listed but move only when chosen one by one. Each move is a person
// update, audited, through the same rank check as any change (R3).

// MaxDomainMoves bounds the people one domain change lists and moves: a domain with more
// people than this is a public mail provider more often than a customer's.
const MaxDomainMoves = 1000

// DomainMove is one person a domain change concerns.
type DomainMove struct {
	PersonID           int64               `json:"person_id"`
	Name               string              `json:"name"`
	Address            string              `json:"address"` // their confirmed address at the domain
	Role               frontdesk.Role      `json:"role"`
	OrganizationID     *int64              `json:"organization_id"`
	OrganizationName   string              `json:"organization_name"`
	OrganizationSource frontdesk.OrgSource `json:"organization_source"`
	// Default says the person moves unless left out; Reason says why not otherwise.
	Default bool   `json:"moved_by_default"`
	Reason  string `json:"reason,omitempty"`
	// Movable is false for people the actor may not change (R3): they never move.
	Movable bool `json:"movable"`
}

// DomainPreview is what adding domains to an organization would do.
type DomainPreview struct {
	OrganizationID int64        `json:"organization_id"`
	Domains        []string     `json:"domains"`
	People         []DomainMove `json:"people"`
}

// DomainChange adds domains to an organization and moves people: those moved by default but
// in Exclude stay, and those in Include move too.
type DomainChange struct {
	Domains []string `json:"domains"`
	Include []int64  `json:"include"`
	Exclude []int64  `json:"exclude"`
}

// DomainResult is what a domain change did.
type DomainResult struct {
	Organization *frontdesk.Organization `json:"organization"`
	Moved        []DomainMove            `json:"moved"`
	Kept         []DomainMove            `json:"kept"`
}

// PreviewDomains says whom adding domains to organization id would move (X6): with no
// domains, the organization's own. Nothing changes.
func (f *Flows) PreviewDomains(ctx context.Context, id int64, domains []string) (*DomainPreview, error) {
	if err := need(frontdesk.ActorFrom(ctx), frontdesk.PermPeopleUpdate, "changing an organization's domains"); err != nil {
		return nil, err
	}
	var out *DomainPreview
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		o, err := f.DB.GetOrganization(ctx, id)
		if err != nil {
			return err
		}
		out, err = f.previewDomains(ctx, o, domains)
		return err
	})
	return out, err
}

// previewDomains normalizes domains (the organization's when none) and lists the people.
func (f *Flows) previewDomains(ctx context.Context, o *frontdesk.Organization, domains []string) (*DomainPreview, error) {
	var probs frontdesk.Problems
	var norm []string
	for i, d := range domains {
		n, err := frontdesk.NormalizeDomain(d)
		if err != nil {
			probs.Add(fmt.Sprintf("domains[%d]", i), "%v", err)
			continue
		}
		if !slices.Contains(norm, n) {
			norm = append(norm, n)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if len(domains) == 0 {
		norm = slices.Clone(o.Domains)
	}
	slices.Sort(norm)
	people, err := f.DB.PeopleWithVerifiedDomain(ctx, o.ID, norm, MaxDomainMoves+1)
	if err != nil {
		return nil, err
	}
	if len(people) > MaxDomainMoves {
		return nil, frontdesk.InvalidField("domains", "more than %d people have a confirmed address at these domains; a domain shared by that many is rarely one organization's", MaxDomainMoves)
	}
	var orgIDs []int64
	for _, p := range people {
		if p.OrganizationID != nil && !slices.Contains(orgIDs, *p.OrganizationID) {
			orgIDs = append(orgIDs, *p.OrganizationID)
		}
	}
	names, err := f.DB.OrganizationNames(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	actor := frontdesk.ActorFrom(ctx)
	out := &DomainPreview{OrganizationID: o.ID, Domains: norm, People: make([]DomainMove, 0, len(people))}
	for _, p := range people {
		m := DomainMove{PersonID: p.ID, Name: p.FullName(), Role: p.Role, OrganizationID: p.OrganizationID,
			OrganizationSource: p.OrganizationSource, Movable: reach(actor, p, true) == nil}
		for _, e := range p.Emails {
			if e.Verified && slices.Contains(norm, frontdesk.EmailDomain(e.Address)) {
				m.Address = e.Address
				break
			}
		}
		if p.OrganizationID != nil {
			m.OrganizationName = names[*p.OrganizationID]
		}
		switch {
		case !m.Movable:
			m.Reason = "ranks at or above you"
		case p.Role.IsStaff():
			m.Reason = "a staff member"
		case p.OrganizationSource == frontdesk.OrgSourceNone || p.OrganizationSource == frontdesk.OrgSourceDomain:
			m.Default = true
		default:
			m.Reason = "organization set " + sourceWords(p.OrganizationSource)
		}
		out.People = append(out.People, m)
	}
	return out, nil
}

// sourceWords says how an organization was set, for a reason shown to staff.
func sourceWords(s frontdesk.OrgSource) string {
	switch s {
	case frontdesk.OrgSourceManual:
		return "by hand"
	case frontdesk.OrgSourceImport:
		return "by an import"
	case frontdesk.OrgSourceDirectory:
		return "by the directory"
	case frontdesk.OrgSourceSCIM:
		return "by SCIM provisioning"
	}
	return "by " + string(s)
}

// ApplyDomains adds c.Domains to organization id and moves the people the preview lists by
// default, but those in c.Exclude, and those in c.Include (X6), all in one transaction. A
// person in Include or Exclude whom the preview does not list, or who may not be moved,
// refuses the whole change. Each move is audited as a person update.
func (f *Flows) ApplyDomains(ctx context.Context, id int64, c DomainChange) (*DomainResult, error) {
	actor := frontdesk.ActorFrom(ctx)
	if err := need(actor, frontdesk.PermPeopleUpdate, "changing an organization's domains"); err != nil {
		return nil, err
	}
	out := &DomainResult{Moved: []DomainMove{}, Kept: []DomainMove{}}
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		o, err := f.DB.GetOrganization(ctx, id)
		if err != nil {
			return err
		}
		pv, err := f.previewDomains(ctx, o, c.Domains)
		if err != nil {
			return err
		}
		all := slices.Clone(o.Domains)
		for _, d := range pv.Domains {
			if !slices.Contains(all, d) {
				all = append(all, d)
			}
		}
		if out.Organization, err = f.DB.UpdateOrganization(ctx, id, frontdesk.OrganizationInput{Domains: &all}); err != nil {
			return err
		}
		listed := map[int64]DomainMove{}
		for _, m := range pv.People {
			listed[m.PersonID] = m
		}
		var probs frontdesk.Problems
		for field, ids := range map[string][]int64{"include": c.Include, "exclude": c.Exclude} {
			for _, pid := range ids {
				m, ok := listed[pid]
				switch {
				case !ok:
					probs.Add(field, "person %d has no confirmed address at %s, or is in the organization already", pid, strings.Join(pv.Domains, ", "))
				case !m.Movable:
					probs.Add(field, "person %d ranks at or above you; they stay where they are", pid)
				case field == "include" && slices.Contains(c.Exclude, pid):
					probs.Add(field, "person %d is both included and excluded", pid)
				}
			}
		}
		if err := probs.Err(); err != nil {
			return err
		}
		for _, m := range pv.People {
			move := m.Movable && (m.Default && !slices.Contains(c.Exclude, m.PersonID) || slices.Contains(c.Include, m.PersonID))
			if !move {
				out.Kept = append(out.Kept, m)
				continue
			}
			_, err := f.DB.UpdatePerson(ctx, m.PersonID, func(p *frontdesk.Person) error {
				if err := reach(actor, p, true); err != nil {
					return err
				}
				org := o.ID
				p.OrganizationID, p.SiteID, p.OrganizationSource = &org, nil, frontdesk.OrgSourceDomain
				return nil
			})
			if err != nil {
				return err
			}
			out.Moved = append(out.Moved, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
