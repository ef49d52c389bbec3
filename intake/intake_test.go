package intake_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/flow"
	"frontdesk/intake"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// desk is an intake over a real database with limits that never refuse, unless a test sets
// its own.
type desk struct {
	*intake.Desk
	t     *testing.T
	db    *store.DB
	flows *flow.Flows
	now   *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func each(t *testing.T, fn func(t *testing.T, d *desk)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			c := &clock{now: time.Now().UTC()}
			db := storetest.Open(t, e, func(cfg *store.Config) { cfg.Now = c.Now })
			mailer, err := mail.New(db, mail.Config{})
			if err != nil {
				t.Fatal(err)
			}
			f := flow.New(db, mailer, "http://desk.example")
			d := intake.New(f)
			d.ClientLimit, d.AddressLimit = auth.NewLimiter(1<<20, time.Millisecond), auth.NewLimiter(1<<20, time.Millisecond)
			fn(t, &desk{Desk: d, t: t, db: db, flows: f, now: c})
		})
	}
}

var (
	guest = context.Background()
	sys   = frontdesk.WithActor(context.Background(), frontdesk.System)
	web   = intake.Source{Channel: frontdesk.TicketViaWeb, ClientIP: "192.0.2.1"}
)

func (d *desk) settings(in frontdesk.SettingsInput) {
	d.t.Helper()
	if _, err := d.db.UpdateSettings(sys, in); err != nil {
		d.t.Fatal(err)
	}
}

func confirmMode() frontdesk.SettingsInput {
	m := frontdesk.GuestRequestsConfirm
	return frontdesk.SettingsInput{GuestRequests: &m}
}

func request(email string) frontdesk.RequestInput {
	return frontdesk.RequestInput{Email: email, Name: "Gail Guest", Subject: "The printer jams", Body: "Every second page."}
}

func (d *desk) submit(in frontdesk.RequestInput) *intake.Outcome {
	d.t.Helper()
	out, err := d.Submit(guest, in, web)
	if err != nil {
		d.t.Fatalf("submit %+v: %v", in, err)
	}
	return out
}

// mails returns the mail queued to address, oldest first.
func (d *desk) mails(address string) []*frontdesk.Message {
	d.t.Helper()
	list, _, err := d.db.ListMail(context.Background(), frontdesk.MailFilter{To: address}, frontdesk.Page{Limit: 100})
	if err != nil {
		d.t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

var linkRE = regexp.MustCompile(`http://desk\.example(/[a-z/]+)\?token=([A-Za-z0-9_%-]+)`)

// links returns the tokens of the links in a mail, by path.
func links(m *frontdesk.Message) map[string]string {
	out := map[string]string{}
	for _, l := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		tok, _ := url.QueryUnescape(l[2])
		out[l[1]] = tok
	}
	return out
}

func (d *desk) count(table string) int {
	d.t.Helper()
	n, err := d.db.CountRows(context.Background(), table)
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

func (d *desk) tickets(personID int64) []*frontdesk.Ticket {
	d.t.Helper()
	list, _, err := d.db.ListTickets(context.Background(), frontdesk.TicketFilter{RequesterID: personID}, frontdesk.Page{Limit: 500})
	if err != nil {
		d.t.Fatal(err)
	}
	return list
}

func (d *desk) person(address string) *frontdesk.Person {
	d.t.Helper()
	p, err := d.db.GetPersonByEmail(context.Background(), address)
	if err != nil {
		d.t.Fatalf("person %s: %v", address, err)
	}
	return p
}

func (d *desk) knownPerson(address string) *frontdesk.Person {
	d.t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelConsole)
	name := "Kim Known"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &address}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		d.t.Fatal(err)
	}
	p.State, p.Emails[0].Verified = frontdesk.StateActive, true
	if err := d.db.CreatePerson(sys, p); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// C4: with guest requests open, a guest's request makes contact and ticket at once; the
