package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store/storetest"
)

var personRowID = regexp.MustCompile(`data-person="(\d+)"`)

// rowIDs returns the ids of the people a list page shows, in order.
func rowIDs(t *testing.T, body string) []int64 {
	t.Helper()
	var out []int64
	for _, m := range personRowID.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

// mustPerson stores a person directly, as cheaply as the store allows.
func (a *app) mustPerson(t *testing.T, name, email string, state frontdesk.State) *frontdesk.Person {
	t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = state
	if err := a.DB.CreatePerson(frontdesk.WithActor(context.Background(), frontdesk.System), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// P5, L7: staff find people in the console as the API finds them: by the start of a name or
// an address, by state, kind and role, page after page; who lacks people.read is refused.
func TestConsolePeopleListFindsAndPages_P5_L7_R4(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleCollaborator, "collab@example.com", "collab-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleContact, "cleo@example.com", "cleo-password-1")
			for i := range frontdesk.DefaultPageSize + 5 {
				a.mustPerson(t, fmt.Sprintf("Bulk Person%03d", i), fmt.Sprintf("bulk%03d@example.com", i), frontdesk.StateActive)
			}
			zelda := a.mustPerson(t, "Zelda Quinn", "zq@example.org", frontdesk.StateActive)
			boris := a.mustPerson(t, "Boris Quill", "boris@example.org", frontdesk.StateDisabled)
			total := 3 + frontdesk.DefaultPageSize + 5 + 2

			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			// Every page, by its Next link, until none: everyone once, in id order.
			var seen []int64
			path, pages := "/console/people", 0
			for path != "" {
				res := c.get(path)
				if res.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", path, res.Status, res.Body)
				}
				ids := rowIDs(t, res.Body)
				if len(ids) > frontdesk.DefaultPageSize {
					t.Fatalf("a page of %d people", len(ids))
				}
				seen = append(seen, ids...)
				path = ""
				if m := regexp.MustCompile(`id="next-page" href="([^"]+)"`).FindStringSubmatch(res.Body); m != nil {
					path = strings.ReplaceAll(m[1], "&amp;", "&")
				}
				pages++
			}
			if pages != 2 || len(seen) != total || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != total {
				t.Fatalf("%d pages showed %d people (want 2 pages, %d people once each): %v", pages, len(seen), total, seen)
			}

			for _, tc := range []struct {
				query string
				want  []int64
			}{
				{"q=zel", []int64{zelda.ID}},
				{"q=QUINN", []int64{zelda.ID}},        // the last name, any case
				{"q=zq%40ex", []int64{zelda.ID}},      // the start of an address
				{"q=qu", []int64{zelda.ID, boris.ID}}, // both last names
				{"q=qu&state=disabled", []int64{boris.ID}},
				{"q=qu&kind=staff", nil},
				{"state=disabled", []int64{boris.ID}},
				{"q=nobody-like-this", nil},
			} {
				res := c.get("/console/people?" + tc.query)
				got := rowIDs(t, res.Body)
				slices.Sort(got)
				want := slices.Sorted(slices.Values(tc.want))
				if res.Status != http.StatusOK || !slices.Equal(got, want) {
					t.Errorf("%s: %d, people %v, want %v", tc.query, res.Status, got, want)
				}
				if len(tc.want) == 0 && !strings.Contains(res.Body, `id="people-empty"`) {
					t.Errorf("%s: no empty-state text", tc.query)
				}
			}
			staff := c.get("/console/people?kind=staff")
			for _, id := range rowIDs(t, staff.Body) {
				if p := a.mustGet(t, id); !p.Role.IsStaff() {
					t.Errorf("kind=staff shows %s, a %s", p.PrimaryEmail(), p.Role)
				}
			}
			if n := len(rowIDs(t, staff.Body)); n != 2 {
				t.Errorf("kind=staff shows %d people, want the owner and the collaborator", n)
			}
			bad := c.get("/console/people?state=sleeping")
			if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="state-error"`) {
				t.Errorf("an unknown state: %d, want 422 with the error beside the state", bad.Status)
			}

			// people.read decides: a collaborator has it, a contact and a stranger do not.
			collab := a.client(t)
			collab.mustLogIn("collab@example.com", "collab-password-1")
			if res := collab.get("/console/people?q=zel"); res.Status != http.StatusOK || len(rowIDs(t, res.Body)) != 1 {
				t.Errorf("a collaborator's search: %d", res.Status)
			}
			contact := a.client(t)
			contact.mustLogIn("cleo@example.com", "cleo-password-1")
			if res := contact.get("/console/people?q=zel"); res.Status != http.StatusForbidden || len(rowIDs(t, res.Body)) != 0 {
				t.Errorf("a contact's search: %d", res.Status)
			}
			if res := a.client(t).get("/console/people"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login?next=") {
				t.Errorf("a stranger: %d %s", res.Status, res.Location)
			}
		})
	}
}

// editForm is the edit form of p as the browser sends it back, with changes.
func editForm(p *frontdesk.Person, changes map[string]string) url.Values {
	f := url.Values{"name": {p.FullName()}, "preferred_name": {p.PreferredName}, "email": {p.PrimaryEmail()},
		"other_emails": {""}, "phones": {""}, "organization_id": {""}, "timezone": {p.Timezone}, "locale": {p.Locale},
		"web_access": {string(p.WebAccess)}, "notes": {p.Notes}}
	for k, v := range changes {
		f.Set(k, v)
	}
	return f
}

// P1, E1, R3: an admin corrects a contact's name and address in the console. The change goes
// through the flow: the new address is unconfirmed and gets a confirmation, and the link sent
// to the old address dies with it.
func TestConsoleEditsProfile_P1_E1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleAdmin, "admin@example.com", "admin-password-1")
			p := a.createByStaff(t, "Olly Oldname", "olly@example.com")
			_, text := a.mailTo(t, "olly@example.com", 1)
			oldLink := linkIn(t, text, "/confirm")

			c := a.client(t)
			c.mustLogIn("admin@example.com", "admin-password-1")
			form := c.get(fmt.Sprintf("/console/people/%d/edit", p.ID))
			if form.Status != http.StatusOK || !strings.Contains(form.Body, `value="Olly Oldname"`) || !strings.Contains(form.Body, `value="olly@example.com"`) {
				t.Fatalf("the edit form: %d %s", form.Status, form.Body)
			}
			res := c.post(fmt.Sprintf("/console/people/%d/edit", p.ID), editForm(p, map[string]string{
				"name": "Olivia Newname", "email": "olivia@example.com", "phones": "+1 202 555 0143", "timezone": "Europe/Paris"}))
			if res.Status != http.StatusSeeOther || res.Location != fmt.Sprintf("/console/people/%d?saved=address", p.ID) {
				t.Fatalf("save: %d %s %s", res.Status, res.Location, res.Body)
			}
			shown := c.get(res.Location)
			for _, want := range []string{"Olivia Newname", "olivia@example.com (primary), <strong>not confirmed</strong>", "&#43;12025550143", "Europe/Paris", "A confirmation was sent to the new address"} {
				if !strings.Contains(shown.Body, want) {
					t.Errorf("the person page lacks %q", want)
				}
			}
			got := a.mustGet(t, p.ID)
			if got.FullName() != "Olivia Newname" || len(got.Emails) != 1 || got.Emails[0].Address != "olivia@example.com" || got.Emails[0].Verified || got.Timezone != "Europe/Paris" {
				t.Fatalf("saved: %+v", got)
			}
			_, text = a.mailTo(t, "olivia@example.com", 1)
			newLink := linkIn(t, text, "/confirm")
			if r := a.client(t).follow(oldLink); r.Status == http.StatusSeeOther {
				t.Fatal("the old address's confirmation link still works")
			}
			if r := a.client(t).follow(newLink); r.Status != http.StatusSeeOther {
				t.Fatalf("the new address's confirmation link: %d %s", r.Status, r.Body)
			}
			if !a.mustGet(t, p.ID).Emails[0].Verified {
				t.Fatal("the new address is not confirmed by its link")
			}

			// Saving the form untouched changes nothing and sends nothing.
			before := a.mustGet(t, p.ID)
			if r := c.post(fmt.Sprintf("/console/people/%d/edit", p.ID), editForm(before, map[string]string{"phones": "+12025550143"})); r.Status != http.StatusSeeOther || r.Location != fmt.Sprintf("/console/people/%d?saved=1", p.ID) {
				t.Fatalf("an untouched save: %d %s", r.Status, r.Location)
			}
			if after := a.mustGet(t, p.ID); !after.Emails[0].Verified || after.FullName() != before.FullName() || len(after.Phones) != 1 {
				t.Fatalf("an untouched save changed the person: %+v", after)
			}
		})
	}
}

// R3: an agent cannot change another agent from the console; the page calls the flow, which
// refuses, and nothing changes. The same agent changes a contact.
func TestConsoleEditKeepsRank_R3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "ann@example.com", "ann-password-1")
			bob := a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "bob@example.com", "bob-password-1")
			cid := a.mustPerson(t, "Cara Contact", "cara@example.com", frontdesk.StateActive)
			c := a.client(t)
			c.mustLogIn("ann@example.com", "ann-password-1")
			res := c.post(fmt.Sprintf("/console/people/%d/edit", bob.ID), editForm(bob, map[string]string{"name": "Bob Taken", "email": "ann+bob@example.com"}))
			if res.Status != http.StatusForbidden {
				t.Fatalf("an agent edited an agent: %d %s", res.Status, res.Location)
			}
			if got := a.mustGet(t, bob.ID); got.FullName() != bob.FullName() || got.PrimaryEmail() != "bob@example.com" || !got.Emails[0].Verified {
				t.Fatalf("the refused edit changed the agent: %+v", got)
			}
			res = c.post(fmt.Sprintf("/console/people/%d/edit", cid.ID), editForm(cid, map[string]string{"name": "Cara Corrected"}))
			if res.Status != http.StatusSeeOther || a.mustGet(t, cid.ID).FullName() != "Cara Corrected" {
				t.Fatalf("an agent editing a contact: %d %s", res.Status, res.Body)
			}
		})
	}
}

// P1: bad input is refused with each error beside its field, all at once, and changes nothing.
func TestConsoleEditRefusesBadInput_P1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			p := a.mustPerson(t, "Vera Valid", "vera@example.com", frontdesk.StateActive)
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			for _, tc := range []struct {
				name    string
				changes map[string]string
			}{
				{"address", map[string]string{"email": "not an address"}},
				{"other address", map[string]string{"other_emails": "vera2@example.com\nnope"}},
				{"long timezone", map[string]string{"timezone": strings.Repeat("x", 500)}},
				{"control character", map[string]string{"name": "Vera\aValid"}},
				{"phone", map[string]string{"phones": "not a number"}},
				{"all at once", map[string]string{"email": "not an address", "timezone": strings.Repeat("x", 500), "name": "Vera\x00Valid"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := a.mustGet(t, p.ID)
					res := c.post(fmt.Sprintf("/console/people/%d/edit", p.ID), editForm(before, tc.changes))
					if res.Status != http.StatusUnprocessableEntity {
						t.Fatalf("%d %s", res.Status, res.Body)
					}
					for field := range tc.changes {
						beside := regexp.MustCompile(`id="` + field + `"[^>]*aria-invalid="true"[^>]*>([^<]*</textarea>)?\s*<p class="error" id="` + field + `-error">[^<]+</p>`)
						if !beside.MatchString(res.Body) {
							t.Errorf("no error beside %s in:\n%s", field, res.Body)
						}
					}
					if after := a.mustGet(t, p.ID); !after.UpdatedAt.Equal(before.UpdatedAt) || after.FullName() != "Vera Valid" || after.PrimaryEmail() != "vera@example.com" {
						t.Errorf("refused input changed the person: %+v", after)
					}
				})
			}
		})
	}
}

// P1, P5 in a real browser: the owner opens People, searches, opens the person, corrects the
// name and sees it saved. With FRONTDESK_TEST_SCREENSHOTS set, the list and the edit page are
// saved at a phone's width and a desktop's.
func TestConsolePeopleInBrowser_P1_P5(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := browser(t)
			a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			for i := range 6 {
				a.mustPerson(t, fmt.Sprintf("Filler Person%d", i), fmt.Sprintf("filler%d@example.com", i), frontdesk.StateActive)
			}
			hazel := a.mustPerson(t, "Hazel Nutt", "hazel.nutt@a-rather-long-domain-name.example.com", frontdesk.StateActive)
			a.logIn(t, ctx, "owner@example.com", "owner-password-1")
			run(t, ctx, "open People from the navigation",
				chromedp.Click(chromedp.CSS(`nav a[href="/console/people"]`)),
				chromedp.WaitVisible(chromedp.CSS("#people")),
			)
			shots(t, ctx, "people-list")
			run(t, ctx, "search",
				chromedp.SendKeys(chromedp.CSS("#q"), "haz"),
				chromedp.Click(chromedp.CSS(`form[action="/console/people"] button`)),
				// The answer's box holds the search in its HTML; the list's did not.
				chromedp.WaitVisible(chromedp.CSS(`#q[value="haz"]`)),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-person="%d"] a`, hazel.ID))),
			)
			if n := len(rowIDs(t, mustHTML(t, ctx))); n != 1 {
				t.Fatalf("the search shows %d people", n)
			}
			run(t, ctx, "open the person and the editor",
				chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-person="%d"] a`, hazel.ID))),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="person"]`)),
				chromedp.Click(chromedp.CSS("#edit-profile")),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="person_edit"]`)),
			)
			shots(t, ctx, "person-edit")
			run(t, ctx, "a time zone that is none",
				chromedp.SetValue(chromedp.CSS("#timezone"), "Mars/Olympus"),
				chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS("#timezone-error")),
			)
			shots(t, ctx, "person-edit-errors")
			run(t, ctx, "clear the time zone", chromedp.Clear(chromedp.CSS("#timezone")))
			run(t, ctx, "correct the name",
				chromedp.Clear(chromedp.CSS("#name")),
				chromedp.SendKeys(chromedp.CSS("#name"), "Hazel Filbert"),
				chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="person"] .notice`)),
			)
			shots(t, ctx, "person-saved")
			if got := mainText(t, ctx); !strings.Contains(got, "Saved.") || !strings.Contains(got, "Hazel Filbert") {
				t.Fatalf("after saving: %s", got)
			}
			if got := a.mustGet(t, hazel.ID); got.FullName() != "Hazel Filbert" || got.PrimaryEmail() != hazel.PrimaryEmail() || got.Emails[0].Verified != hazel.Emails[0].Verified {
				t.Fatalf("saved: %+v", got)
			}
		})
	}
}

