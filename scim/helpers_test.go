package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/mail"
	"frontdesk/scim"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// scimServer is the SCIM provider over a real database on a real HTTP server, with an active
// owner and the owner's API token.
type scimServer struct {
	t       testing.TB
	db      *store.DB
	url     string
	owner   *frontdesk.Person
	token   string
	handler http.Handler
}

func eachSCIM(t *testing.T, fn func(t *testing.T, s *scimServer)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fn(t, newSCIM(t, db))
	})
}

func newSCIM(t testing.TB, db *store.DB) *scimServer {
	t.Helper()
	mailer, err := mail.New(db, mail.Config{})
	if err != nil {
		t.Fatal(err)
	}
	flows := flow.New(db, mailer, "")
	flows.PhoneRegion = "US"
	h := scim.New(db, flows, scim.Config{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &scimServer{t: t, db: db, url: srv.URL, handler: h}
	s.owner = s.mustStaff(frontdesk.RoleOwner, "owner@example.com")
	s.token = s.mustToken(s.owner.ID)
	return s
}

func (s *scimServer) mustStaff(role frontdesk.Role, email string) *frontdesk.Person {
	s.t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name := string(role) + " person"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		s.t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	if err := s.db.CreatePerson(context.Background(), p); err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *scimServer) mustToken(personID int64) string {
	s.t.Helper()
	tok, err := s.db.CreateAPIToken(context.Background(), personID, "scim")
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return v
}

// do sends a request with a token ("" for none); a string body is sent as it is, anything
// else JSON-encoded.
func (s *scimServer) do(token, method, path string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// must sends a request as the owner and fails unless the status is want.
func (s *scimServer) must(want int, method, path string, body any, headers ...string) map[string]any {
	s.t.Helper()
	r := s.do(s.token, method, path, body, headers...)
	if r.Status != want {
		s.t.Fatalf("%s %s: want %d, got %d: %s", method, path, want, r.Status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.JSON(s.t)
}

// mustError sends a request as the owner and checks the SCIM error: status and scimType.
func (s *scimServer) mustError(status int, scimType, method, path string, body any, headers ...string) map[string]any {
	s.t.Helper()
	r := s.do(s.token, method, path, body, headers...)
	if r.Status != status {
		s.t.Fatalf("%s %s: want %d, got %d: %s", method, path, status, r.Status, r.Body)
	}
	m := r.JSON(s.t)
	if got, _ := m["scimType"].(string); got != scimType {
		s.t.Fatalf("%s %s: want scimType %q, got %q: %s", method, path, scimType, got, r.Body)
	}
	schemas, _ := m["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != scim.SchemaError || m["status"] != itoa(status) {
		s.t.Fatalf("%s %s: not a SCIM error body: %s", method, path, r.Body)
	}
	return m
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (s *scimServer) person(id string) *frontdesk.Person {
	s.t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(id), &n); err != nil {
		s.t.Fatalf("id %q: %v", id, err)
	}
	p, err := s.db.GetPerson(context.Background(), n)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func filterQuery(f string, extra ...string) string {
	q := url.Values{"filter": {f}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/scim/v2/Users?" + q.Encode()
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{scim.SchemaPatchOp}, "Operations": list}
}

func resources(t testing.TB, m map[string]any) []map[string]any {
	t.Helper()
	raw, _ := m["Resources"].([]any)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}
