package inbound

import (
	"context"

	"frontdesk/store"
)

// Placeholders until the bounce work lands; replaced by inbound/bounce.go and mail/address.go.

type BounceReport struct{}

func ParseBounce(raw []byte) (*BounceReport, bool) { return nil, false }

func RecordBounces(ctx context.Context, db *store.DB, key []byte, inboundID int64, recipients []string, rep *BounceReport, softLimit int) (int, error) {
	return 0, nil
}

func replyTicket(key []byte, addr string) (int64, bool) { return 0, false }

const addressKeyName = "mail-addresses"
