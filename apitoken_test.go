package frontdesk

import (
	"testing"
	"time"
)

// I2, R3: every staff member sees and revokes their own tokens; with people.manage, a staff
// member sees everyone's and revokes those of people strictly below their own role.
func TestTokenRevokeRule_I2_R3(t *testing.T) {
	const self = 7
	moderator := Actor{ID: 1, Role: RoleAgent, StaffRole: "Moderator", Permissions: []Permission{PermPeopleRead, PermPeopleManage}}
	cases := []struct {
		name  string
		actor Actor
		owner Role
		own   bool
		want  bool
	}{
		{"collaborator, own", Actor{ID: self, Role: RoleCollaborator}, RoleCollaborator, true, true},
		{"agent, a collaborator's", Actor{ID: 1, Role: RoleAgent}, RoleCollaborator, false, false},
		{"admin, an agent's", Actor{ID: 1, Role: RoleAdmin}, RoleAgent, false, true},
		{"admin, another admin's", Actor{ID: 1, Role: RoleAdmin}, RoleAdmin, false, false},
		{"admin, the owner's", Actor{ID: 1, Role: RoleAdmin}, RoleOwner, false, false},
		{"admin, own", Actor{ID: self, Role: RoleAdmin}, RoleAdmin, true, true},
		{"owner, an admin's", Actor{ID: 1, Role: RoleOwner}, RoleAdmin, false, true},
		{"custom role with people.manage, a collaborator's", moderator, RoleCollaborator, false, true},
		{"custom role with people.manage, an agent's", moderator, RoleAgent, false, false},
		{"custom admin without people.manage, an agent's", Actor{ID: 1, Role: RoleAdmin, Permissions: []Permission{PermPeopleRead}}, RoleAgent, false, false},
		{"system, the owner's", System, RoleOwner, false, true},
	}
	for _, c := range cases {
		tok := &APIToken{ID: 3, PersonID: 2, PersonRole: c.owner}
		if c.own {
			tok.PersonID = self
		}
		err := c.actor.CheckTokenRevoke(tok)
		if got := err == nil; got != c.want {
			t.Errorf("%s: allowed=%v (%v), want %v", c.name, got, err, c.want)
		}
		if err != nil && ErrorCode(err) != EForbidden {
			t.Errorf("%s: want a forbidden error, got %v", c.name, err)
		}
	}
	if !(Actor{ID: self, Role: RoleCollaborator}).CanListTokensOf(self) || (Actor{ID: self, Role: RoleAgent}).CanListTokensOf(0) ||
		(Actor{ID: self, Role: RoleAgent}).CanListTokensOf(2) || !moderator.CanListTokensOf(0) || !moderator.CanListTokensOf(2) {
		t.Error("listing: own for everyone, everyone's with people.manage")
	}
	if (Actor{}).CanListTokensOf(0) {
		t.Error("nobody lists everyone's tokens")
	}
}

// I2: an expiry is a future date or time; a date means the start of that day in UTC.
func TestTokenInputCheck_I2(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	name, exp, err := APITokenInput{Name: " ci ", ExpiresAt: "2026-03-02"}.Check(now)
	if err != nil || name != "ci" || !exp.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("a date: %q %v %v", name, exp, err)
	}
	if _, exp, err := (APITokenInput{Name: "ci"}).Check(now); err != nil || exp != nil {
		t.Fatalf("no expiry: %v %v", exp, err)
	}
	for _, bad := range []string{"2026-03-01", "2026-03-01T12:00:00Z", "1 March", "2026-02-30"} {
		_, _, err := APITokenInput{Name: "ci", ExpiresAt: bad}.Check(now)
		if e, ok := err.(*Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "expires_at" {
			t.Errorf("%q: want expires_at refused, got %v", bad, err)
		}
	}
}
