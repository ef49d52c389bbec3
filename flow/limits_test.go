package flow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func newFlows(t *testing.T, db *store.DB) *Flows {
	t.Helper()
	mailer, err := mail.New(db, mail.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return New(db, mailer, "http://desk.example")
}

// mustPerson makes an active contact who logs in with password.
func mustPerson(t *testing.T, f *Flows, email, password string) *frontdesk.Person {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name := "Pat Person"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	p.Emails[0].Verified = true // resets go only to confirmed addresses
	if err := f.DB.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := f.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginPassword, PasswordHash: hash, OnboardedAt: &now}); err != nil {
		t.Fatal(err)
	}
	return p
}

func mailTo(t *testing.T, f *Flows, to string) []*frontdesk.Message {
	t.Helper()
	msgs, _, err := f.DB.ListMail(context.Background(), frontdesk.MailFilter{To: to}, frontdesk.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// Issue 7 item 20, E3, E1: /forgot, /confirm/resend and /login/link answer before anything
// depends on whether the address exists: the answer comes while the lookup and the mail are
// held back, for a known address as for an unknown one; the known one gets its mail after.
func TestAddressRequestsAnswerBeforeTheLookup_Issue7_20(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		mustPerson(t, f, "known@example.com", "known-password-1")
		release := make(chan struct{})
		f.beforeWork = func() { <-release }
		ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
		requests := map[string]func(ctx context.Context, address, clientIP string) error{
			"forgot": f.ForgotPassword, "resend": f.ResendConfirmation, "login code": f.RequestLoginCode,
		}
		for name, request := range requests {
			for _, address := range []string{"known@example.com", "unknown@example.com"} {
				done := make(chan error, 1)
				go func() { done <- request(ctx, address, "192.0.2.1") }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("%s for %s: %v", name, address, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s for %s waits for the lookup", name, address)
				}
			}
		}
		if n := len(mailTo(t, f, "known@example.com")); n != 0 {
			t.Fatalf("%d messages queued before the answer", n)
		}
		close(release)
		f.Wait()
		msgs := mailTo(t, f, "known@example.com")
		if len(msgs) != 1 || msgs[0].Template != "password_reset" {
			t.Fatalf("after the work the known address has %d messages, want the password reset", len(msgs))
		}
		if n := len(mailTo(t, f, "unknown@example.com")); n != 0 {
			t.Fatalf("the unknown address got %d messages", n)
		}
	})
}

// Issue 7 item 11, L3: a stranger guessing the owner's password from one address is stopped
// there, while the owner, from another address, logs in with the right password; only failures
// count, and a success clears the failures of its address; one address guessing across many
// accounts is stopped too.
func TestGuessingCannotLockTheOwnerOut_Issue7_11_L3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		f.PasswordSourceLimit = auth.NewLimiter(10, time.Minute)
		mustPerson(t, f, "owner@example.com", "owner-password-1")
		ctx := context.Background()
		login := func(password, ip string) error {
			_, err := f.LoginWithPassword(ctx, "owner@example.com", password, ip, "test")
			return err
		}
		for i := range 5 {
			if err := login("guess-password", "198.51.100.1"); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		err := login("owner-password-1", "198.51.100.1")
		if frontdesk.ErrorCode(err) != frontdesk.ETooMany {
			t.Fatalf("the guessing address is not stopped: %v", err)
		}
		if _, ok := err.(*frontdesk.Error).Extra["retry_after_seconds"]; !ok {
			t.Fatal("the refusal says not when to retry")
		}
		// The owner, elsewhere, with typos first: 4 failures, a success, then 5 more failures
		// before the limit, since the success cleared them.
		for i := range 4 {
			if err := login("typo-password", "203.0.113.7"); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
				t.Fatalf("owner's typo %d: %v", i, err)
			}
		}
		if err := login("owner-password-1", "203.0.113.7"); err != nil {
			t.Fatalf("the owner is locked out by a stranger's guesses: %v", err)
		}
		for i := range 5 {
			if err := login("typo-password", "203.0.113.7"); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
				t.Fatalf("after a success, failure %d: %v", i, err)
			}
		}
		// One address spraying guesses over many accounts meets the per-client limit (10
		// here, 5 already spent at the owner), each account fresh.
		for i := range 6 {
			_, err := f.LoginWithPassword(ctx, fmt.Sprintf("other%d@example.com", i), "guess-password", "198.51.100.1", "test")
			if want := map[bool]frontdesk.Code{true: frontdesk.EUnauthorized, false: frontdesk.ETooMany}[i < 5]; frontdesk.ErrorCode(err) != want {
				t.Fatalf("spray %d: %v, want %s", i, err, want)
			}
		}
	})
}