// contact's address is not confirmed yet, and the one mail they get holds the link to the
// ticket and the welcome link, which confirms the address and leads to onboarding.
func TestOpenGuestRequestCreatesContactAndTicket_C4(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		out := d.submit(request("Gail@Example.com"))
		if out.Status != intake.Created || out.Ticket == nil {
			t.Fatalf("outcome %+v", out)
		}
		p := d.person("gail@example.com")
		if p.FirstName != "Gail" || p.LastName != "Guest" || p.Emails[0].Verified || p.State != frontdesk.StateNotActivated || p.Channel != frontdesk.ChannelRequest {
			t.Fatalf("new contact %+v", p)
		}
		tks := d.tickets(p.ID)
		if len(tks) != 1 || tks[0].Subject != "The printer jams" || tks[0].Channel != frontdesk.TicketViaWeb || tks[0].Status != frontdesk.TicketOpen {
			t.Fatalf("tickets %+v", tks)
		}
		_, thread, err := d.flows.GetTicket(sys, tks[0].ID)
		if err != nil || len(thread) != 1 || thread[0].Body != "Every second page." || thread[0].AuthorID != p.ID || !thread[0].Public {
			t.Fatalf("thread %+v %v", thread, err)
		}
		ms := d.mails("gail@example.com")
		if len(ms) != 1 || ms[0].Template != mail.RequestReceived {
			t.Fatalf("mail %+v", ms)
		}
		l := links(ms[0])
		if l["/requests/access"] == "" || l["/welcome"] == "" {
			t.Fatalf("links in %q", ms[0].Text)
		}
		next, err := d.flows.Welcome(guest, l["/welcome"])
		if err != nil || next.OnboardingToken == "" || !next.Person.Emails[0].Verified || next.Person.State != frontdesk.StateActive {
			t.Fatalf("welcome: %+v %v", next, err)
		}
	})
}

// C5: with guest requests needing confirmation, a request makes nothing but a mail with a
// link; opening the link's page changes nothing; confirming makes contact and ticket
// together, confirms the address, offers onboarding and gives the link that opens the
// ticket (X5). A link works once.
func TestConfirmGuestRequestCreatesNothingUntilConfirmed_C5(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		d.settings(confirmMode())
		people, tickets := d.count("people"), d.count("tickets")
		out := d.submit(request("gail@example.com"))
		if out.Status != intake.AwaitingConfirmation || out.Ticket != nil {
			t.Fatalf("outcome %+v", out)
		}
		if d.count("people") != people || d.count("tickets") != tickets {
			t.Fatal("a request waiting for confirmation made a person or ticket")
		}
		ms := d.mails("gail@example.com")
		if len(ms) != 1 || ms[0].Template != mail.ConfirmRequest || ms[0].PersonID != nil || !strings.Contains(ms[0].Text, "The printer jams") {
			t.Fatalf("mail %+v", ms)
		}
		secret := links(ms[0])["/requests/confirm"]
		h, err := d.PeekConfirmation(guest, secret)
		if err != nil || h.Request.Subject != "The printer jams" {
			t.Fatalf("peek: %+v %v", h, err)
		}
		if _, err := d.PeekConfirmation(guest, secret); err != nil {
			t.Fatalf("peeking spent the link: %v", err)
		}
		c, err := d.Confirm(guest, secret)
		if err != nil {
			t.Fatal(err)
		}
		p := d.person("gail@example.com")
		if !p.Emails[0].Verified || p.State != frontdesk.StateActive || c.Person.ID != p.ID || c.OnboardingToken == "" || c.TicketLink == "" {
			t.Fatalf("confirmed %+v person %+v", c, p)
		}
		if tks := d.tickets(p.ID); len(tks) != 1 || tks[0].ID != c.Ticket.ID {
			t.Fatalf("tickets %+v", tks)
		}
		if _, err := d.flows.PeekOnboarding(guest, c.OnboardingToken); err != nil {
			t.Fatalf("onboarding offered: %v", err)
		}
		if _, err := d.Confirm(guest, secret); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("second confirmation: %v", err)
		}
		if len(d.tickets(p.ID)) != 1 {
			t.Fatal("a second confirmation made a second ticket")
		}
	})
}

// C5: an unconfirmed request expires after the setting (7 days by default) and is purged;
// its link then confirms nothing.
func TestUnconfirmedRequestsExpireAndArePurged_C5(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		d.settings(confirmMode())
		d.submit(request("late@example.com"))
		d.submit(request("early@example.com"))
		secret := links(d.mails("late@example.com")[0])["/requests/confirm"]
		d.now.Add(7*24*time.Hour - time.Minute)
		if n, err := d.Purge(context.Background()); err != nil || n != 0 {
			t.Fatalf("purged before expiry: %d %v", n, err)
		}
		d.now.Add(2 * time.Minute)
		if _, err := d.Confirm(guest, secret); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("confirming an expired request: %v", err)
		}
		if n, err := d.Purge(context.Background()); err != nil || n != 2 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if d.count("held_requests") != 0 || d.count("tickets") != 0 {
			t.Fatal("expired requests left something behind")
		}
	})
}

