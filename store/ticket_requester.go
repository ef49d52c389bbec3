package store

import (
	"context"
	"database/sql"
	"errors"

	"frontdesk"
)

// ChangeTicketRequester makes person requesterID the requester of ticket id, which must be
// out of the trash (C11). A banned or trashed person becomes no requester, as they raise no
// tickets (L4, L2). The ticket's organization and site follow the new requester when they
// were the old requester's (as CreateTicket set them); when they differ from the old
// requester's, someone set them by hand and they stay. The change is audited with the
// ticket before and after; giving the current requester changes nothing.
func (db *DB) ChangeTicketRequester(ctx context.Context, id, requesterID int64) (*frontdesk.Ticket, error) {
	var out *frontdesk.Ticket
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("ticket", id)
		}
		if err != nil {
			return err
		}
		if old.TrashedAt != nil {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is in the trash", id)
		}
		var state frontdesk.State
		var org, site sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT state, organization_id, site_id FROM people WHERE id = ?`, requesterID).Scan(&state, &org, &site)
		if errors.Is(err, sql.ErrNoRows) {
			return frontdesk.InvalidField("requester_id", "there is no person %d", requesterID)
		}
		if err != nil {
			return err
		}
		if state == frontdesk.StateBanned || state == frontdesk.StateTrashed {
			return frontdesk.Errorf(frontdesk.EForbidden, "person %d is %s and raises no tickets", requesterID, state)
		}
		if requesterID == old.RequesterID {
			out = old
			return nil
		}
		var oldOrg, oldSite sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT organization_id, site_id FROM people WHERE id = ?`, old.RequesterID).Scan(&oldOrg, &oldSite)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		t := *old
		t.RequesterID = requesterID
		if sameID(old.OrganizationID, fromNullID(oldOrg)) && sameID(old.SiteID, fromNullID(oldSite)) {
			t.OrganizationID, t.SiteID = fromNullID(org), fromNullID(site)
		}
		t.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET requester_id = ?, organization_id = ?, site_id = ?, updated_at = ? WHERE id = ?`,
			t.RequesterID, nullID(t.OrganizationID), nullID(t.SiteID), micros(t.UpdatedAt), id); err != nil {
			return err
		}
		out = &t
		return tx.audit(ctx, "ticket.requester", "ticket", id, old, t)
	})
	return out, err
}
