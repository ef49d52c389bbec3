package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"frontdesk/store/storetest"
)

// BenchmarkBulkPeople1000_X7 times one POST /api/v1/people/bulk of 1,000 people over HTTP
// on each engine: all new (each created, with its confirmation mail and token queued), then
// the same 1,000 again (each updated).
func BenchmarkBulkPeople1000_X7(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			s := newTestServer(b, storetest.Open(b, e))
			body := func(round int, rename string) []byte {
				items := make([]map[string]any, 1000)
				for i := range items {
					items[i] = map[string]any{"external_id": fmt.Sprintf("b%d-%d", round, i), "name": rename + " Person",
						"email": fmt.Sprintf("p%d-%d@example.com", round, i), "phones": []any{map[string]any{"number": fmt.Sprintf("+1415555%04d", i)}}}
				}
				out, _ := json.Marshal(map[string]any{"key": "external_id", "items": items})
				return out
			}
			check := func(r response, want string) {
				var out struct{ Created, Updated, Failed int }
				if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil || out.Failed != 0 || (want == "created") != (out.Created == 1000) {
					b.Fatalf("%d %.300s", r.Status, r.Body)
				}
			}
			b.Run("create", func(b *testing.B) {
				round := 0
				for b.Loop() {
					b.StopTimer()
					req := body(round, "Made")
					b.StartTimer()
					check(s.do(s.token, "POST", "/api/v1/people/bulk", req), "created")
					round++
				}
				b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "people/s")
			})
			b.Run("update", func(b *testing.B) {
				s.do(s.token, "POST", "/api/v1/people/bulk", body(-1, "Made"))
				i := 0
				for b.Loop() {
					b.StopTimer()
					req := body(-1, fmt.Sprintf("Renamed%d", i))
					b.StartTimer()
					check(s.do(s.token, "POST", "/api/v1/people/bulk", req), "updated")
					i++
				}
				b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "people/s")
			})
		})
	}
}
