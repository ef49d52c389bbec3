package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// A plan is what a run does: one change per person to create, update, disable or enable,
// computed from the directory's entries and the people as they are. The preview stores it;
// applying recomputes it and goes ahead only when it is the same (same digest).

// desired is what the directory says one person should be.
type desired struct {
	entry      *Entry
	first      string
	last       string
	email      string
	phone      string
	externalID string
	username   string
	org, site  *int64
	setOrg     bool
	role       frontdesk.Role
}

// plan holds a computed plan with what applying it needs.
type plan struct {
	changes   []frontdesk.DirectoryChange
	unchanged int
	// wants holds the desired person of each create, update and enable change, by key.
	wants map[string]*desired
	// links are the links to record for entries matched and unchanged, by key.
	relink []store.DirectoryLink
}

// digest fingerprints the changes, old values included, so that a preview confirmed after
// the directory or the people changed is recomputed, not applied.
func (p *plan) digest() string {
	b, _ := json.Marshal(p.changes)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (p *plan) counts() frontdesk.DirectoryCounts {
	c := frontdesk.DirectoryCounts{Unchanged: p.unchanged}
	for _, ch := range p.changes {
		switch {
		case ch.Error != "":
			c.Failed++
		case ch.Action == frontdesk.ChangeCreate:
			c.Created++
		case ch.Action == frontdesk.ChangeUpdate:
			c.Updated++
		case ch.Action == frontdesk.ChangeDisable:
			c.Disabled++
		case ch.Action == frontdesk.ChangeEnable:
			c.Enabled++
		}
	}
	return c
}

// want reads what the directory says about an entry through the source's mapping and rules.
func want(src *frontdesk.DirectorySource, e *Entry, phoneRegion string) (*desired, error) {
	a := src.Attributes
	d := &desired{entry: e, externalID: e.Key}
	d.first, d.last = e.First(a.GivenName), e.First(a.Surname)
	if d.first == "" && d.last == "" {
		if full := e.First(a.Name); full != "" {
			d.first, d.last = frontdesk.SplitFullName(full)
		}
	}
	if raw := e.First(a.Email); raw != "" {
		n, err := frontdesk.NormalizeEmail(raw)
		if err != nil {
			return d, fmt.Errorf("%s %q: %v", a.Email, raw, err)
		}
		d.email = n
	}
	if raw := e.First(a.Phone); raw != "" {
		n, err := frontdesk.NormalizePhone(raw, phoneRegion)
		if err != nil {
			return d, fmt.Errorf("%s %q: %v", a.Phone, raw, err)
		}
		d.phone = n
	}
	if raw := e.First(a.Username); raw != "" {
		n, err := frontdesk.NormalizeUsername(raw)
		if err != nil {
			return d, fmt.Errorf("%s %q: %v", a.Username, raw, err)
		}
		d.username = n
	}
	var roleSet, siteSet bool
	for _, r := range src.Rules {
		if !matches(r, e) {
			continue
		}
		if r.OrganizationID != nil && !d.setOrg {
			d.org, d.setOrg = r.OrganizationID, true
		}
		if r.SiteID != nil && !siteSet {
			d.site, siteSet = r.SiteID, true
		}
		if r.Role != "" && !roleSet {
			d.role, roleSet = r.Role, true
		}
	}
	if !d.setOrg && !siteSet && (src.DefaultOrganizationID != nil || src.DefaultSiteID != nil) {
		d.org, d.site, d.setOrg = src.DefaultOrganizationID, src.DefaultSiteID, true
	}
	if siteSet && !d.setOrg {
		d.setOrg = true // the store gives the site's organization
	}
	if !roleSet {
		d.role = src.DefaultRole
	}
	if d.first == "" && d.last == "" && d.email == "" {
		return d, fmt.Errorf("the entry has neither a name nor an email address")
	}
	return d, nil
}

// matches reports whether a rule applies to an entry.
func matches(r frontdesk.DirectoryRule, e *Entry) bool {
	switch r.Kind {
	case frontdesk.RuleGroup:
		return e.Groups[normDN(r.Value)]
	case frontdesk.RuleAttribute:
		for _, v := range e.Attrs[strings.ToLower(r.Attribute)] {
			if r.Op == frontdesk.RuleContains && strings.Contains(strings.ToLower(v), strings.ToLower(r.Value)) ||
				r.Op != frontdesk.RuleContains && strings.EqualFold(strings.TrimSpace(v), r.Value) {
				return true
			}
		}
	}
	return false
}

// planner computes a plan over the store.
type planner struct {
	db    *store.DB
	src   *frontdesk.DirectorySource
	names map[string]string // organization and site names by "o12" / "s3", for the preview
	// region reads phone numbers without a country code.
	region string
}

func (pl *planner) orgName(ctx context.Context, id *int64, site bool) string {
	if id == nil {
		return ""
	}
	key := fmt.Sprintf("o%d", *id)
	if site {
		key = fmt.Sprintf("s%d", *id)
	}
	if n, ok := pl.names[key]; ok {
		return n
	}
	n := fmt.Sprintf("#%d", *id)
	if site {
		if s, err := pl.db.GetSite(ctx, *id); err == nil {
			n = s.Name
		}
	} else if o, err := pl.db.GetOrganization(ctx, *id); err == nil {
		n = o.Name
	}
	pl.names[key] = n
	return n
}

// compute builds the plan for the entries read from the directory.
func (pl *planner) compute(ctx context.Context, entries []Entry) (*plan, error) {
	links, err := pl.db.DirectoryLinks(ctx, pl.src.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	p := &plan{wants: map[string]*desired{}}
	present := map[string]bool{}
	claimed := map[int64]string{} // person id -> key of the entry that matched them
	for i := range entries {
		e := &entries[i]
		fail := func(format string, args ...any) {
			p.changes = append(p.changes, frontdesk.DirectoryChange{Action: frontdesk.ChangeFail, Key: e.Key, DN: e.DN,
				Name: e.First(pl.src.Attributes.Name), Error: fmt.Sprintf(format, args...)})
		}
		if e.Key == "" {
			fail("the entry has no %s", pl.src.Attributes.ExternalID)
			continue
		}
		if present[e.Key] {
			fail("two entries have the %s %s", pl.src.Attributes.ExternalID, e.Key)
			continue
		}
		if e.Disabled {
			continue // a disabled account counts as gone
		}
		present[e.Key] = true
		d, err := want(pl.src, e, pl.region)
		if err != nil {
			fail("%v", err)
			continue
		}
		link, linked := links[e.Key]
		person, err := pl.match(ctx, d, link, linked)
		if err != nil {
			fail("%v", err)
			continue
		}
		if person == nil {
			p.changes = append(p.changes, pl.createChange(ctx, d))
			p.wants[e.Key] = d
			continue
		}
		if other, dup := claimed[person.ID]; dup {
			fail("person %d matches this entry and %s", person.ID, other)
			continue
		}
		claimed[person.ID] = e.Key
		ch := frontdesk.DirectoryChange{Action: frontdesk.ChangeUpdate, Key: e.Key, DN: e.DN, PersonID: person.ID, Name: person.FullName()}
		switch person.State {
		case frontdesk.StateDisabled:
			if !linked || !link.DisabledBySync {
				// Staff disabled them: the directory does not overrule that.
				p.unchanged++
				p.relink = append(p.relink, store.DirectoryLink{PersonID: person.ID, Key: e.Key, DN: e.DN})
				continue
			}
			ch.Action = frontdesk.ChangeEnable
			ch.Fields = append(ch.Fields, frontdesk.FieldChange{Field: "state", Old: string(person.State), New: string(frontdesk.StateActive)})
		case frontdesk.StateTrashed, frontdesk.StateBanned:
			fail("person %d is %s; staff decide about them", person.ID, person.State)
			continue
		}
		fields := pl.diff(ctx, person, d)
		if person.Role == frontdesk.RoleOwner {
			// The owner role moves only by the owner's hand-over (P2): no rule changes it.
			fields = slices.DeleteFunc(fields, func(f frontdesk.FieldChange) bool { return f.Field == "role" })
			d.role = person.Role
		}
		ch.Fields = append(ch.Fields, fields...)
		if len(ch.Fields) == 0 {
			p.unchanged++
			if !linked || link.DN != e.DN || link.PersonID != person.ID {
				p.relink = append(p.relink, store.DirectoryLink{PersonID: person.ID, Key: e.Key, DN: e.DN})
			}
			continue
		}
		p.changes = append(p.changes, ch)
		p.wants[e.Key] = d
	}

	// People this source created or matched whom the directory no longer returns.
	var gone []store.DirectoryLink
	for key, l := range links {
		if !present[key] {
			gone = append(gone, l)
		}
	}
	slices.SortFunc(gone, func(a, b store.DirectoryLink) int { return strings.Compare(a.Key, b.Key) })
	for _, l := range gone {
		person, err := pl.db.GetPerson(ctx, l.PersonID)
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		ch := frontdesk.DirectoryChange{Action: frontdesk.ChangeDisable, Key: l.Key, DN: l.DN, PersonID: person.ID, Name: person.FullName(),
			Fields: []frontdesk.FieldChange{{Field: "state", Old: string(person.State), New: string(frontdesk.StateDisabled)}}}
		switch {
		case person.State == frontdesk.StateDisabled || person.State == frontdesk.StateBanned || person.State == frontdesk.StateTrashed:
			continue // out already
		case person.Role == frontdesk.RoleOwner:
			ch.Action, ch.Error = frontdesk.ChangeFail, fmt.Sprintf("person %d left the directory but is the owner, who stays active", person.ID)
		default:
			if err := frontdesk.Transition(person.State, frontdesk.StateDisabled); err != nil {
				ch.Action, ch.Error = frontdesk.ChangeFail, fmt.Sprintf("person %d left the directory but cannot be disabled: %v", person.ID, err)
			}
		}
		p.changes = append(p.changes, ch)
	}
	return p, nil
}

// match finds the person an entry stands for: the one linked to it, else by the source's
// matching field. Nil means nobody (create).
func (pl *planner) match(ctx context.Context, d *desired, link store.DirectoryLink, linked bool) (*frontdesk.Person, error) {
	if linked {
		p, err := pl.db.GetPerson(ctx, link.PersonID)
		if err == nil {
			return p, nil
		}
		if frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			return nil, err
		}
	}
	var p *frontdesk.Person
	var err error
	switch pl.src.MatchBy {
	case frontdesk.MatchEmail:
		if d.email == "" {
			return nil, fmt.Errorf("the entry has no %s to match by", pl.src.Attributes.Email)
		}
		p, err = pl.db.GetPersonByEmail(ctx, d.email)
	case frontdesk.MatchUsername:
		if d.username == "" {
			return nil, fmt.Errorf("the entry has no %s to match by", pl.src.Attributes.Username)
		}
		p, err = personByUsername(ctx, pl.db, d.username)
	default:
		var id int64
		id, err = pl.db.PersonIDByExternalID(ctx, d.externalID)
		if err == nil {
			p, err = pl.db.GetPerson(ctx, id)
		}
	}
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return nil, nil
	}
	return p, err
}

