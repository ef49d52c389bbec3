package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// The request channel (issue 8): guests posting to the public POST /api/v1/requests, each
// with an address nobody has yet, so that each request makes a contact, a ticket with its
// first message, a link to the ticket and the welcome mail (C4, guest_requests=open). The
// server believes X-Forwarded-For from the loopback proxy and every request comes from
// another client address, so the per-client limit counts as for real guests without
// refusing the benchmark; the per-address limit counts too.

// benchProxies are the proxies the benchmark's API believes.
var benchProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

type requestAnswer struct {
	Status   string `json:"status"`
	TicketID int64  `json:"ticket_id"`
}

// guestRequest posts a new guest's request and checks that a ticket was made.
func guestRequest(c *client, g gen, next *atomic.Int64) op {
	return func(ctx context.Context, rng *rand.Rand) error {
		k := int(next.Add(1) - 1)
		first, last := g.names(k)
		body, err := json.Marshal(map[string]string{
			"email": g.address(k), "name": first + " " + last,
			"subject": "The printer on floor 2 jams",
			"body": "Hello,\n\nsince this morning the printer on the second floor jams on every second page. " +
				"We restarted it twice and took the paper out, but it keeps doing it. Could someone look at it?\n\nThanks",
		})
		if err != nil {
			return err
		}
		ip := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		status, b, err := c.doAs(ctx, "POST", "/api/v1/requests", body, "X-Forwarded-For", ip)
		if err != nil {
			return err
		}
		var a requestAnswer
		if status != http.StatusCreated || json.Unmarshal(b, &a) != nil || a.Status != "created" || a.TicketID == 0 {
			return fmt.Errorf("POST /api/v1/requests: status %d: %s", status, trim(b))
		}
		return nil
	}
}
