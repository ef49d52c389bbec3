package flow

import (
	"context"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// T3: the requester rates their ticket once it is closed, good or bad with a comment; nobody
// else rates it, an open ticket takes no rating, and a bad rating changes nothing.
func TestRateOnlyClosedOnlyRequester_T3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		sys := frontdesk.WithActor(context.Background(), frontdesk.System)
		req := mustPerson(t, f, "rae@example.com", "correct horse battery")
		other := mustPerson(t, f, "oz@example.com", "correct horse battery")
		tk, err := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Slow laptop"}, frontdesk.TicketViaWeb)
		if err != nil {
			t.Fatal(err)
		}
		as := func(p *frontdesk.Person) context.Context {
			return frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: p.ID, Role: p.Role, Name: p.FullName()})
		}
		good := frontdesk.RatingInput{Rating: frontdesk.RatingGood, Comment: "Quick and kind."}
		if _, err := f.Rate(as(req), tk.ID, good); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Errorf("rating an open ticket: %v", err)
		}
		closed := frontdesk.TicketClosed
		if _, err := f.UpdateTicket(sys, tk.ID, frontdesk.TicketUpdate{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Rate(as(other), tk.ID, good); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("someone else rated the ticket: %v", err)
		}
		if _, err := f.Rate(as(req), tk.ID, frontdesk.RatingInput{Rating: "meh"}); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Errorf("an unknown rating: %v", err)
		}
		if got, _ := db.GetTicket(context.Background(), tk.ID); got.Rating != nil || got.RatedAt != nil {
			t.Fatalf("refused ratings left a rating: %+v", got)
		}
		got, err := f.Rate(as(req), tk.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := db.GetTicket(context.Background(), tk.ID)
		for _, x := range []*frontdesk.Ticket{got, stored} {
			if x.Rating == nil || *x.Rating != frontdesk.RatingGood || x.RatingComment != "Quick and kind." || x.RatedAt == nil {
				t.Errorf("rated ticket: %+v", x)
			}
		}
	})
}

// L4, R3: marking a ticket as spam bans its requester in the same transaction; a requester
// the actor may not ban (a staff member of the same rank) makes the whole step fail, and
// the ticket is not marked.
func TestMarkSpamIsOneStep_L4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		sys := frontdesk.WithActor(context.Background(), frontdesk.System)
		spammer := mustPerson(t, f, "spam@example.com", "correct horse battery")
		peer := mustPerson(t, f, "peer@example.com", "correct horse battery")
		agent := frontdesk.RoleAgent
		if _, err := f.UpdatePerson(sys, peer.ID, frontdesk.PersonInput{Role: &agent}); err != nil {
			t.Fatal(err)
		}
		actor := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 999, Role: frontdesk.RoleAgent, Name: "Agent"})
		for _, p := range []*frontdesk.Person{spammer, peer} {
			tk, err := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: p.ID, Subject: "Buy now"}, frontdesk.TicketViaEmail)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.MarkSpam(actor, tk.ID, "")
			after, _ := db.GetPerson(context.Background(), p.ID)
			stored, _ := db.GetTicket(context.Background(), tk.ID)
			if p == spammer {
				if err != nil || after.State != frontdesk.StateBanned || after.BanReason != "spam" || !stored.Spam || stored.Status != frontdesk.TicketClosed {
					t.Errorf("spam: %v, requester %s, ticket %+v", err, after.State, stored)
				}
				continue
			}
			if frontdesk.ErrorCode(err) != frontdesk.EForbidden || after.State != frontdesk.StateActive || stored.Spam || stored.Status != frontdesk.TicketOpen {
				t.Errorf("spam on a peer's ticket: %v, requester %s, ticket %+v", err, after.State, stored)
			}
		}
		if _, err := f.MarkSpam(frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 998, Role: frontdesk.RoleCollaborator}), 1, ""); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("a collaborator marked spam: %v", err)
		}
	})
}
