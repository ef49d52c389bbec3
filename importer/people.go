package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
)

// People files (B1): one row per person, matched to existing people by the upsert key.

// Columns of a people file.
const (
	colName         = "name"
	colEmail        = "email"
	colPhone        = "phone"
	colOrganization = "organization"
	colSite         = "site"
	colExternalID   = "external_id"
	colFirstName    = "first_name"
	colLastName     = "last_name"
	colUsername     = "username"
	colTimezone     = "timezone"
	colLocale       = "locale"
	colNotes        = "notes"
	colWebAccess    = "web_access"
	colMachine      = "machine"
	colDoNotEmail   = "do_not_email"
)

// PeopleRequired are the columns every people file has (the key column too, when it is
// username).
var PeopleRequired = []string{colName, colEmail, colPhone, colOrganization, colSite, colExternalID}

// PeopleOptional are the other columns a people file may have, besides custom fields by key.
var PeopleOptional = []string{colFirstName, colLastName, colUsername, colTimezone, colLocale, colNotes, colWebAccess, colMachine, colDoNotEmail}

type peopleProc struct {
	h        *header
	keyCol   string
	rules    frontdesk.Rules
	welcome  bool
	actor    frontdesk.Actor
	orgs     map[string]int64 // organization name as written -> id, 0 when there is none
	sites    map[siteKey]int64
	importAt int64 // when the import was created (micros), to tell its own creations
}

type siteKey struct {
	org  int64
	name string
}

func newPeopleProc(ctx context.Context, r *run) (*peopleProc, error) {
	s, err := r.im.db.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	fields, err := r.im.db.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	key := r.imp.Options.Key
	if key == "" {
		key = string(s.ImportKey)
	}
	if key == "" {
		key = string(frontdesk.ImportKeyEmail)
	}
	region := "US"
	if r.im.flows != nil && r.im.flows.PhoneRegion != "" {
		region = r.im.flows.PhoneRegion
	}
	return &peopleProc{keyCol: key, rules: frontdesk.Rules{PhoneRegion: region, CustomFields: fields},
		welcome: r.imp.Options.SendWelcome || s.WelcomeOnCreate, actor: frontdesk.ActorFrom(ctx),
		orgs: map[string]int64{}, sites: map[siteKey]int64{}, importAt: r.rec.CreatedAt.UnixMicro()}, nil
}

func (pp *peopleProc) setHeader(h *header) { pp.h = h }

func (pp *peopleProc) known(n string) bool {
	if slices.Contains(PeopleRequired, n) || slices.Contains(PeopleOptional, n) {
		return true
	}
	_, ok := pp.rules.CustomFields[n]
	return ok
}

func (pp *peopleProc) required() []string {
	if slices.Contains(PeopleRequired, pp.keyCol) {
		return PeopleRequired
	}
	return append(slices.Clone(PeopleRequired), pp.keyCol)
}

// key returns the row's key in its stored form: a normalized address, an external id as
// trimmed, a username in lower case.
func (pp *peopleProc) key(cells []string) (string, string, bool) {
	k, err := pp.keyOf(cells)
	return k, pp.keyCol, err == nil
}

func (pp *peopleProc) keyOf(cells []string) (string, error) {
	v, _ := pp.h.cell(cells, pp.keyCol)
	if v == "" {
		return "", fmt.Errorf("is empty; it is the import's key, which finds or creates the person")
	}
	switch pp.keyCol {
	case colEmail:
		return frontdesk.NormalizeEmail(v)
	case colUsername:
		return frontdesk.NormalizeUsername(v)
	}
	return v, nil
}

// item is one row of a batch on its way in.
type item struct {
	rec      record
	key      string
	p        *frontdesk.Person
	existing *frontdesk.Person
	keyErr   error
	drop     bool
}

