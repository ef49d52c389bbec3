package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// BenchmarkLogin measures logins over HTTP (form post, argon2id check, session written) and
// reports the p50 latency. Run: go test -run '^$' -bench Login ./server/
func BenchmarkLogin(b *testing.B) {
	a := newApp(b, storetest.Engines()[len(storetest.Engines())-1])
	a.Flows.LoginLimit = auth.NewLimiter(1<<30, time.Nanosecond)
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustPersonWithPassword(b, ctx, frontdesk.RoleContact, "bench@example.com", "bench-password-1")
	form := url.Values{"email": {"bench@example.com"}, "password": {"bench-password-1"}}.Encode()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		req, _ := http.NewRequest("POST", a.URL+"/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err != nil || res.StatusCode != http.StatusSeeOther {
			b.Fatalf("login: %v %v", err, res)
		}
		res.Body.Close()
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkConfirmationLinks measures confirmation links processed per second: each spends
// a single-use token, verifies the address, activates the contact and issues the onboarding
// token, in one transaction.
func BenchmarkConfirmationLinks(b *testing.B) {
	a := newApp(b, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	var secrets []string
	for i := range b.N {
		p := frontdesk.NewPerson(frontdesk.ChannelAPI)
		email := fmt.Sprintf("confirm%d@example.com", i)
		if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Email: &email}, frontdesk.Rules{}); err != nil {
			b.Fatal(err)
		}
		if err := a.DB.CreatePerson(ctx, p); err != nil {
			b.Fatal(err)
		}
		secret := auth.NewSecret(32)
		if err := a.DB.IssuePersonToken(ctx, p.ID, store.PurposeConfirm, email, secret, time.Hour); err != nil {
			b.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := a.Flows.Confirm(ctx, secrets[i], ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "links/s")
}
