package store

import (
	"context"
	"time"

	"frontdesk"
)

// StateChange asks for a person to move to another state (L1).
type StateChange struct {
	To          frontdesk.State
	BanReason   string
	BannedUntil *time.Time // nil bans for good
}

// SetState moves a person to another state through the one transition table, remembers the
// state before trashing so that restoring returns to it, ends the person's API tokens on any
// move away from active (L3), and audits the change (L6).
func (db *DB) SetState(ctx context.Context, id int64, c StateChange) (*frontdesk.Person, error) {
	var out *frontdesk.Person
	err := db.WithTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*Tx)
		var before string
		if c.To == frontdesk.StateTrashed {
			// set below, once the transition is known to be allowed
		} else if err := tx.QueryRowContext(ctx, `SELECT COALESCE(state_before_trash, '') FROM people WHERE id = ?`, id).Scan(&before); err != nil {
			return notFound("person", id)
		}
		var from frontdesk.State
		p, err := db.UpdatePerson(ctx, id, func(p *frontdesk.Person) error {
			from = p.State
			if from == frontdesk.StateTrashed && before != "" && c.To != frontdesk.State(before) {
				return frontdesk.InvalidField("state", "a trashed person is restored to the state they had, %s, not %s", before, c.To)
			}
			if err := frontdesk.Transition(from, c.To); err != nil {
				return err
			}
			p.State = c.To
			if from == frontdesk.StateTrashed && c.To == frontdesk.StateBanned && c.BanReason == "" && c.BannedUntil == nil {
				return nil // restored into the ban they had, reason and end kept
			}
			p.BanReason, p.BannedUntil = "", nil
			if c.To == frontdesk.StateBanned {
				if c.BannedUntil != nil && !c.BannedUntil.After(tx.now) {
					return frontdesk.InvalidField("banned_until", "must be in the future")
				}
				p.BanReason, p.BannedUntil = c.BanReason, c.BannedUntil
			}
			return nil
		})
		if err != nil {
			return err
		}
		var keep any
		if c.To == frontdesk.StateTrashed {
			keep = string(from)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET state_before_trash = ? WHERE id = ?`, keep, id); err != nil {
			return err
		}
		// L2: the trash takes the person's tickets along, and restoring brings back those.
		switch {
		case c.To == frontdesk.StateTrashed:
			if err := tx.trashTicketsWith(ctx, id); err != nil {
				return err
			}
		case from == frontdesk.StateTrashed:
			if err := tx.restoreTicketsWith(ctx, id); err != nil {
				return err
			}
		}
		if frontdesk.EndsAccess(from, c.To) {
			if err := tx.revokeTokens(ctx, id); err != nil {
				return err
			}
			if err := tx.revokeSessions(ctx, id); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, err
}