func (pp *peopleProc) apply(ctx context.Context, r *run, batch []record, b *batchState) error {
	db := r.im.db
	var items []*item
	for _, rec := range batch {
		if rec.err != nil {
			b.reject(rec, "", fmt.Sprintf("the row cannot be read as CSV: %v", rec.err))
			continue
		}
		k, err := pp.keyOf(rec.cells)
		items = append(items, &item{rec: rec, key: k, keyErr: err})
	}
	// One query for the people of the batch by key, and one for everything else that must
	// be unique: addresses and external ids held by someone else.
	keys := make([]string, 0, len(items))
	var emails, externals, usernames []string
	for _, it := range items {
		if it.keyErr == nil {
			keys = append(keys, it.key)
		}
		if pp.keyCol != colEmail {
			if v, _ := pp.h.cell(it.rec.cells, colEmail); v != "" {
				if n, err := frontdesk.NormalizeEmail(v); err == nil {
					emails = append(emails, n)
				}
			}
		}
		if pp.keyCol != colExternalID {
			if v, _ := pp.h.cell(it.rec.cells, colExternalID); v != "" {
				externals = append(externals, v)
			}
		}
		if pp.keyCol != colUsername {
			if v, _ := pp.h.cell(it.rec.cells, colUsername); v != "" {
				if n, err := frontdesk.NormalizeUsername(v); err == nil && n != "" {
					usernames = append(usernames, n)
				}
			}
		}
	}
	owners, err := pp.owners(ctx, r, pp.keyCol, keys)
	if err != nil {
		return err
	}
	emailOwners, err := pp.owners(ctx, r, colEmail, emails)
	if err != nil {
		return err
	}
	extOwners, err := pp.owners(ctx, r, colExternalID, externals)
	if err != nil {
		return err
	}
	userOwners, err := pp.owners(ctx, r, colUsername, usernames)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(owners))
	for _, id := range owners {
		ids = append(ids, id)
	}
	people, err := db.PeopleByID(ctx, ids)
	if err != nil {
		return err
	}
	if err := pp.resolvePlaces(ctx, r, items); err != nil {
		return err
	}

	// Validate each row as the console would a person typed in.
	for _, it := range items {
		if it.keyErr != nil {
			// Without a key the row is rejected; its other problems are reported with it.
			b.reject(it.rec, pp.keyCol, it.keyErr.Error())
			if _, err := pp.build(it.rec.cells, nil); err != nil {
				if err := b.problems(it.rec, err, personColumn(pp.rules), pp.keyCol); err != nil {
					return err
				}
			}
			it.drop = true
			continue
		}
		if id, ok := owners[it.key]; ok {
			it.existing = people[id]
		}
		p, err := pp.build(it.rec.cells, it.existing)
		if err != nil {
			if err := b.problems(it.rec, err, personColumn(pp.rules)); err != nil {
				return err
			}
			it.drop = true
			continue
		}
		it.p = p
	}
	// A key repeated in the batch: the later valid row wins.
	last := map[string]*item{}
	for _, it := range items {
		if it.drop {
			continue
		}
		if prev, ok := last[it.key]; ok {
			prev.drop = true
			b.reject(prev.rec, pp.keyCol, fmt.Sprintf("superseded by line %d, which has the same %s", it.rec.line, pp.keyCol))
		}
		last[it.key] = it
	}
	// What must be unique is checked against the database and the rest of the batch.
	takenEmail, takenExt, takenUser := map[string]int{}, map[string]int{}, map[string]int{}
	for _, it := range items {
		if it.drop {
			continue
		}
		self := int64(0)
		if it.existing != nil {
			self = it.existing.ID
		}
		var reason, column string
		for _, e := range it.p.Emails {
			if o, ok := emailOwners[e.Address]; ok && o != self {
				reason, column = fmt.Sprintf("the address %s already belongs to person %d", e.Address, o), colEmail
			} else if l, ok := takenEmail[e.Address]; ok {
				reason, column = fmt.Sprintf("the address %s is also on line %d", e.Address, l), colEmail
			}
		}
		if x := it.p.ExternalID; x != "" && reason == "" {
			if o, ok := extOwners[x]; ok && o != self {
				reason, column = fmt.Sprintf("the external id %q already belongs to person %d", x, o), colExternalID
			} else if l, ok := takenExt[x]; ok {
				reason, column = fmt.Sprintf("the external id %q is also on line %d", x, l), colExternalID
			}
		}
		if u := it.p.Username; u != "" && reason == "" {
			if o, ok := userOwners[u]; ok && o != self {
				reason, column = fmt.Sprintf("the username %q already belongs to person %d", u, o), colUsername
			} else if l, ok := takenUser[u]; ok {
				reason, column = fmt.Sprintf("the username %q is also on line %d", u, l), colUsername
			}
		}
		if reason != "" {
			b.reject(it.rec, column, reason)
			it.drop = true
			continue
		}
		for _, e := range it.p.Emails {
			takenEmail[e.Address] = it.rec.line
		}
		if it.p.ExternalID != "" {
			takenExt[it.p.ExternalID] = it.rec.line
		}
		if it.p.Username != "" {
			takenUser[it.p.Username] = it.rec.line
		}
	}

	var creates, updates []*frontdesk.Person
	for _, it := range items {
		if it.drop {
			continue
		}
		o := outCreated
		if it.existing != nil {
			o = outUnchanged
			if changed(it.existing, it.p) {
				o = outUpdated
			}
		}
		createdHere := it.existing != nil && it.existing.Channel == frontdesk.ChannelImport && it.existing.CreatedAt.UnixMicro() >= pp.importAt
		o, err := r.landed(ctx, b, it.key, pp.keyCol, it.rec.line, o, func(line int) (outcome, error) {
			return r.resolveEarlier(ctx, line, createdHere)
		})
		if err != nil {
			return err
		}
		b.count(o)
		switch {
		case it.existing == nil:
			creates = append(creates, it.p)
		case changed(it.existing, it.p):
			updates = append(updates, it.p)
		}
	}
	// Updates first: an address one person of the batch gives up may go to a new one.
	if err := db.BulkUpdatePeople(ctx, updates); err != nil {
		return err
	}
	if err := db.BulkInsertPeople(ctx, creates); err != nil {
		return err
	}
	if pp.welcome && r.im.flows != nil {
		for _, p := range creates {
			if p.Machine || p.Role != frontdesk.RoleContact || p.WebAccess == frontdesk.WebAccessNone || p.PrimaryEmail() == "" {
				continue
			}
			// E2: the welcome mail is queued in the batch's transaction.
			if err := r.im.flows.SendWelcome(ctx, p.ID); err != nil {
				return fmt.Errorf("welcome email to person %d: %w", p.ID, err)
			}
		}
	}
	return nil
}

