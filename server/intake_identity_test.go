package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/intake"
	"frontdesk/store/storetest"
)

// C13: a chat request names its contact by a handle alone; staff find that handle on the
// contact's profile, to complete the profile from there.
func TestChatIdentityShowsOnProfile_C13(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			out, err := a.Intake.Submit(sys, frontdesk.RequestInput{Channel: "chat", Identity: "Visitor-42", Subject: "Hi", Body: "From the chat"},
				intake.Source{Channel: frontdesk.TicketViaAPI})
			if err != nil {
				t.Fatal(err)
			}
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			page := c.get(fmt.Sprintf("/console/people/%d", out.Ticket.RequesterID))
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "<li>chat: visitor-42</li>") {
				t.Fatalf("the profile of a chat contact: %d %s", page.Status, page.Body)
			}
		})
	}
}
