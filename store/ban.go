package store

import (
	"context"
	"time"

	"frontdesk"
)

// banBatch bounds how many bans one EndExpiredBans transaction ends; the job calls again.
const banBatch = 200

// EndExpiredBans moves banned people whose ban ended at or before now to active, through the
// one transition table, and audits each as person.ban_expired by the actor of ctx (the
// system, for the job) (L4). It returns the ids it moved.
//
// It is safe to run in several processes at once: on PostgreSQL the rows are locked and
// those another instance holds are skipped, and the UPDATE repeats the condition, so a ban
// ends, and is audited, once. On SQLite the write transaction holds the one write lock.
func (db *DB) EndExpiredBans(ctx context.Context, now time.Time) ([]int64, error) {
	var ended []int64
	for {
		var batch []int64
		err := db.inTx(ctx, func(tx *Tx) error {
			lock := ""
			if db.engine == Postgres {
				lock = " FOR UPDATE SKIP LOCKED"
			}
			rows, err := tx.QueryContext(ctx, `SELECT `+personColumns+` FROM people
				WHERE state = 'banned' AND banned_until IS NOT NULL AND banned_until <= ? ORDER BY id LIMIT ?`+lock, micros(now), banBatch)
			if err != nil {
				return err
			}
			var due []*frontdesk.Person
			for rows.Next() {
				p, err := scanPerson(rows)
				if err != nil {
					rows.Close()
					return err
				}
				due = append(due, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, old := range due {
				if err := frontdesk.Transition(old.State, frontdesk.StateActive); err != nil {
					return err
				}
				p, err := clonePerson(old)
				if err != nil {
					return err
				}
				p.State, p.BannedUntil, p.BanReason, p.UpdatedAt = frontdesk.StateActive, nil, "", tx.now
				res, err := tx.ExecContext(ctx, `UPDATE people SET state = ?, banned_until = NULL, ban_reason = '', updated_at = ?
					WHERE id = ? AND state = 'banned' AND banned_until <= ?`, p.State, micros(p.UpdatedAt), p.ID, micros(now))
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 0 {
					continue // ended or changed by someone else meanwhile
				}
				if err := tx.audit(ctx, "person.ban_expired", "person", p.ID, old, p); err != nil {
					return err
				}
				batch = append(batch, p.ID)
			}
			return nil
		})
		if err != nil {
			return ended, err
		}
		ended = append(ended, batch...)
		if len(batch) < banBatch {
			return ended, nil
		}
	}
}