func mustHTML(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shots saves the page at a phone's width and at a desktop's (see screenshot).
func shots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	run(t, ctx, "phone width", chromedp.EmulateViewport(400, 800))
	screenshot(t, ctx, name+"-phone")
	run(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 800))
	screenshot(t, ctx, name+"-desktop")
}

// nextLinks follows a list's Next links from path and returns every row's id, in order.
func nextLinks(t *testing.T, c *client, path string) ([]int64, int) {
	t.Helper()
	var seen []int64
	pages := 0
	for path != "" {
		res := c.get(path)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		ids := rowIDs(t, res.Body)
		if len(ids) > frontdesk.DefaultPageSize {
			t.Fatalf("a page of %d people", len(ids))
		}
		seen = append(seen, ids...)
		path = ""
		if m := regexp.MustCompile(`id="next-page" href="([^"]+)"`).FindStringSubmatch(res.Body); m != nil {
			path = html.UnescapeString(m[1])
		}
		if pages++; pages > 20 {
			t.Fatal("the pages do not end")
		}
	}
	return seen, pages
}

// L7, C14, P5: the directory's search combines with every filter and goes page by page: a
// search that matches more than a page, narrowed by organization, state, channel and a
// custom field, shows every match exactly once across its pages, in the search's order.
func TestConsoleDirectorySearchWithFiltersPages_L7_C14_P5(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			org := &frontdesk.Organization{}
			name := "Acme"
			if err := frontdesk.ApplyOrganization(org, frontdesk.OrganizationInput{Name: &name, Domains: &[]string{}}); err != nil {
				t.Fatal(err)
			}
			if err := a.DB.CreateOrganization(sys, org); err != nil {
				t.Fatal(err)
			}
			plan := &frontdesk.CustomField{Key: "plan", Label: "Plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro"}}
			if err := a.DB.CreateCustomField(sys, plan); err != nil {
				t.Fatal(err)
			}
			var want, wantPro []int64
			for i := range 2 * frontdesk.DefaultPageSize {
				p := frontdesk.NewPerson(frontdesk.ChannelCLI)
				in := frontdesk.PersonInput{Name: ptr(fmt.Sprintf("Pat Person%03d", i)), Email: ptr(fmt.Sprintf("x%03d@example.com", i))}
				if i%4 != 3 {
					in.OrganizationID = frontdesk.RefTo(org.ID)
				}
				in.Custom = map[string]any{"plan": []string{"free", "pro"}[i%2]}
				if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US", CustomFields: map[string]*frontdesk.CustomField{"plan": plan}}); err != nil {
					t.Fatal(err)
				}
				p.State = frontdesk.StateActive
				if i%5 == 4 {
					p.State = frontdesk.StateDisabled
				}
				if err := a.DB.CreatePerson(sys, p); err != nil {
					t.Fatal(err)
				}
				if i%4 != 3 && i%5 != 4 {
					want = append(want, p.ID) // "pat personNNN" sorts as the ids do
					if i%2 == 1 {
						wantPro = append(wantPro, p.ID)
					}
				}
			}
			// Someone who matches by address comes first.
			first := a.mustPerson(t, "Zed Zulu", "pat.z@example.com", frontdesk.StateActive)
			if _, err := a.DB.UpdatePerson(sys, first.ID, func(p *frontdesk.Person) error { p.OrganizationID = &org.ID; return nil }); err != nil {
				t.Fatal(err)
			}
			want = append([]int64{first.ID}, want...)
			if len(want) <= frontdesk.DefaultPageSize {
				t.Fatalf("the test needs more than a page of matches, has %d", len(want))
			}
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			q := url.Values{"q": {"PAT"}, "organization_id": {fmt.Sprint(org.ID)}, "state": {"active"}, "channel": {"cli"}}
			got, pages := nextLinks(t, c, "/console/people?"+q.Encode())
			if pages != 2 || !slices.Equal(got, want) {
				t.Fatalf("%d pages:\n got %v\nwant %v", pages, got, want)
			}
			q.Set("cf.plan", "pro")
			if got, _ := nextLinks(t, c, "/console/people?"+q.Encode()); !slices.Equal(got, wantPro) {
				t.Fatalf("with plan=pro:\n got %v\nwant %v", got, wantPro)
			}
			// A filter's error is beside its field, also in a search.
			bad := c.get("/console/people?q=pat&cf.plan=platinum")
			if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `<p class="error" id="cf.plan-error">`) {
				t.Fatalf("a bad custom field filter: %d", bad.Status)
			}
			if res := c.get("/console/people?q=pat&after=nonsense"); res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("a made-up cursor: %d", res.Status)
			}
		})
	}
}

