package store_test

import (
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// L3: leaving active ends sessions and API tokens for good. A disabled, banned or trashed
// person's old session and token stay dead when they are re-enabled, lifted or restored;
// refusing them only while the person is not active would bring them back.
func TestReenablingDoesNotReviveSessionsOrTokens_L3(t *testing.T) {
	for _, away := range []frontdesk.State{frontdesk.StateDisabled, frontdesk.StateBanned, frontdesk.StateTrashed} {
		t.Run(string(away), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				p := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Sam Staff"), Email: ptr("sam@example.com"), Role: ptr(frontdesk.RoleAgent)})
				if _, err := db.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateActive}); err != nil {
					t.Fatal(err)
				}
				token, err := db.CreateAPIToken(ctx, p.ID, "ci")
				if err != nil {
					t.Fatal(err)
				}
				const session = "an-old-session-secret"
				if _, err := db.CreateSession(ctx, session, p.ID, time.Hour, "test", "127.0.0.1"); err != nil {
					t.Fatal(err)
				}
				if _, _, err := db.SessionPerson(ctx, session); err != nil {
					t.Fatalf("the session before: %v", err)
				}
				if _, err := db.SetState(ctx, p.ID, store.StateChange{To: away}); err != nil {
					t.Fatal(err)
				}
				// Back to active: re-enabled, ban lifted, or restored to the active state
				// they had before the trash.
				if _, err := db.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateActive}); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Authenticate(ctx, token); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
					t.Errorf("the old API token works again after %s and back: %v", away, err)
				}
				if _, _, err := db.SessionPerson(ctx, session); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
					t.Errorf("the old session works again after %s and back: %v", away, err)
				}
				// New ones work: the person is active again.
				fresh, err := db.CreateAPIToken(ctx, p.ID, "ci2")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Authenticate(ctx, fresh); err != nil {
					t.Errorf("a new token after re-enabling: %v", err)
				}
			})
		})
	}
}
