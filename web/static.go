package web

import (
	"embed"
	"net/http"
)

// The few static files the pages use, embedded like the templates: a small script that
// enhances a form that works without it.

//go:embed static
var staticFS embed.FS

func (s *Server) peopleSuggestScript(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/people-suggest.js")
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
