package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// The embeddable request form (C6): a snippet an admin copies from the settings page into
// any website listed in the embed_origins setting. Its script turns the host page's form
// into a cross-origin POST of JSON to the public intake endpoint, which grants CORS to those
// origins alone, and shows the answer in the host page.

//go:embed static/embed.js
var embedJS []byte

// embedETag names this build's embed.js, so that caches revalidate cheaply.
var embedETag = func() string {
	sum := sha256.Sum256(embedJS)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// serveEmbedJS serves the embed script to any page: it is public, the same for everyone,
// and cached for an hour.
func (s *Server) serveEmbedJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", embedETag)
	// Other sites load it with a script tag.
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "embed.js", time.Time{}, bytes.NewReader(embedJS))
}

// EmbedSnippet is the HTML an admin pastes into another website to host the request form
// of the helpdesk at base (its URL, without a trailing slash).
func EmbedSnippet(base string) string {
	r := strings.NewReplacer("HELPDESK", htmlAttr(base))
	return r.Replace(`<form class="frontdesk-request" action="HELPDESK/requests/new" method="get" data-frontdesk-form>
  <label for="fd-name">Your name</label>
  <input id="fd-name" name="name" autocomplete="name">
  <label for="fd-email">Your email address</label>
  <input id="fd-email" name="email" type="email" autocomplete="email" required>
  <label for="fd-subject">Subject</label>
  <input id="fd-subject" name="subject" required>
  <label for="fd-body">Your message</label>
  <textarea id="fd-body" name="body" rows="6" required></textarea>
  <label for="fd-files">Files (optional)</label>
  <input id="fd-files" name="attachments" type="file" multiple>
  <div style="position:absolute;left:-10000px" aria-hidden="true">
    <label for="fd-website">Leave this field empty</label>
    <input id="fd-website" name="website" tabindex="-1" autocomplete="off">
  </div>
  <button type="submit">Send my request</button>
</form>
<script src="HELPDESK/embed.js" data-frontdesk="HELPDESK" defer></script>`)
}

func htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}
