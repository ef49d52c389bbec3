package flow

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// clock is a settable time for the store, so that link lifetimes and the resend window are
// tested without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// eachClocked runs fn on each engine with a database whose clock the test moves.
func eachClocked(t *testing.T, fn func(t *testing.T, db *store.DB, c *clock)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			c := &clock{t: time.Now().UTC().Truncate(time.Second)}
			fn(t, storetest.Open(t, e, func(cfg *store.Config) { cfg.Now = c.now }), c)
		})
	}
}

// seedPerson stores a person as the system would, with fn shaping them first.
func seedPerson(t *testing.T, db *store.DB, name, email string, fn func(p *frontdesk.Person)) *frontdesk.Person {
	t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	in := frontdesk.PersonInput{Name: &name}
	if email != "" {
		in.Email = &email
	}
	if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateNotActivated
	if fn != nil {
		fn(p)
	}
	if err := db.CreatePerson(frontdesk.WithActor(context.Background(), frontdesk.System), p); err != nil {
		t.Fatal(err)
	}
	return p
}

var linkToken = regexp.MustCompile(`token=([^\s"&<>]+)`)

// lastLink returns the secret of the link in the newest mail of template to address.
func lastLink(t *testing.T, f *Flows, to, template string) string {
	t.Helper()
	for _, m := range mailTo(t, f, to) { // newest first
		if m.Template == template {
			s := linkToken.FindStringSubmatch(m.Text)
			if s == nil {
				t.Fatalf("no link in %q", m.Text)
			}
			secret, err := url.QueryUnescape(s[1])
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
	}
	t.Fatalf("no %s mail to %s", template, to)
	return ""
}

func countMail(t *testing.T, f *Flows, to, template string) int {
	t.Helper()
	n := 0
	for _, m := range mailTo(t, f, to) {
		if m.Template == template && m.State != frontdesk.MessageSuppressed {
			n++
		}
	}
	return n
}

// X8, E1, E2, E5, X3, R3: a welcome to a whole segment goes to those who need it and may get
// it, with the lifetime chosen; the others are counted as suppressed or skipped, by reason.
// A second request at once sends nothing again; after the window it sends new links that
// supersede the old, and each link is single-use.
func TestInviteSegment_X8(t *testing.T) {
	eachClocked(t, func(t *testing.T, db *store.DB, c *clock) {
		ctx := context.Background()
		f := newFlows(t, db)
		admin := frontdesk.WithActor(ctx, frontdesk.Actor{ID: 900, Role: frontdesk.RoleAdmin, Name: "Admin"})
		ann := seedPerson(t, db, "Ann Able", "ann@example.com", nil)
		seedPerson(t, db, "Mac Hine", "mac@example.com", func(p *frontdesk.Person) { p.Machine = true })
		seedPerson(t, db, "Dee Nope", "dee@example.com", func(p *frontdesk.Person) { p.DoNotEmail = true })
		seedPerson(t, db, "Sue Press", "sue@example.com", nil)
		if _, err := db.Suppress(ctx, &frontdesk.Suppression{Address: "sue@example.com", Reason: "bounced"}); err != nil {
			t.Fatal(err)
		}
		seedPerson(t, db, "Act Ive", "act@example.com", func(p *frontdesk.Person) { p.State = frontdesk.StateActive; p.Emails[0].Verified = true })
		seedPerson(t, db, "Wes Noweb", "wes@example.com", func(p *frontdesk.Person) { p.WebAccess = frontdesk.WebAccessNone })
		seedPerson(t, db, "Ada Admin", "ada@example.com", func(p *frontdesk.Person) { p.Role = frontdesk.RoleAdmin })
		seedPerson(t, db, "Aga Agent", "aga@example.com", func(p *frontdesk.Person) { p.Role = frontdesk.RoleAgent })
		seedPerson(t, db, "Phil Phoneonly", "", func(p *frontdesk.Person) { p.Phones = []frontdesk.Phone{{Number: "+12015550123"}} })
		seedPerson(t, db, "Ben Banned", "ben@example.com", func(p *frontdesk.Person) { p.State = frontdesk.StateBanned })

		rep, err := f.Invite(admin, Invitation{Filter: frontdesk.PersonFilter{}, Purpose: InvitePurposeWelcome, LifetimeHours: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := InvitationReport{Purpose: "welcome", LifetimeHours: 2, Matched: 10, Sent: 2,
			Suppressed: InvitationSuppressed{Machine: 1, DoNotEmail: 1, SuppressionList: 1},
			Skipped:    InvitationSkipped{AlreadyActive: 1, NoWebAccess: 1, OutOfReach: 1, NoAddress: 1, Closed: 1}}
		if *rep != want {
			t.Fatalf("report\n got %+v\nwant %+v", *rep, want)
		}
		for _, a := range []string{"mac@example.com", "dee@example.com", "sue@example.com", "act@example.com", "wes@example.com", "ada@example.com", "ben@example.com"} {
			if n := len(mailTo(t, f, a)); n != 0 {
				t.Errorf("%s got %d mails", a, n)
			}
		}
		if countMail(t, f, "ann@example.com", "welcome") != 1 || countMail(t, f, "aga@example.com", "welcome") != 1 {
			t.Fatalf("ann and aga should have one welcome each")
		}
		first := lastLink(t, f, "ann@example.com", "welcome")

		// A double click: nothing again.
		rep, err = f.Invite(admin, Invitation{Purpose: InvitePurposeWelcome, LifetimeHours: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sent != 0 || rep.Skipped.RecentlySent != 2 || countMail(t, f, "ann@example.com", "welcome") != 1 {
			t.Errorf("second request: %+v", rep)
		}

		// The lifetime chosen holds: valid within two hours, expired after, where the
		// setting's day would still let it in.
		c.add(time.Hour)
		if _, err := f.PeekAddressLink(ctx, store.PurposeWelcome, first); err != nil {
			t.Errorf("the link an hour later: %v", err)
		}
		c.add(2 * time.Hour)
		if _, err := f.PeekAddressLink(ctx, store.PurposeWelcome, first); err == nil {
			t.Errorf("the two-hour link works after three hours")
		}

		// After the window, new links go, which supersede the old; each is single-use.
		rep, err = f.Invite(admin, Invitation{Purpose: InvitePurposeWelcome, LifetimeHours: 48})
		if err != nil || rep.Sent != 2 {
			t.Fatalf("after the window: %+v, %v", rep, err)
		}
		second := lastLink(t, f, "ann@example.com", "welcome")
		c.add(24 * time.Hour)
		if _, err := f.Welcome(ctx, second); err != nil {
			t.Fatalf("the 48-hour link after a day: %v", err)
		}
		if _, err := f.Welcome(ctx, second); err == nil {
			t.Errorf("a welcome link worked twice")
		}
		if p, _ := db.GetPerson(ctx, ann.ID); p.State != frontdesk.StateActive {
			t.Errorf("ann after the welcome: %s", p.State)
		}

		// Audited with the report.
		entries, _, err := db.ListAudit(ctx, frontdesk.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == "people.invite" {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d people.invite entries, want 3", n)
		}
	})
}

// X8, E1: the confirmation goes to unconfirmed primary addresses, not to confirmed ones,
// within a filter; its guard is apart from the welcome's.
func TestInviteConfirmation_X8(t *testing.T) {
	eachClocked(t, func(t *testing.T, db *store.DB, c *clock) {
		ctx := context.Background()
		f := newFlows(t, db)
		admin := frontdesk.WithActor(ctx, frontdesk.Actor{ID: 900, Role: frontdesk.RoleAdmin, Name: "Admin"})
		seedPerson(t, db, "Ann Able", "ann@example.com", nil)
		seedPerson(t, db, "Act Ive", "act@example.com", func(p *frontdesk.Person) { p.State = frontdesk.StateActive; p.Emails[0].Verified = true })
		changed := seedPerson(t, db, "Cha Nged", "cha@example.com", func(p *frontdesk.Person) { p.State = frontdesk.StateActive })
		seedPerson(t, db, "Oth Er", "oth@example.com", func(p *frontdesk.Person) { p.Channel = frontdesk.ChannelAPI })
		rep, err := f.Invite(admin, Invitation{Filter: frontdesk.PersonFilter{Channel: frontdesk.ChannelCLI}, Purpose: InvitePurposeConfirmation, LifetimeHours: 5})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Matched != 3 || rep.Sent != 2 || rep.Skipped.AlreadyVerified != 1 {
			t.Errorf("report %+v", rep)
		}
		if countMail(t, f, "oth@example.com", "confirm_address") != 0 {
			t.Errorf("the filter let another channel in")
		}
		secret := lastLink(t, f, "cha@example.com", "confirm_address")
		if _, err := f.Confirm(ctx, secret, ""); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.GetPerson(ctx, changed.ID); !p.Emails[0].Verified {
			t.Errorf("the address is not confirmed")
		}
		// The welcome's guard is its own.
		rep, err = f.Invite(admin, Invitation{Filter: frontdesk.PersonFilter{Channel: frontdesk.ChannelCLI}, Purpose: InvitePurposeWelcome, LifetimeHours: 5})
		if err != nil || rep.Sent != 1 {
			t.Errorf("welcome after a confirmation: %+v, %v", rep, err)
		}
	})
}

// X8, R3: without people.update nothing is sent; bad input is answered field by field,
// all at once.
func TestInviteRefused_X8(t *testing.T) {
	eachClocked(t, func(t *testing.T, db *store.DB, c *clock) {
		ctx := context.Background()
		f := newFlows(t, db)
		seedPerson(t, db, "Ann Able", "ann@example.com", nil)
		collab := frontdesk.WithActor(ctx, frontdesk.Actor{ID: 901, Role: frontdesk.RoleCollaborator, Name: "Col"})
		if _, err := f.Invite(collab, Invitation{Purpose: InvitePurposeWelcome, LifetimeHours: 2}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("collaborator: %v", err)
		}
		admin := frontdesk.WithActor(ctx, frontdesk.Actor{ID: 900, Role: frontdesk.RoleAdmin, Name: "Admin"})
		_, err := f.Invite(admin, Invitation{Filter: frontdesk.PersonFilter{States: []frontdesk.State{"asleep"}}, Purpose: "spam", LifetimeHours: MaxInviteHours + 1})
		for _, field := range []string{"purpose", "lifetime_hours", "filter.state"} {
			if !hasField(err, field) {
				t.Errorf("no problem with %s in %v", field, err)
			}
		}
		if len(mailTo(t, f, "ann@example.com")) != 0 {
			t.Errorf("mail went")
		}
	})
}

// X8: two requests at once (a double click that reaches two instances) send each person one
// invitation between them: the per-person guard decides, not the timing.
func TestInviteConcurrentOnce_X8(t *testing.T) {
	eachClocked(t, func(t *testing.T, db *store.DB, c *clock) {
		f := newFlows(t, db)
		admin := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 900, Role: frontdesk.RoleAdmin, Name: "Admin"})
		for i := range 30 {
			seedPerson(t, db, fmt.Sprintf("Pat Person%d", i), fmt.Sprintf("p%d@example.com", i), nil)
		}
		var wg sync.WaitGroup
		reps := make([]*InvitationReport, 2)
		errs := make([]error, 2)
		for i := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i], errs[i] = f.Invite(admin, Invitation{Purpose: InvitePurposeWelcome, LifetimeHours: 24})
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if sent := reps[0].Sent + reps[1].Sent; sent != 30 || reps[0].Skipped.RecentlySent+reps[1].Skipped.RecentlySent != 30 {
			t.Errorf("sent %d between them: %+v %+v", sent, reps[0], reps[1])
		}
		for i := range 30 {
			if n := countMail(t, f, fmt.Sprintf("p%d@example.com", i), "welcome"); n != 1 {
				t.Errorf("p%d got %d welcomes", i, n)
			}
		}
	})
}
