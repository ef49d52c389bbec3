package server_test

import (
	"context"
	"fmt"
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
