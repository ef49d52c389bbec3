package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"frontdesk"
	"frontdesk/api"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// testServer is a real HTTP server over a real database, with an active owner and a token.
type testServer struct {
	t     testing.TB
	db    *store.DB
	url   string
	owner *frontdesk.Person
	token string
}

// eachServer runs fn once per engine with a fresh server.
func eachServer(t *testing.T, fn func(t *testing.T, s *testServer)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fn(t, newTestServer(t, db))
	})
}

func newTestServer(t testing.TB, db *store.DB) *testServer {
	t.Helper()
	srv := httptest.NewServer(api.New(db, api.Config{PhoneRegion: "US"}))
	t.Cleanup(srv.Close)
	s := &testServer{t: t, db: db, url: srv.URL}
	s.owner = s.mustStaff(frontdesk.RoleOwner, "owner@example.com")
	s.token = s.mustToken(s.owner.ID)
	return s
}

// mustStaff creates an active staff member of the given role straight in the store.
func (s *testServer) mustStaff(role frontdesk.Role, email string) *frontdesk.Person {
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

func (s *testServer) mustToken(personID int64) string {
	s.t.Helper()
	tok, err := s.db.CreateAPIToken(context.Background(), personID, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// response is an answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return v
}

// do sends a request with the given token ("" for none); body is JSON-encoded unless it
// is already []byte.
func (s *testServer) do(token, method, path string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
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
		req.Header.Set("Content-Type", "application/json")
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
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// mustDo sends a request as the owner and fails the test unless the status is want.
func (s *testServer) mustDo(want int, method, path string, body any, headers ...string) map[string]any {
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
