package inbound

import (
	"context"

	"frontdesk"
)

// Staff's actions on mailboxes, the suppression list and received mail: the one path the
// API and the console take, each with its permission check inside.

// SaveMailbox creates a mailbox (id 0) or changes one. It needs settings.manage.
func (in *Inbox) SaveMailbox(ctx context.Context, id int64, input frontdesk.MailboxInput) (*frontdesk.Mailbox, error) {
	if err := need(ctx, frontdesk.PermSettingsManage, "changing mailboxes"); err != nil {
		return nil, err
	}
	return in.DB.SaveMailbox(ctx, id, input)
}

// DeleteMailbox removes a mailbox that has received nothing. It needs settings.manage.
func (in *Inbox) DeleteMailbox(ctx context.Context, id int64) error {
	if err := need(ctx, frontdesk.PermSettingsManage, "deleting mailboxes"); err != nil {
		return err
	}
	return in.DB.DeleteMailbox(ctx, id)
}

// Suppress puts an address on the suppression list by hand, in the actor's name, and
// returns the entry and whether it is new: an address listed already keeps its first
// reason, and that entry is returned. It needs settings.manage.
func (in *Inbox) Suppress(ctx context.Context, input frontdesk.SuppressionInput) (*frontdesk.Suppression, bool, error) {
	if err := need(ctx, frontdesk.PermSettingsManage, "suppressing addresses"); err != nil {
		return nil, false, err
	}
	sup, err := frontdesk.NewSuppression(input, frontdesk.ActorFrom(ctx).ID)
	if err != nil {
		return nil, false, err
	}
	added, err := in.DB.Suppress(ctx, sup)
	if err != nil || added {
		return sup, added, err
	}
	old, err := in.DB.GetSuppression(ctx, sup.Address)
	return old, false, err
}

// Unsuppress takes an address off the suppression list. It needs settings.manage.
func (in *Inbox) Unsuppress(ctx context.Context, address string) error {
	if err := need(ctx, frontdesk.PermSettingsManage, "lifting suppressions"); err != nil {
		return err
	}
	return in.DB.Unsuppress(ctx, address)
}

// Raw returns a received message as it came, senders' words and all. It needs
// tickets.answer, as the log of received mail does.
func (in *Inbox) Raw(ctx context.Context, id int64) ([]byte, error) {
	if err := need(ctx, frontdesk.PermTicketsAnswer, "reading received mail"); err != nil {
		return nil, err
	}
	return in.DB.InboundRaw(ctx, id)
}