// L7: the directory's filters are saved as a segment (with the API's checks and
// permission), and choosing the segment applies its filter, page after page.
func TestConsoleSegmentsSaveAndApply_L7(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleCollaborator, "collab@example.com", "collab-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleContact, "cleo@example.com", "cleo-password-1")
			var disabled []int64
			for i := range 6 {
				state := frontdesk.StateActive
				if i%2 == 0 {
					state = frontdesk.StateDisabled
				}
				p := a.mustPerson(t, fmt.Sprintf("Seg Person%d", i), fmt.Sprintf("seg%d@example.com", i), state)
				if state == frontdesk.StateDisabled {
					disabled = append(disabled, p.ID)
				}
			}
			c := a.client(t)
			c.mustLogIn("collab@example.com", "collab-password-1") // people.read is enough, as in the API
			page := c.get("/console/people?state=disabled&kind=contact")
			if !strings.Contains(page.Body, `action="/console/people/segments"`) || !strings.Contains(page.Body, `name="state" value="disabled"`) {
				t.Fatalf("no save form with the filters: %s", page.Body)
			}
			res := c.post("/console/people/segments", url.Values{"segment_name": {"Disabled contacts"}, "state": {"disabled"}, "kind": {"contact"}})
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/console/people?segment=") {
				t.Fatalf("save: %d %s %s", res.Status, res.Location, res.Body)
			}
			segs, err := a.DB.ListSegments(sys)
			if err != nil || len(segs) != 1 || segs[0].Name != "Disabled contacts" || !slices.Equal(segs[0].Filter.States, []frontdesk.State{frontdesk.StateDisabled}) || segs[0].Filter.Kind != "contact" {
				t.Fatalf("stored: %+v %v", segs, err)
			}
			shown := c.get(res.Location)
			if got := rowIDs(t, shown.Body); !slices.Equal(got, disabled) {
				t.Fatalf("the segment shows %v, want %v", got, disabled)
			}
			if !strings.Contains(shown.Body, fmt.Sprintf(`<option value="%d" selected>Disabled contacts</option>`, segs[0].ID)) {
				t.Error("the applied segment is not the one selected")
			}
			// A segment with a search: the segment's filter and the text together.
			if got := rowIDs(t, c.get(fmt.Sprintf("/console/people?segment=%d&q=seg%%20person2", segs[0].ID)).Body); !slices.Equal(got, disabled[1:2]) {
				t.Errorf("segment and search: %v, want %v", got, disabled[1:2])
			}
			for _, tc := range []struct {
				name   string
				form   url.Values
				status int
				field  string
			}{
				{"no name", url.Values{"segment_name": {" "}, "state": {"disabled"}}, http.StatusUnprocessableEntity, "segment_name"},
				{"taken name", url.Values{"segment_name": {"disabled CONTACTS"}, "state": {"active"}}, http.StatusConflict, "segment_name"},
				{"bad filter", url.Values{"segment_name": {"Sleepers"}, "state": {"sleeping"}}, http.StatusUnprocessableEntity, "state"},
			} {
				res := c.post("/console/people/segments", tc.form)
				if res.Status != tc.status || !strings.Contains(res.Body, `<p class="error" id="`+tc.field+`-error">`) {
					t.Errorf("%s: %d, want %d with the error beside %s", tc.name, res.Status, tc.status, tc.field)
				}
			}
			if segs, _ := a.DB.ListSegments(sys); len(segs) != 1 {
				t.Errorf("refused saves stored segments: %d", len(segs))
			}
			if res := c.get("/console/people?segment=999999"); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="segment-error"`) {
				t.Errorf("an unknown segment: %d", res.Status)
			}
			contact := a.client(t)
			contact.mustLogIn("cleo@example.com", "cleo-password-1")
			if res := contact.post("/console/people/segments", url.Values{"segment_name": {"Mine"}}); res.Status != http.StatusForbidden {
				t.Errorf("a contact saved a segment: %d", res.Status)
			}
		})
	}
}

// P4: the profile editor edits the site (among the organization's), postal addresses and
// typed custom fields through the flow; bad values get their errors beside their fields, all
// at once, and change nothing.
func TestConsoleEditsAddressesSiteCustomFields_P4(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			orgs := map[string]*frontdesk.Organization{}
			sites := map[string]*frontdesk.Site{}
			for _, n := range []string{"Acme", "Other"} {
				o := &frontdesk.Organization{}
				if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: ptr(n), Domains: &[]string{}}); err != nil {
					t.Fatal(err)
				}
				if err := a.DB.CreateOrganization(sys, o); err != nil {
					t.Fatal(err)
				}
				s := &frontdesk.Site{}
				if err := frontdesk.ApplySite(s, frontdesk.SiteInput{OrganizationID: &o.ID, Name: ptr(n + " HQ")}, true); err != nil {
					t.Fatal(err)
				}
				if err := a.DB.CreateSite(sys, s); err != nil {
					t.Fatal(err)
				}
				orgs[n], sites[n] = o, s
			}
			for _, f := range []*frontdesk.CustomField{
				{Key: "seats", Label: "Seats", Type: frontdesk.FieldNumber, Options: []string{}},
				{Key: "vip", Label: "VIP", Type: frontdesk.FieldCheckbox, Options: []string{}},
				{Key: "plan", Label: "Plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro"}},
				{Key: "since", Label: "Customer since", Type: frontdesk.FieldDate, Options: []string{}},
				{Key: "nick", Label: "Nickname", Type: frontdesk.FieldText, Options: []string{}},
			} {
				if err := a.DB.CreateCustomField(sys, f); err != nil {
					t.Fatal(err)
				}
			}
			p := a.mustPerson(t, "Pia Postal", "pia@example.com", frontdesk.StateActive)
			if _, err := a.DB.UpdatePerson(sys, p.ID, func(p *frontdesk.Person) error { p.OrganizationID = &orgs["Acme"].ID; return nil }); err != nil {
				t.Fatal(err)
			}
			p = a.mustGet(t, p.ID)
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			edit := fmt.Sprintf("/console/people/%d/edit", p.ID)
			form := c.get(edit)
			for _, want := range []string{`id="site_id"`, fmt.Sprintf(`<option value="%d">Acme HQ</option>`, sites["Acme"].ID), `id="addresses[0].street"`,
				`id="custom.seats"`, `type="checkbox" id="custom.vip"`, `<select id="custom.plan"`, `id="custom.since" name="custom.since" type="date"`} {
				if !strings.Contains(form.Body, want) {
					t.Errorf("the form lacks %s", want)
				}
			}
			if strings.Contains(form.Body, "Other HQ") {
				t.Error("the form offers another organization's site")
			}
			orgID := fmt.Sprint(orgs["Acme"].ID)
			good := map[string]string{"organization_id": orgID, "site_id": fmt.Sprint(sites["Acme"].ID),
				"addresses[0].label": "office", "addresses[0].street": "1 Rue de la Paix", "addresses[0].city": "Paris", "addresses[0].postal_code": "75002", "addresses[0].country": "fr",
				"custom.seats": "12.5", "custom.vip": "true", "custom.plan": "pro", "custom.since": "2024-01-31", "custom.nick": "Pip"}
			res := c.post(edit, editForm(p, good))
			if res.Status != http.StatusSeeOther {
				t.Fatalf("save: %d %s", res.Status, res.Body)
			}
			got := a.mustGet(t, p.ID)
			wantAddr := []frontdesk.PostalAddress{{Label: "office", Street: "1 Rue de la Paix", City: "Paris", PostalCode: "75002", Country: "FR"}}
			if got.SiteID == nil || *got.SiteID != sites["Acme"].ID || !slices.Equal(got.Addresses, wantAddr) ||
				got.Custom["seats"] != 12.5 || got.Custom["vip"] != true || got.Custom["plan"] != "pro" || got.Custom["since"] != "2024-01-31" || got.Custom["nick"] != "Pip" {
				t.Fatalf("saved: site %v, addresses %+v, custom %v", got.SiteID, got.Addresses, got.Custom)
			}
			shown := c.get(fmt.Sprintf("/console/people/%d", p.ID))
			if !strings.Contains(shown.Body, "1 Rue de la Paix") {
				t.Error("the person page does not show the postal address")
			}
			// Unticking the checkbox sends only the hidden "false"; the form shows a second,
			// empty address block, which adds nothing.
			form = c.get(edit)
			if !strings.Contains(form.Body, `id="addresses[1].street"`) || !strings.Contains(form.Body, `value="Paris"`) {
				t.Error("the form does not show the saved address and an empty one")
			}
			untick := editForm(got, map[string]string{"organization_id": orgID, "site_id": fmt.Sprint(sites["Acme"].ID), "custom.vip": "false"})
			if res := c.post(edit, untick); res.Status != http.StatusSeeOther {
				t.Fatalf("untick: %d %s", res.Status, res.Body)
			}
			if got := a.mustGet(t, p.ID); got.Custom["vip"] != false || len(got.Addresses) != 1 {
				t.Fatalf("after unticking: %v, %d addresses", got.Custom, len(got.Addresses))
			}

			before := a.mustGet(t, p.ID)
			// Another organization's site is refused beside the site.
			res = c.post(edit, editForm(before, map[string]string{"organization_id": orgID, "site_id": fmt.Sprint(sites["Other"].ID)}))
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `<p class="error" id="site_id-error">`) {
				t.Errorf("another organization's site: %d", res.Status)
			}
			bad := editForm(before, map[string]string{"organization_id": orgID,
				"addresses[0].city": "Paris", "addresses[0].country": "ZZ", "addresses[2].city": "Lyon", "addresses[2].country": "France",
				"custom.seats": "a dozen", "custom.since": "31/01/2024", "custom.plan": "platinum"})
			res = c.post(edit, bad)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("bad values: %d", res.Status)
			}
			// Block 1 is left empty, so the flow's second address is the form's third block.
			for _, field := range []string{"addresses[0].country", "addresses[2].country", "custom.seats", "custom.since", "custom.plan"} {
				beside := regexp.MustCompile(`id="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true"[^>]*>(</select>|[^<]*(<option[^>]*>[^<]*</option>)*</select>)?\s*<p class="error" id="` + regexp.QuoteMeta(field) + `-error">[^<]+</p>`)
				if !beside.MatchString(res.Body) {
					t.Errorf("no error beside %s in\n%s", field, res.Body)
				}
			}
			if after := a.mustGet(t, p.ID); !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("refused input changed the person: %+v", after)
			}
		})
	}
}