// C14: a stranger who types someone else's address gains nothing: the ticket joins that
// person, who is told by mail with the ticket's link; the stranger's answer is the one a new
// address gets, and no welcome link, session or account detail goes anywhere.
func TestRequestWithKnownAddressJoinsThatPerson_C14(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		kim := d.knownPerson("kim@example.com")
		people := d.count("people")
		in := request("KIM@example.com")
		in.Name = "Mallory"
		out := d.submit(in)
		fresh := d.submit(request("someone-new@example.com"))
		if out.Status != fresh.Status || out.Status != intake.Created {
			t.Fatalf("known %+v new %+v: the answers differ", out, fresh)
		}
		if d.count("people") != people+1 {
			t.Fatal("the known address made a second person")
		}
		if out.Ticket.RequesterID != kim.ID {
			t.Fatalf("ticket went to %d", out.Ticket.RequesterID)
		}
		if got := d.person("kim@example.com"); got.FirstName != "Kim" {
			t.Fatalf("the stranger's name changed the person: %+v", got)
		}
		ms := d.mails("kim@example.com")
		if len(ms) != 1 || ms[0].Template != mail.RequestReceived {
			t.Fatalf("kim's mail %+v", ms)
		}
		if l := links(ms[0]); l["/welcome"] != "" || l["/requests/access"] == "" {
			t.Fatalf("kim's mail links %v", l)
		}
		// In confirm mode the known address waits for its owner's confirmation like any.
		d.settings(confirmMode())
		if out := d.submit(in); out.Status != intake.AwaitingConfirmation || len(d.tickets(kim.ID)) != 1 {
			t.Fatalf("confirm mode, known address: %+v", out)
		}
	})
}

// C14: fifty requests at once with one new address make one person and fifty tickets, on
// both engines; the same holds for a chat handle and a phone number (C13).
func TestConcurrentRequestsMakeOnePerson_C14(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		cases := []struct {
			name string
			in   func(i int) frontdesk.RequestInput
		}{
			{"address", func(i int) frontdesk.RequestInput { return request(fmt.Sprintf("Race@Example.com")) }},
			{"handle", func(i int) frontdesk.RequestInput {
				return frontdesk.RequestInput{Channel: "chat", Identity: "Visitor-42", Subject: "Hi", Body: "Chat " + fmt.Sprint(i)}
			}},
			{"phone", func(i int) frontdesk.RequestInput {
				return frontdesk.RequestInput{Phone: []string{"+1 202 555 0143", "(202) 555-0143"}[i%2], Subject: "Call me", Body: "Please"}
			}},
		}
		for _, c := range cases {
			people := d.count("people")
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			requesters := make(chan int64, 50)
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := d.Submit(guest, c.in(i), intake.Source{Channel: frontdesk.TicketViaAPI, ClientIP: "192.0.2.9"})
					if err != nil {
						errs <- err
						return
					}
					requesters <- out.Ticket.RequesterID
				}()
			}
			wg.Wait()
			close(errs)
			close(requesters)
			for err := range errs {
				t.Errorf("%s: %v", c.name, err)
			}
			ids := map[int64]int{}
			for id := range requesters {
				ids[id]++
			}
			if d.count("people") != people+1 || len(ids) != 1 {
				t.Fatalf("%s: %d people made, requesters %v", c.name, d.count("people")-people, ids)
			}
			for id, n := range ids {
				if n != 50 || len(d.tickets(id)) != 50 {
					t.Fatalf("%s: %d answers, %d tickets", c.name, n, len(d.tickets(id)))
				}
			}
		}
	})
}

