package store

import (
	"context"
	"errors"
	"fmt"

	"frontdesk"
)

// Savepoint runs fn inside the transaction of ctx so that its writes can be undone alone:
// when fn fails they are rolled back and the transaction goes on, so that one bad item of a
// bulk request or one bad row of an import does not take the good ones with it (X7, B3);
// PostgreSQL refuses every statement of a transaction after a failed one otherwise. A taken
// address is explained inside the transaction, which is still usable once rolled back to the
// savepoint. Outside a transaction fn runs in one of its own.
func (db *DB) Savepoint(ctx context.Context, fn func(ctx context.Context) error) error {
	tx, ok := ctx.Value(txKey{}).(*Tx)
	if !ok || tx.db != db {
		return db.WithTx(ctx, fn)
	}
	return explainTaken(ctx, tx, tx.savepoint(ctx, fn))
}

// explainTaken turns a taken address into the conflict error P5 gives, naming the owner
// as q sees them.
func explainTaken(ctx context.Context, q querier, err error) error {
	var taken errAddressTaken
	if !errors.As(err, &taken) {
		return err
	}
	e := frontdesk.Errorf(frontdesk.EConflict, "the address %s already belongs to another person", taken.address)
	e.Fields = []frontdesk.FieldError{{Field: "email", Message: "already belongs to another person"}}
	var owner int64
	if q.QueryRowContext(ctx, `SELECT person_id FROM person_emails WHERE address = ?`, taken.address).Scan(&owner) == nil {
		e.Message = fmt.Sprintf("the address %s already belongs to person %d", taken.address, owner)
		e.Fields[0].Message = fmt.Sprintf("already belongs to person %d", owner)
		e.Extra = map[string]any{"existing_person_id": owner}
	}
	return e
}

// Audit records an entry (L6) in the transaction of ctx, or in one of its own: for actions
// that span many changes, each audited on its own, and are worth one entry of their own
// (a bulk request, a segment's invitations).
func (db *DB) Audit(ctx context.Context, action, subjectType string, subjectID int64, before, after any) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.audit(ctx, action, subjectType, subjectID, before, after) })
}
