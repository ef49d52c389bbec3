package web

// The console's people list and profile editor: what the API's people list, suggestions and
// PATCH let staff do, on pages. Searching reads the store; saving goes through
// flow.UpdatePerson, the one path that holds the permission, rank and address checks.

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// personRow is one person in the list, with their organization's name.
type personRow struct {
	*frontdesk.Person
	Organization string
}

type peopleView struct {
	*page
	Q, State, Kind, Role string
	States               []frontdesk.State
	Roles                []frontdesk.Role
	Channels             []frontdesk.Channel
	// Orgs offers the organizations in a list; when there are too many for one (OrgByID),
	// the form asks for an id. Sites are those of the organization chosen.
	Orgs     []*frontdesk.Organization
	OrgByID  bool
	Sites    []*frontdesk.Site
	Fields   []*frontdesk.CustomField
	Segments []*frontdesk.Segment
	// Segment is the id of the saved segment applied, "" when none.
	Segment string
	// Filter is the filter in force, as the fields "Save as segment" posts.
	Filter []filterParam
	People []personRow
	// Rows is the table's body, written in Go (see rowsHTML).
	Rows template.HTML
	// Searching marks a search's answer; Filtered says a filter narrows the list.
	Searching, Filtered bool
	// Next is the link to the following page, "" on the last.
	Next string
}

// filterParam is one name and value of a filter in a form.
type filterParam struct{ Name, Value string }

// filterKeys are the query parameters of the directory's filters (L7), besides cf.KEY.
var filterKeys = []string{"state", "kind", "role", "organization_id", "site_id", "channel", "without_login", "email"}

// people is the people directory, for staff with people.read: a search by the start of a
// name or an address (P5, C14's autosuggest), every filter of L7, a saved segment's filter,
// one page at a time.
func (s *Server) people(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	v, status, err := s.directory(r, r.URL.Query())
	if err != nil {
		status = s.fail(r, v.page, err)
	}
	s.render(w, status, "people", v)
}

// directory fills the directory's page for the query q. A segment=ID in q stands for that
// segment's filter, in place of any other filter in q. Its status is the page's on success.
func (s *Server) directory(r *http.Request, q url.Values) (peopleView, int, error) {
	ctx := r.Context()
	v := peopleView{page: s.basePage(r, "People"), States: frontdesk.States, Roles: frontdesk.Roles, Channels: frontdesk.Channels}
	var err error
	if v.Segments, err = s.db.ListSegments(ctx); err != nil {
		return v, 0, err
	}
	if sid := q.Get("segment"); sid != "" {
		id, perr := strconv.ParseInt(sid, 10, 64)
		seg, gerr := s.db.GetSegment(ctx, id)
		if perr != nil || gerr != nil {
			if gerr != nil && frontdesk.ErrorCode(gerr) != frontdesk.ENotFound {
				return v, 0, gerr
			}
			return v, 0, frontdesk.InvalidField("segment", "there is no such segment; it may have been deleted")
		}
		eff := seg.Filter.Query()
		for _, k := range []string{"q", "after", "segment"} {
			if vs, ok := q[k]; ok {
				eff[k] = vs
			}
		}
		q, v.Segment = eff, sid
	}
	v.Q, v.State, v.Kind, v.Role = q.Get("q"), q.Get("state"), q.Get("kind"), q.Get("role")
	for k, vs := range q {
		if k != "after" && k != "segment" && len(vs) > 0 {
			v.Values[k] = vs[0] // the form keeps the search and the filters
		}
		if k != "q" && k != "after" && k != "segment" && (slices.Contains(filterKeys, k) || strings.HasPrefix(k, "cf.")) {
			for _, val := range vs {
				if val != "" {
					v.Filter = append(v.Filter, filterParam{k, val})
				}
			}
		}
	}
	slices.SortFunc(v.Filter, func(a, b filterParam) int { return strings.Compare(a.Name, b.Name) })
	if err := s.filterChoices(r, &v); err != nil {
		return v, 0, err
	}
	if err := s.listPeople(r, q, &v); err != nil {
		return v, 0, err
	}
	return v, http.StatusOK, nil
}

