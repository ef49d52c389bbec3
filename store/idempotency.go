package store

import (
	"context"
	"database/sql"
	"errors"

	"frontdesk"
)

// Idempotent is the first answer given to a create request under an Idempotency-Key.
type Idempotent struct {
	Status int
	Body   []byte
}

// ErrIdempotencyRace is returned by Idempotently when another request with the same key
// committed first; the caller looks the stored answer up again and replays it.
var ErrIdempotencyRace = errors.New("idempotency key taken by a concurrent request")

// LookupIdempotencyKey returns the stored answer for key, or nil when there is none. A key
// used before for a request with different content is refused.
func (db *DB) LookupIdempotencyKey(ctx context.Context, actorID int64, key, hash string) (*Idempotent, error) {
	var out Idempotent
	var storedHash string
	err := dbQuerier{db}.QueryRowContext(ctx, `SELECT status, request_hash, body FROM idempotency_keys WHERE actor_id = ? AND key = ?`,
		actorID, key).Scan(&out.Status, &storedHash, &out.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if storedHash != hash {
		return nil, frontdesk.InvalidField("Idempotency-Key", "this key was already used for a different request")
	}
	return &out, nil
}

// Idempotently runs create and records its answer under key in the same transaction, so the
// key is taken if and only if the create committed: a crash at any point leaves either both
// or neither, and a retry replays the answer instead of creating again. The key's row is
// written first, so that a concurrent request with the same key waits for this one and then
// gets ErrIdempotencyRace.
func (db *DB) Idempotently(ctx context.Context, actorID int64, key, hash string, create func(ctx context.Context) (status int, body []byte, err error)) (int, []byte, error) {
	var status int
	var body []byte
	err := db.WithTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*Tx)
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (actor_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)`,
			actorID, key, hash, micros(tx.now))
		if _, dup := uniqueViolation(err); dup {
			return ErrIdempotencyRace
		}
		if err != nil {
			return err
		}
		if status, body, err = create(ctx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ? WHERE actor_id = ? AND key = ?`, status, body, actorID, key)
		return err
	})
	return status, body, err
}
