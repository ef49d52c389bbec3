package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/api"
)

func guestRequest(email string) map[string]any {
	return map[string]any{"email": email, "name": "Gail Guest", "subject": "The printer jams", "body": "Every second page."}
}

// C4, C5: POST /api/v1/requests takes a request with no token and answers 201 when the
// ticket exists (guest_requests=open) and 202 when it waits for the guest's confirmation
// (guest_requests=confirm), which PATCH /api/v1/settings switches.
func TestPublicRequestEndpoint_C4_C5(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		r := s.do("", "POST", "/api/v1/requests", guestRequest("gail@example.com"))
		if r.Status != 201 || r.JSON(t)["status"] != "created" || r.JSON(t)["ticket_id"] == nil {
			t.Fatalf("open: %d %s", r.Status, r.Body)
		}
		p, err := s.db.GetPersonByEmail(context.Background(), "gail@example.com")
		if err != nil {
			t.Fatal(err)
		}
		list := s.mustDo(200, "GET", "/api/v1/tickets?requester_id="+strconv.FormatInt(p.ID, 10), nil)["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("tickets of the guest: %v", list)
		}
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"guest_requests": "confirm"})
		r = s.do("", "POST", "/api/v1/requests", guestRequest("gus@example.com"))
		if r.Status != 202 || r.JSON(t)["status"] != "pending_confirmation" || r.JSON(t)["ticket_id"] != nil {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if _, err := s.db.GetPersonByEmail(context.Background(), "gus@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a request waiting for confirmation made a person: %v", err)
		}
		if r := s.do(s.token, "PATCH", "/api/v1/settings", map[string]any{"guest_requests": "sometimes"}); r.Status != 422 || !strings.Contains(string(r.Body), "guest_requests") {
			t.Fatalf("bad setting: %d %s", r.Status, r.Body)
		}
		// Staff raise a request for the person it names: no confirmation, no limits.
		r = s.do(s.token, "POST", "/api/v1/requests", guestRequest("phoned@example.com"))
		if r.Status != 201 {
			t.Fatalf("staff on behalf: %d %s", r.Status, r.Body)
		}
	})
}

// C6: only origins in embed_origins get CORS, on the public request endpoint alone; the
// preflight tells others nothing, and no endpoint allows credentials.
func TestRequestCORSOnlyForEmbedOrigins_C6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"embed_origins": []string{"https://Shop.Example/"}})
		settings := s.mustDo(200, "GET", "/api/v1/settings", nil)
		if got := settings["embed_origins"].([]any); len(got) != 1 || got[0] != "https://shop.example" {
			t.Fatalf("normalized origins: %v", got)
		}
		if r := s.do(s.token, "PATCH", "/api/v1/settings", map[string]any{"embed_origins": []string{"shop.example/path"}}); r.Status != 422 {
			t.Fatalf("an origin with a path: %d %s", r.Status, r.Body)
		}
		pre := s.do("", "OPTIONS", "/api/v1/requests", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
		if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
			t.Fatalf("preflight of an allowed origin: %d %v", pre.Status, pre.Header)
		}
		evil := s.do("", "OPTIONS", "/api/v1/requests", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		if evil.Header.Get("Access-Control-Allow-Origin") != "" || evil.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Fatalf("preflight of another origin: %v", evil.Header)
		}
		ok := s.do("", "POST", "/api/v1/requests", guestRequest("a@example.com"), "Origin", "https://shop.example")
		if ok.Status != 201 || ok.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" || ok.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("post from the allowed origin: %d %v", ok.Status, ok.Header)
		}
		bad := s.do("", "POST", "/api/v1/requests", map[string]any{"subject": ""}, "Origin", "https://shop.example")
		if bad.Status != 422 || bad.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
			t.Fatalf("field errors must reach the embedding page too: %d %v", bad.Status, bad.Header)
		}
		// Another site's page is refused outright, not only kept from reading the answer:
		// a browser sends simple requests without asking first.
		if r := s.do("", "POST", "/api/v1/requests", guestRequest("b@example.com"), "Origin", "https://evil.example"); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("post from another origin: %d %v", r.Status, r.Header)
		}
		if r := s.do("", "POST", "/api/v1/requests", guestRequest("c@example.com"), "Content-Type", "text/plain"); r.Status != 422 || !strings.Contains(string(r.Body), "Content-Type") {
			t.Fatalf("a simple (text/plain) post: %d %s", r.Status, r.Body)
		}
		for _, e := range []string{"b@example.com", "c@example.com"} {
			if _, err := s.db.GetPersonByEmail(context.Background(), e); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Fatalf("a refused post made %s", e)
			}
		}
		if r := s.do(s.token, "GET", "/api/v1/people", nil, "Origin", "https://shop.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("another endpoint got CORS: %v", r.Header)
		}
	})
}

// Bad input on the public endpoint: oversize bodies (413 with the limit), invalid UTF-8
// (400), unknown fields, a filled honeypot and missing fields (422, by field); a blocked
// domain is held for review (202), not refused. Nothing is made by a refused request.
func TestPublicRequestBadInput(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		big := guestRequest("big@example.com")
		big["body"] = strings.Repeat("x", api.MaxRequestBytes)
		if r := s.do("", "POST", "/api/v1/requests", big); r.Status != 413 || !strings.Contains(string(r.Body), "262144 bytes") {
			t.Fatalf("oversize: %d %s", r.Status, r.Body)
		}
		if r := s.do("", "POST", "/api/v1/requests", []byte("{\"email\": \"\xff\"}")); r.Status != 400 {
			t.Fatalf("invalid UTF-8: %d %s", r.Status, r.Body)
		}
		unknown := guestRequest("u@example.com")
		unknown["is_admin"] = true
		if r := s.do("", "POST", "/api/v1/requests", unknown); r.Status != 422 || !strings.Contains(string(r.Body), "is_admin") {
			t.Fatalf("unknown field: %d %s", r.Status, r.Body)
		}
		honey := guestRequest("h@example.com")
		honey["website"] = "http://buy.example"
		if r := s.do("", "POST", "/api/v1/requests", honey); r.Status != 422 || !strings.Contains(string(r.Body), `"website"`) {
			t.Fatalf("honeypot: %d %s", r.Status, r.Body)
		}
		if r := s.do("", "POST", "/api/v1/requests", map[string]any{"email": "nope", "type": "ghost"}); r.Status != 422 ||
			!strings.Contains(string(r.Body), `"subject"`) || !strings.Contains(string(r.Body), `"type"`) {
			t.Fatalf("missing fields: %d %s", r.Status, r.Body)
		}
		for _, e := range []string{"big@example.com", "u@example.com", "h@example.com"} {
			if _, err := s.db.GetPersonByEmail(context.Background(), e); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Fatalf("a refused request made %s", e)
			}
		}
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"blocked_domains": []string{"spam.example"}})
		if r := s.do("", "POST", "/api/v1/requests", guestRequest("x@spam.example")); r.Status != 202 || r.JSON(t)["status"] != "in_review" {
			t.Fatalf("blocked domain: %d %s", r.Status, r.Body)
		}
		queue := s.mustDo(200, "GET", "/api/v1/review-queue", nil)["data"].([]any)
		if len(queue) != 1 || !strings.Contains(queue[0].(map[string]any)["reason"].(string), "spam.example") {
			t.Fatalf("review queue: %v", queue)
		}
	})
}
