package server_test

import (
	"context"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store/storetest"
)

// T1, E6: an agent's reply to a ticket reaches the requester through the real SMTP server,
// carrying the Message-ID stored on the reply, on which the requester's answer will thread;
// a private note sends nothing.
func TestTicketReplyReachesRequesterBySMTP_T1_E6(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			req := a.mustPerson(t, "Rhea Requester", "rhea@example.com", frontdesk.StateActive)
			agent := a.mustPerson(t, "Abe Agent", "abe@example.com", frontdesk.StateActive)
			role := frontdesk.RoleAgent
			if _, err := a.Flows.UpdatePerson(sys, agent.ID, frontdesk.PersonInput{Role: &role}); err != nil {
				t.Fatal(err)
			}
			as := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: agent.ID, Role: frontdesk.RoleAgent, Name: "Abe Agent"})
			tk, err := a.Flows.CreateTicket(as, frontdesk.TicketInput{RequesterID: req.ID, Subject: "VPN drops", Body: "Every hour."}, frontdesk.TicketViaPhone)
			if err != nil {
				t.Fatal(err)
			}
			no, yes := false, true
			if _, err := a.Flows.AddMessage(as, tk.ID, frontdesk.MessageInput{Body: "Checked the logs.", Public: &no}); err != nil {
				t.Fatal(err)
			}
			m, err := a.Flows.AddMessage(as, tk.ID, frontdesk.MessageInput{Body: "Please update the client to 4.2.", Public: &yes})
			if err != nil {
				t.Fatal(err)
			}
			subject, text := a.mailTo(t, "rhea@example.com", 1)
			if !strings.Contains(subject, "VPN drops") || !strings.Contains(text, "Please update the client to 4.2.") ||
				!strings.Contains(text, "Abe Agent") || strings.Contains(text, "Checked the logs") {
				t.Errorf("the reply mail: %q\n%s", subject, text)
			}
			var got []string
			for _, msg := range a.SMTP.Messages() {
				if len(msg.To) == 1 && msg.To[0] == "rhea@example.com" {
					got = append(got, msg.MessageID)
				}
			}
			if len(got) != 1 || m.MessageID == "" || got[0] != m.MessageID {
				t.Errorf("Message-IDs delivered %v, stored on the reply %q", got, m.MessageID)
			}
			thread, err := a.DB.TicketMessages(context.Background(), tk.ID, true)
			if err != nil || len(thread) != 3 || thread[2].MessageID != m.MessageID || thread[1].MessageID != "" {
				t.Errorf("stored thread: %v %+v", err, thread)
			}
		})
	}
}