// filterChoices loads what the filter form offers: organizations, the chosen one's sites and
// the custom fields.
func (s *Server) filterChoices(r *http.Request, v *peopleView) error {
	ctx := r.Context()
	orgs, next, err := s.db.ListOrganizationNames(ctx, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		return err
	}
	v.Orgs, v.OrgByID = orgs, next != 0
	if org, err := strconv.ParseInt(v.Values["organization_id"], 10, 64); err == nil && org > 0 {
		if v.Sites, _, err = s.db.ListSites(ctx, org, frontdesk.Page{Limit: frontdesk.MaxPageSize}); err != nil {
			return err
		}
	}
	v.Fields, err = s.db.ListCustomFields(ctx)
	return err
}

// saveSegment stores the directory's filters under a name (L7), as POST /api/v1/segments
// does: the same checks, the same permission (people.read), the same store call.
func (s *Server) saveSegment(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	if err := r.ParseForm(); err != nil {
		v := peopleView{page: s.basePage(r, "People")}
		s.render(w, s.fail(r, v.page, frontdesk.Errorf(frontdesk.EMalformed, "the form could not be read")), "message", messageView{page: v.page})
		return
	}
	q := url.Values{}
	for k, vs := range r.PostForm {
		if k == "q" || slices.Contains(filterKeys, k) || strings.HasPrefix(k, "cf.") {
			q[k] = vs
		}
	}
	seg, err := s.createSegment(r, q, r.PostFormValue("segment_name"))
	if err == nil {
		back := url.Values{"segment": {strconv.FormatInt(seg.ID, 10)}}
		if t := q.Get("q"); t != "" {
			back.Set("q", t)
		}
		http.Redirect(w, r, "/console/people?"+back.Encode(), http.StatusSeeOther)
		return
	}
	v, _, lerr := s.directory(r, q)
	v.Values["segment_name"] = r.PostFormValue("segment_name")
	if lerr != nil {
		err = lerr
	}
	s.render(w, s.fail(r, v.page, err), "people", v)
}

// createSegment checks and stores a segment of the filters in q; the field of a name's
// error is the form's.
func (s *Server) createSegment(r *http.Request, q url.Values, name string) (*frontdesk.Segment, error) {
	fields, err := s.db.CustomFieldMap(r.Context())
	if err != nil {
		return nil, err
	}
	f, err := frontdesk.ParsePersonFilter(q, fields)
	if err != nil {
		return nil, err
	}
	seg := &frontdesk.Segment{}
	err = frontdesk.ApplySegment(seg, frontdesk.SegmentInput{Name: &name, Filter: &f}, fields)
	if err == nil {
		err = s.db.CreateSegment(r.Context(), seg)
	}
	var e *frontdesk.Error
	if errors.As(err, &e) {
		out := *e
		out.Fields = nil
		for _, fe := range e.Fields {
			if fe.Field == "name" {
				fe.Field = "segment_name"
			}
			out.Fields = append(out.Fields, fe)
		}
		return nil, &out
	}
	return seg, err
}

