package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"

	"frontdesk"
)

// tokenPrefix marks Frontdesk API tokens so that secret scanners can find leaked ones.
const tokenPrefix = "fd_"

// HashToken returns the form a secret is stored in: only its SHA-256, so a leaked database
// holds no usable token. A 160-bit random secret needs no slow hash.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a new API token for a staff member and returns its secret, which is
// shown once and never stored.
func (db *DB) CreateAPIToken(ctx context.Context, personID int64, name string) (string, error) {
	buf := make([]byte, 20)
	rand.Read(buf)
	secret := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf))
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", frontdesk.InvalidField("name", "a token needs a name of 1 to 100 characters")
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		var role frontdesk.Role
		var state frontdesk.State
		err := tx.QueryRowContext(ctx, `SELECT role, state FROM people WHERE id = ?`, personID).Scan(&role, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("person", personID)
		}
		if err != nil {
			return err
		}
		if !role.IsStaff() {
			return frontdesk.InvalidField("person", "API tokens belong to staff members; person %d is a %s", personID, role)
		}
		if state != frontdesk.StateActive {
			return frontdesk.InvalidField("person", "person %d is %s; only active staff get tokens", personID, state)
		}
		id, err := tx.insert(ctx, `INSERT INTO api_tokens (person_id, name, hash, created_at) VALUES (?, ?, ?, ?)`,
			personID, name, HashToken(secret), micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(ctx, "api_token.create", "person", personID, nil, map[string]any{"token_id": id, "name": name})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Authenticate returns the actor an API token stands for, with the effective permissions of
// their role as it is now (R2). A token that is unknown, revoked or expired, or whose owner is
// no longer active staff, is refused (L3).
func (db *DB) Authenticate(ctx context.Context, secret string) (frontdesk.Actor, error) {
	var expires sql.NullInt64
	a, state, err := scanActor(dbQuerier{db}.QueryRowContext(ctx, `SELECT `+actorColumns+`, t.expires_at`+actorFrom+` JOIN api_tokens t ON t.person_id = p.id
		WHERE t.hash = ? AND t.revoked_at IS NULL`, HashToken(secret)), &expires)
	unauthorized := frontdesk.Errorf(frontdesk.EUnauthorized, "the API token is unknown, revoked or expired")
	if errors.Is(err, sql.ErrNoRows) {
		return frontdesk.Actor{}, unauthorized
	}
	if err != nil {
		return frontdesk.Actor{}, err
	}
	if state != frontdesk.StateActive || !a.Role.IsStaff() || (expires.Valid && expires.Int64 <= micros(db.now())) {
		return frontdesk.Actor{}, unauthorized
	}
	return a, nil
}

// revokeTokens ends every API token of a person (L3).
func (tx *Tx) revokeTokens(ctx context.Context, personID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, micros(tx.now), personID)
	return err
}
