package frontdesk

import (
	"strings"
	"time"
	"unicode/utf8"
)

// APIToken is a staff member's key to the API (I2). Its secret is shown once, when it is
// made; only its hash is kept, and the hash never leaves the store.
type APIToken struct {
	ID         int64  `json:"id"`
	PersonID   int64  `json:"person_id"`
	PersonName string `json:"person_name"`
	// PersonRole is the rank of the token's owner, which decides who may revoke it.
	PersonRole Role       `json:"-"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Token states, as StateAt tells them.
const (
	TokenActive  = "active"
	TokenExpired = "expired"
	TokenRevoked = "revoked"
)

// StateAt says whether the token is active, expired or revoked at time now.
func (t *APIToken) StateAt(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return TokenExpired
	}
	return TokenActive
}

// APITokenInput is a request for a new token, as a form or an API client writes it.
type APITokenInput struct {
	Name string
	// ExpiresAt is empty for a token that does not expire, an RFC 3339 time, or a date
	// (YYYY-MM-DD), which means the start of that day in UTC.
	ExpiresAt string
}

// Check validates a request for a token made at now and returns its name and expiry,
// reporting every problem at once.
func (in APITokenInput) Check(now time.Time) (name string, expires *time.Time, err error) {
	var probs Problems
	name = strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		probs.Add("name", "a token needs a name of 1 to 100 characters")
	}
	if s := strings.TrimSpace(in.ExpiresAt); s != "" {
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			t, perr = time.Parse(time.DateOnly, s)
		}
		switch {
		case perr != nil:
			probs.Add("expires_at", "write a date as YYYY-MM-DD or a time as 2006-01-02T15:04:05Z, not %q", s)
		case !t.After(now):
			probs.Add("expires_at", "must be in the future; %s has passed", t.UTC().Format(time.RFC3339))
		default:
			t = t.UTC()
			expires = &t
		}
	}
	return name, expires, probs.Err()
}

// CanListTokensOf reports whether a may see the tokens of person personID (0: everyone's):
// every staff member their own, and with the people.manage permission everyone's, since
// that permission disables people, which ends their tokens anyway (L3).
func (a Actor) CanListTokensOf(personID int64) bool {
	return (personID != 0 && personID == a.ID) || a.Can(PermPeopleManage)
}

// CheckTokenRevoke decides whether a may revoke t: every staff member their own tokens; with
// the people.manage permission, the tokens of people strictly below a's own role, so that
// an admin cannot cut another admin or the owner off the API (R3).
func (a Actor) CheckTokenRevoke(t *APIToken) error {
	if t.PersonID == a.ID {
		return nil
	}
	if !a.Can(PermPeopleManage) {
		return Errorf(EForbidden, "revoking another person's token needs the %s permission", PermPeopleManage)
	}
	if !a.System && !a.Role.Outranks(t.PersonRole) {
		return Errorf(EForbidden, "a %s cannot revoke the token of a %s", a.RoleName(), t.PersonRole)
	}
	return nil
}