func (s *Server) listPeople(r *http.Request, q url.Values, v *peopleView) error {
	ctx := r.Context()
	fields, err := s.db.CustomFieldMap(ctx)
	if err != nil {
		return err
	}
	f, ferr := frontdesk.ParsePersonFilter(q, fields)
	var probs frontdesk.Problems
	if fe, ok := ferr.(*frontdesk.Error); ok {
		probs = fe.Fields
	} else if ferr != nil {
		return ferr
	}
	v.Q = frontdesk.CleanText(&probs, "q", v.Q, 254, frontdesk.OneLine)
	after := q.Get("after")
	var afterID int64
	if after != "" && v.Q == "" {
		if afterID, err = strconv.ParseInt(after, 10, 64); err != nil || afterID < 0 {
			probs.Add("after", "must be the cursor of a page")
		}
	}
	if v.Q != "" && after != "" {
		if _, err := store.ParseSearchCursor(after); err != nil {
			probs.Add("after", "must be the cursor of a page")
		}
	}
	if err := probs.Err(); err != nil {
		return err
	}
	v.Filtered = !reflect.DeepEqual(f, frontdesk.PersonFilter{})
	// A search and a list both take every filter and go page by page (L7, P5).
	var found []*frontdesk.Person
	var next string
	if v.Q != "" {
		v.Searching = true
		if found, next, err = s.db.SearchPeopleBrief(ctx, v.Q, f, after, frontdesk.DefaultPageSize); err != nil {
			return err
		}
	} else {
		var n int64
		if found, n, err = s.db.ListPeopleBrief(ctx, f, frontdesk.Page{After: afterID, Limit: frontdesk.DefaultPageSize}); err != nil {
			return err
		}
		if n != 0 {
			next = strconv.FormatInt(n, 10)
		}
	}
	if next != "" {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		if v.Segment != "" {
			nq = url.Values{"segment": {v.Segment}}
			if v.Q != "" {
				nq.Set("q", v.Q)
			}
		}
		nq.Set("after", next)
		v.Next = "/console/people?" + nq.Encode()
	}
	// The organizations' names come from the filter's choices, and those not among them
	// from one statement for the page.
	orgs := make(map[int64]string, len(v.Orgs))
	for _, o := range v.Orgs {
		orgs[o.ID] = o.Name
	}
	var missing []int64
	for _, p := range found {
		if id := p.OrganizationID; id != nil {
			if _, ok := orgs[*id]; !ok && !slices.Contains(missing, *id) {
				missing = append(missing, *id)
			}
		}
	}
	if len(missing) > 0 {
		names, err := s.db.OrganizationNames(ctx, missing)
		if err != nil {
			return err
		}
		for id, name := range names {
			orgs[id] = name
		}
	}
	for _, p := range found {
		row := personRow{Person: p}
		if p.OrganizationID != nil {
			row.Organization = orgs[*p.OrganizationID]
		}
		v.People = append(v.People, row)
	}
	v.Rows = rowsHTML(v.People)
	return nil
}

// rowsHTML writes the directory's rows. A page of 50 rows through html/template costs
// about 0.4 ms of CPU in its reflective calls, a fifth of the page's cost at a million
// people; every value here is escaped with html.EscapeString.
func rowsHTML(rows []personRow) template.HTML {
	var b strings.Builder
	for _, r := range rows {
		id := strconv.FormatInt(r.ID, 10)
		label := r.FullName()
		if label == "" {
			label = r.PrimaryEmail()
		}
		if label == "" {
			label = "Person " + id
		}
		b.WriteString(`<tr data-person="` + id + `"><td><a href="/console/people/` + id + `">` + html.EscapeString(label) + "</a></td>\n<td>" +
			html.EscapeString(r.PrimaryEmail()) + "</td><td>" + html.EscapeString(string(r.Role)) + "</td><td>" +
			html.EscapeString(string(r.State)) + "</td><td>" + html.EscapeString(r.Organization) + "</td></tr>")
	}
	return template.HTML(b.String())
}

type personEditView struct {
	*page
	Person *frontdesk.Person
	// Label names the person in the title and the link back.
	Label string
	// Orgs offers the organizations in a list; when there are too many for one (OrgByID),
	// the form asks for an id instead.
	Orgs            []*frontdesk.Organization
	OrgByID         bool
	WebAccessLevels []frontdesk.WebAccess
	// Sites are those of the person's organization; Fields the custom fields (P4).
	Sites  []*frontdesk.Site
	Fields []*frontdesk.CustomField
	// Addresses are the postal address blocks: the person's, then one empty for a new one.
	Addresses []addressBlock
}

