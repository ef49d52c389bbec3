package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"frontdesk"
)

// LoginMethod is how a person proves who they are at login (C1).
type LoginMethod string

// Login methods.
const (
	LoginPassword LoginMethod = "password"
	LoginCode     LoginMethod = "code" // a one-time code by email, typed on the login page
)

// Credentials are a person's login method, password hash and onboarding state.
type Credentials struct {
	PersonID     int64
	Method       LoginMethod
	PasswordHash string
	OnboardedAt  *time.Time
}

// GetCredentials returns a person's credentials; a person who never set any gets the zero
// value with the password method.
func (db *DB) GetCredentials(ctx context.Context, personID int64) (Credentials, error) {
	c := Credentials{PersonID: personID, Method: LoginPassword}
	var hash sql.NullString
	var onboarded sql.NullInt64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT login_method, password_hash, onboarded_at FROM person_credentials WHERE person_id = ?`, personID).
		Scan(&c.Method, &hash, &onboarded)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	c.PasswordHash, c.OnboardedAt = hash.String, fromNullMicros(onboarded)
	return c, err
}

// SaveCredentials stores a person's credentials and audits the change without the hash.
func (db *DB) SaveCredentials(ctx context.Context, c Credentials) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var hash any
		if c.PasswordHash != "" {
			hash = c.PasswordHash
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_credentials WHERE person_id = ?`, c.PersonID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO person_credentials (person_id, login_method, password_hash, onboarded_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			c.PersonID, c.Method, hash, nullMicros(c.OnboardedAt), micros(tx.now)); err != nil {
			return err
		}
		return tx.audit(ctx, "person.credentials", "person", c.PersonID, nil,
			map[string]any{"login_method": c.Method, "password_set": c.PasswordHash != "", "onboarded": c.OnboardedAt != nil})
	})
}

// Token purposes of person_tokens.
const (
	PurposeConfirm    = "confirm"    // confirm an address (E1)
	PurposeWelcome    = "welcome"    // set credentials from the welcome email (E2, L5)
	PurposeReset      = "reset"      // reset a forgotten password (E3)
	PurposeLoginCode  = "login_code" // log in with a code sent by email (C1)
	PurposeOnboarding = "onboarding" // finish onboarding after confirming (C1, C2)
	// PurposeRegistration binds a registrant's password to the browser that registered: it
	// counts only when the confirmation link is opened there (C7, E1).
	PurposeRegistration = "registration"
)

// IssuePersonToken stores the hash of a new single-use secret for a person and purpose and
// invalidates the older unused ones of the same purpose (E1: a re-send supersedes).
func (db *DB) IssuePersonToken(ctx context.Context, personID int64, purpose, address, secret string, lifetime time.Duration) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE person_tokens SET used_at = ? WHERE person_id = ? AND purpose = ? AND used_at IS NULL`,
			micros(tx.now), personID, purpose); err != nil {
			return err
		}
		// A short login code can repeat an old, spent one of the same address.
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_tokens WHERE hash = ? AND used_at IS NOT NULL`, HashToken(secret)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO person_tokens (hash, person_id, purpose, address, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			HashToken(secret), personID, purpose, address, micros(tx.now), micros(tx.now.Add(lifetime)))
		return err
	})
}

// errBadLink is the one answer to a link or code that does not work, whatever the reason.
func errBadLink() error {
	return frontdesk.Errorf(frontdesk.EInvalid, "this link or code is not valid: it was used, replaced by a newer one, or has expired")
}

// ConsumePersonToken spends a secret of the given purpose once: it returns the person and
// the address the token was for, and marks the token used in the caller's transaction. A
// secret that is unknown, used, superseded, expired or of another purpose is refused alike.
func (db *DB) ConsumePersonToken(ctx context.Context, purpose, secret string) (personID int64, address string, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		var expires int64
		e := tx.QueryRowContext(ctx, `SELECT person_id, address, expires_at FROM person_tokens WHERE hash = ? AND purpose = ? AND used_at IS NULL`,
			HashToken(secret), purpose).Scan(&personID, &address, &expires)
		if errors.Is(e, sql.ErrNoRows) || e == nil && expires <= micros(tx.now) {
			return errBadLink()
		}
		if e != nil {
			return e
		}
		// E1, E3: a link lives only as long as its address belongs to the person.
		if address != "" {
			var n int
			if e := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM person_emails WHERE person_id = ? AND address = ?`, personID, address).Scan(&n); e != nil {
				return e
			}
			if n == 0 {
				return errBadLink()
			}
		}
		// The conditional update makes two racing uses spend it once.
		res, e := tx.ExecContext(ctx, `UPDATE person_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`, micros(tx.now), HashToken(secret))
		if e != nil {
			return e
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errBadLink()
		}
		return nil
	})
	return personID, address, err
}

// endTokensOfLostAddresses spends every unused link of a person that was sent to an address
// the person no longer has, so that a link to a typo'd or replaced address dies with it (E1, E3).
func (tx *Tx) endTokensOfLostAddresses(ctx context.Context, personID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE person_tokens SET used_at = ?
		WHERE person_id = ? AND used_at IS NULL AND address <> ''
		AND address NOT IN (SELECT address FROM person_emails WHERE person_id = ?)`, micros(tx.now), personID, personID)
	return err
}

// MaxLoginCodeAttempts is how many wrong guesses kill a login code (C1).
const MaxLoginCodeAttempts = 5

// FailLoginCode counts a wrong guess against the live login code of an address and spends the
// code once the guesses reach MaxLoginCodeAttempts, so a six-digit code cannot be walked.
func (db *DB) FailLoginCode(ctx context.Context, address string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE person_tokens SET attempts = attempts + 1,
			used_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE used_at END
			WHERE purpose = ? AND address = ? AND used_at IS NULL`, MaxLoginCodeAttempts, micros(tx.now), PurposeLoginCode, address)
		return err
	})
}