// C13: a request that gives only a chat handle or a phone makes a contact with that
// identity and nothing else; the next request with the same identity, written otherwise,
// is that contact's. A phone staff typed on a person matches too (C14).
func TestIdentityOnlyRequestsMakeAndMatchContacts_C13(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		chat := func(handle string) *intake.Outcome {
			out, err := d.Submit(sys, frontdesk.RequestInput{Channel: "chat", Identity: handle, Subject: "Hello", Body: "From the chat"},
				intake.Source{Channel: frontdesk.TicketViaAPI})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		first := chat("Visitor-7")
		if first.Ticket.Channel != frontdesk.TicketViaChat {
			t.Fatalf("channel %s", first.Ticket.Channel)
		}
		p, err := d.db.GetPerson(context.Background(), first.Ticket.RequesterID)
		if err != nil || len(p.Emails) != 0 || p.Channel != frontdesk.ChannelChat {
			t.Fatalf("chat contact %+v %v", p, err)
		}
		ids, _ := d.db.Identities(context.Background(), p.ID)
		if len(ids["chat"]) != 1 || ids["chat"][0] != "visitor-7" {
			t.Fatalf("identities %v", ids)
		}
		if again := chat("VISITOR-7"); again.Ticket.RequesterID != p.ID {
			t.Fatal("the same handle made another person")
		}
		kim := d.knownPerson("kim@example.com")
		phones := []frontdesk.Phone{{Number: "+12025550188"}}
		if _, err := d.flows.UpdatePerson(sys, kim.ID, frontdesk.PersonInput{Phones: &phones}); err != nil {
			t.Fatal(err)
		}
		out := d.submit(frontdesk.RequestInput{Phone: "(202) 555-0188", Subject: "Call", Body: "Back please"})
		if out.Ticket.RequesterID != kim.ID {
			t.Fatalf("phone of a known person made requester %d", out.Ticket.RequesterID)
		}
	})
}

// X4: a request that fails the intake policy waits for review, whole, and nothing else is
// made: a blocked domain, a domain outside the allowed ones, a closed helpdesk, a stranger
// where only known people may ask, a banned requester (L4). Staff release it (it becomes a
// ticket) or discard it (audited); people without tickets.answer do neither.
func TestPolicyHoldsRequestsForReview_X4(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		blocked := []string{"spam.example"}
		d.settings(frontdesk.SettingsInput{BlockedDomains: &blocked})
		tickets := d.count("tickets")
		held := d.submit(request("bot@mail.spam.example"))
		if held.Status != intake.InReview || d.count("tickets") != tickets || d.count("people") != 0 {
			t.Fatalf("blocked domain: %+v", held)
		}
		allowed := []string{"example.com"}
		d.settings(frontdesk.SettingsInput{AllowedDomains: &allowed})
		if out := d.submit(request("someone@example.org")); out.Status != intake.InReview {
			t.Fatalf("outside the allowed domains: %+v", out)
		}
		if out := d.submit(request("someone@example.com")); out.Status != intake.Created {
			t.Fatalf("inside the allowed domains: %+v", out)
		}
		none := []string{}
		registered := frontdesk.IntakeRegistered
		d.settings(frontdesk.SettingsInput{AllowedDomains: &none, IntakePolicy: &registered})
		if out := d.submit(request("stranger@example.net")); out.Status != intake.InReview {
			t.Fatalf("a stranger under registered-only: %+v", out)
		}
		kim := d.knownPerson("kim@example.com")
		if out := d.submit(request("kim@example.com")); out.Status != intake.Created {
			t.Fatalf("a known person under registered-only: %+v", out)
		}
		open := frontdesk.IntakeOpen
		d.settings(frontdesk.SettingsInput{IntakePolicy: &open})
		if _, err := d.flows.SetState(sys, kim.ID, store.StateChange{To: frontdesk.StateBanned, BanReason: "abuse"}); err != nil {
			t.Fatal(err)
		}
		if out := d.submit(request("kim@example.com")); out.Status != intake.InReview {
			t.Fatalf("a banned requester: %+v", out)
		}
		closed := frontdesk.IntakeClosed
		d.settings(frontdesk.SettingsInput{IntakePolicy: &closed})
		if out := d.submit(request("another@example.com")); out.Status != intake.InReview {
			t.Fatalf("closed: %+v", out)
		}

		contact := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: kim.ID, Role: frontdesk.RoleContact})
		if _, _, err := d.ListReview(contact, frontdesk.Page{}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("a contact listed the review queue: %v", err)
		}
		if _, err := d.Release(contact, held.HeldID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("a contact released: %v", err)
		}
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 1, Role: frontdesk.RoleAgent, Name: "Agent"})
		queue, _, err := d.ListReview(agent, frontdesk.Page{})
		if err != nil || len(queue) != 5 {
			t.Fatalf("queue %d %v", len(queue), err)
		}
		if !strings.Contains(queue[0].Reason, "spam.example") || queue[0].Request.Email != "bot@mail.spam.example" || queue[0].Request.Body != "Every second page." {
			t.Fatalf("held request %+v", queue[0])
		}
		released, err := d.Release(agent, held.HeldID)
		if err != nil || released.Status != intake.Created {
			t.Fatalf("release: %+v %v", released, err)
		}
		if p := d.person("bot@mail.spam.example"); len(d.tickets(p.ID)) != 1 {
			t.Fatal("released request made no ticket")
		}
		if _, err := d.Release(agent, held.HeldID); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("released twice: %v", err)
		}
		// The banned requester's request stays refused and stays in the queue.
		banned := queue[3]
		if _, err := d.Release(agent, banned.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("releasing a banned requester's request: %v", err)
		}
		if err := d.Discard(agent, banned.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetReview(agent, banned.ID); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("discarded request still there: %v", err)
		}
		audit, _, err := d.db.ListAudit(context.Background(), frontdesk.AuditFilter{SubjectType: "held_request", SubjectID: banned.ID})
		if err != nil || len(audit) != 2 || audit[0].Action != "request.discard" && audit[1].Action != "request.discard" {
			t.Fatalf("audit %+v %v", audit, err)
		}
	})
}