// addressBlock is one postal address in the form: its index in field names, its number as
// shown, and whether it is the empty one for a new address.
type addressBlock struct {
	Index, Number int
	New           bool
}

func (v *personEditView) addBlocks(upTo int) {
	for i := len(v.Addresses); i <= upTo; i++ {
		v.Addresses = append(v.Addresses, addressBlock{Index: i, Number: i + 1})
	}
	for i := range v.Addresses {
		v.Addresses[i].New = i == len(v.Addresses)-1
	}
}

// addressParts are the fields of a postal address block, named addresses[N].PART as the
// flow names their errors.
var addressParts = []string{"label", "street", "city", "region", "postal_code", "country"}

// editFields are the form's fields, in the order the page shows them.
var editFields = []string{"name", "preferred_name", "email", "other_emails", "phones", "organization_id", "site_id", "username", "external_id", "timezone", "locale", "web_access", "notes"}

// isEditField reports whether a form field is the editor's: a fixed one, a postal address
// part (addresses[N].PART) or a custom field (custom.KEY).
func isEditField(k string) bool {
	return slices.Contains(editFields, k) || strings.HasPrefix(k, "custom.") || strings.HasPrefix(k, "addresses[")
}

// profileValues is the person as the edit form shows them.
func profileValues(p *frontdesk.Person) map[string]string {
	var others, phones []string
	for _, e := range p.Emails {
		if !e.Primary {
			others = append(others, e.Address)
		}
	}
	for _, ph := range p.Phones {
		phones = append(phones, ph.Number)
	}
	v := map[string]string{
		"name": p.FullName(), "preferred_name": p.PreferredName, "email": p.PrimaryEmail(),
		"other_emails": strings.Join(others, "\n"), "phones": strings.Join(phones, "\n"),
		"timezone": p.Timezone, "locale": p.Locale, "web_access": string(p.WebAccess), "notes": p.Notes,
		"username": p.Username, "external_id": p.ExternalID,
	}
	if p.OrganizationID != nil {
		v["organization_id"] = strconv.FormatInt(*p.OrganizationID, 10)
	}
	if p.SiteID != nil {
		v["site_id"] = strconv.FormatInt(*p.SiteID, 10)
	}
	for i, a := range p.Addresses {
		for k, val := range addressValues(a) {
			v[fmt.Sprintf("addresses[%d].%s", i, k)] = val
		}
	}
	for k, val := range p.Custom {
		switch x := val.(type) {
		case float64:
			v["custom."+k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			v["custom."+k] = strconv.FormatBool(x)
		case string:
			v["custom."+k] = x
		default:
			v["custom."+k] = fmt.Sprint(x)
		}
	}
	return v
}

func addressValues(a frontdesk.PostalAddress) map[string]string {
	return map[string]string{"label": a.Label, "street": a.Street, "city": a.City, "region": a.Region,
		"postal_code": a.PostalCode, "country": a.Country}
}

// editPage loads the person and the organizations the form offers.
func (s *Server) editPage(r *http.Request) (personEditView, error) {
	v := personEditView{page: s.basePage(r, "Edit profile"), WebAccessLevels: frontdesk.WebAccessLevels}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, err := s.db.GetPerson(r.Context(), id)
	if err != nil {
		return v, err
	}
	v.Person, v.Label = p, personLabel(p)
	v.Title = "Edit " + v.Label
	orgs, next, err := s.db.ListOrganizations(r.Context(), frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		return v, err
	}
	v.Orgs, v.OrgByID = orgs, next != 0
	if p.OrganizationID != nil {
		if v.Sites, _, err = s.db.ListSites(r.Context(), *p.OrganizationID, frontdesk.Page{Limit: frontdesk.MaxPageSize}); err != nil {
			return v, err
		}
	}
	if v.Fields, err = s.db.ListCustomFields(r.Context()); err != nil {
		return v, err
	}
	v.addBlocks(len(p.Addresses))
	return v, nil
}

// personLabel names a person in titles and links: by name, else by address, else by id.
func personLabel(p *frontdesk.Person) string {
	if n := p.FullName(); n != "" {
		return n
	}
	if e := p.PrimaryEmail(); e != "" {
		return e
	}
	return fmt.Sprintf("person %d", p.ID)
}

func (s *Server) editPersonForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleUpdate) {
		return
	}
	v, err := s.editPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values = profileValues(v.Person)
	s.render(w, http.StatusOK, "person_edit", v)
}