func (pp *peopleProc) owners(ctx context.Context, r *run, key string, values []string) (map[string]int64, error) {
	if len(values) == 0 {
		return map[string]int64{}, nil
	}
	return r.im.db.PersonOwners(ctx, key, values)
}

// resolvePlaces looks up the organizations and sites the batch names that are not known yet,
// one query per kind (and organization).
func (pp *peopleProc) resolvePlaces(ctx context.Context, r *run, items []*item) error {
	if len(pp.orgs) > 100000 || len(pp.sites) > 100000 {
		pp.orgs, pp.sites = map[string]int64{}, map[siteKey]int64{} // bound memory
	}
	var names []string
	for _, it := range items {
		if n, _ := pp.h.cell(it.rec.cells, colOrganization); n != "" {
			if _, ok := pp.orgs[n]; !ok && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) > 0 {
		found, err := r.im.db.OrganizationIDsByName(ctx, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			pp.orgs[n] = found[n]
		}
	}
	want := map[int64][]string{}
	for _, it := range items {
		org := pp.orgs[cellOf(pp.h, it.rec.cells, colOrganization)]
		if org == 0 && it.existing != nil && it.existing.OrganizationID != nil {
			org = *it.existing.OrganizationID
		}
		s := cellOf(pp.h, it.rec.cells, colSite)
		if org == 0 || s == "" {
			continue
		}
		if _, ok := pp.sites[siteKey{org, s}]; !ok && !slices.Contains(want[org], s) {
			want[org] = append(want[org], s)
		}
	}
	for org, names := range want {
		found, err := r.im.db.SiteIDsByName(ctx, org, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			pp.sites[siteKey{org, n}] = found[n]
		}
	}
	return nil
}

func cellOf(h *header, cells []string, col string) string {
	v, _ := h.cell(cells, col)
	return v
}

// build returns the person a row describes: a new one, or existing as the row changes them.
// Empty cells change nothing.
func (pp *peopleProc) build(cells []string, existing *frontdesk.Person) (*frontdesk.Person, error) {
	var probs frontdesk.Problems
	var in frontdesk.PersonInput
	get := func(col string) (string, bool) {
		v, _ := pp.h.cell(cells, col)
		return v, v != ""
	}
	str := func(col string) *string {
		if v, ok := get(col); ok {
			return &v
		}
		return nil
	}
	creating := existing == nil
	var p *frontdesk.Person
	if creating {
		p = frontdesk.NewPerson(frontdesk.ChannelImport)
	} else {
		p = clone(existing)
	}

	first, last := str(colFirstName), str(colLastName)
	if first != nil || last != nil {
		in.FirstName, in.LastName = first, last
	} else {
		in.Name = str(colName)
	}
	if creating && in.Name == nil && first == nil && last == nil {
		probs.Add(colName, "is required")
	}
	if v, ok := get(colEmail); ok {
		n, err := frontdesk.NormalizeEmail(v)
		switch {
		case err != nil:
			probs.Add(colEmail, "%v", err)
		case creating:
			in.Emails = &[]frontdesk.Email{{Address: n, Primary: true}}
		case !slices.ContainsFunc(p.Emails, func(e frontdesk.Email) bool { return e.Address == n }):
			// A new address replaces the primary one, unconfirmed; the others stay.
			list := []frontdesk.Email{{Address: n, Primary: true}}
			for _, e := range p.Emails {
				if !e.Primary {
					list = append(list, e)
				}
			}
			in.Emails = &list
		}
	} else if creating && pp.keyCol == colEmail {
		probs.Add(colEmail, "is required")
	}
	if v, ok := get(colPhone); ok {
		n, err := frontdesk.NormalizePhone(v, pp.rules.PhoneRegion)
		switch {
		case err != nil:
			probs.Add(colPhone, "%v", err)
		case !slices.ContainsFunc(p.Phones, func(ph frontdesk.Phone) bool { return ph.Number == n }):
			// The file's number becomes the first; the person's other numbers stay.
			list := []frontdesk.Phone{{Number: n}}
			if len(p.Phones) > 0 {
				list[0].Label = p.Phones[0].Label
				list = append(list, p.Phones[1:]...)
			}
			in.Phones = &list
		}
	}
	in.ExternalID, in.Timezone, in.Locale, in.Notes = str(colExternalID), str(colTimezone), str(colLocale), str(colNotes)
	in.Username = str(colUsername)
	if v, ok := get(colWebAccess); ok {
		w := frontdesk.WebAccess(strings.ToLower(v))
		in.WebAccess = &w
	}
	boolean := func(col string, dst **bool) {
		if v, ok := get(col); ok {
			b, err := parseBool(v)
			if err != nil {
				probs.Add(col, "%v", err)
				return
			}
			*dst = &b
		}
	}
	boolean(colMachine, &in.Machine)
	boolean(colDoNotEmail, &in.DoNotEmail)
	for key, def := range pp.rules.CustomFields {
		if !pp.h.has(key) || slices.Contains(PeopleRequired, key) || slices.Contains(PeopleOptional, key) {
			continue
		}
		v, ok := get(key)
		if !ok {
			continue
		}
		if in.Custom == nil {
			in.Custom = map[string]any{}
		}
		in.Custom[key] = customValue(def, v)
	}

	// Organization and site are names of existing ones (B1).
	org, site := cellOf(pp.h, cells, colOrganization), cellOf(pp.h, cells, colSite)
	var orgID int64
	switch {
	case org != "":
		if orgID = pp.orgs[org]; orgID == 0 {
			probs.Add(colOrganization, "there is no organization named %q; import organizations first", org)
		}
	case creating:
		probs.Add(colOrganization, "is required")
	case existing.OrganizationID != nil:
		orgID = *existing.OrganizationID
	}
	switch {
	case site != "" && orgID != 0:
		siteID := pp.sites[siteKey{orgID, site}]
		switch {
		case siteID == 0:
			probs.Add(colSite, "organization %q has no site named %q", orgNameFor(org, orgID), site)
		case creating || !sameID(existing.OrganizationID, orgID) || !sameID(existing.SiteID, siteID):
			in.OrganizationID, in.SiteID = frontdesk.RefTo(orgID), frontdesk.RefTo(siteID)
		}
	case site != "" && org == "" && !probs.Has(colOrganization):
		probs.Add(colOrganization, "is required with a site")
	case site == "" && creating:
		probs.Add(colSite, "is required")
	case site == "" && orgID != 0 && (existing.OrganizationID == nil || *existing.OrganizationID != orgID):
		probs.Add(colSite, "is required when the organization changes")
	}

	// Staff are changed only by someone above them (R3), and an import makes contacts only.
	if !creating && existing.Role.IsStaff() && !pp.actor.System && !pp.actor.Role.Outranks(existing.Role) {
		probs.Add(pp.keyCol, "person %d is a %s; an import by a %s changes only people below them", existing.ID, existing.Role, pp.actor.RoleName())
	}
	if len(probs) > 0 {
		// Report the domain's problems too, so that a row is fixed in one go.
		check := clone(p)
		if err, ok := frontdesk.ApplyPerson(check, in, pp.rules).(*frontdesk.Error); ok {
			for _, f := range err.Fields {
				if !probs.Has(f.Field) {
					probs = append(probs, f)
				}
			}
		}
		return nil, probs.Err()
	}
	if err := frontdesk.ApplyPerson(p, in, pp.rules); err != nil {
		return nil, err
	}
	if in.OrganizationID.Set {
		p.OrganizationSource = frontdesk.OrgSourceImport
	}
	if creating {
		// As a person typed in by staff: an address nobody vouched for is confirmed by mail;
		// a machine contact's need no confirming (P6), as CreatePerson does.
		for i := range p.Emails {
			p.Emails[i].Verified = p.Machine
		}
		p.State = frontdesk.InitialState(p)
	}
	return p, nil
}

func sameID(a *int64, b int64) bool { return a != nil && *a == b }

func orgNameFor(name string, id int64) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("%d", id)
}