// C9: a request form asks for the custom person fields it names, which a new contact
// keeps; fields it does not ask for, contact fields it hides, and unknown forms are field
// errors, and nothing is made.
func TestTicketTypesAskForPersonFields_C9(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		if err := d.db.CreateCustomField(sys, &frontdesk.CustomField{Key: "account_no", Label: "Account number", Type: frontdesk.FieldText}); err != nil {
			t.Fatal(err)
		}
		fields, _ := d.db.CustomFieldMap(context.Background())
		save := func(in frontdesk.TicketTypeInput) *frontdesk.TicketType {
			tt, err := d.db.SaveTicketType(sys, 0, func(tt *frontdesk.TicketType) error { return frontdesk.ApplyTicketType(tt, in, fields) })
			if err != nil {
				t.Fatal(err)
			}
			return tt
		}
		// Only settings.manage defines request forms, whoever calls.
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 1, Role: frontdesk.RoleAgent, Name: "Agent"})
		k0, n0 := "sneaky", "Sneaky"
		if _, err := d.SaveTicketType(agent, 0, frontdesk.TicketTypeInput{Key: &k0, Name: &n0}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("an agent defined a request type: %v", err)
		}
		if _, err := d.SaveTicketType(sys, 0, frontdesk.TicketTypeInput{Key: &k0, Name: &n0, PersonFields: &[]string{"nope"}}); !hasField(err, "person_fields") {
			t.Fatalf("a type asking for an unknown field: %v", err)
		}
		key, name, asked := "billing", "Billing question", []string{"account_no"}
		save(frontdesk.TicketTypeInput{Key: &key, Name: &name, PersonFields: &asked})
		key2, name2, hide := "internal", "Signed-in only", true
		save(frontdesk.TicketTypeInput{Key: &key2, Name: &name2, HideContactFields: &hide})

		in := request("bill@example.com")
		in.Type, in.Custom = "billing", map[string]any{"account_no": "A-1001"}
		out := d.submit(in)
		p := d.person("bill@example.com")
		if p.Custom["account_no"] != "A-1001" || out.Ticket.Type != "billing" {
			t.Fatalf("custom %v type %q", p.Custom, out.Ticket.Type)
		}
		people := d.count("people")
		bad := []struct {
			in    frontdesk.RequestInput
			field string
		}{
			{frontdesk.RequestInput{Email: "x@example.com", Subject: "s", Body: "b", Type: "nope"}, "type"},
			{frontdesk.RequestInput{Email: "x@example.com", Subject: "s", Body: "b", Custom: map[string]any{"account_no": "1"}}, "custom.account_no"},
			{frontdesk.RequestInput{Email: "x@example.com", Subject: "s", Body: "b", Type: "internal"}, "email"},
		}
		// A bad value of an asked field comes back with the other problems, at once.
		if err := d.db.CreateCustomField(sys, &frontdesk.CustomField{Key: "seats", Label: "Seats", Type: frontdesk.FieldNumber}); err != nil {
			t.Fatal(err)
		}
		fields, _ = d.db.CustomFieldMap(context.Background())
		key3, name3, asked3 := "seats", "Seats", []string{"seats"}
		save(frontdesk.TicketTypeInput{Key: &key3, Name: &name3, PersonFields: &asked3})
		_, err := d.Submit(guest, frontdesk.RequestInput{Email: "not an address", Subject: "s", Body: "b", Type: "seats", Custom: map[string]any{"seats": "many"}}, web)
		if !hasField(err, "email") || !hasField(err, "custom.seats") {
			t.Errorf("a bad custom value with a bad address: %v", err)
		}
		for _, c := range bad {
			_, err := d.Submit(guest, c.in, web)
			if !hasField(err, c.field) {
				t.Errorf("%+v: %v", c.in, err)
			}
		}
		if d.count("people") != people {
			t.Fatal("a refused request made a person")
		}
	})
}

