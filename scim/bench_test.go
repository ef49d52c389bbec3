package scim_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"

	"frontdesk/store"
	"frontdesk/store/storetest"
)

// BenchmarkB6UserNameLookup measures the lookup identity providers make before every create,
// through the handler, on a small SQLite store (bench/scim measures it at a million people).
func BenchmarkB6UserNameLookup(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	s := newSCIM(b, db)
	for i := range 200 {
		s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": fmt.Sprintf("user%d", i)})
	}
	h := s.handler
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("GET", "/scim/v2/Users?"+url.Values{"filter": {fmt.Sprintf(`userName eq "user%d"`, i%200)}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
}
