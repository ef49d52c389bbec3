package frontdesk

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// T1: a new ticket's input is checked field by field, every problem at once; defaults fill
// status and channel; a body becomes the requester's first public message.
func TestNewTicketReportsEveryProblem_T1(t *testing.T) {
	zero := int64(0)
	_, _, err := NewTicket(TicketInput{Subject: strings.Repeat("x", MaxSubjectLen+1), Status: "lost", Channel: "pigeon",
		Body: "bad \x00 byte", AssigneeID: &zero}, TicketViaAPI)
	e, ok := err.(*Error)
	if !ok || e.Code != EInvalid {
		t.Fatalf("want invalid: %v", err)
	}
	got := map[string]bool{}
	for _, f := range e.Fields {
		got[f.Field] = true
	}
	for _, f := range []string{"subject", "status", "channel", "body", "requester_id", "assignee_id"} {
		if !got[f] {
			t.Errorf("no problem named %s: %v", f, e.Fields)
		}
	}
	tk, first, err := NewTicket(TicketInput{RequesterID: 7, Subject: "  Printer   jams ", Body: "Line one\nline two"}, TicketViaWeb)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Subject != "Printer jams" || tk.Status != TicketOpen || tk.Channel != TicketViaWeb {
		t.Errorf("defaults: %+v", tk)
	}
	if first == nil || first.AuthorID != 7 || !first.Public || first.Body != "Line one\nline two" {
		t.Errorf("first message: %+v", first)
	}
	if _, first, _ := NewTicket(TicketInput{RequesterID: 7, Subject: "x"}, TicketViaWeb); first != nil {
		t.Errorf("no body, yet a first message: %+v", first)
	}
}

// T1: a message needs a body within the limit and says whether it is public.
func TestNewMessage_T1(t *testing.T) {
	yes := true
	if _, err := NewMessage(MessageInput{Body: " \n ", Public: &yes}); ErrorCode(err) != EInvalid {
		t.Errorf("blank body: %v", err)
	}
	if _, err := NewMessage(MessageInput{Body: "Hi"}); ErrorCode(err) != EInvalid {
		t.Errorf("public missing: %v", err)
	}
	if _, err := NewMessage(MessageInput{Body: strings.Repeat("x", MaxMessageBodyLen+1), Public: &yes}); ErrorCode(err) != EInvalid {
		t.Errorf("oversize body: %v", err)
	}
	if m, err := NewMessage(MessageInput{Body: "Hello", Public: &yes}); err != nil || !m.Public || m.Body != "Hello" {
		t.Errorf("reply: %+v %v", m, err)
	}
}

// T3: only the requester rates, only a closed ticket that is not spam, good or bad.
func TestCheckRating_T3(t *testing.T) {
	closed := &Ticket{ID: 1, RequesterID: 5, Status: TicketClosed}
	cases := []struct {
		name   string
		t      *Ticket
		person int64
		in     RatingInput
		want   Code
	}{
		{"requester, closed", closed, 5, RatingInput{Rating: RatingBad, Comment: "slow"}, ""},
		{"someone else", closed, 6, RatingInput{Rating: RatingGood}, EForbidden},
		{"nobody", closed, 0, RatingInput{Rating: RatingGood}, EForbidden},
		{"open", &Ticket{ID: 1, RequesterID: 5, Status: TicketOpen}, 5, RatingInput{Rating: RatingGood}, EConflict},
		{"pending", &Ticket{ID: 1, RequesterID: 5, Status: TicketPending}, 5, RatingInput{Rating: RatingGood}, EConflict},
		{"spam", &Ticket{ID: 1, RequesterID: 5, Status: TicketClosed, Spam: true}, 5, RatingInput{Rating: RatingGood}, EConflict},
		{"trashed", &Ticket{ID: 1, RequesterID: 5, Status: TicketClosed, TrashedAt: &time.Time{}}, 5, RatingInput{Rating: RatingGood}, EConflict},
		{"unknown rating", closed, 5, RatingInput{Rating: "meh"}, EInvalid},
		{"long comment", closed, 5, RatingInput{Rating: RatingGood, Comment: strings.Repeat("x", MaxRatingComment+1)}, EInvalid},
	}
	for _, c := range cases {
		err := CheckRating(c.t, c.person, &c.in)
		if c.want == "" && err != nil || c.want != "" && ErrorCode(err) != c.want {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// T1: list filters read from the query, every problem at once.
func TestParseTicketFilter_T1(t *testing.T) {
	f, err := ParseTicketFilter(url.Values{"requester_id": {"3"}, "organization_id": {"4"}, "assignee_id": {"5"}, "status": {"pending"}})
	if err != nil || f != (TicketFilter{RequesterID: 3, OrganizationID: 4, AssigneeID: 5, Status: TicketPending}) {
		t.Errorf("filter: %+v %v", f, err)
	}
	_, err = ParseTicketFilter(url.Values{"requester_id": {"x"}, "assignee_id": {"-1"}, "status": {"lost"}})
	e, _ := err.(*Error)
	if e == nil || len(e.Fields) != 3 {
		t.Errorf("want three problems: %v", err)
	}
}