// editPerson saves the fields the form changed through flow.UpdatePerson, which decides who
// may change whom (R3) and sends a confirmation to a new address (E1).
func (s *Server) editPerson(w http.ResponseWriter, r *http.Request) {
	// The page reads the person to see what changed; whether the viewer may change them is
	// the flow's to decide, not this handler's.
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	v, err := s.editPage(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	if err := r.ParseForm(); err != nil {
		s.render(w, s.fail(r, v.page, frontdesk.Errorf(frontdesk.EMalformed, "the form could not be read")), "message", messageView{page: v.page})
		return
	}
	before := v.Person
	current := profileValues(before)
	// A field the form did not send stays as it is.
	posted := map[string]string{}
	for k, vs := range r.PostForm {
		if isEditField(k) && len(vs) > 0 {
			// The last value: a checkbox follows a hidden "false" of the same name.
			posted[k] = strings.TrimSpace(strings.ReplaceAll(vs[len(vs)-1], "\r\n", "\n"))
		}
	}
	in, sources, err := changedInput(before, current, posted, v.Fields)
	if err == nil {
		_, err = s.flows.UpdatePerson(r.Context(), before.ID, in)
	}
	if err != nil {
		err = formError(err, sources, addressBlocks(posted))
		status := s.fail(r, v.page, err)
		if len(v.Errors) == 0 {
			back := "/console/people/" + strconv.FormatInt(before.ID, 10)
			s.render(w, status, "message", messageView{page: v.page, Link: &struct{ Href, Text string }{back, "Back to the person"}})
			return
		}
		for k, val := range current {
			if _, ok := posted[k]; !ok {
				posted[k] = val
			}
		}
		v.Values = posted
		// Every posted address block comes back, with one empty block after them.
		v.addBlocks(maxAddressBlock(posted) + 1)
		s.render(w, status, "person_edit", v)
		return
	}
	saved := "1"
	if in.Emails != nil && !before.Machine && !before.DoNotEmail && hasNewAddress(before, *in.Emails) {
		saved = "address"
	}
	http.Redirect(w, r, "/console/people/"+strconv.FormatInt(before.ID, 10)+"?saved="+saved, http.StatusSeeOther)
}

// changedInput builds the update from the fields whose posted value differs from the
// person's, so that a field nobody touched is not written back. sources names the form field
// each address of in.Emails came from, to put its errors beside it.
func changedInput(p *frontdesk.Person, current, posted map[string]string, fields []*frontdesk.CustomField) (frontdesk.PersonInput, []string, error) {
	var in frontdesk.PersonInput
	var sources []string
	changed := func(k string) (string, bool) {
		v, ok := posted[k]
		return v, ok && v != strings.TrimSpace(current[k])
	}
	if v, ok := changed("name"); ok {
		in.Name = &v
	}
	if v, ok := changed("preferred_name"); ok {
		in.PreferredName = &v
	}
	_, primaryChanged := changed("email")
	others, othersPosted := posted["other_emails"]
	othersChanged := othersPosted && strings.Join(lines(others), "\n") != current["other_emails"]
	if primaryChanged || othersChanged {
		primary, ok := posted["email"]
		if !ok {
			primary = current["email"]
		}
		if !othersPosted {
			others = current["other_emails"]
		}
		emails := []frontdesk.Email{}
		if primary != "" {
			emails, sources = append(emails, frontdesk.Email{Address: primary, Primary: true}), append(sources, "email")
		}
		for _, a := range lines(others) {
			emails, sources = append(emails, frontdesk.Email{Address: a}), append(sources, "other_emails")
		}
		in.Emails = &emails
	}
	if v, ok := posted["phones"]; ok && strings.Join(lines(v), "\n") != current["phones"] {
		phones := []frontdesk.Phone{}
		for _, n := range lines(v) {
			ph := frontdesk.Phone{Number: n}
			for _, old := range p.Phones {
				if old.Number == n {
					ph.Label = old.Label // a number kept keeps its label
				}
			}
			phones = append(phones, ph)
		}
		in.Phones = &phones
	}
	if v, ok := changed("organization_id"); ok {
		in.OrganizationID = frontdesk.Ref{Set: true}
		if v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return in, sources, frontdesk.InvalidField("organization_id", "must be the id of an organization")
			}
			in.OrganizationID = frontdesk.RefTo(id)
		}
	}
	if v, ok := changed("site_id"); ok {
		in.SiteID = frontdesk.Ref{Set: true}
		if v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return in, sources, frontdesk.InvalidField("site_id", "must be the id of a site")
			}
			in.SiteID = frontdesk.RefTo(id)
		}
	}
	if addrs, ok := postedAddresses(posted); ok && !slices.Equal(addrs, p.Addresses) {
		in.Addresses = &addrs
	}
	for _, f := range fields {
		k := "custom." + f.Key
		v, ok := posted[k]
		old := strings.TrimSpace(current[k])
		if f.Type == frontdesk.FieldCheckbox && old == "" {
			old = "false" // an unset checkbox shows unticked; leaving it so is no change
		}
		if !ok || v == old {
			continue
		}
		if in.Custom == nil {
			in.Custom = map[string]any{}
		}
		switch {
		case v == "":
			in.Custom[f.Key] = nil // an emptied field is cleared
		case f.Type == frontdesk.FieldNumber:
			in.Custom[f.Key] = json.Number(v) // the flow says what is wrong with it
		case f.Type == frontdesk.FieldCheckbox:
			in.Custom[f.Key] = v == "true"
		default:
			in.Custom[f.Key] = v
		}
	}
	if v, ok := changed("username"); ok {
		in.Username = &v
	}
	if v, ok := changed("external_id"); ok {
		in.ExternalID = &v
	}
	if v, ok := changed("timezone"); ok {
		in.Timezone = &v
	}
	if v, ok := changed("locale"); ok {
		in.Locale = &v
	}
	if v, ok := changed("web_access"); ok {
		wa := frontdesk.WebAccess(v)
		in.WebAccess = &wa
	}
	if v, ok := changed("notes"); ok {
		in.Notes = &v
	}
	return in, sources, nil
}

