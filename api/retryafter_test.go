package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"frontdesk"
)

// Issue 7 item 10: a refusal by a rate limit carries Retry-After in seconds; other errors do
// not.
func TestRetryAfterOnTooMany_Issue7_10(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/api/v1/anything", nil)
	writeError(w, r, slog.New(slog.DiscardHandler), &frontdesk.Error{Code: frontdesk.ETooMany, Message: "too many",
		Extra: map[string]any{"retry_after_seconds": 42}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "42" {
		t.Fatalf("429: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	w = httptest.NewRecorder()
	writeError(w, r, slog.New(slog.DiscardHandler), frontdesk.Errorf(frontdesk.EConflict, "taken"))
	if w.Header().Get("Retry-After") != "" {
		t.Fatal("a conflict carries Retry-After")
	}
}