// createChange lists the fields of a person to create.
func (pl *planner) createChange(ctx context.Context, d *desired) frontdesk.DirectoryChange {
	ch := frontdesk.DirectoryChange{Action: frontdesk.ChangeCreate, Key: d.entry.Key, DN: d.entry.DN,
		Name: frontdesk.FullName(d.first, "", d.last)}
	add := func(field, v string) {
		if v != "" {
			ch.Fields = append(ch.Fields, frontdesk.FieldChange{Field: field, New: v})
		}
	}
	add("first_name", d.first)
	add("last_name", d.last)
	add("email", d.email)
	add("phone", d.phone)
	if pl.src.MatchBy == frontdesk.MatchExternalID {
		add("external_id", d.externalID)
	}
	if pl.src.Attributes.Username != "" {
		add("username", d.username)
	}
	if d.setOrg {
		add("organization", pl.orgName(ctx, d.org, false))
		add("site", pl.orgName(ctx, d.site, true))
	}
	add("role", string(d.role))
	return ch
}

// diff lists the fields of person that the directory would change.
func (pl *planner) diff(ctx context.Context, p *frontdesk.Person, d *desired) []frontdesk.FieldChange {
	var out []frontdesk.FieldChange
	add := func(field, old, v string) {
		if old != v {
			out = append(out, frontdesk.FieldChange{Field: field, Old: old, New: v})
		}
	}
	a := pl.src.Attributes
	if (a.GivenName != "" || a.Surname != "" || a.Name != "") && (d.first != "" || d.last != "") {
		add("first_name", p.FirstName, d.first)
		add("last_name", p.LastName, d.last)
	}
	if d.email != "" {
		add("email", p.PrimaryEmail(), d.email)
	}
	if d.phone != "" {
		old := ""
		if len(p.Phones) > 0 {
			old = p.Phones[0].Number
		}
		add("phone", old, d.phone)
	}
	if pl.src.MatchBy == frontdesk.MatchExternalID {
		add("external_id", p.ExternalID, d.externalID)
	}
	if a.Username != "" && d.username != "" {
		add("username", personUsername(p), d.username)
	}
	if d.setOrg {
		org := d.org
		if org == nil && d.site != nil {
			if s, err := pl.db.GetSite(ctx, *d.site); err == nil {
				org = &s.OrganizationID
			}
		}
		add("organization", pl.orgName(ctx, p.OrganizationID, false), pl.orgName(ctx, org, false))
		add("site", pl.orgName(ctx, p.SiteID, true), pl.orgName(ctx, d.site, true))
	}
	add("role", string(p.Role), string(d.role))
	return out
}