// postedAddresses reads the posted address blocks in their order; a block left wholly
// empty is no address. ok is false when the form sent no block. Blocks keep their numbers
// only while none before them is empty; the form's errors are renumbered by addressSources.
func postedAddresses(posted map[string]string) ([]frontdesk.PostalAddress, bool) {
	out := []frontdesk.PostalAddress{}
	last := maxAddressBlock(posted)
	for i := 0; i <= last; i++ {
		if a, ok := postedAddress(posted, i); ok {
			out = append(out, a)
		}
	}
	return out, last >= 0
}

// postedAddress reads block i; ok is false when the block is empty.
func postedAddress(posted map[string]string, i int) (frontdesk.PostalAddress, bool) {
	get := func(part string) string { return posted[fmt.Sprintf("addresses[%d].%s", i, part)] }
	a := frontdesk.PostalAddress{Label: get("label"), Street: get("street"), City: get("city"), Region: get("region"),
		PostalCode: get("postal_code"), Country: get("country")}
	return a, a != frontdesk.PostalAddress{}
}

// addressBlocks maps the index of each address sent to the flow to its block in the form.
func addressBlocks(posted map[string]string) []int {
	var out []int
	for i := 0; i <= maxAddressBlock(posted); i++ {
		if _, ok := postedAddress(posted, i); ok {
			out = append(out, i)
		}
	}
	return out
}