// Bad input: every field error at once, for a missing or invalid address, an empty subject
// or message, and a filled honeypot; nothing is made.
func TestBadRequestsAreFieldErrors(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		cases := []struct {
			in     frontdesk.RequestInput
			fields []string
		}{
			{frontdesk.RequestInput{Subject: "s", Body: "b"}, []string{"email"}},
			{frontdesk.RequestInput{Email: "not an address", Subject: "s", Body: "b"}, []string{"email"}},
			{frontdesk.RequestInput{Email: "a@example.com"}, []string{"subject", "body"}},
			{frontdesk.RequestInput{Email: "a@example.com", Subject: " ", Body: "b", Website: "http://spam"}, []string{"subject", "website"}},
			{frontdesk.RequestInput{Email: "a@example.com", Subject: "s", Body: strings.Repeat("x", frontdesk.MaxMessageBodyLen+1)}, []string{"body"}},
			{frontdesk.RequestInput{Phone: "12", Subject: "s", Body: "b"}, []string{"phone"}},
			{frontdesk.RequestInput{Channel: "email", Identity: "x", Subject: "s", Body: "b"}, []string{"channel"}},
		}
		for _, c := range cases {
			_, err := d.Submit(guest, c.in, web)
			for _, f := range c.fields {
				if !hasField(err, f) {
					t.Errorf("%+v: want a %s error, got %v", c.in, f, err)
				}
			}
		}
		if d.count("people") != 0 || d.count("tickets") != 0 || d.count("held_requests") != 0 {
			t.Fatal("bad requests made something")
		}
	})
}

// The shared limits hold: a client that sends too many requests is told to wait.
func TestRequestsAreRateLimited(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		d.ClientLimit = auth.NewLimiter(3, time.Hour)
		for i := range 4 {
			_, err := d.Submit(guest, request(fmt.Sprintf("r%d@example.com", i)), web)
			if i < 3 && err != nil || i == 3 && frontdesk.ErrorCode(err) != frontdesk.ETooMany {
				t.Fatalf("request %d: %v", i, err)
			}
		}
	})
}

// X5: the link a requester gets opens that one ticket, with its public thread, and lets them
// reply; not their other tickets, not their list of tickets; staff revoke it.
func TestTicketLinkOpensOneTicket_X5(t *testing.T) {
	each(t, func(t *testing.T, d *desk) {
		first := d.submit(request("gail@example.com"))
		second := d.submit(request("gail@example.com"))
		secret := links(d.mails("gail@example.com")[0])["/requests/access"]
		ctx, id, err := d.OpenTicketLink(guest, secret)
		if err != nil || id != first.Ticket.ID {
			t.Fatalf("open: %d %v", id, err)
		}
		if _, thread, err := d.flows.RequesterTicket(ctx, id); err != nil || len(thread) != 1 {
			t.Fatalf("ticket by link: %v", err)
		}
		if _, err := d.flows.RequesterReply(ctx, id, "More detail"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.flows.RequesterTicket(ctx, second.Ticket.ID); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("the link opened another ticket: %v", err)
		}
		if _, _, err := d.flows.MyTickets(ctx, frontdesk.Page{}); err == nil {
			t.Fatal("the link listed the person's tickets")
		}
		contact := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: first.Ticket.RequesterID, Role: frontdesk.RoleContact})
		if _, err := d.RevokeTicketLinks(contact, id); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("a contact revoked links: %v", err)
		}
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 1, Role: frontdesk.RoleAgent, Name: "Agent"})
		if n, err := d.RevokeTicketLinks(agent, id); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if _, _, err := d.OpenTicketLink(guest, secret); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("a revoked link opened: %v", err)
		}
	})
}

func hasField(err error, field string) bool {
	var e *frontdesk.Error
	if err == nil {
		return false
	}
	e, ok := err.(*frontdesk.Error)
	if !ok {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
