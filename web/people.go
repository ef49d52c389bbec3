package web

// The console's people list and profile editor: what the API's people list, suggestions and
// PATCH let staff do, on pages. Searching reads the store; saving goes through
// flow.UpdatePerson, the one path that holds the permission, rank and address checks.

import (
	"errors"
	"fmt"
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
	People               []personRow
	// Searching marks a search's answer; Filtered says a filter narrows the list.
	Searching, Filtered bool
	// Next is the link to the following page, "" on the last.
	Next string
}

// people lists people for staff with people.read: a search by the start of a name or an
// address (P5), filters by state, kind and role (L7), one page at a time.
func (s *Server) people(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	q := r.URL.Query()
	v := peopleView{page: s.basePage(r, "People"), Q: q.Get("q"), State: q.Get("state"), Kind: q.Get("kind"), Role: q.Get("role"),
		States: frontdesk.States, Roles: frontdesk.Roles}
	v.Values["q"] = v.Q // the box keeps the search
	if err := s.listPeople(r, &v); err != nil {
		s.render(w, s.fail(r, v.page, err), "people", v)
		return
	}
	s.render(w, http.StatusOK, "people", v)
}

func (s *Server) listPeople(r *http.Request, v *peopleView) error {
	ctx := r.Context()
	q := r.URL.Query()
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
		if found, next, err = s.db.SearchPeople(ctx, v.Q, f, after, frontdesk.DefaultPageSize); err != nil {
			return err
		}
	} else {
		var n int64
		if found, n, err = s.db.ListPeople(ctx, f, frontdesk.Page{After: afterID, Limit: frontdesk.DefaultPageSize}); err != nil {
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
		nq.Set("after", next)
		v.Next = "/console/people?" + nq.Encode()
	}
	orgs := map[int64]string{}
	for _, p := range found {
		row := personRow{Person: p}
		if p.OrganizationID != nil {
			name, ok := orgs[*p.OrganizationID]
			if !ok {
				o, err := s.db.GetOrganization(ctx, *p.OrganizationID)
				if err != nil {
					return err
				}
				name, orgs[o.ID] = o.Name, o.Name
			}
			row.Organization = name
		}
		v.People = append(v.People, row)
	}
	return nil
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
}

// editFields are the form's fields, in the order the page shows them.
var editFields = []string{"name", "preferred_name", "email", "other_emails", "phones", "organization_id", "timezone", "locale", "web_access", "notes"}

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
	}
	if p.OrganizationID != nil {
		v["organization_id"] = strconv.FormatInt(*p.OrganizationID, 10)
	}
	return v
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
	for _, k := range editFields {
		if _, ok := r.PostForm[k]; ok {
			posted[k] = strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n"))
		}
	}
	in, sources, err := changedInput(before, current, posted)
	if err == nil {
		_, err = s.flows.UpdatePerson(r.Context(), before.ID, in)
	}
	if err != nil {
		err = formError(err, sources)
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
func changedInput(p *frontdesk.Person, current, posted map[string]string) (frontdesk.PersonInput, []string, error) {
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
func formError(err error, sources []string) error {
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
		case field == "first_name" || field == "middle_name" || field == "last_name":
			field = "name"
		case !slices.Contains(editFields, field):
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

// sscan reports whether s is exactly format with one number filled in.
func sscan(s, format string, i *int) bool {
	n, err := fmt.Sscanf(s, format, i)
	return err == nil && n == 1 && fmt.Sprintf(format, *i) == s
}