// maxAddressBlock returns the highest address block number posted, -1 for none; numbers
// beyond the form's limit are ignored.
func maxAddressBlock(posted map[string]string) int {
	last := -1
	for k := range posted {
		var i int
		var part string
		if n, err := fmt.Sscanf(k, "addresses[%d].%s", &i, &part); err == nil && n == 2 && i >= 0 && i < 100 && i > last {
			last = i
		}
	}
	return last
}

// lines splits a textarea into its non-empty lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// hasNewAddress reports whether emails holds an address p did not have.
func hasNewAddress(p *frontdesk.Person, emails []frontdesk.Email) bool {
	for _, e := range emails {
		n, err := frontdesk.NormalizeEmail(e.Address)
		if err == nil && !slices.ContainsFunc(p.Emails, func(o frontdesk.Email) bool { return o.Address == n }) {
			return true
		}
	}
	return false
}

// formError renames the fields of a flow's error to the form's fields, one message per field:
// emails[2].address becomes other_emails, phones[1].number becomes phones ("line 2: ..."),
// and a field the form does not show goes to "other", shown on top of the form.
func formError(err error, sources []string, blocks []int) error {
	var e *frontdesk.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	var order []string
	msgs := map[string][]string{}
	for _, f := range e.Fields {
		field, msg := f.Field, f.Message
		var i int
		switch {
		case sscan(field, "emails[%d].address", &i):
			field = "other_emails"
			if i < len(sources) {
				field = sources[i]
			}
			if field == "other_emails" {
				msg = fmt.Sprintf("address %d: %s", i+1-slices.Index(sources, "other_emails"), msg)
			}
		case field == "email" && len(sources) == 1:
			field = sources[0]
		case field == "emails":
			field = "other_emails"
		case sscan(field, "phones[%d].number", &i) || sscan(field, "phones[%d].label", &i):
			field, msg = "phones", fmt.Sprintf("line %d: %s", i+1, msg)
		case sscanAddress(field, &i) != "":
			part := sscanAddress(field, &i)
			if i < len(blocks) {
				i = blocks[i]
			}
			field = fmt.Sprintf("addresses[%d].%s", i, part)
		case field == "addresses":
			field = "addresses[0].street"
		case field == "first_name" || field == "middle_name" || field == "last_name":
			field = "name"
		case !isEditField(field):
			msg, field = field+": "+msg, "other"
		}
		if _, seen := msgs[field]; !seen {
			order = append(order, field)
		}
		msgs[field] = append(msgs[field], msg)
	}
	out := &frontdesk.Error{Code: e.Code, Message: e.Message, Extra: e.Extra}
	for _, f := range order {
		out.Fields = append(out.Fields, frontdesk.FieldError{Field: f, Message: strings.Join(msgs[f], "; ")})
	}
	return out
}

// sscanAddress returns the part of a field named addresses[N].PART, with N in *i; "" when
// the field is not one.
func sscanAddress(field string, i *int) string {
	rest, ok := strings.CutPrefix(field, "addresses[")
	if !ok {
		return ""
	}
	num, part, ok := strings.Cut(rest, "].")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || !slices.Contains(addressParts, part) {
		return ""
	}
	*i = n
	return part
}

// sscan reports whether s is exactly format with one number filled in.
func sscan(s, format string, i *int) bool {
	n, err := fmt.Sscanf(s, format, i)
	return err == nil && n == 1 && fmt.Sprintf(format, *i) == s
}
