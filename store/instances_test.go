package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// I1: several processes on one PostgreSQL start side by side (migrations take a lock, so
// they run once) and keep one address to one person across instances (C14).
func TestInstancesShareOnePostgres_I1_C14(t *testing.T) {
	if !hasPostgres() {
		t.Skip(storetest.PostgresURLEnv + " is not set")
	}
	cfg := storetest.Config(t, store.Postgres)
	const n = 4
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = store.Open(context.Background(), cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	results := make([]error, 40)
	for i := range results {
		wg.Go(func() {
			_, results[i] = createPerson(dbs[i%n], frontdesk.PersonInput{Email: ptr("shared@example.com"), Name: ptr(fmt.Sprint("P", i))})
		})
	}
	wg.Wait()
	created := 0
	for _, err := range results {
		switch frontdesk.ErrorCode(err) {
		case frontdesk.EConflict:
		case frontdesk.EInternal:
			if err != nil {
				t.Fatalf("unexpected: %v", err)
			}
			created++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("want one person across instances, got %d", created)
	}
}

func hasPostgres() bool {
	for _, e := range storetest.Engines() {
		if e == store.Postgres {
			return true
		}
	}
	return false
}
