package web

import (
	"bytes"
	_ "embed"
	"net/http"
	"time"
)

// The requester field's type-ahead (C10, C11): a small script, embedded like the templates,
// that enhances a form which works without it.

//go:embed static/people-suggest.js
var peopleSuggestJS []byte

func (s *Server) peopleSuggestScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "people-suggest.js", time.Time{}, bytes.NewReader(peopleSuggestJS))
}