// customValue turns a cell into the value a custom field of its type takes; what does not
// parse is passed as text, for the field's own check to refuse with its message.
func customValue(def *frontdesk.CustomField, v string) any {
	switch def.Type {
	case frontdesk.FieldNumber:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case frontdesk.FieldCheckbox:
		if b, err := parseBool(v); err == nil {
			return b
		}
	}
	return v
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "y", "1", "x":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no (true/false, 1/0)", v)
}

// personColumn names the file's column of a field the domain's validation names.
func personColumn(rules frontdesk.Rules) func(string) string {
	return func(field string) string {
		switch {
		case strings.HasPrefix(field, "emails"):
			return colEmail
		case strings.HasPrefix(field, "phones"):
			return colPhone
		case strings.HasPrefix(field, "custom."):
			return strings.TrimPrefix(field, "custom.")
		case field == "organization_id":
			return colOrganization
		case field == "site_id":
			return colSite
		}
		return field
	}
}

func clone(p *frontdesk.Person) *frontdesk.Person {
	b, _ := json.Marshal(p)
	var c frontdesk.Person
	json.Unmarshal(b, &c)
	return &c
}

// changed reports whether the row changed the person.
func changed(a, b *frontdesk.Person) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt = b.UpdatedAt, b.UpdatedAt
	ja, _ := json.Marshal(&x)
	jb, _ := json.Marshal(&y)
	return string(ja) != string(jb)
}
